"""Start ``python -m ui`` as a child process on a free loopback port and wait until it answers."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
READY_QUESTION = "文件里有哪些内容？"  # any real question; ready means an answer without an error


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, timeout_s: float = 20) -> None:
    """Terminates a child process; kills it when it has not exited after ``timeout_s``."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def running_server(env: dict[str, str], log_path: Path, timeout_s: float = 600, extra_args=()):
    """Yields the server URL once ``/ask`` answers; terminates the server afterwards."""
    from gradio_client import Client

    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui", "--port", str(port), *extra_args],
            cwd=REPO,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline, client = time.monotonic() + timeout_s, None
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"ui server exited early: {Path(log_path).read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ui server not ready after {timeout_s:.0f} s; see {log_path}")
                try:
                    client = client or Client(url, verbose=False)
                    if not client.predict(READY_QUESTION, None, "extractive", 3, api_name="/ask").get("error"):
                        break
                except Exception:
                    time.sleep(2)
            yield url
        finally:
            stop(process)
