"""eval evidence: the grid's recall table on invented passages and a tiny encoder."""

import numpy as np

from eval.evidence_grid import CachedVectors, recall_table
from qa.ingest.chunking import Chunk
from qa.search.hits import Hit, RetrievalResult
from qa.search.normalize import NormalizedQuery
from qa.settings import EvidenceSettings

PASSAGES = ["全县新建乡村图书馆37座。全县改造农村公路85公里。", "县城更新公交车60辆。县城新建口袋公园12个。"]


class _Encoder:
    def __init__(self):
        self.calls = 0

    def encode_passages(self, texts):
        self.calls += len(texts)
        return np.array([[1.0, 0.0] if "公交" in t else [0.0, 1.0] for t in texts])


def _result(question):
    hits = [
        Hit(Chunk(f"d{n}#0", f"d{n}", 0, 0, len(t), t, (), None, "body", "某县计划"), 1.0 - n / 10)
        for n, t in enumerate(PASSAGES)
    ]
    return RetrievalResult(question, NormalizedQuery(question, question), hits, {}, np.array([1.0, 0.0]))


def test_recall_rises_with_more_sentences_and_rows_come_best_first():
    vectors = CachedVectors(_Encoder())
    cases = [("tune", "县城新建口袋公园12个", _result("公交车更新了多少辆？"), vectors)]  # gold: the weakest
    grid = {"max_sentences": (1, 4), "per_hit_leaders": (0,)}
    rows = recall_table(cases, EvidenceSettings(), grid)
    assert [r["settings"]["max_sentences"] for r in rows] == [4, 1] and rows[1]["recall"]["tune"] == 0.0
    assert rows[0]["recall"]["tune"] == 1.0 and rows[0]["chars"] > rows[1]["chars"]
    calls = vectors.encoder.calls
    vectors.encode_passages(["县城更新公交车60辆。"])
    assert vectors.encoder.calls == calls  # every text encoded once across the grid
