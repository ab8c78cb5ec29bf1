"""Which path answered, how fast and how well: eval/bench_speed.py (fakes, no model)."""

from pathlib import Path

import pytest

from eval.bench import measure_latency
from eval.bench_speed import (
    accuracy_per_second,
    answer_f1,
    answer_path,
    counting_prompts,
    path_shares,
    speed_summary,
    timed_ask,
)
from qa.answering.generator import LlamaGenerator


@pytest.mark.parametrize(
    "note, refused, path",
    [
        ("generator", False, "generator"),
        ("follow-up rewritten (llm); generator", False, "generator"),
        ("extractive reader, confident (0.93): generator skipped", False, "generator skipped"),
        ("generator: refused, grounded share 0.10 < 0.50", True, "refused"),
        ("generator: refused, not found", False, "refused"),  # the note alone says so
        ("the documents cover no year [2031]", True, "refused"),
        ("extractive reader", False, "extractive"),
        ("generator unavailable (ImportError: no llama_cpp; x); extractive reader", False, "extractive"),
        ("generator unavailable (GeneratorUnavailable: down)", False, "extractive"),
        ("", False, "extractive"),
    ],
)
def test_answer_path_from_note(note, refused, path):
    assert answer_path(note, refused) == path


def test_answer_f1():
    assert answer_f1("7.2%", False, ["7.2%", "百分之七点二"]) == 1.0
    # normalized "年均增长72%" vs "72%": precision 3/7, recall 1
    assert answer_f1("年均增长7.2%", False, ["7.2%"]) == pytest.approx(0.6)
    assert answer_f1("7.2%", True, ["7.2%"]) == 0.0  # refused
    assert answer_f1(None, False, ["7.2%"]) == 0.0
    assert answer_f1("anything", False, []) is None  # unanswerable: no F1


def test_path_shares_and_accuracy_per_second():
    records = [
        {"path": "refused", "f1": 0.0},
        {"path": "generator", "f1": 1.0},
        {"path": "generator", "f1": 0.5},
        {"path": "generator skipped", "f1": 1.0},
        {"path": "refused", "f1": None},
        {"path": "generator", "f1": None},
    ]
    shares = path_shares(records)
    assert list(shares) == ["generator", "generator skipped", "refused"]
    assert shares["generator"] == {"n": 3, "share": 0.5, "n_answerable": 2, "f1": 0.75, "n_unanswerable": 1}
    assert shares["refused"] == {"n": 2, "share": 0.3333, "n_answerable": 1, "f1": 0.0, "n_unanswerable": 1}
    assert sum(v["n"] for v in shares.values()) == len(records)
    assert path_shares([{"path": "refused", "f1": None}])["refused"]["f1"] is None
    # mean F1 0.5 over answerable, mean latency 2 s
    assert accuracy_per_second([1.0, 0.0, None], [1000.0, 3000.0, 2000.0]) == 0.25
    assert accuracy_per_second([None], [1000.0]) is None and accuracy_per_second([1.0], []) is None


def test_speed_summary_first_visible_is_the_earliest():
    records = [
        {"ms": 3000.0, "f1": 1.0, "path": "generator", "draft_ms": 50.0, "token_ms": 2000.0, "prompt_tokens": 400,
         "prompts": [400]},
        {"ms": 80.0, "f1": 0.0, "path": "generator skipped", "draft_ms": None, "token_ms": None, "prompt_tokens": None,
         "prompts": []},
        {"ms": 2500.0, "f1": None, "path": "generator", "draft_ms": None, "token_ms": 1500.0, "prompt_tokens": 500,
         "prompts": [500, 120]},
    ]  # fmt: skip
    out = speed_summary(records)
    assert out["first_draft_ms"]["n"] == 1 and out["first_draft_ms"]["p50"] == 50.0
    assert out["first_token_ms"]["n"] == 2 and out["first_token_ms"]["p50"] == 1750.0
    assert out["first_visible_ms"]["n"] == 3 and out["first_visible_ms"]["p50"] == 80.0  # 50, 80, 1500
    assert out["prompt_tokens"]["mean"] == 450.0 and out["extra_prompts"] == 1
    assert out["f1"] == 0.5 and out["paths"]["generator"]["n"] == 2


class FakeLlama(LlamaGenerator):
    def __init__(self):
        super().__init__(Path("fake.gguf"))

    def prompt_tokens(self, messages):
        return list(range(10 * len(messages[-1]["content"])))


class FakeAnswer:
    def __init__(self, note, refused=False, answer="85公里", generated=True):
        self.note, self.refused, self.answer = note, refused, answer
        self.timings = {"search": 1.0, "prefill": 5.0} if generated else {"search": 1.0}


class FakePipeline:
    """Asks like Pipeline.ask: draft first, then the generator's prompt and tokens."""

    generator_error = None

    def __init__(self, generator=None):
        self.generator = generator
        self.asked = []

    def ask(self, question, mode=None, on_token=None, on_draft=None):
        self.asked.append(question)
        if question.startswith("?"):
            from qa.search.normalize import QuestionError

            raise QuestionError("unusable")
        if question.startswith("skip"):
            return FakeAnswer("extractive reader, confident (0.95): generator skipped", generated=False)
        on_draft("draft")
        self.generator.prompt_tokens([{"role": "user", "content": question}])
        on_token("85")
        on_token("公里")
        return FakeAnswer("generator", refused=question.startswith("no"))


def test_timed_ask_records_draft_token_and_prompt_tokens():
    generator = FakeLlama()
    pipeline = FakePipeline(generator)
    with counting_prompts(generator) as counts:
        timings, record = timed_ask(pipeline, "abc", "generative", counts)
        skipped_timings, skipped = timed_ask(pipeline, "skip it", "generative", counts)
    assert "prompt_tokens" not in vars(generator)  # the wrapper is gone afterwards
    assert counts == [30]
    assert timings == {"search": 1.0, "prefill": 5.0} and skipped_timings == {"search": 1.0}
    assert record["prompts"] == [30] and record["prompt_tokens"] == 30
    assert 0 <= record["draft_ms"] <= record["token_ms"] <= record["ms"]
    assert record["note"] == "generator" and record["answer"] == "85公里" and record["refused"] is False
    assert skipped["draft_ms"] is None and skipped["token_ms"] is None and skipped["prompt_tokens"] is None
    with counting_prompts(object()) as none:
        assert none is None  # only a LlamaGenerator's prompts are counted


def test_measure_latency_skips_the_warm_up_and_scores_each_path():
    rows = [
        {"id": "a", "question": "abc", "answers": ["85公里"]},
        {"id": "b", "question": "skip it", "answers": ["9个"]},
        {"id": "c", "question": "no answer here", "answers": []},
        {"id": "d", "question": "?", "answers": ["x"]},
    ]
    pipeline = FakePipeline(FakeLlama())
    out = measure_latency(pipeline, rows, "generative")
    assert pipeline.asked[0] == "abc" and len(pipeline.asked) == 5  # one warm-up, then every row
    assert out["errors"] == 1 and out["end_to_end"]["n"] == 3
    by_id = {r["id"]: r for r in out["per_question"]}
    assert by_id["a"]["path"] == "generator" and by_id["a"]["f1"] == 1.0
    assert by_id["b"]["path"] == "generator skipped" and by_id["b"]["f1"] == 0.0
    assert by_id["c"]["path"] == "refused" and by_id["c"]["f1"] is None
    assert out["speed"]["paths"]["generator"]["n"] == 1 and out["speed"]["f1"] == 0.5
    assert list(out["stages"]) == ["search", "prefill"] and out["stages"]["search"]["n"] == 3
    assert out["stages"]["prefill"]["n"] == 2 and out["generated_end_to_end"]["n"] == 2
    assert by_id["b"]["timings"] == {"search": 1.0}
    assert out["generator"] == "fake" and out["timing_source"] == "answer"
