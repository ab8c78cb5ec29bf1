"""The generator contract: stop strings and loop cutting (pure), and the real GGUF through
llama.cpp in process (marked ``generator``): log-probabilities, prefix reuse, the chat template."""

from __future__ import annotations

import math

import pytest

from qa.answering.generator import LlamaGenerator, ends_in_loop, load_generator, stop_at
from qa.answering.prompts import reader_prefix
from qa.settings import Settings
from tests.conftest import MODEL_DIR


def test_ends_in_loop():
    assert ends_in_loop("好" * 12) and ends_in_loop("前文" + "增长6%，" * 3)
    assert not ends_in_loop("好" * 11) and not ends_in_loop("6%以上，8%以上，10%以上")
    assert not ends_in_loop("1. 增长6%。\n2. 增长8%。\n3. 增长10%。")


def test_stop_at_finds_the_first_stop_string():
    assert stop_at("答案：85公里\n\n问题：", ("问题：", "\n\n")) == 7
    assert stop_at("85公里", ("\n\n",)) is None and stop_at("abc", ("",)) is None


@pytest.fixture(scope="module")
def llama() -> LlamaGenerator:
    generator = load_generator(Settings(model_dir=MODEL_DIR))
    generator.warm_up()
    return generator


def _ask(passage: str, question: str) -> list[dict]:
    return [
        {"role": "system", "content": "只根据资料用中文简洁回答。"},
        {"role": "user", "content": f"资料：{passage}\n问题：{question}"},
    ]


@pytest.mark.generator
def test_real_generator_streams_tokens_with_logprobs(llama):
    tokens = list(llama.stream(_ask("某县今年计划新建乡村图书馆37座。", "某县今年新建多少座乡村图书馆？"), 16))
    text = "".join(t.text for t in tokens)
    assert "37" in text and len(tokens) <= 16
    assert all(t.logprob is not None and -50 < t.logprob <= 0 for t in tokens)
    assert math.exp(max(t.logprob for t in tokens)) > 0.5  # greedy: the model is sure of some token
    assert not llama._lock.locked()


@pytest.mark.generator
def test_stop_strings_and_closing_early_release_the_model(llama):
    messages = _ask("甲乙丙丁。", "把“一、二、三、四、五”逐行写出来。")
    text = "".join(t.text for t in llama.stream(messages, 32, stop=("三",)))
    assert "三" not in text
    stream = llama.stream(messages, 32)
    next(stream)
    assert llama._lock.locked()
    stream.close()
    assert not llama._lock.locked()


@pytest.mark.generator
def test_remembered_prefix_survives_other_prompts(llama):
    prefix = reader_prefix()
    length = llama.remember_prefix(prefix)
    assert length > 200
    question = prefix + [{"role": "user", "content": "资料：\n[1] 某县新建乡村图书馆37座。\n问题：新建几座图书馆？"}]
    first = "".join(t.text for t in llama.stream(question, 8))
    "".join(t.text for t in llama.stream(_ask("无关的资料。", "随便说一句"), 4))  # overwrites the live context
    again = "".join(t.text for t in llama.stream(question, 8))
    assert first == again and "37" in first
    assert list(llama._llama.input_ids[:length]) == llama.prompt_tokens(question)[:length]


@pytest.mark.generator
def test_copy_mode_writes_only_what_the_evidence_says(llama):
    from qa.answering.generator import CopySpec

    sources = ("东山县今年计划新建乡村图书馆 37 座，改造农村公路 85 公里。", "西河镇新增托育位置 1200 个。")
    copy = CopySpec(sources, "；", ("资料中没有提到",))
    messages = _ask(" ".join(sources), "请用一句话介绍东山县的图书馆建设情况。")
    free = "".join(t.text for t in llama.stream(messages, 32))
    tokens = list(llama.stream(messages, 32, copy=copy))
    copied = "".join(t.text for t in tokens)
    squashed = [s.replace(" ", "") for s in sources]
    assert copied and all(any(part in s for s in squashed) for part in copied.split("；") if part)
    assert copied != free  # the free answer paraphrases; the copy cannot
    assert tokens[0].phrase_logprob is not None and tokens[0].phrase_logprob < 0
    assert all(t.phrase_logprob is None for t in tokens[1:])
    assert all(t.logprob is not None and t.logprob <= 0 for t in tokens)
    unanswerable = _ask(sources[1], "东山县的常住人口是多少？")
    said = "".join(t.text for t in llama.stream(unanswerable, 16, copy=copy))
    assert said == "资料中没有提到" or all(any(part in s for s in squashed) for part in said.split("；") if part)


@pytest.mark.generator
def test_a_withheld_phrase_is_measured_but_never_written(llama):
    from qa.answering.generator import CopySpec

    source = "西河镇新增托育位置 1200 个。"
    unanswerable = _ask(source, "东山县的常住人口是多少？")
    allowed = list(llama.stream(unanswerable, 16, copy=CopySpec((source,), "；", ("资料中没有提到",))))
    withheld = list(llama.stream(unanswerable, 16, copy=CopySpec((source,), "；", withheld=("资料中没有提到",))))
    said = "".join(t.text for t in withheld)
    assert said and "资料" not in said and all(part in source.replace(" ", "") for part in said.split("；") if part)
    assert withheld[0].phrase_logprob is not None
    assert withheld[0].phrase_logprob == pytest.approx(allowed[0].phrase_logprob, abs=1e-3)
