"""The int8 ONNX query encoder (embeddings/onnx_query.py): when the export is redone (pure),
which models it covers, and its vectors and rankings against torch float32 (the real model,
marked ``model``)."""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pytest

from embeddings.encoder import SentenceTransformerEncoder
from embeddings.onnx_query import _stamp, unsupported
from qa.settings import DEFAULT_EMBEDDING_MODEL, Settings
from tests.conftest import MODEL_DIR

QUESTIONS = ["村里的图书馆今年要建几座？", "加班费按工资的多少倍算？", "公交车票价会不会上调？"]
PASSAGES = [
    "全县今年新建乡村图书馆37座，实现行政村全覆盖。",
    "安排劳动者延长工作时间的，支付不低于工资的百分之一百五十的工资报酬。",
    "市区公交线路票价维持两元不变，老年人凭卡免费乘车。",
    "新建改建农村公路85公里，改造危房300户。",
]


def test_the_stamp_changes_with_the_weights_the_cpu_and_the_runtime(tmp_path):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"\0" * 16)
    before = _stamp(tmp_path, False, "1.32.0")
    assert before == _stamp(tmp_path, False, "1.32.0") and before["size"] == 16
    assert _stamp(tmp_path, True, "1.32.0") != before  # a CPU without VNNI gets 7-bit weights
    assert _stamp(tmp_path, False, "1.33.0") != before
    os.utime(weights, ns=(1, 1))
    assert _stamp(tmp_path, False, "1.32.0") != before
    weights.write_bytes(b"\0" * 17)
    assert _stamp(tmp_path, False, "1.32.0")["size"] == 17


def test_only_transformer_mean_pooling_normalize_models_are_exported():
    def module(name, **config):
        return type(name, (), {"get_config_dict": lambda self: config})()

    e5_like = [module("Transformer"), module("Pooling", pooling_mode="mean"), module("Normalize")]
    assert unsupported(e5_like) is None
    assert "mean" in unsupported([module("Transformer"), module("Pooling", pooling_mode="cls"), module("Normalize")])
    assert "modules" in unsupported([module("Transformer"), module("Pooling", pooling_mode="mean")])


def test_an_unknown_query_backend_is_refused():
    with pytest.raises(ValueError, match="onnx-int8"):
        SentenceTransformerEncoder(DEFAULT_EMBEDDING_MODEL, MODEL_DIR, query_backend="tensorrt")


@pytest.mark.model
def test_int8_query_vectors_agree_with_float32_and_rank_alike(real_encoder):
    assert real_encoder.query_backend == "onnx-int8" and real_encoder._queries is not None
    exact = SentenceTransformerEncoder(DEFAULT_EMBEDDING_MODEL, MODEL_DIR)
    fast, slow = real_encoder.encode_queries(QUESTIONS), exact.encode_queries(QUESTIONS)
    assert fast.dtype == np.float32 and fast.shape == slow.shape == (3, real_encoder.dim)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (fast * slow).sum(axis=1).min() > 0.99
    passages = exact.encode_passages(PASSAGES)
    assert ((fast @ passages.T).argmax(axis=1) == (slow @ passages.T).argmax(axis=1)).all()
    assert list((fast @ passages.T).argmax(axis=1)) == [0, 1, 2]
    batch = real_encoder.encode_queries(QUESTIONS[:1] + ["很长的问题" * 40])  # a text's vector ignores the others
    assert np.array_equal(batch[0], fast[0])
    assert real_encoder.encode_queries([]).shape == (0, real_encoder.dim)


@pytest.mark.model
def test_questions_leave_the_shared_tokenizer_as_passages_set_it(real_encoder):
    """A question tokenized with other settings would reconfigure the tokenizer that passage
    encoding uses, and a reconfiguration while another thread tokenizes fails."""
    backend = real_encoder.model.tokenizer.backend_tokenizer
    real_encoder.encode_passages(PASSAGES[:1])
    state = (backend.truncation, backend.padding)
    real_encoder.encode_queries(QUESTIONS)
    assert (backend.truncation, backend.padding) == state


@pytest.mark.model
def test_without_onnxruntime_questions_go_through_torch(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "onnxruntime.quantization", None)
    encoder = SentenceTransformerEncoder.from_settings(Settings(model_dir=MODEL_DIR))
    with caplog.at_level(logging.WARNING):
        vectors = encoder.encode_queries(QUESTIONS)
    assert encoder._queries is None and "setup.sh" in caplog.text
    exact = SentenceTransformerEncoder(DEFAULT_EMBEDDING_MODEL, MODEL_DIR).encode_queries(QUESTIONS)
    assert np.allclose(vectors, exact, atol=1e-5)
