"""What retrieval hands on (qa/search/hits.py): hits, results and the period boost, on an
invented county's chunks."""

from qa.ingest.chunking import Chunk
from qa.search.hits import Hit, RetrievalResult, period_adjustment
from qa.search.normalize import NormalizedQuery

TEXT = "2041年，青禾县新建乡村书屋18座。"


def _chunk(period="2041年"):
    return Chunk(
        "qinghe#3", "qinghe", 2, 40, 40 + len(TEXT), TEXT, ("二、民生", "（一）文化"), period, "body", "青禾县报告"
    )


def test_a_chunk_about_the_period_asked_is_lifted_and_one_about_another_is_lowered():
    assert period_adjustment(frozenset({2041}), "2041年", 0.3) == 0.3
    assert period_adjustment(frozenset({2041}), "2039年", 0.3) == -0.3
    assert period_adjustment(frozenset({2037, 2038, 2039, 2040, 2041}), "2037—2041年", 0.5) == 0.5


def test_a_period_that_only_overlaps_the_one_asked_is_neither_lifted_nor_lowered():
    assert period_adjustment(frozenset({2041}), "2037—2041年", 0.3) == 0.0
    assert period_adjustment(frozenset({2037, 2038, 2039, 2040, 2041}), "2041年", 0.3) == 0.0


def test_no_period_on_either_side_changes_nothing():
    assert period_adjustment(frozenset(), "2041年", 0.3) == 0.0
    assert period_adjustment(frozenset({2041}), None, 0.3) == 0.0
    assert period_adjustment(frozenset({2041}), "近期", 0.3) == 0.0


def test_a_hit_as_a_dict_names_its_chunk_and_rounds_its_score():
    hit = Hit(_chunk(), 0.123456789, dense=0.8, lexical=3.2)
    assert hit.to_dict() == {
        "doc": "qinghe",
        "section": "二、民生 > （一）文化",
        "text": TEXT,
        "score": 0.123457,
        "start": 40,
        "end": 40 + len(TEXT),
        "chunk_id": "qinghe#3",
        "period": "2041年",
    }
    assert Hit(_chunk(None), 1.0).to_dict()["period"] is None


def test_a_result_as_a_dict_shows_the_rewritten_question_its_hits_and_timings():
    query = NormalizedQuery("今年建了几座书屋", "2041年建了几座书屋", ("2041年建了几座书屋",))
    result = RetrievalResult("今年建了几座书屋", query, [Hit(_chunk(), 0.5)], {"search": 1.5})
    assert result.rewritten == "2041年建了几座书屋"
    assert result.query_vector is None
    assert result.to_dict() == {
        "question": "今年建了几座书屋",
        "rewritten": "2041年建了几座书屋",
        "hits": [Hit(_chunk(), 0.5).to_dict()],
        "timings_ms": {"search": 1.5},
    }
    assert RetrievalResult("问", query, []).timings == {}
