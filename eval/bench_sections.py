"""Markdown sections of the ``eval bench`` report for answer paths, first content and prompt
size, the LangChain peer, llama.cpp kernel variants and the mixed load (pure: results in,
lines out; an absent measurement gives no lines)."""

from __future__ import annotations

import math

PATH_LABELS = {
    "generator": "generator",
    "generator skipped": "extractive reader, generator skipped",
    "extractive": "extractive reader",
    "refused": "refused",
}


def num(value, digits: int = 1) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def paths_section(latency: dict) -> list[str]:
    """Per mode: which path answered how many questions, and its mean F1."""
    out = []
    for mode, block in latency.items():
        paths = (block.get("speed") or {}).get("paths")
        if not paths:
            continue
        rows = [
            [PATH_LABELS.get(p, p), str(v["n"]), _pct(v["share"]), str(v["n_answerable"]), num(v["f1"], 3),
             str(v["n_unanswerable"])]
            for p, v in paths.items()
        ]  # fmt: skip
        out += [
            f"**{mode}**",
            "",
            table(["path", "questions", "share", "answerable", "mean F1", "unanswerable"], rows),
            "",
        ]
    if not out:
        return []
    return [
        "## Which path answered",
        "",
        "From each answer's note, in the latency runs. F1 (eval.metrics.f1) is over the path's answerable "
        'questions (a refused answerable question scores 0); "unanswerable" are questions without a gold '
        "answer that took this path (right when refused, wrong otherwise).",
        "",
        *out,
    ]


def speed_section(latency: dict) -> list[str]:
    """Time to the first draft, first token and first visible content; prompt tokens; F1 per second."""
    rows = []
    for mode, block in latency.items():
        speed = block.get("speed")
        if not speed:
            continue
        cells = []
        for key in ("first_draft_ms", "first_token_ms", "first_visible_ms"):
            s = speed[key]
            cells.append(f"{num(s['p50'], 0)} / {num(s['p95'], 0)} (n={s['n']})" if s["n"] else "–")
        tokens = speed["prompt_tokens"]
        prompts = f"{num(tokens['p50'], 0)} / {num(tokens['mean'], 0)} (n={tokens['n']})" if tokens["n"] else "–"
        rows.append([mode, *cells, prompts, num(speed["f1"], 3), num(speed["accuracy_per_s"], 3)])
    if not rows:
        return []
    header = ["mode", "first draft ms p50 / p95", "first token ms p50 / p95", "first visible ms p50 / p95"]
    header += ["prompt tokens p50 / mean", "mean F1", "F1 per second"]
    extra = sum((b.get("speed") or {}).get("extra_prompts", 0) for b in latency.values())
    return [
        "## First visible content, prompt size, accuracy per second",
        "",
        "Times from the start of `Pipeline.ask`: the first `on_draft` call (the extractive reader's sentence the "
        "UI shows while the generator works), the first `on_token` call, and whichever visible thing came first "
        "(the answer itself when neither was called). Prompt tokens: the reader's chat-formatted prompt "
        "(`LlamaGenerator.prompt_tokens`), before the remembered prefix is reused. F1 per second = mean F1 / mean "
        "latency in s.",
        "",
        table(header, rows),
        "",
        *([f"{extra} asks evaluated a second prompt (yes/no answers ask again)", ""] if extra else []),
    ]


def peer_section(peer: dict | None) -> list[str]:
    if not peer:
        return []
    out = ["## The LangChain peer", ""]
    if "error" in peer:
        return out + [f"The peer did not run: {peer['error']}", ""]
    c = peer.get("comparison") or {}
    summary = peer.get("summary") or {}
    out += [
        f"`{peer['script']}` run by `{peer['python']}` right after the project's generative run, on the same "
        f"questions, corpus, embedding folder and GGUF ({peer.get('wall_s', '?')} s in all, "
        f"{summary.get('chunks', '?')} chunks, peak RSS {num(peer.get('peak_rss_mb'))} MiB, its own VmHWM). "
        f"Predictions: `{peer.get('predictions')}`.",
        "",
    ]
    if c:
        ratio = c.get("ratio_p50")
        verdict = "" if c.get("meets_target") is None else (" (meets it)" if c["meets_target"] else " (misses it)")
        rows = [
            [name, num(side["p50"], 0), num(side["p95"], 0), num(side["hit@1"], 3), num(side["contained"], 3),
             num(side["f1"], 3), num(side.get("accuracy_per_s"), 3)]
            for name, side in (("project (generative)", c["project"]), ("peer", c["peer"]))
        ]  # fmt: skip
        out += [
            f"**Project generative p50 / peer p50 = {num(ratio, 2)}** (target ≤ {c['target']}){verdict}; p95 "
            f"{num(c['project']['p95'], 0)} ms vs {num(c['peer']['p95'], 0)} ms.",
            "",
            table(["", "p50 ms", "p95 ms", "hit@1", "contained", "F1", "F1 per second"], rows),
            "",
        ]
    if peer.get("table"):
        out += ["```", peer["table"], "```", ""]
    return out


def kernels_section(kernels: dict | None) -> list[str]:
    if not kernels:
        return []
    out = [
        "## llama.cpp kernel variants",
        "",
        f"Installed variant (`.venv/llama-kernels`): **{kernels.get('installed') or 'unknown (file missing)'}**. "
        f"Wheel cache `{kernels['cache']}`, llama-cpp-python {kernels['version']}, this CPU's key "
        f"{kernels.get('cpu_key')}.",
        "",
    ]
    if kernels.get("note"):
        return out + [kernels["note"] + ".", ""]
    rows = [
        [v["variant"], f"{v['cpu_key']}{' (this CPU)' if v.get('this_cpu') else ''}", num(v["prompt_tps"]),
         num(v["decode_tps"]), num(v["load_s"], 2), str(v["runs"]), v["status"]]
        for v in kernels["variants"]
    ]  # fmt: skip
    return out + [
        f"Each variant's wheel imported in a subprocess ({kernels.get('threads')} threads); "
        f"{kernels['prompt_tokens']}-token corpus prompts, {kernels['decode_tokens']} greedy tokens decoded, "
        "variants alternating prompt by prompt; medians.",
        "",
        table(["variant", "built for CPU key", "prompt tok/s", "decode tok/s", "load s", "runs", "status"], rows),
        "",
    ]


def load_section(load: dict | None) -> list[str]:
    if not load:
        return []
    out = [
        "## Mixed load",
        "",
        f"{load['users']} concurrent `gradio_client` users for {load['seconds_asked']:g} s against `python -m ui` "
        f"(rate limit off), {load['generative_share']:.0%} of the requests generative.",
        "",
    ]
    if "error" in load:
        return out + [f"The load test did not run: {load['error']}", ""]
    rows = [["all", str(load["requests"]), num(load["p50_ms"], 0), num(load["p95_ms"], 0)]]
    rows += [[m, str(s["requests"]), num(s["p50_ms"], 0), num(s["p95_ms"], 0)] for m, s in load["by_mode"].items()]
    out += [
        f"{load['requests']} requests in {load['seconds']} s ({load['throughput_rps']} per s), "
        f"{load['errors']} errors.",
        "",
        table(["mode", "requests", "p50 ms", "p95 ms"], rows),
        "",
    ]
    if load.get("error_samples"):
        out += ["Errors, first few: " + "; ".join(f"`{e}`" for e in load["error_samples"]), ""]
    return out
