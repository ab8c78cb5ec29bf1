"""The project's own QA data (data/qa/) keeps the contract its README states: every answer and
evidence is text of the documents, unanswerable questions carry none, ids are unique, and each
question sits in the split the SHA-1 parity of its id gives (a dialogue's turns, "<dialogue>-tN",
by the dialogue's id), so no question was placed by hand."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from qa.text import squash

ROOT = Path(__file__).resolve().parents[2]
QA = ROOT / "data" / "qa"
CORPORA = {"report": ["corpus"], "laws": ["laws"], "dialogues": ["corpus", "laws"]}


def corpus_text(folders: list[str]) -> str:
    return squash(
        "".join(p.read_text(encoding="utf-8") for f in folders for p in sorted((ROOT / "data" / f).glob("*.txt")))
    )


def rows(name: str) -> list[tuple[str, dict]]:
    return [
        (split, json.loads(line))
        for split in ("tune", "test")
        for line in (QA / f"{name}_{split}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_answers_and_evidence_are_document_text(name):
    text = corpus_text(CORPORA[name])
    for _, row in rows(name):
        if row["answers"]:
            assert row["evidence"] and squash(row["evidence"]) in text, row["id"]
            for answer in row["answers"]:
                assert squash(answer) in text, (row["id"], answer)
        else:
            assert row["evidence"] == "", row["id"]


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_split_follows_the_parity_of_the_id(name):
    for split, row in rows(name):
        unit = row["id"].rsplit("-t", 1)[0] if name == "dialogues" else row["id"]
        parity = int(hashlib.sha1(unit.encode()).hexdigest(), 16) % 2
        assert split == ("tune", "test")[parity], row["id"]


def test_ids_are_unique():
    ids = [row["id"] for name in CORPORA for _, row in rows(name)]
    assert len(ids) == len(set(ids))


def test_laws_name_an_existing_law():
    laws = {p.stem for p in (ROOT / "data" / "laws").glob("*.txt")}
    for _, row in rows("laws"):
        if row["answers"]:
            assert row["doc"] in laws, row["id"]
