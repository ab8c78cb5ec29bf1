"""Scale-out on one machine: two stateless UI workers share one ``milvus-lite server`` (the index
and the document list) and one OpenAI-compatible generator server. A document uploaded through
one worker is answered by the other within seconds; a removal through either takes effect in
both. Invented documents only."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.conftest import MODEL_DIR
from ui.launcher import free_port, running_server, stop

pytestmark = [pytest.mark.generator, pytest.mark.model]
SECONDS = 30  # how long a change may take to show in the other worker

TOWN = "# 某镇2030年工作安排\n\n## 一、重点工作\n\n全镇新建便民驿站19个，改造老旧小区12个。\n"
LAKE = "# 某湖保护办法\n\n第三条　湖区禁止新建排污口。\n\n第四条　湖区每年开展两次水质监测。\n"


@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    port = free_port()
    data = tmp_path_factory.mktemp("milvus")
    with open(data / "server.log", "w") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "milvus-lite"),  # the venv running the tests
                "server",
                "--data-dir",
                str(data),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert process.poll() is None and time.monotonic() < deadline, (data / "server.log").read_text()
                    time.sleep(0.5)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process, 30)


def _eventually(check, what: str):
    deadline = time.monotonic() + SECONDS
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {SECONDS} s"
        time.sleep(1)


def test_two_workers_share_documents(milvus_server, generator_server, tmp_path):
    data = tmp_path / "data"
    (data / "corpus").mkdir(parents=True)
    (data / "corpus" / "town.md").write_text(TOWN, encoding="utf-8")
    env = {
        "QA_DATA_DIR": str(data),
        "QA_MODEL_DIR": str(MODEL_DIR),
        "QA_MILVUS_URI": milvus_server,
        "QA_LLM_BASE_URL": generator_server,
        "QA_UI_RATE_PER_MINUTE": "0",
    }
    with running_server(env, tmp_path / "one.log") as one_url, running_server(env, tmp_path / "two.log") as two_url:
        one, two = Client(one_url, verbose=False), Client(two_url, verbose=False)
        lake = tmp_path / "lake.md"
        lake.write_text(LAKE, encoding="utf-8")
        status, *_ = one.predict(handle_file(str(lake)), "", api_name="/upload")
        assert status.startswith("✅"), status

        def ask(client):
            return client.predict("湖区每年开展几次水质监测？", None, "extractive", 3, "", api_name="/ask")

        _eventually(
            lambda: not ask(two)["refused"] and "两次" in (ask(two)["answer"] or ""),
            "worker two answering from the document uploaded through worker one",
        )
        generated = two.predict("湖区每年开展几次水质监测？", None, "generative", 3, "", api_name="/ask")
        assert "两次" in (generated["answer"] or "") and "generator" in generated["note"]

        status, *_ = two.predict("lake-md", "", api_name="/remove")
        assert status.startswith("✅"), status
        _eventually(
            lambda: all(s["doc"] != "lake-md" for s in ask(one)["sources"]),
            "worker one forgetting the document removed through worker two",
        )
