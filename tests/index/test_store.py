"""The index on disk: manifest, staleness, corruption, atomic writes, incremental updates."""

import json
import os
import shutil

import numpy as np
import pytest

from qa.index.building import add_documents, open_index, staleness, sync_index
from qa.index.store import CorruptIndexError, IndexStore, MissingIndexError, StaleIndexError
from qa.ingest.chunking import INGEST_VERSION
from qa.ingest.corpus_folder import safe_file_name
from qa.settings import ChunkingSettings
from tests.conftest import HashingEncoder


def test_build_writes_manifest_and_loads(settings):
    encoder = HashingEncoder()
    index, report = sync_index(settings, encoder, progress=False)
    manifest = IndexStore(settings.index_dir).read_manifest()
    assert manifest["embedding"] == {"model_id": "test/hashing", "dim": 64}
    assert manifest["chunking"] == {**settings.chunking.__dict__, "ingest_version": INGEST_VERSION}
    (doc,) = manifest["documents"]
    assert doc["date"] == "2022-01-13" and len(doc["sha256"]) == 64
    assert set(manifest["files"]) >= {"chunks.jsonl", "vectors.npy", "dense.faiss", "documents.jsonl"}
    loaded = IndexStore(settings.index_dir).load()
    assert len(loaded.chunks) == report.chunks == loaded.dense.size == loaded.lexical.size
    assert np.allclose(loaded.vectors, index.vectors)
    assert staleness(loaded.manifest, settings) == []


def test_missing_index_is_reported(settings):
    with pytest.raises(MissingIndexError, match="python -m qa index"):
        IndexStore(settings.index_dir).load()


@pytest.mark.parametrize("how", ["truncate", "flip", "delete"])
def test_corrupt_index_detected_and_rebuilt(settings, how):
    encoder = HashingEncoder()
    sync_index(settings, encoder, progress=False)
    store = IndexStore(settings.index_dir)
    target = store.current_dir() / "dense.faiss"
    if how == "truncate":
        target.write_bytes(target.read_bytes()[:100])
    elif how == "flip":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    else:
        target.unlink()
    with pytest.raises(CorruptIndexError, match="python -m qa index"):
        store.load()
    with pytest.raises(CorruptIndexError):
        open_index(settings.replace(auto_rebuild=False), encoder)
    rebuilt = open_index(settings, encoder)
    assert rebuilt.dense.size == len(rebuilt.chunks) > 0
    store.load()  # the new version verifies


def test_stale_index_refused_or_rebuilt(settings):
    encoder = HashingEncoder()
    sync_index(settings, encoder, progress=False)
    report = settings.corpus_dir / "qiqihar-2022-government-work-report.txt"
    report.write_text(report.read_text(encoding="utf-8") + "\n新增一段内容。\n", encoding="utf-8")
    strict = settings.replace(auto_rebuild=False)
    with pytest.raises(StaleIndexError, match="document changed"):
        open_index(strict, encoder)
    with pytest.raises(StaleIndexError, match="chunking settings or ingestion code changed"):
        open_index(strict.replace(chunking=ChunkingSettings(target_chars=50, max_chars=100)), encoder)
    with pytest.raises(StaleIndexError, match="embedding model changed"):
        open_index(strict.replace(embedding_model="other/model"), encoder)
    index = open_index(settings, encoder)
    assert any("新增一段内容" in c.text for c in index.chunks)


def test_adding_a_document_embeds_only_that_document(settings, tmp_path):
    encoder = HashingEncoder()
    _, first = sync_index(settings, encoder, progress=False)
    before = encoder.passages_encoded
    new = tmp_path / "其他 文件.md"
    new.write_text("# 某县政府工作报告\n\n2022年新建学校3所。\n\n全年植树10万株。\n", encoding="utf-8")
    index, report = add_documents(settings, encoder, [new], progress=False)
    assert report.reused == ["qiqihar-2022-government-work-report"]
    assert encoder.passages_encoded - before == len([c for c in index.chunks if c.doc_id == report.embedded[0]])
    assert len(index.documents) == 2 and (settings.corpus_dir / safe_file_name(new.name)).exists()
    # removing the file drops its chunks on the next sync
    (settings.corpus_dir / safe_file_name(new.name)).unlink()
    index, report = sync_index(settings, encoder, progress=False)
    assert report.removed and all(c.doc_id == "qiqihar-2022-government-work-report" for c in index.chunks)


def test_crash_mid_build_leaves_previous_index(settings, monkeypatch):
    encoder = HashingEncoder()
    sync_index(settings, encoder, progress=False)
    store = IndexStore(settings.index_dir)
    live = store.current_dir()
    (settings.corpus_dir / "new.txt").write_text("新文件\n\n新增内容一句。\n", encoding="utf-8")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("qa.index.store.DenseIndex.save", crash)
    with pytest.raises(OSError):
        sync_index(settings, encoder, progress=False)
    assert store.current_dir() == live
    assert len(store.load().documents) == 1
    assert not list(settings.index_dir.glob("tmp-*"))


def test_bad_file_in_corpus_is_skipped_not_fatal(settings):
    (settings.corpus_dir / "broken.txt").write_bytes(b"\x00\x01\x02" * 100)
    index, report = sync_index(settings, HashingEncoder(), progress=False)
    assert "broken.txt" in report.skipped and len(index.documents) == 1
    assert staleness(index.manifest, settings) == []  # a skipped file does not make it stale


def test_safe_file_names():
    assert safe_file_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_file_name("..\\..\\x.TXT") == "x.txt"
    assert "/" not in safe_file_name("a/b c.md") and safe_file_name("a/b c.md").endswith(".md")


def test_old_versions_are_collected(settings):
    encoder = HashingEncoder()
    for _ in range(4):
        sync_index(settings, encoder, progress=False)
    assert len(list(settings.index_dir.glob("v-*"))) == 2
    assert json.loads((IndexStore(settings.index_dir).current_dir() / "manifest.json").read_text())
    assert os.path.exists(settings.index_dir / "CURRENT")
    shutil.rmtree(settings.index_dir)


def test_same_stem_files_get_distinct_ids_and_chunks_do_not_multiply(settings, tmp_path):
    encoder = HashingEncoder()
    for name in ("报告.txt", "报告.md", "a b.txt", "a-b.txt"):
        (settings.corpus_dir / name).write_text(f"{name}\n\n{name}的正文内容。\n", encoding="utf-8")
    first, _ = sync_index(settings, encoder, progress=False)
    second, report = sync_index(settings, encoder, progress=False)
    assert len(first.documents) == len(second.documents) == 5
    assert len(second.chunks) == len(first.chunks) and not report.embedded
    assert len({c.chunk_id for c in second.chunks}) == len(second.chunks)


def test_upload_never_replaces_an_existing_document(settings, tmp_path):
    encoder = HashingEncoder()
    sync_index(settings, encoder, progress=False)
    shipped = settings.corpus_dir / "qiqihar-2022-government-work-report.txt"
    original = shipped.read_bytes()
    upload = tmp_path / shipped.name
    upload.write_text("同名的另一份文件\n\n内容不同。\n", encoding="utf-8")
    index, _ = add_documents(settings, encoder, [upload], progress=False)
    assert shipped.read_bytes() == original and len(index.documents) == 2
    index, report = add_documents(settings, encoder, [upload], progress=False)  # same bytes again: no copy
    assert len(index.documents) == 2 and not report.embedded


def test_empty_corpus_gives_a_usable_empty_index(settings):
    from qa.search.retrieval import Retriever

    for path in settings.corpus_dir.iterdir():
        path.unlink()
    index, _ = sync_index(settings, HashingEncoder(), progress=False)
    loaded = IndexStore(settings.index_dir).load()
    assert loaded.chunks == [] and staleness(loaded.manifest, settings) == []
    assert Retriever(index, HashingEncoder(), settings.retrieval).retrieve("今年目标").hits == []


def test_a_folders_readme_is_not_a_document_but_a_chosen_one_is(settings, tmp_path):
    encoder = HashingEncoder()
    folder = tmp_path / "规章"
    folder.mkdir()
    (folder / "README.md").write_text("# 本文件夹说明\n\n这里的文件摘自某网站，每个文件一部规章。\n", encoding="utf-8")
    (folder / "某市停车管理办法.txt").write_text("第一条　为规范停车秩序，制定本办法。\n", encoding="utf-8")
    index, _ = add_documents(settings, encoder, [folder], progress=False)
    assert not (settings.corpus_dir / "规章" / "README.md").exists()
    files = {d.file for d in index.documents.values()}
    assert files == {"qiqihar-2022-government-work-report.txt", "规章/某市停车管理办法.txt"}
    # the same README dropped into the corpus folder by hand is skipped too
    shutil.copy(folder / "README.md", settings.corpus_dir / "readme.MD")
    index, report = sync_index(settings, encoder, progress=False)
    assert len(index.documents) == 2 and not report.embedded
    # chosen on its own, a README is a document, stored under a name the scan keeps
    index, report = add_documents(settings, encoder, [folder / "README.md"], progress=False)
    assert safe_file_name("README.md") == "README-文档.md" and len(report.embedded) == 1
    assert "README-文档.md" in {d.file for d in index.documents.values()}
