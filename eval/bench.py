"""``python -m eval bench``: measure this machine's build time, per-stage latency, answer
paths, time to first visible content, memory, search scaling (FAISS flat/HNSW, BM25, Milvus),
answer quality, and optionally the LangChain peer, llama.cpp kernel variants and a mixed load,
in one run; write ``report.md``, ``bench.json`` and plots.

Contracts:
* every time in the results is in milliseconds unless its key ends in ``_s`` (seconds);
* :func:`run_bench` returns a JSON-serializable dict; :mod:`eval.bench_plots` writes it out
  (plots, ``report.md``, ``bench.json``);
* the pure helpers (here :func:`pick_questions`; :mod:`eval.bench_speed`, :mod:`eval.bench_peer`,
  :mod:`eval.bench_kernels` and :mod:`eval.scaling` have theirs) load no model.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from eval.bench_speed import answer_f1, answer_path, counting_prompts, speed_summary, timed_ask
from eval.load import mixed_load
from eval.scaling import GROWTH_NOISE, dense_growth, lexical_growth, milvus_growth, summarize

RETRIEVAL_STAGES = ("rewrite", "normalize", "embed", "search")
ANSWER_STAGES = {
    "extractive": ("evidence", "read"),
    "generative": ("evidence", "read", "prefill", "decode", "cite"),
}
QUICK_QUESTIONS = 5
MEMORY_TARGET_MB = 3 * 1024  # peak RSS with the generator loaded should stay under 3 GiB


@dataclass(frozen=True)
class BenchOptions:
    qa: Path
    out: Path
    modes: tuple[str, ...] = ("extractive", "generative")
    sizes: tuple[int, ...] = (1, 10, 100)
    limit: int | None = None  # questions used (None: all); --quick sets QUICK_QUESTIONS
    corpus: Path | None = None
    repeats: int = 3  # timed searches per query in the growth test
    quick: bool = False
    peer_python: Path | None = None  # run the LangChain peer with this python (None: no peer)
    peer_script: Path | None = None  # default: eval.bench_peer.DEFAULT_PEER_SCRIPT
    kernels: bool = False  # measure every cached llama-cpp-python kernel variant
    wheel_cache: Path | None = None  # default: eval.bench_kernels.wheel_cache()
    milvus: bool = True  # the Milvus store (milvus-lite) in the corpus-growth table
    load_seconds: float | None = None  # a mixed load against a launched server for this long


# ---------------------------------------------------------------- pure helpers


def pick_questions(rows: list[dict], limit: int | None) -> list[dict]:
    """All rows, or ``limit`` of them taken round-robin over question types (file order within a type)."""
    if limit is None or limit >= len(rows):
        return list(rows)
    by_type: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_type[row.get("type", "unknown")].append(row)
    picked, queues = [], [list(group) for group in by_type.values()]
    while len(picked) < limit:
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked


def memory_snapshot() -> dict:
    """Current RSS and the process's peak RSS so far (ru_maxrss, which the kernel updates lazily,
    so never below the current RSS), in MiB."""
    import psutil

    rss = psutil.Process().memory_info().rss / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"rss_mb": round(rss, 1), "peak_mb": round(max(peak, rss), 1)}


def machine_info() -> dict:
    cpu_model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        cpu_model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": datetime.now().isoformat(timespec="seconds"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


# ---------------------------------------------------------------- measurements (load models)


class _TimedEncoder:
    """Forwards to an encoder, adding up the seconds spent in ``encode_passages``."""

    def __init__(self, encoder) -> None:
        self.encoder, self.passage_s = encoder, 0.0

    def __getattr__(self, name: str):  # model_id, dim, encode_queries
        return getattr(self.encoder, name)

    def encode_passages(self, texts, progress=False):
        t0 = time.perf_counter()
        try:
            return self.encoder.encode_passages(texts, progress=progress)
        finally:
            self.passage_s += time.perf_counter() - t0


def measure_build(settings) -> tuple[object, dict]:
    """Load the embedding model, build the corpus index from scratch into ``settings.index_dir``,
    open it in a Pipeline; returns (warm pipeline, build numbers)."""
    from embeddings.encoder import SentenceTransformerEncoder
    from qa.index.building import sync_index
    from qa.pipeline import Pipeline

    encoder = SentenceTransformerEncoder.from_settings(settings)
    t0 = time.perf_counter()
    encoder.warm_up()
    model_load_s = time.perf_counter() - t0
    timed = _TimedEncoder(encoder)
    index, report = sync_index(settings, timed, progress=False)
    pipeline = Pipeline(settings, encoder=encoder)
    t0 = time.perf_counter()
    pipeline.warm_up()
    return pipeline, {
        "model_load_s": round(model_load_s, 3),
        "seconds": round(report.seconds, 3),
        "embed_s": round(timed.passage_s, 3),
        "chunks": report.chunks,
        "documents": len(index.documents),
        "index_load_s": round(time.perf_counter() - t0, 3),
        "chunks_per_s": round(report.chunks / report.seconds, 2) if report.seconds else None,
    }


def thread_counts() -> dict:
    """Threads the query path may use: torch intra-op (encoder), FAISS OpenMP, and $OMP_NUM_THREADS."""
    torch, faiss = sys.modules.get("torch"), sys.modules.get("faiss")
    return {
        "torch_threads": int(torch.get_num_threads()) if torch is not None else None,
        "faiss_threads": int(faiss.omp_get_max_threads()) if faiss is not None else None,
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
    }


def measure_latency(pipeline, rows: list[dict], mode: str) -> dict:
    """Per-stage and end-to-end p50/p95 over the questions (one untimed warm-up ask first), plus
    per question: which path answered, F1 against the QA file's answers, prompt tokens (local
    GGUF only) and the first ``on_draft`` / ``on_token`` times (see :mod:`eval.bench_speed`)."""
    from qa.search.normalize import QuestionError

    samples: dict[str, list[float]] = defaultdict(list)
    records, errors = [], 0
    generator = pipeline.generator if mode == "generative" else None
    with counting_prompts(generator) as counts:
        for number, row in enumerate(rows[:1] + rows):  # the first ask is a warm-up
            try:
                timings, record = timed_ask(pipeline, row["question"], mode, counts)
            except QuestionError:
                errors += number > 0
                continue
            if number == 0:
                continue
            for stage, ms in timings.items():
                samples[stage].append(ms)
            golds = row.get("answers") or []
            path = answer_path(record.pop("note"), record["refused"])
            record.update(path=path, f1=answer_f1(record.pop("answer"), record["refused"], golds))
            record["timings"] = {stage: round(ms, 2) for stage, ms in timings.items()}
            records.append({"id": row.get("id"), **record})
    order = RETRIEVAL_STAGES + ANSWER_STAGES[mode]
    order += tuple(sorted(set(samples) - set(order)))  # stages this list does not know yet
    out = {
        "stages": {s: summarize(samples[s]) for s in order if samples.get(s)},
        "end_to_end": summarize([r["ms"] for r in records]),
        "errors": errors,
        "speed": speed_summary(records),
        "per_question": records,
    }
    if mode == "generative":
        out["generator"] = getattr(generator, "name", None) or f"unavailable ({pipeline.generator_error})"
        out["timing_source"] = "answer" if samples.get("prefill") else "none (no generator answers)"
        out["generated_end_to_end"] = summarize([r["ms"] for r in records if "prefill" in r["timings"]])
    return out


def measure_quality(pipeline, qa_path: Path, out: Path, mode: str) -> dict:
    """``eval.predict.run`` into ``out/preds_<mode>.jsonl``, scored with ``eval.metrics.score``."""
    from eval import metrics
    from eval.predict import run

    preds = out / f"preds_{mode}.jsonl"
    run(pipeline, qa_path, preds, mode=mode)
    result = metrics.score(metrics.read_jsonl(qa_path), metrics.read_jsonl(preds))
    return {"predictions": preds.name, "table": metrics.format_table(result), "score": result}


def select_questions(qa: Path, limit: int | None, out: Path) -> tuple[Path, list[dict]]:
    """(QA file to predict on, its rows): ``qa`` itself, or ``out/qa_subset.jsonl`` with ``limit`` rows."""
    from eval.metrics import read_jsonl

    every = read_jsonl(qa)
    rows = pick_questions(every, limit)
    if len(rows) == len(every):
        return qa, rows
    subset = out / "qa_subset.jsonl"
    subset.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return subset, rows


def measure_generator(pipeline) -> dict:
    """Load the generator (time it) and take the memory snapshot with it loaded."""
    t0 = time.perf_counter()
    loaded = pipeline.generator is not None
    return {
        "generator_load_s": round(time.perf_counter() - t0, 3),
        "generator_error": pipeline.generator_error,
        "with_generator": memory_snapshot() if loaded else None,
    }


def measure_growth(pipeline, questions: list[str], sizes: Sequence[int], repeats: int, milvus_db: Path | None) -> dict:
    """Dense (FAISS flat, hnsw), BM25 and, with ``milvus_db``, Milvus (milvus-lite on that new
    ``.db``) search as the pipeline's corpus is replicated ``sizes`` times. Needs the local
    store's vectors and chunks (``rows`` is empty with a ``note`` otherwise)."""
    from qa.search.normalize import normalize_query

    index, settings = pipeline.index, pipeline.settings
    candidates = settings.retrieval.candidates
    out = {"queries": len(questions), "k": 10, "candidates": candidates, "noise": GROWTH_NOISE, "repeats": repeats}
    if not hasattr(index, "vectors"):
        return {**out, "rows": [], "note": "corpus growth replicates the local store's vectors; this run used Milvus"}
    queries = [normalize_query(q, index.reference_date) for q in questions]
    vectors = pipeline.encoder.encode_queries([q.rewritten for q in queries])
    texts = [(q.rewritten, *q.variants) for q in queries]
    rows = dense_growth(index.vectors, vectors, sizes, candidates=candidates, repeats=repeats)
    rows += lexical_growth([c.embed_text for c in index.chunks], texts, sizes, candidates, repeats)
    if milvus_db is not None:
        from qa.index.milvus import connect

        retrieval = replace(settings.retrieval, store="milvus", milvus_uri=str(milvus_db))
        started = time.perf_counter()
        try:
            client = connect(settings.replace(retrieval=retrieval))
            try:
                rows += milvus_growth(
                    client, index.chunks, index.documents, index.vectors, vectors, texts, sizes, settings.retrieval,
                    candidates=candidates, repeats=repeats,
                )  # fmt: skip
            finally:
                client.close()
        except Exception as exc:  # milvus-lite missing or failing: keep the rest of the run
            out["milvus_error"] = f"{type(exc).__name__}: {exc}"
        out["milvus_s"] = round(time.perf_counter() - started, 1)
    return {**out, "rows": rows}


def run_bench(options: BenchOptions, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> dict:
    """Measure everything (see the module docstring) on a fresh index in a temp folder; writes the
    predictions (and a QA subset) under ``options.out``; returns the results dict."""
    from eval import bench_peer
    from qa.settings import Settings

    options.out.mkdir(parents=True, exist_ok=True)
    qa_path, rows = select_questions(options.qa, options.limit, options.out)
    questions = [r["question"] for r in rows]
    results: dict = {
        "machine": machine_info(),
        "latency": {},
        "quality": {},
        "config": {
            "qa": str(options.qa),
            "questions": len(questions),
            "quick": options.quick,
            "modes": list(options.modes),
            "sizes": list(options.sizes),
            "peer": str(options.peer_python) if options.peer_python else None,
            "kernels": options.kernels,
            "milvus": options.milvus,
            "load_seconds": options.load_seconds,
        },
    }
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        settings = Settings.from_env(corpus_dir=options.corpus, index_dir=Path(tmp) / "index")
        results["config"]["corpus"] = str(settings.corpus_dir)
        log("bench: building the index")
        pipeline, results["build"] = measure_build(settings)
        results["machine"].update(thread_counts())
        log("bench: extractive latency")
        results["latency"]["extractive"] = measure_latency(pipeline, rows, "extractive")
        results["memory"] = {"without_generator": memory_snapshot(), "with_generator": None}
        results["memory"]["target_mb"] = MEMORY_TARGET_MB
        if "generative" in options.modes:
            log("bench: loading the generator, generative latency")
            results["memory"].update(measure_generator(pipeline))
            results["latency"]["generative"] = measure_latency(pipeline, rows, "generative")
            results["memory"]["after_generative"] = memory_snapshot()
            if options.peer_python:
                log("bench: the LangChain peer on the same questions")
                results["peer"] = bench_peer.measure_peer(options, pipeline, qa_path, rows)
        for mode in options.modes:
            log(f"bench: quality ({mode})")
            results["quality"][mode] = measure_quality(pipeline, qa_path, options.out, mode)
        if "peer" in results:
            log(bench_peer.finish(results))
        log("bench: corpus growth")
        milvus_db = Path(tmp) / "growth-milvus.db" if options.milvus else None
        results["growth"] = measure_growth(pipeline, questions, options.sizes, options.repeats, milvus_db)
        if options.kernels:
            from eval.bench_kernels import measure_pipeline_kernels

            log("bench: llama.cpp kernel variants")
            results["kernels"] = measure_pipeline_kernels(pipeline, options.wheel_cache, log)
        if options.load_seconds:
            log(f"bench: mixed load for {options.load_seconds:g} s")
            results["load"] = mixed_load(settings, questions, options.load_seconds)
    results["memory"]["end_of_run"] = memory_snapshot()
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return results
