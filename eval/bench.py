"""``python -m eval bench``: measure this machine's build time, per-stage latency, memory,
search scaling and answer quality in one run; write ``report.md``, ``bench.json`` and plots.

Contracts:
* every time in the results is in milliseconds unless its key ends in ``_s`` (seconds);
* :func:`run_bench` returns a JSON-serializable dict; :mod:`eval.bench_plots` writes it out
  (plots, ``report.md``, ``bench.json``);
* the pure helpers (here :func:`pick_questions`, in :mod:`eval.scaling` the statistics and
  corpus-growth measurements) load no model.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence

from eval.scaling import GROWTH_NOISE, dense_growth, lexical_growth, summarize

RETRIEVAL_STAGES = ("normalize", "embed", "dense_search", "lexical_search", "fuse")
ANSWER_STAGES = {"extractive": ("read",), "generative": ("read", "generate", "prefill", "decode")}
QUICK_QUESTIONS = 5


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

    rss = psutil.Process().memory_info().rss / 2 ** 20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"rss_mb": round(rss, 1), "peak_mb": round(max(peak, rss), 1)}


def machine_info() -> dict:
    cpu_model = ""
    try:
        cpu_model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                          if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": len(os.sched_getaffinity(0)), "cpu_model": cpu_model, "platform": platform.platform(),
            "python": platform.python_version(), "date": datetime.now().isoformat(timespec="seconds"),
            "loadavg": [round(x, 2) for x in os.getloadavg()]}


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
    from qa.indexing import sync_index
    from qa.pipeline import Pipeline

    encoder = SentenceTransformerEncoder(settings.embedding_model, settings.model_dir, settings.embedding_batch_size)
    t0 = time.perf_counter()
    encoder.warm_up()
    model_load_s = time.perf_counter() - t0
    timed = _TimedEncoder(encoder)
    index, report = sync_index(settings, timed, progress=False)
    pipeline = Pipeline(settings, encoder=encoder)
    t0 = time.perf_counter()
    pipeline.warm_up()
    return pipeline, {"model_load_s": round(model_load_s, 3), "seconds": round(report.seconds, 3),
                      "embed_s": round(timed.passage_s, 3), "chunks": report.chunks,
                      "documents": len(index.documents), "index_load_s": round(time.perf_counter() - t0, 3),
                      "chunks_per_s": round(report.chunks / report.seconds, 2) if report.seconds else None}


def thread_counts() -> dict:
    """Threads the query path may use: torch intra-op (encoder), FAISS OpenMP, and $OMP_NUM_THREADS."""
    torch, faiss = sys.modules.get("torch"), sys.modules.get("faiss")
    return {"torch_threads": int(torch.get_num_threads()) if torch is not None else None,
            "faiss_threads": int(faiss.omp_get_max_threads()) if faiss is not None else None,
            "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS")}


def timed_ask(pipeline, question: str, mode: str) -> tuple[dict, float, str]:
    """(stage timings ms, end-to-end ms, timing source) for one ``pipeline.ask``.

    When the answer has no ``prefill``/``decode`` timings they are derived from the stream:
    decode = first streamed piece → ask returned, prefill = generate − decode (source "stream").
    """
    first: list[float] = []

    def on_token(_piece: str) -> None:
        if not first:
            first.append(time.perf_counter())

    t0 = time.perf_counter()
    answer = pipeline.ask(question, mode=mode, on_token=on_token)
    end = time.perf_counter()
    timings, source = dict(answer.timings), "answer"
    if "generate" in timings and "prefill" not in timings:
        decode = min((end - first[0]) * 1000 if first else 0.0, timings["generate"])
        timings.update(decode=decode, prefill=timings["generate"] - decode)
        source = "stream"
    return timings, (end - t0) * 1000, source


def measure_latency(pipeline, questions: list[str], mode: str) -> dict:
    """Per-stage and end-to-end p50/p95 over the questions (one untimed warm-up ask first)."""
    from qa.normalize import QuestionError

    samples: dict[str, list[float]] = defaultdict(list)
    e2e, sources, errors = [], set(), 0
    for number, question in enumerate(questions[:1] + questions):  # the first ask is a warm-up
        try:
            timings, total, source = timed_ask(pipeline, question, mode)
        except QuestionError:
            errors += number > 0
            continue
        if number == 0:
            continue
        e2e.append(total)
        for stage, ms in timings.items():
            samples[stage].append(ms)
        if "generate" in timings:
            sources.add(source)
    order = RETRIEVAL_STAGES + ANSWER_STAGES[mode]
    stages = {s: summarize(samples[s]) for s in order if samples.get(s)}
    out = {"stages": stages, "end_to_end": summarize(e2e), "errors": errors}
    if mode == "generative":
        out["timing_source"] = ",".join(sorted(sources)) or "none (generator unavailable)"
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
    return {"generator_load_s": round(time.perf_counter() - t0, 3), "generator_error": pipeline.generator_error,
            "with_generator": memory_snapshot() if loaded else None}


def measure_growth(pipeline, questions: list[str], sizes: Sequence[int], repeats: int) -> dict:
    """Dense (flat, hnsw) and BM25 search as the pipeline's corpus is replicated ``sizes`` times."""
    from qa.normalize import normalize_query

    index, candidates = pipeline.index, pipeline.settings.retrieval.candidates
    queries = [normalize_query(q, index.reference_date) for q in questions]
    vectors = pipeline.encoder.encode_queries([q.rewritten for q in queries])
    rows = dense_growth(index.vectors, vectors, sizes, candidates=candidates, repeats=repeats)
    rows += lexical_growth([c.embed_text for c in index.chunks], [(q.rewritten, *q.variants) for q in queries],
                           sizes, candidates, repeats)
    return {"queries": len(queries), "k": 10, "candidates": candidates, "noise": GROWTH_NOISE,
            "repeats": repeats, "rows": rows}


def run_bench(options: BenchOptions, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> dict:
    """Measure everything (see the module docstring) on a fresh index in a temp folder; writes the
    predictions (and a QA subset) under ``options.out``; returns the results dict."""
    from qa.settings import Settings

    options.out.mkdir(parents=True, exist_ok=True)
    qa_path, rows = select_questions(options.qa, options.limit, options.out)
    questions = [r["question"] for r in rows]
    results: dict = {"machine": machine_info(), "latency": {}, "quality": {},
                     "config": {"qa": str(options.qa), "questions": len(questions), "quick": options.quick,
                                "modes": list(options.modes), "sizes": list(options.sizes)}}
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        settings = Settings.from_env(corpus_dir=options.corpus, index_dir=Path(tmp) / "index")
        results["config"]["corpus"] = str(settings.corpus_dir)
        log("bench: building the index")
        pipeline, results["build"] = measure_build(settings)
        results["machine"].update(thread_counts())
        log("bench: extractive latency")
        results["latency"]["extractive"] = measure_latency(pipeline, questions, "extractive")
        results["memory"] = {"without_generator": memory_snapshot(), "with_generator": None}
        if "generative" in options.modes:
            log("bench: loading the generator, generative latency")
            results["memory"].update(measure_generator(pipeline))
            results["latency"]["generative"] = measure_latency(pipeline, questions, "generative")
        for mode in options.modes:
            log(f"bench: quality ({mode})")
            results["quality"][mode] = measure_quality(pipeline, qa_path, options.out, mode)
        log("bench: corpus growth")
        results["growth"] = measure_growth(pipeline, questions, options.sizes, options.repeats)
    results["memory"]["end_of_run"] = memory_snapshot()
    return results
