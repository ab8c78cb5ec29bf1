"""The peer in ``eval bench``: a plain LangChain RAG (``shared/bench/peer_langchain.py``) run in
its own venv on the same questions, corpus and models as the project's generative run.

Contracts: :func:`run_peer` never raises for a peer that fails (the result holds ``error``);
:func:`parse_predictions`, :func:`parse_summary`, :func:`speed_ratio` and :func:`compare` are pure.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from eval.scaling import summarize

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PEER_PYTHON = Path("/work/peer-venv/bin/python")
DEFAULT_PEER_SCRIPT = REPO.parent / "shared" / "bench" / "peer_langchain.py"
RATIO_TARGET = 0.5  # project generative p50 / peer p50 should be at most this


def parse_predictions(text: str) -> list[dict]:
    """The peer's JSONL predictions (blank lines skipped); ValueError naming a bad line or a row
    without a numeric ``latency_ms``."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"peer predictions line {number}: not JSON ({exc})") from exc
        if not isinstance(row.get("latency_ms"), (int, float)):
            raise ValueError(f"peer predictions line {number}: no numeric latency_ms")
        rows.append(row)
    return rows


def parse_vm_hwm(status: str) -> int | None:
    """The ``VmHWM`` (peak resident set, KiB) line of a ``/proc/<pid>/status`` text; None if absent."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def vm_hwm_kib(pid: int) -> int | None:
    try:
        return parse_vm_hwm(Path(f"/proc/{pid}/status").read_text(encoding="utf-8"))
    except (OSError, ValueError, IndexError):
        return None


def parse_summary(stdout: str) -> dict:
    """The JSON object the peer prints last (questions, chunks, p50/p95, peak RSS); {} if none."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def speed_ratio(project_p50: float | None, peer_p50: float | None) -> float | None:
    """project p50 / peer p50 (below 1: the project is faster); None when either is missing or
    the peer's is not positive."""
    if project_p50 is None or peer_p50 is None or peer_p50 <= 0:
        return None
    return round(project_p50 / peer_p50, 4)


def _quality(score: dict | None) -> dict:
    if not score:
        return {"hit@1": None, "contained": None, "f1": None}
    overall = score["overall"]
    return {
        "hit@1": overall["retrieval"].get("hit@1"),
        "contained": overall["answer"].get("contained"),
        "f1": overall["answer"].get("f1"),
    }


def compare(project_latency: dict, project_score: dict | None, peer_latency: dict, peer_score: dict | None) -> dict:
    """Side by side: p50/p95 ms, hit@1, contained and F1 of both, the p50 ratio and whether it
    meets :data:`RATIO_TARGET`. Latencies are :func:`eval.scaling.summarize` dicts."""
    ratio = speed_ratio(project_latency.get("p50"), peer_latency.get("p50"))
    return {
        "project": {"p50": project_latency.get("p50"), "p95": project_latency.get("p95"), **_quality(project_score)},
        "peer": {"p50": peer_latency.get("p50"), "p95": peer_latency.get("p95"), **_quality(peer_score)},
        "ratio_p50": ratio,
        "target": RATIO_TARGET,
        "meets_target": None if ratio is None else ratio <= RATIO_TARGET,
    }


def peer_docs(corpus: Path) -> list[Path]:
    """What to pass as ``--docs``: the corpus folder and every subfolder holding .txt files (the
    peer reads only the ``*.txt`` directly inside each folder it is given)."""
    corpus = Path(corpus)
    return [corpus] + sorted({p.parent for p in corpus.rglob("*.txt")} - {corpus})


def run_peer(
    python: Path,
    script: Path,
    qa_path: Path,
    corpus: Path,
    embed: Path,
    gguf: Path,
    out: Path,
    timeout_s: float | None = None,
) -> dict:
    """Run the peer; its predictions go to ``out/preds_peer.jsonl``, its output to
    ``out/peer.log``. Returns the command, wall time, its peak RSS (``peak_rss_mb``: the peak
    of its ``VmHWM``, polled every 0.5 s (0.05 s at first); the ``peak_rss_mb`` it prints itself is ru_maxrss,
    which Linux carries over from the process that started it, here the bench with its models
    loaded), the peer's own summary, the latency summary from its predictions, the predictions
    themselves, and its score against the QA file (``eval.metrics.score``), or ``error``."""
    from eval import metrics

    result: dict = {"python": str(python), "script": str(script)}
    for name, path in (("peer python", python), ("peer script", script)):
        if not Path(path).is_file():
            return {**result, "error": f"{name} {path} not found"}
    preds, log = out / "preds_peer.jsonl", out / "peer.log"
    command = [
        str(python),
        str(script),
        "--docs",
        *map(str, peer_docs(corpus)),
        "--qa",
        str(qa_path),
        "--out",
        str(preds),
    ]
    command += ["--embed", str(embed), "--gguf", str(gguf)]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.setdefault("HF_HUB_OFFLINE", "1")
    started, peak_kib = time.perf_counter(), 0
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr, text=True)
        while process.poll() is None:  # its own high-water mark: ru_maxrss would include ours (see peak_rss_mb)
            peak_kib = max(peak_kib, vm_hwm_kib(process.pid) or 0)
            if timeout_s is not None and time.perf_counter() - started > timeout_s:
                process.kill()
                process.wait()
                return {**result, "error": f"peer did not finish in {timeout_s:.0f} s"}
            time.sleep(0.05 if time.perf_counter() - started < 2 else 0.5)
        stdout.seek(0), stderr.seek(0)
        out_text, err_text = stdout.read(), stderr.read()
    result["wall_s"] = round(time.perf_counter() - started, 1)
    result["peak_rss_mb"] = round(peak_kib / 1024, 1) if peak_kib else None
    log.write_text(out_text + "\n--- stderr ---\n" + err_text, encoding="utf-8")
    result["log"] = log.name
    if process.returncode != 0:
        return {**result, "error": f"peer exited with {process.returncode}: {err_text.strip()[-600:]}"}
    rows = parse_predictions(preds.read_text(encoding="utf-8"))
    result.update(
        predictions=preds.name,
        summary=parse_summary(out_text),
        latency=summarize([r["latency_ms"] for r in rows]),
        rows=rows,
    )
    qa_rows = metrics.read_jsonl(qa_path)
    score = metrics.score(qa_rows, rows)
    result.update(score=score, table=metrics.format_table(score))
    return result


def measure_peer(options, pipeline, qa_path: Path, rows: list[dict]) -> dict:
    """:func:`run_peer` on the bench's QA file and corpus with the project's embedding folder and
    GGUF, plus the peer's mean F1 per second (as :func:`eval.bench_speed.accuracy_per_second`)."""
    from embeddings.encoder import resolve_model_path
    from eval.bench_speed import accuracy_per_second, answer_f1

    settings = pipeline.settings
    gguf = getattr(pipeline.generator, "model_path", None)
    if gguf is None:
        from qa.answering.model_files import MODELS, assemble_model

        gguf = assemble_model(MODELS[settings.generation.model], settings.model_dir)
    embed = resolve_model_path(settings.embedding_model, settings.model_dir)
    script = options.peer_script or DEFAULT_PEER_SCRIPT
    result = run_peer(
        options.peer_python, script, qa_path, settings.corpus_dir, embed, gguf, options.out, 900 + 120 * len(rows)
    )
    predictions = result.pop("rows", None)
    if predictions:
        golds = {r["id"]: r.get("answers") or [] for r in rows}
        f1s = [answer_f1(p.get("answer"), bool(p.get("refused")), golds.get(p["id"], [])) for p in predictions]
        result["accuracy_per_s"] = accuracy_per_second(f1s, [p["latency_ms"] for p in predictions])
    return result


def _ms(value) -> str:
    return "?" if value is None else f"{value:,.0f}"


def finish(results: dict) -> str:
    """Add ``results["peer"]["comparison"]`` (after the quality runs); returns a one-line summary."""
    peer = results["peer"]
    if "error" in peer:
        return f"bench: the peer did not run: {peer['error']}"
    project = results["latency"]["generative"]
    score = (results["quality"].get("generative") or {}).get("score")
    comparison = compare(project["end_to_end"], score, peer["latency"], peer.get("score"))
    comparison["project"]["accuracy_per_s"] = project["speed"]["accuracy_per_s"]
    comparison["peer"]["accuracy_per_s"] = peer.get("accuracy_per_s")
    peer["comparison"] = comparison
    ours, theirs, ratio = comparison["project"], comparison["peer"], comparison["ratio_p50"]
    return (
        f"bench: generative p50 {_ms(ours['p50'])} ms / peer p50 {_ms(theirs['p50'])} ms = "
        f"{'?' if ratio is None else f'{ratio:.2f}'} (target <= {RATIO_TARGET}); "
        f"p95 {_ms(ours['p95'])} vs {_ms(theirs['p95'])} ms"
    )
