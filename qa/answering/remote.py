"""A generator on any OpenAI-compatible ``/v1/chat/completions`` server (vLLM, llama.cpp's
server, ``python -m llama_cpp.server``), through the ``openai`` package.

Streaming, greedy, with token log-probabilities when the server returns them; a timeout
and retries for the connection; :class:`qa.answering.generator.GeneratorUnavailable` with
the URL and what to check when the server is down. The API key is never logged or shown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from qa.answering.generator import GeneratorUnavailable, Token, guarded

log = logging.getLogger(__name__)


class OpenAIGenerator:
    """Generator contract (see :mod:`qa.answering.generator`) over HTTP."""

    def __init__(
        self, base_url: str, model: str = "", api_key: str = "", timeout_s: float = 60.0, retries: int = 2
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = model or self.base_url
        self._api_key = api_key or "not-needed"  # local servers accept any key
        self.timeout_s, self.retries = timeout_s, retries
        self._client = None
        self._logprobs = True  # asked for until the server says it cannot give them

    def __repr__(self) -> str:
        return f"OpenAIGenerator({self.base_url!r}, model={self.model!r})"

    def warm_up(self) -> None:
        """Connect and find the model (the server's first when none is named)."""
        if self._client is not None:
            return
        try:
            import openai
        except ImportError as exc:
            raise GeneratorUnavailable("the openai package is not installed; run `bash scripts/setup.sh`") from exc
        client = openai.OpenAI(
            base_url=self.base_url, api_key=self._api_key, timeout=self.timeout_s, max_retries=self.retries
        )
        try:
            models = [m.id for m in client.models.list().data]
        except openai.APIError as exc:
            raise GeneratorUnavailable(
                f"the generator server at {self.base_url} does not answer ({type(exc).__name__}); check that it "
                "runs and that QA_LLM_BASE_URL ends in /v1, or unset QA_LLM_BASE_URL to use the local model"
            ) from exc
        if not self.model:
            if not models:
                raise GeneratorUnavailable(f"the server at {self.base_url} serves no model; set QA_LLM_MODEL")
            self.model = self.name = models[0]
        self._client = client

    def stream(
        self, messages: list[dict], max_tokens: int = 128, stop: Sequence[str] = (), copy=None
    ) -> Iterator[Token]:
        """Streamed tokens; ``copy`` is not enforced (a server takes no custom constraint): the
        answer is grounded afterwards like any free answer."""
        self.warm_up()
        import openai

        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
                logprobs=True,
                stop=list(stop)[:4] or None,
            )
        except openai.APIError as exc:
            raise GeneratorUnavailable(f"the generator server at {self.base_url} failed: {type(exc).__name__}") from exc
        return self._tokens(response, stop)

    def _tokens(self, response, stop: Sequence[str]) -> Iterator[Token]:
        return guarded(self._pieces(response), stop)

    @staticmethod
    def _pieces(response) -> Iterator[tuple[str, float | None]]:
        """(text, log-probability) per streamed token (per chunk when the server sends none)."""
        try:
            for chunk in response:
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                pieces = [(choice.delta.content or "", None)]
                logprobs = getattr(choice, "logprobs", None)
                if logprobs is not None and getattr(logprobs, "content", None):
                    pieces = [(item.token, item.logprob) for item in logprobs.content]
                    if "".join(p for p, _ in pieces) != (choice.delta.content or ""):
                        pieces = [(choice.delta.content or "", logprobs.content[0].logprob)]
                yield from pieces
        finally:
            close = getattr(response, "close", None)
            if close:
                close()
