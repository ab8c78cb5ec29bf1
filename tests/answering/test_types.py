"""The answer object every caller gets (qa/answering/types.py): its dict form is the API's and the
UI's contract. Invented county text."""

from qa.answering.types import Answer, Citation, Draft
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit

TEXT = "2041年，青禾县新建乡村书屋18座。"


def _hit():
    return Hit(
        Chunk("qinghe#0", "qinghe", 0, 10, 10 + len(TEXT), TEXT, ("二、民生",), "2041年", "body", "青禾县报告"), 0.9
    )


def test_a_citation_as_a_dict_keeps_every_field():
    citation = Citation(0, "qinghe", 24, 27, "18座", "青禾县报告", "二、民生")
    assert citation.to_dict() == {
        "source": 0,
        "doc": "qinghe",
        "title": "青禾县报告",
        "section": "二、民生",
        "start": 24,
        "end": 27,
        "text": "18座",
    }
    assert Citation(1, "qinghe", 0, 1, "青").to_dict()["title"] == "" == Citation(1, "q", 0, 1, "青").section


def test_an_answer_as_a_dict_rounds_confidence_and_timings_and_nests_its_parts():
    span = Citation(0, "qinghe", 24, 27, "18座", "青禾县报告", "二、民生")
    sentence = Citation(0, "qinghe", 10, 10 + len(TEXT), TEXT, "青禾县报告", "二、民生")
    answer = Answer(
        "今年建了几座书屋？",
        "2041年建了几座书屋？",
        "2041年，青禾县新建乡村书屋18座。",
        "18座",
        False,
        "extractive",
        [_hit()],
        [sentence],
        [span],
        {"evidence": 1.23456, "read": 0.001},
        0.876543,
        "extractive reader",
    )
    assert answer.to_dict() == {
        "question": "今年建了几座书屋？",
        "rewritten": "2041年建了几座书屋？",
        "reply": "2041年，青禾县新建乡村书屋18座。",
        "answer": "18座",
        "refused": False,
        "mode": "extractive",
        "sources": [_hit().to_dict()],
        "citations": [sentence.to_dict()],
        "answer_spans": [span.to_dict()],
        "confidence": 0.8765,
        "timings_ms": {"evidence": 1.23, "read": 0.0},
        "note": "extractive reader",
    }


def test_a_refusal_without_confidence_says_so_and_has_empty_parts():
    refused = Answer("地铁有几条？", "地铁有几条？", "文件中没有找到。", None, True, "generative")
    data = refused.to_dict()
    assert data["confidence"] is None and data["answer"] is None and data["refused"] is True
    assert data["sources"] == data["citations"] == data["answer_spans"] == [] and data["timings_ms"] == {}
    assert data["note"] == ""
    assert Answer("q", "q", "r", None, True, "extractive", confidence=0.0).to_dict()["confidence"] == 0.0


def test_a_fresh_draft_has_found_nothing_and_owns_its_lists():
    first, second = Draft("extractive"), Draft("generative")
    assert (first.spans, first.text, first.not_found, first.missing, first.logprobs) == ([], "", False, [], [])
    assert first.score == 0.0 and first.timings == {}
    first.spans.append("x")
    assert second.spans == []
