"""The OpenAI-compatible generator against a real local server (``python -m llama_cpp.server`` on
the same GGUF), and the clear failure when no server answers."""

from __future__ import annotations

import pytest

from qa.answering.generative import GenerativeReader
from qa.answering.generator import GeneratorUnavailable
from qa.answering.remote import OpenAIGenerator
from qa.pipeline import Pipeline
from qa.settings import GenerationSettings, Settings
from tests.conftest import MODEL_DIR


def test_server_down_is_a_clear_error_and_the_pipeline_falls_back(tmp_path):
    down = OpenAIGenerator("http://127.0.0.1:1/v1", timeout_s=2, retries=0)
    with pytest.raises(GeneratorUnavailable, match=r"127\.0\.0\.1:1/v1.*QA_LLM_BASE_URL"):
        down.warm_up()
    settings = Settings(
        data_dir=tmp_path,
        model_dir=MODEL_DIR,
        generation=GenerationSettings(llm_base_url="http://127.0.0.1:1/v1", llm_timeout_s=2, llm_retries=0),
    )
    pipeline = Pipeline(settings)
    assert pipeline.generative_reader is None and "127.0.0.1:1" in pipeline.generator_error


def test_api_key_is_never_shown():
    generator = OpenAIGenerator("http://127.0.0.1:1/v1", api_key="sk-secret-value")
    assert "sk-secret" not in repr(generator) and "sk-secret" not in repr(GenerationSettings(llm_api_key="sk-secret"))


@pytest.mark.generator
def test_generator_server_streams_an_answer(generator_server):
    generator = OpenAIGenerator(generator_server)
    generator.warm_up()
    messages = [
        {"role": "system", "content": "只根据资料用中文简洁回答。"},
        {"role": "user", "content": "资料：某县今年计划新建乡村图书馆37座。\n问题：新建多少座乡村图书馆？"},
    ]
    tokens = list(generator.stream(messages, 16))
    assert "37" in "".join(t.text for t in tokens) and 0 < len(tokens) <= 16


@pytest.mark.generator
def test_question_answered_end_to_end_through_the_server(generator_server):
    from qa.answering.answerer import Answerer
    from qa.ingest.chunking import Chunk
    from qa.search.hits import Hit

    text = "2030年全县新建乡村图书馆37座,改造农村公路85公里。"
    hits = [Hit(Chunk("d#0", "doc", 0, 0, len(text), text, ("二、重点工作",), "2030年", "body", "某县报告"), 1.0)]
    reader = GenerativeReader(OpenAIGenerator(generator_server))
    reader.warm_up()
    result = Answerer(Settings()).run(
        "今年改造多少公里农村公路？", "2030年改造多少公里农村公路？", hits, generative=reader
    )
    assert not result.refused and result.answer == "85公里" and "generator" in result.note
