"""A real chat server (``python -m ui``) on a free loopback port, over a private corpus copy."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import MODEL_DIR, REPORT, ROOT

START_TIMEOUT_S = 600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """Yields (url, data_dir); the server is stopped at the end of the session."""
    data = tmp_path_factory.mktemp("ui-data")
    (data / "corpus").mkdir()
    shutil.copy(REPORT, data / "corpus" / REPORT.name)
    port = _free_port()
    env = {**os.environ, "QA_DATA_DIR": str(data), "QA_MODEL_DIR": str(MODEL_DIR), "PYTHONUNBUFFERED": "1"}
    log = open(data / "server.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "ui", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    from gradio_client import Client

    deadline = time.monotonic() + START_TIMEOUT_S
    client = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ui server exited: {(data / 'server.log').read_text()[-2000:]}")
        try:
            client = client or Client(url, verbose=False)
            probe = client.predict("今年地区生产总值增长目标是多少？", None, "extractive", 3, api_name="/ask")
            if not probe.get("error"):
                break
        except Exception:
            time.sleep(2)
    else:
        process.kill()
        raise RuntimeError("ui server did not become ready")
    try:
        yield url, data
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
