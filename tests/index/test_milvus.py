"""The Milvus backend (qa.index.milvus) on milvus-lite files under tmp_path, with HashingEncoder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import REPORT, ROOT, HashingEncoder, require

require("pymilvus", "the Milvus index backend")
require("milvus_lite", "the embedded Milvus engine")

from qa.index import milvus, milvus_sync  # noqa: E402
from qa.index.base import Filters, IndexUnavailable, MissingIndexError, StaleIndexError  # noqa: E402
from qa.index.building import open_index, remove_document, sync_index  # noqa: E402
from qa.search.retrieval import Retriever  # noqa: E402

REPORT_ID = "qiqihar-2022-government-work-report"
LAW = ROOT / "data" / "laws" / "专利法.txt"
OLD, NEW = "新建公园绿地31处", "新建公园绿地46处"


def _release(path) -> None:
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(path))


@pytest.fixture
def mv_settings(settings, tmp_path):
    """The report at the corpus root (kind "") and a law under laws/ (kind "laws"), in milvus.db."""
    (settings.corpus_dir / "laws").mkdir()
    shutil.copy(LAW, settings.corpus_dir / "laws" / LAW.name)
    yield settings.replace(retrieval=replace(settings.retrieval, store="milvus", milvus_uri="milvus.db"))
    _release(tmp_path / "milvus.db")


def _store(settings, store):
    if store == "milvus":
        return settings.replace(retrieval=replace(settings.retrieval, store="milvus", milvus_uri="milvus.db"))
    return settings


def _rows(index, expr='pk != ""'):
    return index.client.query(index.collection, filter=expr, output_fields=["doc_id", "ingest_id", "text"], limit=16384)


def _search(index, settings, question, **kwargs):
    encoder = HashingEncoder()
    return index.search(encoder.encode_queries([question])[0], [question], 50, settings.retrieval, **kwargs)


def _edit_report(settings, old=OLD, new=NEW):
    path = settings.corpus_dir / REPORT.name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_uri_resolution_and_unreachable_server_message(mv_settings):
    assert milvus.milvus_uri(mv_settings) == str(mv_settings.data_dir / "milvus.db")
    with pytest.raises(IndexUnavailable, match="neither a server"):
        milvus.milvus_uri(mv_settings.replace(retrieval=replace(mv_settings.retrieval, milvus_uri="x.sqlite")))
    down = mv_settings.replace(retrieval=replace(mv_settings.retrieval, milvus_uri="http://127.0.0.1:1"))
    with pytest.raises(IndexUnavailable, match=r"127\.0\.0\.1:1.*milvus-lite server"):
        open_index(down, HashingEncoder())


def test_hybrid_search_finds_the_chunk_and_reports_raw_scores(mv_settings):
    index, report = sync_index(mv_settings, HashingEncoder(), progress=False)
    assert sorted(report.embedded) == sorted([REPORT_ID, "专利法"])
    assert index.documents[REPORT_ID].kind == "" and index.documents["专利法"].kind == "laws"
    assert report.chunks == sum(d.chunks for d in index.documents.values()) == len(_rows(index))
    assert index.reference_date.isoformat() == "2022-01-13" and {2021, 2022} <= index.years

    hybrid = _search(index, mv_settings, "拆除治理违建 新建公园绿地 新增绿地面积")
    assert OLD in hybrid[0].chunk.text
    assert all(m.dense is not None and m.lexical is None for m in hybrid)
    assert [m.score for m in hybrid] == sorted((m.score for m in hybrid), reverse=True)
    text = (mv_settings.corpus_dir / REPORT.name).read_text(encoding="utf-8")
    top = hybrid[0].chunk
    assert top.doc_id == REPORT_ID and top.section and top.period == "2017—2021年"
    assert text[top.start : top.end] == top.text  # offsets survive the round trip

    lexical = index.search(None, ["专利申请权"], 50, mv_settings.retrieval)
    assert lexical and all(m.chunk.doc_id == "专利法" for m in lexical[:3])
    assert all(m.lexical > 0 and m.dense is None for m in lexical)
    dense = index.search(HashingEncoder().encode_queries([OLD])[0], [], 5, mv_settings.retrieval)
    assert len(dense) == 5 and dense[0].dense == pytest.approx(max(m.dense for m in dense))
    assert index.search(None, ["zzzz qqqq"], 50, mv_settings.retrieval) == []


def test_filters_by_document_kind_and_year(mv_settings):
    index, _ = sync_index(mv_settings, HashingEncoder(), progress=False)
    question = "专利申请权 公园绿地"
    both = {m.chunk.doc_id for m in _search(index, mv_settings, question)}
    assert both == {REPORT_ID, "专利法"}
    only_law = _search(index, mv_settings, question, filters=Filters(doc_ids=frozenset({"专利法"})))
    assert only_law and {m.chunk.doc_id for m in only_law} == {"专利法"}
    laws = _search(index, mv_settings, question, filters=Filters(kinds=frozenset({"laws"})))
    assert laws and {m.chunk.doc_kind for m in laws} == {"laws"}
    top_level = _search(index, mv_settings, question, filters=Filters(kinds=frozenset({""})))
    assert top_level and {m.chunk.doc_id for m in top_level} == {REPORT_ID}
    # 2021: only report chunks whose period covers 2021 (the document date is 2022, the law has none)
    filters = Filters(years=frozenset({2021}))
    in_2021 = _search(index, mv_settings, "地区生产总值增长", filters=filters)
    assert in_2021 and all(filters.accepts(m.chunk, "2022-01-13") for m in in_2021)
    assert all(m.chunk.period and m.chunk.period != "2022年" for m in in_2021)
    assert _search(index, mv_settings, question, filters=Filters(years=frozenset({1990}))) == []
    assert _search(index, mv_settings, question, filters=Filters(doc_ids=frozenset())) == []


def test_reingesting_a_changed_document_replaces_its_chunks(mv_settings):
    encoder = HashingEncoder()
    index, _ = sync_index(mv_settings, encoder, progress=False)
    first = encoder.passages_encoded
    _, again = sync_index(mv_settings, encoder, progress=False)
    assert again.embedded == [] and encoder.passages_encoded == first  # nothing changed, nothing embedded

    _edit_report(mv_settings)
    index, report = sync_index(mv_settings, encoder, progress=False)
    assert report.embedded == [REPORT_ID] and sorted(report.reused) == ["专利法"]
    assert encoder.passages_encoded - first == index.documents[REPORT_ID].chunks
    texts = [m.chunk.text for m in _search(index, mv_settings, "拆除治理违建 新建公园绿地 新增绿地面积")]
    assert NEW in texts[0] and not any(OLD in t for t in texts)
    rows = _rows(index)
    assert not any(OLD in r["text"] for r in rows)  # the old version is gone, not just hidden
    assert len({r["ingest_id"] for r in rows if r["doc_id"] == REPORT_ID}) == 1
    assert len(rows) == sum(d.chunks for d in index.documents.values())


def test_removing_a_document(mv_settings):
    index, _ = sync_index(mv_settings, HashingEncoder(), progress=False)
    index, report = remove_document(mv_settings, HashingEncoder(), "专利法")
    assert report.removed == ["专利法"] and "专利法" not in index.documents
    assert not (mv_settings.corpus_dir / "laws" / LAW.name).exists()
    assert _rows(index, 'doc_id == "专利法"') == []
    assert all(m.chunk.doc_id == REPORT_ID for m in index.search(None, ["专利申请权"], 50, mv_settings.retrieval))
    with pytest.raises(KeyError):
        remove_document(mv_settings, HashingEncoder(), "专利法")


def test_crash_in_the_middle_of_inserting_leaves_the_old_version(mv_settings, monkeypatch):
    from pymilvus import MilvusClient

    sync_index(mv_settings, HashingEncoder(), progress=False)
    _edit_report(mv_settings)
    monkeypatch.setattr(milvus_sync, "INSERT_BATCH", 20)
    calls, real_insert = [], MilvusClient.insert

    def failing_insert(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash during the second batch")
        return real_insert(self, *args, **kwargs)

    monkeypatch.setattr(MilvusClient, "insert", failing_insert)
    with pytest.raises(RuntimeError, match="simulated crash"):
        sync_index(mv_settings, HashingEncoder(), progress=False)
    monkeypatch.setattr(MilvusClient, "insert", real_insert)

    index = milvus.connect_index(mv_settings)
    orphans = [r for r in _rows(index) if r["ingest_id"] != index.stored[r["doc_id"]].ingest_id]
    assert len(orphans) == 20  # the first batch of the new version is in Milvus...
    texts = [m.chunk.text for m in _search(index, mv_settings, "拆除治理违建 新建公园绿地 新增绿地面积")]
    assert OLD in texts[0] and not any(NEW in t for t in texts)  # ...but never returned
    ids = [m.chunk.chunk_id for m in _search(index, mv_settings, "公园绿地 专利 发展")]
    assert len(ids) == len(set(ids))
    with pytest.raises(StaleIndexError, match="document changed"):
        open_index(mv_settings.replace(auto_rebuild=False), HashingEncoder())

    index = open_index(mv_settings, HashingEncoder())  # stale: syncs, which repairs
    texts = [m.chunk.text for m in _search(index, mv_settings, "拆除治理违建 新建公园绿地 新增绿地面积")]
    assert NEW in texts[0] and not any(OLD in t for t in texts)
    assert len(_rows(index)) == sum(d.chunks for d in index.documents.values())


def test_crash_after_the_switch_never_shows_stale_chunks(mv_settings, monkeypatch):
    from pymilvus import MilvusClient

    index, _ = sync_index(mv_settings, HashingEncoder(), progress=False)
    _edit_report(mv_settings)
    real_delete = MilvusClient.delete

    def failing_delete(self, *args, **kwargs):
        raise RuntimeError("simulated crash before the old chunks are deleted")

    monkeypatch.setattr(MilvusClient, "delete", failing_delete)
    with pytest.raises(RuntimeError, match="simulated crash"):
        sync_index(mv_settings, HashingEncoder(), progress=False)
    monkeypatch.setattr(MilvusClient, "delete", real_delete)
    index.refresh()
    rows = _rows(index, f'doc_id == "{REPORT_ID}"')
    assert len(rows) == 2 * index.documents[REPORT_ID].chunks  # both versions stored, the new one active
    texts = [m.chunk.text for m in _search(index, mv_settings, "拆除治理违建 新建公园绿地 新增绿地面积")]
    assert NEW in texts[0] and not any(OLD in t for t in texts)
    _, report = sync_index(mv_settings, HashingEncoder(), progress=False)
    assert report.embedded == []  # the record already switched; only garbage is collected
    assert len(_rows(index, f'doc_id == "{REPORT_ID}"')) == index.documents[REPORT_ID].chunks


def test_process_killed_between_insert_and_switch(mv_settings, tmp_path):
    index, _ = sync_index(mv_settings, HashingEncoder(), progress=False)
    before = index.documents[REPORT_ID]
    _release(tmp_path / "milvus.db")  # one process at a time may open a milvus-lite file
    _edit_report(mv_settings)
    child = textwrap.dedent(f"""
        import os, sys
        from dataclasses import replace
        from pymilvus import MilvusClient
        from qa.index.building import sync_index
        from qa.settings import Settings
        from tests.conftest import HashingEncoder
        def die(self, collection, rows, **kwargs):
            sys.stdout.write("inserted, dying\\n"); sys.stdout.flush(); os._exit(9)
        MilvusClient.upsert = die
        settings = Settings(data_dir={str(tmp_path)!r}, corpus_dir={str(mv_settings.corpus_dir)!r},
                            embedding_model="test/hashing")
        settings = settings.replace(retrieval=replace(settings.retrieval, store="milvus", milvus_uri="milvus.db"))
        sync_index(settings, HashingEncoder(), progress=False)
    """)
    result = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 9, result.stderr[-2000:]
    assert "inserted, dying" in result.stdout

    index = milvus.connect_index(mv_settings)
    assert index.documents[REPORT_ID] == before
    assert len(_rows(index)) > sum(d.chunks for d in index.documents.values())  # the dead ingest's chunks
    texts = [m.chunk.text for m in _search(index, mv_settings, "拆除治理违建 新建公园绿地 新增绿地面积")]
    assert OLD in texts[0] and not any(NEW in t for t in texts)
    index, report = sync_index(mv_settings, HashingEncoder(), progress=False)
    assert report.embedded == [REPORT_ID]
    assert len(_rows(index)) == sum(d.chunks for d in index.documents.values())


def test_open_index_refuses_or_builds_a_missing_index(mv_settings):
    with pytest.raises(MissingIndexError, match="python -m qa index"):
        open_index(mv_settings.replace(auto_rebuild=False), HashingEncoder())
    index = open_index(mv_settings, HashingEncoder())
    assert set(index.documents) == {REPORT_ID, "专利法"}
    assert open_index(mv_settings.replace(auto_rebuild=False), HashingEncoder()).documents == index.documents


def test_another_process_sees_the_same_documents(mv_settings):
    index, _ = sync_index(mv_settings, HashingEncoder(), progress=False)
    reader = milvus.connect_index(mv_settings)  # another handle, as a second process would have
    reader.refresh_s = 0.0
    remove_document(mv_settings, HashingEncoder(), "专利法")
    assert set(reader.documents) == {REPORT_ID}


@pytest.mark.parametrize("store", ["local", "milvus"])
def test_same_retrieval_on_both_stores(settings, tmp_path, store):
    settings = _store(settings, store)
    try:
        index, _ = sync_index(settings, HashingEncoder(), progress=False)
        retriever = Retriever(index, HashingEncoder(), settings.retrieval)
        hits = retriever.retrieve("拆除治理违建 新建公园绿地 新增绿地面积", k=5).hits
        assert len(hits) == 5 and OLD in hits[0].chunk.text
        assert hits[0].dense is not None and hits[0].dense > 0
        lexical = retriever.retrieve("城市供水水源", k=3, mode="lexical").hits
        assert "新建城市供水水源7座" in lexical[0].chunk.text
        filtered = retriever.retrieve("增长", k=10, filters=Filters(years=frozenset({2017}))).hits
        assert filtered and all("2017" in (h.chunk.period or "") for h in filtered)
        assert retriever.retrieve("zzzz qqqq", mode="lexical").hits == []
        rrf = Retriever(index, HashingEncoder(), replace(settings.retrieval, fusion="rrf"))
        assert OLD in rrf.retrieve("拆除治理违建 新建公园绿地 新增绿地面积", k=3).hits[0].chunk.text
    finally:
        _release(tmp_path / "milvus.db")


def test_shared_milvus_lite_server_reached_by_uri(settings, tmp_path):
    """Several processes share one milvus-lite file through `milvus-lite server`, reached by URI
    exactly as a Milvus cluster would be."""
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "milvus-lite"),  # the venv running the tests
            "server",
            "--data-dir",
            str(tmp_path / "shared.db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        uri = f"http://127.0.0.1:{port}"
        settings = settings.replace(retrieval=replace(settings.retrieval, store="milvus", milvus_uri=uri))
        deadline = time.monotonic() + 60
        while True:
            try:
                index, _ = sync_index(settings, HashingEncoder(), progress=False)
                break
            except IndexUnavailable:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        probe = textwrap.dedent(f"""
            from dataclasses import replace
            from qa.index.building import open_index
            from qa.settings import Settings
            from tests.conftest import HashingEncoder
            settings = Settings(data_dir={str(tmp_path)!r}, corpus_dir={str(settings.corpus_dir)!r},
                                embedding_model="test/hashing", auto_rebuild=False)
            settings = settings.replace(retrieval=replace(settings.retrieval, store="milvus", milvus_uri={uri!r}))
            index = open_index(settings, HashingEncoder())
            print(sorted(index.documents), len(index.search(None, ["高标准农田"], 5, settings.retrieval)))
        """)
        result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip().splitlines()[-1] == f"['{REPORT_ID}'] 5"
    finally:
        server.terminate()
        server.wait(timeout=30)
