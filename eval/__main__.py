"""``python -m eval predict --qa QA.jsonl --out PREDS.jsonl [--mode retrieve]`` and
``python -m eval score --qa QA.jsonl --pred PREDS.jsonl [--json]`` and
``python -m eval bench [--qa QA.jsonl] [--out reports/latest] [--quick] [--modes ...] [--sizes 1,10,100]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval import metrics

BENCH_QA = Path(__file__).resolve().parent.parent / "data" / "qa" / "report_test.jsonl"  # held out: nothing fit on it


def cmd_predict(args) -> int:
    from eval.predict import run
    from qa.pipeline import Pipeline
    from qa.settings import Settings

    corpus = metrics.combined_corpus(args.corpus) if args.corpus else None
    index_dir = args.index_dir or (metrics.eval_index_dir(corpus) if corpus else None)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=index_dir)
    if args.fusion:
        from dataclasses import replace

        settings = settings.replace(retrieval=replace(settings.retrieval, fusion=args.fusion))
    n = run(Pipeline(settings), Path(args.qa), Path(args.out), mode=args.mode, k=args.k, retrieval=args.retrieval)
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
    if args.peer and "generative" not in modes:
        raise ValueError("--peer compares with the project's generative run: add generative to --modes")
    options = BenchOptions(
        qa=Path(args.qa),
        out=Path(args.out),
        modes=modes,
        quick=args.quick,
        sizes=tuple(int(s) for s in args.sizes.split(",") if s),
        limit=args.questions or (QUICK_QUESTIONS if args.quick else None),
        corpus=Path(args.corpus) if args.corpus else None,
        peer_python=Path(args.peer) if args.peer else None,
        peer_script=Path(args.peer_script) if args.peer_script else None,
        kernels=not args.quick if args.kernels is None else args.kernels,
        wheel_cache=Path(args.wheel_cache) if args.wheel_cache else None,
        milvus=args.milvus,
        load_seconds=args.load_seconds,
    )
    results = run_bench(options)
    comparison = (results.get("peer") or {}).get("comparison")
    if comparison:
        print(
            f"generative p50 / peer p50: {comparison['ratio_p50']} (target <= {comparison['target']}); p95 "
            f"{comparison['project']['p95']} ms vs peer {comparison['peer']['p95']} ms"
        )
    for name, path in write_all(results, options.out).items():
        print(f"{name}: {path}")
    return 0


def cmd_calibrate(args) -> int:
    from eval.calibrate import main as calibrate_main

    return calibrate_main(args)


def cmd_evidence(args) -> int:
    from eval.evidence_grid import main as evidence_main

    return evidence_main(args)


def cmd_mutants(args) -> int:
    from eval.mutants import main as mutants_main

    return mutants_main(args)


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
    predict.add_argument("-k", type=int, default=10, help="sources per question (at least 10)")
    predict.add_argument("--corpus", nargs="+", help="corpus folder(s); several are indexed together")
    predict.add_argument("--index-dir")
    predict.set_defaults(func=cmd_predict)
    score = sub.add_parser("score", help="score predictions against a QA file")
    score.add_argument("--qa", required=True)
    score.add_argument("--pred", required=True)
    score.add_argument("--json", action="store_true")
    score.set_defaults(func=cmd_score)
    bench = sub.add_parser("bench", help="measure build time, latency, memory, scaling and quality")
    bench_qa = BENCH_QA
    bench.add_argument("--qa", default=str(bench_qa), help=f"QA file (default: {bench_qa.name})")
    bench.add_argument("--out", default="reports/latest")
    bench.add_argument("--quick", action="store_true", help="5 questions; generative only if --modes names it")
    bench.add_argument("--modes", help="comma-separated: extractive,generative (default both; --quick: extractive)")
    bench.add_argument("--sizes", default="1,10,100", help="corpus growth factors (default 1,10,100)")
    bench.add_argument("--questions", type=int, help="use this many questions (round-robin over types)")
    bench.add_argument("--corpus", help="corpus folder to index (default data/corpus)")
    from eval.bench_peer import DEFAULT_PEER_PYTHON, DEFAULT_PEER_SCRIPT

    bench.add_argument(
        "--peer",
        nargs="?",
        const=str(DEFAULT_PEER_PYTHON),
        metavar="PEER_PYTHON",
        help=f"also run the LangChain peer right after the generative run, with this python "
        f"(default {DEFAULT_PEER_PYTHON}); needs generative in --modes",
    )
    bench.add_argument("--peer-script", help=f"the peer script (default {DEFAULT_PEER_SCRIPT})")
    bench.add_argument(
        "--kernels",
        action=argparse.BooleanOptionalAction,
        help="prompt/decode speed of every cached llama-cpp-python kernel variant (default: on unless --quick)",
    )
    bench.add_argument("--wheel-cache", help="the llama-cpp-python wheel cache (default as scripts/setup.sh)")
    bench.add_argument(
        "--milvus",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the Milvus store (milvus-lite) in the corpus-growth table (default: on)",
    )
    bench.add_argument(
        "--load-seconds",
        type=float,
        help="also a mixed load (10 users, 30%% generative) against a launched server for this long",
    )
    bench.set_defaults(func=cmd_bench)
    calibrate = sub.add_parser("calibrate", help="fit the answer layer's weights and thresholds on tuning splits")
    calibrate.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="QA.jsonl=CORPUS_DIR",
        help="a tuning QA file and the corpus folder it is about (repeat)",
    )
    calibrate.add_argument("--cache", help="JSONL cache of generated answers (re-fits skip the generator)")
    calibrate.add_argument("--no-generator", action="store_true", help="fit the extractive reader only")
    calibrate.add_argument(
        "--cross-validate",
        type=int,
        default=0,
        metavar="K",
        help="also score the refusal policy by K-fold cross-validation over the tuning questions (3 shuffles)",
    )
    calibrate.set_defaults(func=cmd_calibrate)
    evidence = sub.add_parser("evidence", help="evidence recall and size over a grid of evidence settings")
    evidence.add_argument("--set", action="append", required=True, metavar="QA.jsonl=CORPUS_DIR")
    evidence.add_argument("--top", type=int, default=20, help="rows to print (best first)")
    evidence.set_defaults(func=cmd_evidence)
    load = sub.add_parser("load", help="concurrent gradio_client users against a (launched) server")
    load.add_argument("--url", help="a running server on loopback (default: launch one)")
    load.add_argument("--users", type=int, default=20)
    load.add_argument("--seconds", type=float, default=120)
    load.add_argument("--mode", choices=["extractive", "generative"], default="extractive")
    load.add_argument(
        "--generative-share",
        type=float,
        default=0.0,
        help="a mixed load: this share of requests is generative, the rest extractive (e.g. 0.3)",
    )
    load.add_argument("--qa", help="questions to ask (default: the project's QA set)")
    load.add_argument("--json", action="store_true")
    load.set_defaults(func=cmd_load)
    mutants = sub.add_parser("mutants", help="mutation testing (mutmut) on a seeded sample of mutants")
    mutants.add_argument("--sample", type=int, default=150, help="how many mutants (0: all)")
    mutants.add_argument("--seed", type=int, default=0)
    mutants.set_defaults(func=cmd_mutants)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
