"""Output of ``eval bench`` results: PNG plots (matplotlib, Agg), the Markdown report, ``bench.json``.

Contracts: :func:`write_plots` writes only the plots it has data for and returns
{name: path}; :func:`render_report` is pure (results dict in, Markdown out) and links
the images named in ``results["plots"]`` relative to the report's folder;
:func:`write_results` / :func:`read_results` round-trip the results dict.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

STAGE_LABELS = {"normalize": "normalize", "embed": "embed query", "dense_search": "dense search",
                "lexical_search": "BM25 search", "fuse": "fuse", "read": "read (extractive)",
                "generate": "generate", "prefill": "gen. prefill", "decode": "gen. decode"}
CJK_FONT = "WenQuanYi Zen Hei"


def _figure(width: float = 8, height: float = 4.5):
    """A pyplot-free Agg figure, with the CJK font first when installed."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams
    from matplotlib.figure import Figure

    if any(f.name == CJK_FONT for f in font_manager.fontManager.ttflist):
        rcParams["font.sans-serif"] = [CJK_FONT, *rcParams["font.sans-serif"]]
        rcParams["axes.unicode_minus"] = False
    return Figure(figsize=(width, height), dpi=110)


def plot_stages(results: dict, path: Path) -> bool:
    """Bars of per-stage p50 with p95 whiskers (log y), one colour per answer mode."""
    latency = results.get("latency") or {}
    if not latency:
        return False
    fig = _figure(9, 4.8)
    ax = fig.add_subplot()
    labels: list[str] = []
    for offset, (mode, block) in enumerate(latency.items()):
        stages = {**block["stages"], "end_to_end": block["end_to_end"]}
        stages = {s: v for s, v in stages.items() if v.get("p50") is not None}
        names = [f"{STAGE_LABELS.get(s, s.replace('_', ' '))}\n({mode})" if s == "end_to_end"
                 else STAGE_LABELS.get(s, s) for s in stages]
        x = [len(labels) + i for i in range(len(names))]
        p50 = [max(v["p50"], 1e-3) for v in stages.values()]
        whisker = [max(v["p95"] - v["p50"], 0.0) for v in stages.values()]
        ax.bar(x, p50, yerr=[[0] * len(p50), whisker], capsize=3, label=mode, color=f"C{offset}")
        labels += names
    ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("ms (p50 bar, p95 whisker)")
    ax.set_title("Query latency by stage")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    return True


def plot_growth(results: dict, path: Path) -> bool:
    """Left: search p50 (p95 whisker) vs corpus size, log-log, per index kind. Right: hnsw recall@10."""
    rows = (results.get("growth") or {}).get("rows") or []
    if not rows:
        return False
    fig = _figure(10, 4.2)
    ax, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    for i, kind in enumerate(dict.fromkeys(r["kind"] for r in rows)):
        series = sorted((r["vectors"], r["p50"], r["p95"]) for r in rows if r["kind"] == kind)
        ax.errorbar([s[0] for s in series], [s[1] for s in series], capsize=3, marker="o", label=kind,
                    yerr=[[0] * len(series), [max(s[2] - s[1], 0) for s in series]], color=f"C{i}")
    ax.set(xscale="log", yscale="log", xlabel="chunks in the index", ylabel="search ms / query",
           title="Search latency (p50, p95 whisker)")
    ax.legend()
    hnsw = sorted((r["vectors"], r.get("recall@10")) for r in rows if r["kind"] == "hnsw")
    right.plot([h[0] for h in hnsw], [h[1] for h in hnsw], "C1", marker="o")
    right.set(xscale="log", ylim=(0, 1.05), xlabel="chunks in the index", title="hnsw recall@10 vs flat")
    sizes = sorted({r["vectors"] for r in rows})
    for axis in (ax, right):
        axis.minorticks_off()
        axis.set_xticks(sizes, [f"{v:,}" for v in sizes])
    fig.tight_layout()
    fig.savefig(path)
    return True


def _by_type(score: dict, metric: str) -> dict[str, float]:
    """{type: value} for "f1" (answer) or "hit@5" (retrieval); NaN where not defined."""
    section = "answer" if metric in ("f1", "em", "contained") else "retrieval"
    return {t: b[section].get(metric, math.nan) for t, b in {**score["by_type"], "ALL": score["overall"]}.items()}


def plot_accuracy(results: dict, path: Path) -> bool:
    """Grouped bars by question type: retrieval hit@5, then answer F1 per mode."""
    quality = results.get("quality") or {}
    if not quality:
        return False
    fig = _figure(9, 4.5)
    ax = fig.add_subplot()
    first = next(iter(quality.values()))["score"]  # retrieval is the same in every mode
    series = [("hit@5 (retrieval)", _by_type(first, "hit@5"))]
    series += [(f"F1 ({mode})", _by_type(q["score"], "f1")) for mode, q in quality.items()]
    types = list(series[0][1])
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series):
        ax.bar([t + i * width for t in range(len(types))], [values.get(t, math.nan) for t in types], width,
               label=label, color=f"C{i}")
    ax.set_xticks([t + 0.4 - width / 2 for t in range(len(types))], types, rotation=20, ha="right")
    ax.set_ylim(0, 1.2)
    ax.set_ylabel("score")
    ax.set_title("Accuracy by question type")
    ax.legend(fontsize=8, ncol=len(series), loc="upper center")
    fig.tight_layout()
    fig.savefig(path)
    return True


PLOTS = {"stages": ("latency_by_stage.png", plot_stages), "growth": ("latency_vs_corpus_size.png", plot_growth),
         "accuracy": ("accuracy_by_type.png", plot_accuracy)}


def write_plots(results: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (file_name, plot) in PLOTS.items():
        if plot(results, out / file_name):
            written[name] = out / file_name
    return written


# ---------------------------------------------------------------- Markdown

def _num(value, digits: int = 1) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


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
    rows = [[f"{r['factor']}x", f"{r['vectors']:,}", r["kind"], _num(r["build_s"], 2), _num(r["p50"], 3),
             _num(r["p95"], 3), _num(r.get("recall@10"), 3)] for r in growth["rows"]]
    return _table(["size", "chunks", "index", "build s", "search p50 ms", "p95 ms", "recall@10 vs flat"], rows)


def _latency_sentence(mode: str, block: dict) -> str:
    """"<Mode> answers take X ms at p50; [prefill/decode shares;] the largest stage is …" ("" without data)."""
    total = block["end_to_end"].get("p50")
    stages = {s: v["p50"] for s, v in block["stages"].items() if v.get("p50") is not None and s != "generate"}
    if not total or not stages:
        return ""
    text = f"{mode.capitalize()} answers take {total:,.1f} ms at p50"
    if "prefill" in stages and "decode" in stages:
        text += (f"; generation prefill is {stages['prefill'] / total:.0%} and decode "
                 f"{stages['decode'] / total:.0%} of generative latency")
        stages = {s: v for s, v in stages.items() if s not in ("prefill", "decode")}
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
        sentences.append(f"Index build: embedding the passages took {build['embed_s'] / build['seconds']:.0%} of "
                         f"the {build['seconds']:.1f} s build ({_num(build.get('chunks_per_s'))} chunks/s), "
                         f"plus {build['model_load_s']:.1f} s to load the embedding model.")
    for mode, block in (results.get("latency") or {}).items():
        sentences.append(_latency_sentence(mode, block))
    rows = (results.get("growth") or {}).get("rows") or []
    if rows:
        biggest = max(r["factor"] for r in rows)
        at = {r["kind"]: r for r in rows if r["factor"] == biggest}
        parts = [f"{kind} {r['p50']:.2f} ms" for kind, r in at.items() if r.get("p50") is not None]
        recall = at.get("hnsw", {}).get("recall@10")
        sentences.append(f"At {biggest}x the corpus ({next(iter(at.values()))['vectors']:,} chunks) search takes "
                         + ", ".join(parts) + (f" (hnsw recall@10 {recall:.3f})" if recall is not None else "") + ".")
    return " ".join(s for s in sentences if s)


def render_report(results: dict) -> str:
    """The Markdown report: machine line, build, latency, memory, growth and quality sections."""
    m, config = results["machine"], results.get("config", {})
    out = ["# Benchmark report", "",
           f"Machine: {m['cpus']} CPU ({m.get('cpu_model') or 'unknown CPU'}), {m['platform']}, Python "
           f"{m['python']}, threads torch {m.get('torch_threads', '?')} / faiss {m.get('faiss_threads', '?')}, "
           f"{m['date']}, load average "
           f"{m.get('loadavg')}. QA file `{config.get('qa')}` "
           f"({config.get('questions')} questions{', quick run' if config.get('quick') else ''}).", "",
           "## What dominates latency", "", dominance(results) or "No latency numbers.", ""]
    build = results.get("build")
    if build:
        out += ["## Index build", "", _table(
            ["documents", "chunks", "build s", "embedding s", "chunks/s", "model load s", "index load s"],
            [[str(build["documents"]), str(build["chunks"]), _num(build["seconds"], 2), _num(build["embed_s"], 2),
              _num(build.get("chunks_per_s")), _num(build["model_load_s"], 2), _num(build["index_load_s"], 2)]]), ""]
    if results.get("latency"):
        notes = [f"{mode} prefill/decode timing source: {b['timing_source']}." for mode, b in
                 results["latency"].items() if "timing_source" in b]
        out += ["## Query latency by stage", "", latency_table(results["latency"]), "", *notes,
                _image(results, "stages", "latency by stage"), ""]
    memory = results.get("memory")
    if memory:
        rows = [[label, _num(snap["rss_mb"]), _num(snap["peak_mb"])] for label, snap in
                (("after warm-up, no generator", memory.get("without_generator")),
                 ("after loading the generator", memory.get("with_generator")),
                 ("end of run", memory.get("end_of_run"))) if snap]
        out += ["## Memory", "", _table(["when", "RSS MiB", "peak RSS MiB (ru_maxrss)"], rows), ""]
        if memory.get("generator_error"):
            out += [f"Generator unavailable: {memory['generator_error']}", ""]
    growth = results.get("growth")
    if growth:
        out += ["## Search latency as the corpus grows", "",
                f"Real chunk vectors replicated with gaussian noise (norm {growth['noise']}) and re-normalized; "
                f"{growth['queries']} real query vectors, {growth['candidates']} candidates per search, each timed "
                f"{growth['repeats']}x; BM25 over the replicated chunk texts.", "", growth_table(growth),
                _image(results, "growth", "latency vs corpus size"), ""]
    for mode, quality in (results.get("quality") or {}).items():
        out += [f"## Quality: {mode}", "", f"Predictions: `{quality['predictions']}`", "",
                "```", quality["table"], "```", ""]
    if results.get("quality"):
        out += [_image(results, "accuracy", "accuracy by type"), ""]
    return "\n".join(out).rstrip() + "\n"


def write_results(results: dict, path: Path) -> None:
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


def read_results(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_all(results: dict, out: Path) -> dict[str, Path]:
    """Plots, ``bench.json`` and ``report.md`` under ``out`` (records the plot names in
    ``results["plots"]``); returns the written paths by name."""
    results["plots"] = {name: path.name for name, path in write_plots(results, out).items()}
    write_results(results, out / "bench.json")
    (out / "report.md").write_text(render_report(results), encoding="utf-8")
    return {"report": out / "report.md", "json": out / "bench.json",
            **{name: out / file for name, file in results["plots"].items()}}
