"""``python -m eval predict --qa QA.jsonl --out PREDS.jsonl [--mode retrieve]`` and
``python -m eval score --qa QA.jsonl --pred PREDS.jsonl [--json]``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval import metrics


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
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
