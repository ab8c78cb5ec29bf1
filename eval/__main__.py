"""``python -m eval predict --qa QA.jsonl --out PREDS.jsonl [--mode retrieve]`` and
``python -m eval score --qa QA.jsonl --pred PREDS.jsonl [--json]`` and
``python -m eval bench [--qa QA.jsonl] [--out reports/latest] [--quick] [--modes ...] [--sizes 1,10,100]``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval import metrics

OWN_QA = Path(__file__).resolve().parent.parent / "data" / "qa" / "qiqihar_qa.jsonl"


def cmd_predict(args) -> int:
    from eval.predict import run
    from qa.pipeline import Pipeline
    from qa.settings import Settings

    settings = Settings.from_env(corpus_dir=args.corpus, index_dir=args.index_dir)
    if args.context:
        from dataclasses import replace
        settings = settings.replace(answering=replace(settings.answering, context_passages=args.context))
    if args.fusion:
        from dataclasses import replace
        settings = settings.replace(retrieval=replace(settings.retrieval, fusion=args.fusion))
    n = run(Pipeline(settings), Path(args.qa), Path(args.out), mode=args.mode, k=args.k,
            retrieval=args.retrieval)
    print(f"wrote {n} predictions to {args.out}", file=sys.stderr)
    return 0


def cmd_score(args) -> int:
    result = metrics.score(metrics.read_jsonl(args.qa), metrics.read_jsonl(args.pred))
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else metrics.format_table(result))
    return 0


def cmd_bench(args) -> int:
    from eval.bench import QUICK_QUESTIONS, BenchOptions, run_bench
    from eval.bench_plots import write_all

    modes = tuple(m for m in (args.modes or ("extractive" if args.quick else "extractive,generative")).split(",") if m)
    if set(modes) - {"extractive", "generative"}:
        raise ValueError(f"--modes takes extractive and/or generative, not {args.modes!r}")
    options = BenchOptions(qa=Path(args.qa), out=Path(args.out), modes=modes, quick=args.quick,
                           sizes=tuple(int(s) for s in args.sizes.split(",") if s),
                           limit=args.questions or (QUICK_QUESTIONS if args.quick else None),
                           corpus=Path(args.corpus) if args.corpus else None)
    for name, path in write_all(run_bench(options), options.out).items():
        print(f"{name}: {path}")
    return 0


def cmd_load(args) -> int:
    from eval.load import main as load_main

    return load_main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval")
    sub = parser.add_subparsers(dest="command", required=True)
    predict = sub.add_parser("predict", help="run the pipeline over a QA file")
    predict.add_argument("--qa", required=True)
    predict.add_argument("--out", required=True)
    predict.add_argument("--mode", default="retrieve", choices=["retrieve", "extractive", "generative"])
    predict.add_argument("--retrieval", default="hybrid", choices=["hybrid", "dense", "lexical"])
    predict.add_argument("--fusion", choices=["rrf", "score"], help="override the fusion method")
    predict.add_argument("--context", type=int, help="passages given to the generator (default 3)")
    predict.add_argument("-k", type=int, default=10, help="sources per question (at least 10)")
    predict.add_argument("--corpus")
    predict.add_argument("--index-dir")
    predict.set_defaults(func=cmd_predict)
    score = sub.add_parser("score", help="score predictions against a QA file")
    score.add_argument("--qa", required=True)
    score.add_argument("--pred", required=True)
    score.add_argument("--json", action="store_true")
    score.set_defaults(func=cmd_score)
    bench = sub.add_parser("bench", help="measure build time, latency, memory, scaling and quality")
    bench.add_argument("--qa", default=str(OWN_QA), help="QA file (default: the project's own set)")
    bench.add_argument("--out", default="reports/latest")
    bench.add_argument("--quick", action="store_true", help="5 questions; generative only if --modes names it")
    bench.add_argument("--modes", help="comma-separated: extractive,generative (default both; --quick: extractive)")
    bench.add_argument("--sizes", default="1,10,100", help="corpus growth factors (default 1,10,100)")
    bench.add_argument("--questions", type=int, help="use this many questions (round-robin over types)")
    bench.add_argument("--corpus", help="corpus folder to index (default data/corpus)")
    bench.set_defaults(func=cmd_bench)
    load = sub.add_parser("load", help="concurrent gradio_client users against a (launched) server")
    load.add_argument("--url", help="a running server on loopback (default: launch one)")
    load.add_argument("--users", type=int, default=20)
    load.add_argument("--seconds", type=float, default=120)
    load.add_argument("--mode", choices=["extractive", "generative"], default="extractive")
    load.add_argument("--qa", help="questions to ask (default: the project's QA set)")
    load.add_argument("--json", action="store_true")
    load.set_defaults(func=cmd_load)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
