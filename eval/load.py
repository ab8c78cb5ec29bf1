"""Load test: N concurrent ``gradio_client`` users ask questions for a fixed time.

``python -m eval load [--url URL] [--users 20] [--seconds 120] [--mode extractive|generative]
[--generative-share 0.3]``. Without ``--url`` it launches its own server (``python -m ui``,
per-client rate limit off) on a free loopback port. Only loopback addresses are accepted;
every user stops at the deadline (or after ``max_requests`` requests, a bound in
:func:`run_load`). Reports requests served, errors, p50/p95 latency, per answer mode asked
("generative answered extractive" when the server answered in another mode, e.g. its
generator was busy).
"""

from __future__ import annotations

import ipaddress
import json
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from eval.metrics import percentile, read_jsonl

DEFAULT_QA = Path(__file__).resolve().parent.parent / "data" / "qa" / "report_tune.jsonl"
MIXED_USERS, MIXED_GENERATIVE_SHARE = 10, 0.3  # the speed issue's mixed load: 10 users, 30% generative


@dataclass
class LoadResult:
    users: int
    seconds: float
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    by_mode: dict[str, list[float]] = field(default_factory=dict, repr=False)
    error_samples: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        def stats(values):
            ordered = sorted(values)
            return {
                "requests": len(ordered),
                "p50_ms": round(percentile(ordered, 50), 1) if ordered else None,
                "p95_ms": round(percentile(ordered, 95), 1) if ordered else None,
            }

        return {
            "users": self.users,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "errors": self.errors,
            "throughput_rps": round(self.requests / max(self.seconds, 1e-9), 2),
            **{k: v for k, v in stats(self.latencies_ms).items() if k != "requests"},
            "by_mode": {mode: stats(values) for mode, values in sorted(self.by_mode.items())},
            "error_samples": self.error_samples[:5],
        }


def require_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"load tests only target loopback addresses, not {host!r}")


def mode_of(request: int, generative_share: float, default: str) -> str:
    """The answer mode of the n-th request of a mixed load: a fixed, evenly spread share is generative."""
    if generative_share <= 0:
        return default
    return "generative" if int((request + 1) * generative_share) > int(request * generative_share) else "extractive"


def run_load(
    url: str,
    questions: list[str],
    users: int = 20,
    seconds: float = 120,
    mode: str = "extractive",
    max_requests: int = 10_000,
    generative_share: float = 0.0,
) -> LoadResult:
    """Hammer ``/ask`` from ``users`` threads until ``seconds`` pass; count every request.
    With ``generative_share`` in (0, 1], that share of each user's requests is generative."""
    from gradio_client import Client

    require_loopback(url)
    result = LoadResult(users=users, seconds=0.0)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(n: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:
            with lock:
                result.errors += 1
                result.error_samples.append(f"connect: {exc}")
            return
        for i in range(max_requests):
            if time.monotonic() >= deadline:
                return
            question = questions[(n + i) % len(questions)]
            asked = mode_of(n * 7 + i, generative_share, mode)
            started = time.perf_counter()
            outcome = asked
            try:
                answer = client.predict(question, None, asked, 3, api_name="/ask")
                ok = bool(answer.get("reply"))
                problem = None if ok else f"empty reply for {question!r}"
                if answer.get("mode", asked) != asked:  # e.g. the generator was busy
                    outcome = f"{asked} answered {answer['mode']}"
            except Exception as exc:
                ok, problem = False, f"{type(exc).__name__}: {exc}"
            with lock:
                result.requests += 1
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.by_mode.setdefault(outcome, []).append(result.latencies_ms[-1])
                if not ok:
                    result.errors += 1
                    result.error_samples.append(problem)

    started = time.monotonic()
    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 600)  # an in-flight request may outlive the deadline
    result.seconds = time.monotonic() - started
    return result


def load_on_launched_server(
    questions: list[str],
    users: int,
    seconds: float,
    mode: str = "extractive",
    generative_share: float = 0.0,
    server_args: list[str] | tuple[str, ...] = (),
) -> LoadResult:
    """:func:`run_load` against ``python -m ui`` (with ``server_args``) launched on a free loopback
    port, per-client rate limit off, for the length of the run; raises RuntimeError when the
    server does not start."""
    from ui.launcher import running_server

    with (
        tempfile.TemporaryDirectory(prefix="qa-load-") as tmp,
        running_server({"QA_UI_RATE_PER_MINUTE": "0"}, Path(tmp) / "server.log", extra_args=list(server_args)) as url,
    ):
        return run_load(url, questions, users, seconds, mode, generative_share=generative_share)


def mixed_load(settings, questions: list[str], seconds: float) -> dict:
    """The benchmark's mixed load: :data:`MIXED_USERS` users, :data:`MIXED_GENERATIVE_SHARE` of
    the requests generative, against a server on ``settings``' corpus and index; the summary, or
    ``error`` when the server did not start."""
    args = ["--corpus", str(settings.corpus_dir), "--index-dir", str(settings.index_dir), "--no-documents"]
    config = {"users": MIXED_USERS, "generative_share": MIXED_GENERATIVE_SHARE, "seconds_asked": seconds}
    try:
        result = load_on_launched_server(
            questions, MIXED_USERS, seconds, generative_share=MIXED_GENERATIVE_SHARE, server_args=args
        )
    except RuntimeError as exc:
        return {**config, "error": str(exc)[-800:]}
    return {**config, **result.summary()}


def main(args) -> int:
    questions = [row["question"] for row in read_jsonl(args.qa or DEFAULT_QA)]
    share = args.generative_share
    generative = args.mode == "generative" or share > 0
    if args.url:
        result = run_load(args.url, questions, args.users, args.seconds, args.mode, generative_share=share)
    else:
        server_args = [] if generative else ["--no-generator"]
        result = load_on_launched_server(questions, args.users, args.seconds, args.mode, share, server_args)
    summary = result.summary()
    print(
        json.dumps(summary, ensure_ascii=False, indent=1)
        if args.json
        else " ".join(f"{k}={v}" for k, v in summary.items() if k != "error_samples")
    )
    return 0 if result.errors == 0 else 1


__all__ = ["LoadResult", "load_on_launched_server", "mixed_load", "require_loopback", "run_load"]
