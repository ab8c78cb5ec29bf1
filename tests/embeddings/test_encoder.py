"""The encoder's numeric type: chosen from the CPU's flags (pure), and bfloat16 vectors that
agree with float32 ones (the real model, marked ``model``)."""

import numpy as np
import pytest

from embeddings.encoder import SentenceTransformerEncoder, resolve_dtype
from qa.settings import DEFAULT_EMBEDDING_MODEL
from tests.conftest import MODEL_DIR


def test_auto_takes_bfloat16_only_where_the_cpu_has_bf16_dot_products():
    assert resolve_dtype("auto", {"avx2", "avx512f", "avx512_bf16"}) == "bfloat16"
    assert resolve_dtype("auto", {"avx2", "amx_bf16"}) == "bfloat16"
    assert resolve_dtype("auto", {"avx2", "avx512f"}) == "float32"
    assert resolve_dtype("float32", {"avx512_bf16"}) == "float32" and resolve_dtype("bfloat16", set()) == "bfloat16"
    with pytest.raises(ValueError, match="float32"):
        resolve_dtype("int4")


@pytest.mark.model
def test_bfloat16_vectors_agree_with_float32(real_encoder):
    texts = ["全县新建乡村图书馆37座。", "用人单位应当按时足额支付劳动报酬。"]
    exact = real_encoder.encode_queries(texts)
    half = SentenceTransformerEncoder(DEFAULT_EMBEDDING_MODEL, MODEL_DIR, dtype="bfloat16").encode_queries(texts)
    assert half.dtype == np.float32 and half.shape == exact.shape
    assert (exact * half).sum(axis=1).min() > 0.99
