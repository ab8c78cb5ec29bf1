"""Command line: ``python -m qa index [PATH ...]``, ``python -m qa search "问题" [-k N] [--json]``,
``python -m qa ask "问题" [--mode generative|extractive] [--json]``, ``python -m qa chat``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.index.store import IndexUnavailable
from qa.ingest.decode import IngestError
from qa.search.normalize import QuestionError
from qa.settings import Settings


def _pipeline(args):
    from qa.pipeline import Pipeline

    settings = Settings.from_env(corpus_dir=args.corpus, index_dir=args.index_dir)
    return Pipeline(settings)


def cmd_index(args) -> int:
    pipeline = _pipeline(args)
    paths = [Path(p) for p in args.paths]
    report = pipeline.add_documents(paths, kind=args.kind) if paths else pipeline.sync()
    index = pipeline.index
    print(
        f"索引完成: {len(index.documents)} 个文档, {report.chunks} 个片段, 用时 {report.seconds:.1f} 秒"
        f" (新嵌入 {len(report.embedded)}, 复用 {len(report.reused)}, 移除 {len(report.removed)})"
    )
    for name, reason in report.skipped.items():
        print(f"跳过 {name}: {reason}", file=sys.stderr)
    return 0


def cmd_search(args) -> int:
    result = _pipeline(args).retrieve(args.question, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if result.query.changed:
        print(f"改写后的问题: {result.rewritten}")
    if not result.hits:
        print("没有找到相关内容。")
    for rank, hit in enumerate(result.hits, start=1):
        c = hit.chunk
        print(f"\n[{rank}] {hit.score:.4f}  {c.doc_id}  {c.section_path}  [{c.start}:{c.end}]")
        print(f"    {c.text}")
    return 0


def cmd_ask(args) -> int:
    pipeline = _pipeline(args)
    stream = not args.json and (args.mode or pipeline.settings.answering.mode) == "generative"
    answer = pipeline.ask(
        args.question, mode=args.mode, on_token=(lambda piece: print(piece, end="", flush=True)) if stream else None
    )
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if stream:
        print()
    if answer.rewritten != args.question.strip():
        print(f"改写后的问题: {answer.rewritten}")
    print(f"\n答复: {answer.reply}")
    label = "相关内容" if answer.refused else "出处"
    for citation in answer.citations or []:
        print(f"{label}: [{citation.doc} {citation.start}:{citation.end}] {citation.text}")
    if answer.refused:
        for hit in answer.sources[:3]:
            print(f"{label}: {hit.chunk.section_path}  {hit.chunk.text[:80]}")
    return 0


def cmd_chat(args) -> int:
    """A terminal conversation; follow-ups use the history. Empty line or Ctrl-D ends it."""
    pipeline = _pipeline(args)
    history: list[dict] = []
    print("政府工作报告问答（直接回车或 Ctrl-D 退出）")
    while True:
        try:
            question = input("\n问：").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = pipeline.ask(
                question, history=history, mode=args.mode, on_token=lambda piece: print(piece, end="", flush=True)
            )
        except QuestionError as exc:
            print(exc)
            continue
        print(f"\n答：{answer.reply}")
        for citation in answer.citations:
            print(f"   出处：{citation.text}")
        if answer.rewritten != question:
            print(f"   （理解为：{answer.rewritten}）")
        history.append({"question": question, "rewritten": answer.rewritten})
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qa", description="政府文件问答：索引与检索")
    parser.add_argument("--corpus", help="corpus folder (default: data/corpus)")
    parser.add_argument("--index-dir", help="index folder (default: data/index)")
    sub = parser.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="build or update the index; PATHs are added to the corpus")
    index.add_argument("paths", nargs="*", help=".txt/.md/.html/.docx/.pdf files, or folders of them, to add")
    index.add_argument(
        "--kind",
        help="kind of document (subfolder of the corpus); default: a folder's "
        "name for its files, none for single files",
    )
    index.set_defaults(func=cmd_index)
    search = sub.add_parser("search", help="retrieve passages for a question")
    search.add_argument("question")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--json", action="store_true", help="machine-readable output")
    search.set_defaults(func=cmd_search)
    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--mode", choices=["generative", "extractive"])
    ask.add_argument("--json", action="store_true", help="the answer object as JSON")
    ask.set_defaults(func=cmd_ask)
    chat = sub.add_parser("chat", help="an interactive conversation in the terminal")
    chat.add_argument("--mode", choices=["generative", "extractive"])
    chat.set_defaults(func=cmd_chat)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (QuestionError, IngestError, IndexUnavailable) as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
