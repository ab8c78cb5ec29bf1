import numpy as np
import pytest

from eval.metrics import evidence_rank, read_jsonl
from qa.index.building import sync_index
from qa.index.fusion import fuse, tied_ranks
from qa.search.retrieval import Retriever
from tests.conftest import FIXTURE_CORPUS, MODEL_DIR, ROOT, HashingEncoder

HELD_OUT = ROOT / "data" / "qa" / "report_test.jsonl"  # the test split: nothing was fitted on it


def test_tied_scores_share_a_rank():
    assert tied_ranks(np.array([3.0, 1.0, 3.0, 2.0])).tolist() == [1, 4, 1, 3]


def test_fusion_ignores_empty_lists_and_ties_do_not_reorder():
    dense = {0: 0.9, 1: 0.8, 2: 0.1}
    assert fuse([dense, {}], [1.0, 1.0], "rrf", 60) == fuse([dense], [1.0], "rrf", 60)
    tied = fuse([{5: 1.0, 6: 1.0}], [1.0], "rrf", 60)
    assert tied[5] == tied[6]
    scored = fuse([dense, {2: 4.0, 1: 2.0}], [0.5, 1.0], "score", 60)
    assert max(scored, key=scored.get) == 2  # lexical top wins when weighted higher


def test_lexical_only_question_without_matches_returns_nothing(settings):
    index, _ = sync_index(settings, HashingEncoder(), progress=False)
    retriever = Retriever(index, HashingEncoder(), settings.retrieval)
    assert retriever.retrieve("zzzz qqqq", mode="lexical").hits == []


def test_hits_carry_offsets_and_rewritten_query(settings):
    index, _ = sync_index(settings, HashingEncoder(), progress=False)
    text = index.documents["qiqihar-2022-government-work-report"].text
    result = Retriever(index, HashingEncoder(), settings.retrieval).retrieve("今年高标准农田新建多少亩", k=5)
    assert result.rewritten.startswith("2022年")
    assert len(result.hits) == 5
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in result.hits:
        assert text[hit.chunk.start : hit.chunk.end] == hit.chunk.text
        assert set(hit.to_dict()) >= {"doc", "section", "text", "score", "start", "end"}


@pytest.mark.model
def test_real_model_retrieval_quality_on_the_held_out_split(report_pipeline):
    rows = [r for r in read_jsonl(HELD_OUT) if r["evidence"]]
    ranks = [
        evidence_rank(r["evidence"], [h.to_dict() for h in report_pipeline.retrieve(r["question"], k=5).hits])
        for r in rows
    ]
    hit5 = sum(r is not None for r in ranks) / len(ranks)
    hit1 = sum(r == 1 for r in ranks) / len(ranks)
    assert hit5 >= 0.9, ranks
    assert hit1 >= 0.8, ranks


@pytest.mark.model
def test_real_model_prefers_the_period_asked_about(tmp_path, real_encoder):
    from qa.pipeline import Pipeline
    from qa.settings import Settings

    settings = Settings(data_dir=tmp_path, corpus_dir=FIXTURE_CORPUS, model_dir=MODEL_DIR)
    pipeline = Pipeline(settings, encoder=real_encoder).warm_up()
    last_year = pipeline.retrieve("东山县去年修了多少公里农村公路？", k=1).hits[0]
    this_year = pipeline.retrieve("东山县今年修多少公里农村公路？", k=1).hits[0]
    assert "62公里" in last_year.chunk.text and last_year.chunk.period == "2029年"
    assert "96公里" in this_year.chunk.text and this_year.chunk.period == "2030年"


def test_each_retrieval_mode_and_the_query_vector(settings):
    index, _ = sync_index(settings, HashingEncoder(), progress=False)
    retriever = Retriever(index, HashingEncoder(), settings.retrieval)
    dense = retriever.retrieve("今年高标准农田新建多少亩", k=3, mode="dense")
    assert len(dense.hits) == 3 and all(h.dense is not None and h.lexical is None for h in dense.hits)
    assert dense.query_vector is not None and dense.query_vector.shape == (HashingEncoder().dim,)
    lexical = retriever.retrieve("今年高标准农田新建多少亩", k=3, mode="lexical")
    assert all(h.lexical is not None and h.dense is None for h in lexical.hits)
    assert len(retriever.retrieve("今年高标准农田新建多少亩", mode="hybrid").hits) == settings.answering.k
    with pytest.raises(ValueError):
        retriever.retrieve("今年高标准农田新建多少亩", mode="semantic")
