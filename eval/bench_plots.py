"""Output of ``eval bench`` results: PNG plots (matplotlib, Agg), the Markdown report, ``bench.json``.

Contracts: :func:`write_plots` writes only the plots it has data for and returns
{name: path}; :func:`render_report` (:mod:`eval.bench_report`, re-exported here) is pure
(results dict in, Markdown out) and links the images named in ``results["plots"]``
relative to the report's folder;
:func:`write_results` / :func:`read_results` round-trip the results dict.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from eval.bench_report import STAGE_LABELS, render_report

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
        names = [
            f"{STAGE_LABELS.get(s, s.replace('_', ' '))}\n({mode})" if s == "end_to_end" else STAGE_LABELS.get(s, s)
            for s in stages
        ]
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
        ax.errorbar(
            [s[0] for s in series],
            [s[1] for s in series],
            capsize=3,
            marker="o",
            label=kind,
            yerr=[[0] * len(series), [max(s[2] - s[1], 0) for s in series]],
            color=f"C{i}",
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="chunks in the index",
        ylabel="search ms / query",
        title="Search latency (p50, p95 whisker)",
    )
    ax.legend()
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    for kind in ("hnsw", "milvus dense"):
        points = sorted((r["vectors"], r.get("recall@10")) for r in rows if r["kind"] == kind)
        if points:
            right.plot([h[0] for h in points], [h[1] for h in points], f"C{kinds.index(kind)}", marker="o", label=kind)
    right.set(xscale="log", ylim=(0, 1.05), xlabel="chunks in the index", title="recall@10 vs exact search")
    right.legend(fontsize=8)
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
        ax.bar(
            [t + i * width for t in range(len(types))],
            [values.get(t, math.nan) for t in types],
            width,
            label=label,
            color=f"C{i}",
        )
    ax.set_xticks([t + 0.4 - width / 2 for t in range(len(types))], types, rotation=20, ha="right")
    ax.set_ylim(0, 1.2)
    ax.set_ylabel("score")
    ax.set_title("Accuracy by question type")
    ax.legend(fontsize=8, ncol=len(series), loc="upper center")
    fig.tight_layout()
    fig.savefig(path)
    return True


PLOTS = {
    "stages": ("latency_by_stage.png", plot_stages),
    "growth": ("latency_vs_corpus_size.png", plot_growth),
    "accuracy": ("accuracy_by_type.png", plot_accuracy),
}


def write_plots(results: dict, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (file_name, plot) in PLOTS.items():
        if plot(results, out / file_name):
            written[name] = out / file_name
    return written


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
    return {
        "report": out / "report.md",
        "json": out / "bench.json",
        **{name: out / file for name, file in results["plots"].items()},
    }
