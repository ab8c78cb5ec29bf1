"""What Retriever.retrieve promises whatever index it searches (qa/search/retrieval.py): it asks
the index with the normalized question, ranks by fused score plus the period boost, and keeps
the index's own chunks. A recording stub index over an invented county stands in for FAISS."""

import time
from datetime import date

import numpy as np
import pytest

from qa.index.base import Filters, Match
from qa.ingest.chunking import Chunk
from qa.search.retrieval import Retriever
from qa.settings import RetrievalSettings
from tests.conftest import HashingEncoder


def _chunk(n, text, period=None):
    return Chunk(
        f"qinghe#{n}", "qinghe", n, 10 * n, 10 * n + len(text), text, ("二、民生",), period, "body", "青禾县报告"
    )


class StubIndex:
    """Returns fixed matches and records every search call."""

    def __init__(self, matches, documents=None, reference=date(2041, 2, 1)):
        self.matches = matches
        self.documents = {"qinghe": object()} if documents is None else documents
        self.reference_date = reference
        self.calls = []

    def search(self, vector, queries, n, settings, filters=None):
        self.calls.append({"vector": vector, "queries": queries, "n": n, "settings": settings, "filters": filters})
        return list(self.matches)


MATCHES = [
    Match(_chunk(0, "青禾县去年新建乡村书屋12座。", "2040年"), 0.9, dense=0.7, lexical=None),
    Match(_chunk(1, "青禾县今年新建乡村书屋18座。", "2041年"), 0.8, dense=None, lexical=5.0),
    Match(_chunk(2, "青禾县乡村书屋由县文旅局管理。"), 0.7, dense=0.5, lexical=4.0),
    Match(_chunk(3, "青禾县新建文化广场3个。"), 0.7, dense=0.4, lexical=1.0),
]


def _retriever(matches=MATCHES, **settings):
    index = StubIndex(matches)
    return Retriever(index, HashingEncoder(), RetrievalSettings(**settings)), index


def test_the_index_gets_the_rewritten_question_its_numeral_variant_and_the_candidate_count():
    retriever, index = _retriever(candidates=7)
    filters = Filters(doc_ids=frozenset({"qinghe"}))
    result = retriever.retrieve("今年新建乡村书屋十八座吗", filters=filters)
    (call,) = index.calls
    assert call["queries"] == ["2041年新建乡村书屋十八座吗", "2041年新建乡村书屋18座吗"]
    assert call["n"] == 7 and call["filters"] is filters and call["settings"] is retriever.settings
    expected = HashingEncoder().encode_queries(["2041年新建乡村书屋十八座吗"])[0]
    np.testing.assert_allclose(call["vector"], expected)
    np.testing.assert_allclose(result.query_vector, expected)
    assert result.question == "今年新建乡村书屋十八座吗" and result.rewritten == "2041年新建乡村书屋十八座吗"


def test_dense_mode_sends_no_words_and_lexical_mode_no_vector():
    retriever, index = _retriever()
    dense = retriever.retrieve("乡村书屋归谁管", mode="dense")
    lexical = retriever.retrieve("乡村书屋归谁管", mode="lexical")
    assert index.calls[0]["queries"] == [] and index.calls[0]["vector"] is not None
    assert index.calls[1]["vector"] is None and index.calls[1]["queries"] == ["乡村书屋归谁管"]
    assert dense.query_vector is not None and lexical.query_vector is None
    assert "embed" in dense.timings and "embed" not in lexical.timings


def test_an_unknown_mode_is_refused_by_name():
    retriever, index = _retriever()
    with pytest.raises(ValueError, match="semantic"):
        retriever.retrieve("乡村书屋归谁管", mode="semantic")
    assert index.calls == []


def test_hits_keep_the_index_chunks_and_raw_scores_best_first():
    retriever, _ = _retriever(k=4)
    hits = retriever.retrieve("乡村书屋归谁管").hits
    assert [h.chunk for h in hits] == [m.chunk for m in MATCHES]
    assert [(h.score, h.dense, h.lexical) for h in hits] == [(m.score, m.dense, m.lexical) for m in MATCHES]


def test_the_period_asked_about_lifts_its_chunks_and_lowers_the_other_periods():
    retriever, _ = _retriever(k=4, period_weight=0.25)
    hits = retriever.retrieve("今年新建多少座乡村书屋").hits  # 今年: 2041
    assert [h.chunk.chunk_id for h in hits] == ["qinghe#1", "qinghe#2", "qinghe#3", "qinghe#0"]
    assert [h.score for h in hits] == pytest.approx([1.05, 0.7, 0.7, 0.65])


def test_k_cuts_the_ranking_and_defaults_to_the_settings():
    retriever, _ = _retriever(k=2)
    assert [h.chunk.chunk_id for h in retriever.retrieve("乡村书屋归谁管").hits] == ["qinghe#0", "qinghe#1"]
    assert len(retriever.retrieve("乡村书屋归谁管", k=3).hits) == 3
    assert len(retriever.retrieve("乡村书屋归谁管", k=10).hits) == 4


def test_equal_scores_keep_the_index_order():
    tied = [Match(_chunk(n, f"青禾县第{n}号书屋。"), 0.5) for n in range(5)]
    retriever, _ = _retriever(tied, k=5)
    assert [h.chunk.paragraph for h in retriever.retrieve("书屋在哪").hits] == [0, 1, 2, 3, 4]


class FakeClock:
    """perf_counter that advances a quarter of a second on every reading."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        self.now += 0.25
        return self.now


def test_every_stage_is_timed_in_milliseconds(monkeypatch):
    retriever, _ = _retriever()
    real = retriever.retrieve("乡村书屋归谁管").timings
    assert set(real) == {"normalize", "embed", "search"}
    assert all(0.0 <= ms < 60_000 for ms in real.values()), real
    monkeypatch.setattr(time, "perf_counter", FakeClock())
    assert retriever.retrieve("乡村书屋归谁管").timings == {"normalize": 250.0, "embed": 250.0, "search": 250.0}


def test_an_empty_index_returns_no_hits_without_searching():
    index = StubIndex(MATCHES, documents={})
    result = Retriever(index, HashingEncoder(), RetrievalSettings()).retrieve("今年新建多少座书屋")
    assert result.hits == [] and index.calls == []
    assert result.question == "今年新建多少座书屋" and result.rewritten == "2041年新建多少座书屋"
    assert set(result.timings) == {"normalize"} and 0.0 <= result.timings["normalize"] < 60_000


def test_without_a_reference_date_relative_words_stay_as_asked():
    index = StubIndex(MATCHES, reference=None)
    result = Retriever(index, HashingEncoder(), RetrievalSettings()).retrieve("今年新建多少座书屋")
    assert result.rewritten == "今年新建多少座书屋"
