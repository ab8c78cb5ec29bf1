"""The Markdown report of ``eval bench`` (pure: results dict in, Markdown out); the newer
sections (answer paths, first content, peer, kernels, load) are in :mod:`eval.bench_sections`."""

from __future__ import annotations

from eval.bench_sections import kernels_section, load_section, paths_section, peer_section, speed_section
from eval.bench_sections import num as _num
from eval.bench_sections import table as _table

STAGE_LABELS = {
    "rewrite": "follow-up rewrite",
    "normalize": "normalize",
    "embed": "embed query",
    "search": "search (dense + BM25, fused)",
    "evidence": "evidence sentences",
    "read": "read (extractive)",
    "prefill": "gen. prefill",
    "decode": "gen. decode",
    "cite": "gen. cite",
}


def _image(results: dict, name: str, alt: str) -> str:
    file = (results.get("plots") or {}).get(name)
    return f"\n![{alt}]({file})" if file else ""


def latency_table(latency: dict) -> str:
    modes = list(latency)
    stages = list(dict.fromkeys(s for block in latency.values() for s in block["stages"]))
    rows = []
    for stage in [*stages, "end_to_end"]:
        cells = []
        for mode in modes:
            block = latency[mode]["end_to_end"] if stage == "end_to_end" else latency[mode]["stages"].get(stage, {})
            cells += [_num(block.get("p50"), 2), _num(block.get("p95"), 2)]
        rows.append(["**end to end**" if stage == "end_to_end" else STAGE_LABELS.get(stage, stage), *cells])
    return _table(["stage", *[f"{m} {p} ms" for m in modes for p in ("p50", "p95")]], rows)


def growth_table(growth: dict) -> str:
    rows = [
        [
            f"{r['factor']}x",
            f"{r['vectors']:,}",
            r["kind"],
            _num(r["build_s"], 2),
            _num(r["p50"], 3),
            _num(r["p95"], 3),
            _num(r.get("recall@10"), 3),
        ]
        for r in growth["rows"]
    ]
    return _table(["size", "chunks", "index", "build s", "search p50 ms", "p95 ms", "recall@10 vs exact"], rows)


def _latency_sentence(mode: str, block: dict) -> str:
    """ "<Mode> answers take X ms at p50; [prefill/decode shares;] the largest stage is …" ("" without data).

    Prefill and decode are shares of the end to end of the answers the generator wrote
    (``generated_end_to_end``, when recorded): other answers have no such stages."""
    total = block["end_to_end"].get("p50")
    stages = {s: v["p50"] for s, v in block["stages"].items() if v.get("p50") is not None and s != "generate"}
    if not total or not stages:
        return ""
    text = f"{mode.capitalize()} answers take {total:,.1f} ms at p50"
    if "prefill" in stages and "decode" in stages:
        generated = (block.get("generated_end_to_end") or {}).get("p50")
        if generated:
            text += (
                f"; the {block['generated_end_to_end']['n']} the generator wrote take {generated:,.1f} ms, of which "
                f"prefill is {stages['prefill'] / generated:.0%} and decode {stages['decode'] / generated:.0%}"
            )
        else:
            text += (
                f"; generation prefill is {stages['prefill'] / total:.0%} and decode "
                f"{stages['decode'] / total:.0%} of generative latency"
            )
        stages = {s: v for s, v in stages.items() if s not in ("prefill", "decode", "cite")}
        if not stages:
            return text + "."
        text += "; the largest other stage"
    else:
        text += "; the largest stage"
    top = max(stages, key=stages.get)
    share = stages[top] / total
    return text + f" is {STAGE_LABELS.get(top, top)} at {stages[top]:,.1f} ms ({share:.0%} of end to end)."


def dominance(results: dict) -> str:
    """One paragraph naming what dominates each latency, computed from the numbers."""
    sentences = []
    build = results.get("build") or {}
    if build.get("seconds"):
        sentences.append(
            f"Index build: embedding the passages took {build['embed_s'] / build['seconds']:.0%} of "
            f"the {build['seconds']:.1f} s build ({_num(build.get('chunks_per_s'))} chunks/s), "
            f"plus {build['model_load_s']:.1f} s to load the embedding model."
        )
    for mode, block in (results.get("latency") or {}).items():
        sentences.append(_latency_sentence(mode, block))
    rows = (results.get("growth") or {}).get("rows") or []
    if rows:
        biggest = max(r["factor"] for r in rows)
        at = {r["kind"]: r for r in rows if r["factor"] == biggest}
        parts = [f"{kind} {r['p50']:.2f} ms" for kind, r in at.items() if r.get("p50") is not None]
        recall = at.get("hnsw", {}).get("recall@10")
        sentences.append(
            f"At {biggest}x the corpus ({next(iter(at.values()))['vectors']:,} chunks) search takes "
            + ", ".join(parts)
            + (f" (hnsw recall@10 {recall:.3f})" if recall is not None else "")
            + "."
        )
    return " ".join(s for s in sentences if s)


def machine_lines(results: dict) -> list[str]:
    m, config = results["machine"], results.get("config", {})
    end = m.get("loadavg_end")
    return [
        f"Machine: {m['cpus']} CPU cores ({m.get('cpu_model') or 'unknown CPU'}), {m['platform']}, Python "
        f"{m['python']}, threads torch {m.get('torch_threads', '?')} / faiss {m.get('faiss_threads', '?')}, "
        f"{m['date']}. Load average (1, 5, 15 min) at the start {m.get('loadavg')}"
        + (f", at the end {end}" if end else "")
        + f". QA file `{config.get('qa')}` ({config.get('questions')} questions"
        f"{', quick run' if config.get('quick') else ''}).",
        "",
        "Timings are from one run on a shared machine: compare numbers within this report, not across runs.",
    ]


def memory_lines(memory: dict) -> list[str]:
    """The RSS table and the verdict on peak RSS with the generator loaded against the target."""
    rows = [
        [label, _num(snap["rss_mb"]), _num(snap["peak_mb"])]
        for label, snap in (
            ("after warm-up, no generator", memory.get("without_generator")),
            ("after loading the generator", memory.get("with_generator")),
            ("after the generative answers", memory.get("after_generative")),
            ("end of run", memory.get("end_of_run")),
        )
        if snap
    ]
    out = ["## Memory", "", _table(["when", "RSS MiB", "peak RSS MiB (ru_maxrss)"], rows), ""]
    target = memory.get("target_mb", 3072)
    loaded = memory.get("after_generative") or memory.get("with_generator")
    if loaded:
        peak = loaded["peak_mb"]
        verdict = "within" if peak <= target else "over"
        out += [
            f"**Peak RSS with the generator loaded: {peak:,.0f} MiB, {verdict} the {target / 1024:g} GiB "
            f"({target:,} MiB) target** (the process's ru_maxrss up to the end of the generative answers; the "
            "GGUF's mapped pages count in it).",
            "",
        ]
    else:
        out += [f"Peak RSS with the generator loaded: not measured (no generative run); target {target:,} MiB.", ""]
    if memory.get("generator_error"):
        out += [f"Generator unavailable: {memory['generator_error']}", ""]
    return out


def growth_lines(results: dict) -> list[str]:
    growth = results["growth"]
    out = [
        "## Search latency as the corpus grows",
        "",
        f"Real chunk vectors replicated with gaussian noise (norm {growth['noise']}) and re-normalized; "
        f"{growth['queries']} real query vectors, {growth['candidates']} candidates per search, each timed "
        f"{growth['repeats']}x; BM25 over the replicated chunk texts. flat, hnsw and milvus dense are dense "
        "search only (recall@10 against exact search over the same vectors); milvus hybrid is the store's "
        "`search` as the retriever calls it (dense + BM25 fused in Milvus, milvus-lite on a temp .db); a "
        "milvus row's build s is the time to insert and flush its rows.",
        "",
    ]
    if growth.get("note"):
        out += [growth["note"] + ".", ""]
    if growth.get("milvus_error"):
        out += [f"Milvus could not be measured: {growth['milvus_error']}", ""]
    elif "milvus_s" in growth:
        out += [f"The Milvus part took {growth['milvus_s']:,.1f} s in all.", ""]
    if growth["rows"]:
        out += [growth_table(growth), _image(results, "growth", "latency vs corpus size"), ""]
    return out


def render_report(results: dict) -> str:
    """The Markdown report: machine lines, what dominates, build, latency, answer paths, first
    content, memory, peer, growth, kernels, load and quality sections."""
    out = [
        "# Benchmark report",
        "",
        *machine_lines(results),
        "",
        "## What dominates latency",
        "",
        dominance(results) or "No latency numbers.",
        "",
    ]
    build = results.get("build")
    if build:
        out += [
            "## Index build",
            "",
            _table(
                ["documents", "chunks", "build s", "embedding s", "chunks/s", "model load s", "index load s"],
                [
                    [
                        str(build["documents"]),
                        str(build["chunks"]),
                        _num(build["seconds"], 2),
                        _num(build["embed_s"], 2),
                        _num(build.get("chunks_per_s")),
                        _num(build["model_load_s"], 2),
                        _num(build["index_load_s"], 2),
                    ]
                ],
            ),
            "",
        ]
    latency = results.get("latency") or {}
    if latency:
        notes = [
            f"{mode} prefill/decode timing source: {b['timing_source']}."
            for mode, b in latency.items()
            if "timing_source" in b
        ]
        out += [
            "## Query latency by stage",
            "",
            "A stage's p50/p95 is over the questions that went through it (the generator's stages only when it ran).",
            "",
            latency_table(latency),
            "",
            *notes,
            _image(results, "stages", "latency by stage"),
            "",
        ]
        out += paths_section(latency) + speed_section(latency)
    if results.get("memory"):
        out += memory_lines(results["memory"])
    out += peer_section(results.get("peer"))
    if results.get("growth"):
        out += growth_lines(results)
    out += kernels_section(results.get("kernels")) + load_section(results.get("load"))
    for mode, quality in (results.get("quality") or {}).items():
        out += [
            f"## Quality: {mode}",
            "",
            f"Predictions: `{quality['predictions']}`",
            "",
            "```",
            quality["table"],
            "```",
            "",
        ]
    if results.get("quality"):
        out += [_image(results, "accuracy", "accuracy by type"), ""]
    return "\n".join(out).rstrip() + "\n"
