"""Start the chat UI: ``python -m ui [--host 127.0.0.1] [--port 7860] [--corpus DIR] [--no-generator]``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from qa.ingest.decode import MAX_FILE_BYTES
from qa.settings import Settings, set_offline_environment
from ui.access import start_refusal


def create(settings: Settings, use_generator: bool = True):
    """Build the service and the Gradio app (the service warms up in the background)."""
    set_offline_environment()
    # Requests run concurrently on few cores: one math thread each avoids oversubscription
    # (measured 20-40x slower query embedding with the default thread count under load).
    import faiss
    import torch

    from qa.pipeline import Pipeline
    from ui.app import build_app
    from ui.service import ChatService

    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    service = ChatService(Pipeline(settings), settings.data_dir / settings.ui.feedback_file, use_generator)
    service.start()
    demo = build_app(service, settings)
    demo.queue(default_concurrency_limit=settings.ui.concurrency_limit, max_size=settings.ui.max_queue_size)
    return service, demo


def main(argv: list[str] | None = None) -> int:
    defaults = Settings().ui
    parser = argparse.ArgumentParser(prog="python -m ui", description="政府文件问答：网页聊天界面")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--corpus", help="corpus folder (default: data/corpus)")
    parser.add_argument("--index-dir", help="index folder (default: data/index)")
    parser.add_argument("--no-generator", action="store_true", help="answer in fast extractive mode only")
    parser.add_argument("--no-documents", action="store_true", help="no 文档 tab: nobody can upload or remove")
    args = parser.parse_args(argv)
    base = Settings.from_env(corpus_dir=args.corpus, index_dir=args.index_dir)
    settings = base.replace(
        ui=replace(
            base.ui, host=args.host, port=args.port, documents_tab=base.ui.documents_tab and not args.no_documents
        )
    )
    if args.no_generator:
        settings = settings.replace(answering=replace(settings.answering, mode="extractive"))
    refusal = start_refusal(settings.ui.host, settings.ui.admin_token, settings.ui.documents_tab)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    _, demo = create(settings, use_generator=not args.no_generator)
    print(f"政府文件问答已启动：请在浏览器打开 http://{args.host}:{args.port}/", flush=True)
    from ui.app import CSS

    demo.launch(
        server_name=args.host,
        server_port=args.port,
        show_error=False,
        quiet=True,
        max_file_size=f"{MAX_FILE_BYTES // (1024 * 1024)}mb",
        css=CSS,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
