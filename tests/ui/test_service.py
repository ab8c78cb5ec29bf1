"""Admission per answer mode (ui/service.py ChatService.admitted): generative questions waiting
for the one generator never hold up extractive ones; past the waiting places they are answered
extractively, with a note."""

from __future__ import annotations

import threading

import pytest

from qa.answering.types import Answer
from qa.settings import Settings, UISettings
from ui.handlers import BUSY, Handlers
from ui.service import ChatService


class GatedPipeline:
    """Answers extractive questions at once; generative ones wait until ``release`` is set."""

    def __init__(self, generation=None, **ui):
        self.settings = Settings(ui=UISettings(**ui))
        if generation:
            self.settings = self.settings.replace(generation=generation)
        self.generator = object()
        self.release = threading.Event()
        self.generating = threading.Semaphore(0)
        self._index = type("Index", (), {"documents": {}})()  # ready, no documents listed

    @property
    def index(self):
        return self._index

    def ask(self, question, history=None, mode="generative", k=5, filters=None, **callbacks):
        if mode == "generative":
            self.generating.release()
            assert self.release.wait(10), "the test never let the generator finish"
        return Answer(question, question, "答。", "答", False, mode, note=f"{mode} path")


def _service(tmp_path, generation=None, **ui) -> tuple[ChatService, GatedPipeline]:
    pipeline = GatedPipeline(generation, **ui)
    return ChatService(pipeline, tmp_path / "feedback.jsonl"), pipeline


def _ask_in_background(service, mode, results):
    thread = threading.Thread(target=lambda: results.append(service.ask("问题", mode=mode)), daemon=True)
    thread.start()
    return thread


def test_extractive_questions_pass_generative_ones_that_wait(tmp_path):
    service, pipeline = _service(tmp_path, extractive_slots=1, generative_waiting=2)
    waiting: list[Answer] = []
    threads = [_ask_in_background(service, "generative", waiting) for _ in range(2)]
    for _ in threads:
        assert pipeline.generating.acquire(timeout=10)
    quick: list[Answer] = []
    for _ in range(3):  # would block if they shared places
        _ask_in_background(service, "extractive", quick).join(10)
    assert [a.mode for a in quick] == ["extractive"] * 3 and not waiting
    pipeline.release.set()
    for thread in threads:
        thread.join(10)
    assert [a.mode for a in waiting] == ["generative", "generative"]


def test_a_generative_question_past_the_waiting_places_is_answered_extractively(tmp_path):
    service, pipeline = _service(tmp_path, extractive_slots=2, generative_waiting=1)
    first: list[Answer] = []
    thread = _ask_in_background(service, "generative", first)
    assert pipeline.generating.acquire(timeout=10)
    busy = service.ask("问题", mode="generative")
    assert busy.mode == "extractive" and busy.note == "generator busy: answered extractively; extractive path"
    pipeline.release.set()
    thread.join(10)
    assert first[0].mode == "generative" and first[0].note == "generative path"
    assert service.ask("问题", mode="generative").mode == "generative"  # its place was given back


def test_places_are_given_back_when_answering_fails(tmp_path):
    service, pipeline = _service(tmp_path, extractive_slots=1, generative_waiting=1)
    pipeline.release.set()

    def broken(*args, **kwargs):
        raise RuntimeError("index gone")

    pipeline.ask, working = broken, pipeline.ask
    for mode in ("extractive", "generative"):
        with pytest.raises(RuntimeError):
            service.ask("问题", mode=mode)
    pipeline.ask = working
    assert service.ask("问题", mode="extractive").mode == "extractive"
    assert service.ask("问题", mode="generative").mode == "generative"


def test_the_page_says_when_the_generator_was_busy(tmp_path):
    service, pipeline = _service(tmp_path, extractive_slots=1, generative_waiting=1)
    handlers = Handlers(service, pipeline.settings)
    first: list[Answer] = []
    thread = _ask_in_background(service, "generative", first)
    assert pipeline.generating.acquire(timeout=10)
    *_, (messages, _, turns) = handlers.respond("县里今年修几条路？", [], [], "generative", 3, "")
    assert BUSY in messages[-1]["content"] and turns[-1]["answer"]["mode"] == "extractive"
    pipeline.release.set()
    thread.join(10)
    *_, (messages, _, _) = handlers.respond("县里今年修几条路？", [], [], "generative", 3, "")
    assert BUSY not in messages[-1]["content"] and "答" in messages[-1]["content"]


def test_a_generator_server_is_not_limited_to_the_local_generators_line(tmp_path):
    from qa.settings import GenerationSettings

    server = GenerationSettings(llm_base_url="http://127.0.0.1:8000/v1")
    service, pipeline = _service(tmp_path, generation=server, extractive_slots=1, generative_waiting=1)
    answers: list[Answer] = []
    threads = [_ask_in_background(service, "generative", answers) for _ in range(3)]
    for _ in threads:
        assert pipeline.generating.acquire(timeout=10)  # all three reached the generator
    pipeline.release.set()
    for thread in threads:
        thread.join(10)
    assert [a.mode for a in answers] == ["generative"] * 3
