"""Shared fixtures: the shipped corpus, a tiny deterministic encoder, the real encoder and pipeline,
and a real chat server (``python -m ui``) on a free loopback port."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.settings import Settings, set_offline_environment

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "data" / "corpus" / "qiqihar-2022-government-work-report.txt"
OWN_QA = ROOT / "data" / "qa" / "qiqihar_qa.jsonl"
MODEL_DIR = ROOT / "data" / "models"
UI_START_TIMEOUT_S = 600

set_offline_environment()


class HashingEncoder:
    """Deterministic bag-of-character-bigrams encoder for unit tests (no model)."""

    def __init__(self, dim: int = 64, model_id: str = "test/hashing") -> None:
        self.dim = dim
        self.model_id = model_id
        self.passages_encoded = 0

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for a, b in zip(text, text[1:] + " "):
            v[int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / max(np.linalg.norm(v), 1e-9)

    def encode_queries(self, texts):
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts, progress=False):
        self.passages_encoded += len(texts)
        return self.encode_queries(texts)


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(REPORT, folder / REPORT.name)
    return folder


@pytest.fixture
def settings(tmp_path, corpus_dir) -> Settings:
    """Settings for a private copy of the report, indexed with :class:`HashingEncoder`."""
    return Settings(data_dir=tmp_path, corpus_dir=corpus_dir, model_dir=MODEL_DIR, embedding_model="test/hashing")


@pytest.fixture(scope="session")
def real_encoder():
    from embeddings.encoder import SentenceTransformerEncoder
    from qa.settings import DEFAULT_EMBEDDING_MODEL

    encoder = SentenceTransformerEncoder(DEFAULT_EMBEDDING_MODEL, MODEL_DIR)
    encoder.warm_up()
    return encoder


@pytest.fixture(scope="session")
def report_pipeline(tmp_path_factory, real_encoder):
    """The real pipeline (real model, real FAISS index on disk) over the shipped report."""
    from qa.pipeline import Pipeline

    root = tmp_path_factory.mktemp("report")
    settings = Settings(data_dir=root, corpus_dir=REPORT.parent, model_dir=MODEL_DIR)
    return Pipeline(settings, encoder=real_encoder).warm_up()


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """A real chat server over a private copy of the report; yields (url, data_dir)."""
    from ui.launcher import running_server

    data = tmp_path_factory.mktemp("ui-data")
    (data / "corpus").mkdir()
    shutil.copy(REPORT, data / "corpus" / REPORT.name)
    env = {"QA_DATA_DIR": str(data), "QA_MODEL_DIR": str(MODEL_DIR)}
    with running_server(env, data / "server.log", UI_START_TIMEOUT_S) as url:
        yield url, data
