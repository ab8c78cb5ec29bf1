"""How much evidence the readers see: ``python -m eval evidence``.

Files in, a table out::

    python -m eval evidence --set data/qa/report_tune.jsonl=data/corpus --set data/qa/laws_tune.jsonl=data/laws

For every answerable tuning question it retrieves the passages once, then tries each setting of
:class:`qa.settings.EvidenceSettings` on a grid and reports, per set, the share of questions whose
gold evidence sentence is among the selected sentences (recall), and the mean characters
selected (what the generator must read). Rows come best first: higher recall summed over the
sets, then fewer characters. Only tuning files may be given.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np

from eval.metrics import eval_index_dir, normalize_answer, read_jsonl

GRID = {
    "max_sentences": (3, 4, 5),
    "max_chars": (300, 400, 500),
    "per_hit_leaders": (0, 2, 3),
    "dense_weight": (1.0, 2.0, 3.0),
    "rank_weight": (0.75, 1.5, 3.0),
}


class CachedVectors:
    """An encoder's passage vectors, each text encoded once across the whole grid."""

    def __init__(self, encoder) -> None:
        self.encoder, self.cache = encoder, {}

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.encoder.encode_passages(missing)))
        return np.array([self.cache[t] for t in texts])


def recall_table(cases: list[tuple[str, str, object, object]], base, grid: dict = GRID) -> list[dict]:
    """One row per grid point: {"settings": {...}, "recall": {set: share}, "chars": mean}.

    ``cases``: (set name, gold evidence, retrieval result, vectors) per answerable question."""
    from qa.answering.evidence import EvidenceSelector

    rows = []
    for values in itertools.product(*grid.values()):
        settings = replace(base, **dict(zip(grid, values)))
        found: dict[str, list[bool]] = {}
        chars = []
        for name, gold, result, vectors in cases:
            chosen = EvidenceSelector(settings, vectors).run(result.rewritten, result.hits, result.query_vector)
            found.setdefault(name, []).append(any(gold in normalize_answer(e.text) for e in chosen))
            chars.append(sum(len(e.text) for e in chosen))
        recall = {name: float(np.mean(hits)) for name, hits in found.items()}
        rows.append({"settings": dict(zip(grid, values)), "recall": recall, "chars": float(np.mean(chars))})
    total = {name: len(hits) for name, hits in found.items()} if rows else {}
    rows.sort(key=lambda r: (-sum(r["recall"][n] * total[n] for n in total), r["chars"]))
    return rows


def main(args) -> int:
    from qa.pipeline import Pipeline
    from qa.settings import Settings

    cases = []
    for item in args.set:
        qa_file, _, corpus = item.partition("=")
        if "tune" not in Path(qa_file).name:
            raise ValueError(f"{qa_file}: evidence settings are chosen on tuning splits only (a *_tune.jsonl file)")
        pipeline = Pipeline(Settings.from_env(corpus_dir=Path(corpus), index_dir=eval_index_dir(corpus)))
        pipeline.warm_up()
        vectors = CachedVectors(pipeline.encoder)
        for row in read_jsonl(qa_file):
            if row.get("evidence"):
                result = pipeline.retrieve(row["question"], k=10)
                cases.append((Path(qa_file).stem, normalize_answer(row["evidence"]), result, vectors))
    rows = recall_table(cases, Settings().evidence)
    names = sorted({n for r in rows for n in r["recall"]})
    print(" ".join(f"{k:>15}" for k in GRID) + "".join(f"{n:>14}" for n in names) + f"{'chars':>8}")
    for row in rows[: args.top]:
        cells = " ".join(f"{v:>15}" for v in row["settings"].values())
        print(cells + "".join(f"{row['recall'][n]:>14.3f}" for n in names) + f"{row['chars']:>8.0f}")
    return 0
