"""Text generators behind one contract: chat messages in, a stream of :class:`Token` out.

* :class:`LlamaGenerator`: the GGUF in-process through llama-cpp-python (the default).
  Greedy decoding; the GGUF's own chat template; each token's log-probability read from
  the logits llama.cpp already computed (no ``logits_all``); a prompt that starts like the
  previous one reuses its KV cache, so a fixed system prompt is evaluated once.
* :class:`OpenAIGenerator` (:mod:`qa.answering.remote`): any OpenAI-compatible
  ``/v1/chat/completions`` server (vLLM, llama.cpp's server).

Both stop at the end of the turn, at a stop string, after ``max_tokens`` or when the text
starts repeating itself (:func:`ends_in_loop`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class GeneratorUnavailable(RuntimeError):
    """The generator cannot run (package missing, model damaged, server down); says what to do."""


@dataclass(frozen=True)
class Token:
    text: str  # may be "" while a multi-byte character is incomplete
    logprob: float | None  # natural log-probability of the chosen token; None if unknown
    # Copy mode, first token only: the log-probability the model gave, at that step, to starting
    # a fixed phrase (CopySpec.phrases or .withheld, e.g. "not found") instead; None if unknown.
    phrase_logprob: float | None = None


@dataclass(frozen=True)
class CopySpec:
    """What a copy-constrained answer may say (:mod:`qa.answering.copying`): stretches of
    ``sources`` separated by ``separator``, or one of ``phrases`` as the whole answer.
    ``withheld``: phrases that may not be written, but whose first-token probability is still
    reported (``Token.phrase_logprob``), so that the inclination to say them is a signal."""

    sources: tuple[str, ...]
    separator: str
    phrases: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()


class Generator(Protocol):
    name: str

    def warm_up(self) -> None: ...

    def stream(
        self, messages: list[dict], max_tokens: int, stop: Sequence[str] = (), copy: CopySpec | None = None
    ) -> Iterator[Token]:
        """Yield tokens as they are generated; closing the iterator stops generation. With
        ``copy``, a generator that can (the local one) writes only what :class:`CopySpec` allows;
        one that cannot (a server) writes freely and its answer is grounded afterwards."""


def _logsumexp(values) -> float:
    import numpy as np

    top = float(values.max())
    return top + float(np.log(np.exp(values - top).sum()))


def ends_in_loop(text: str) -> bool:
    """True when text ends with 3+ exact repeats of a 1-64 char unit (12+ chars in all)."""
    for unit in range(1, 65):
        times = max(3, -(-12 // unit))
        if len(text) >= unit * times and text[-unit * times :] == text[-unit:] * times:
            return True
    return False


def stop_at(text: str, stop: Sequence[str]) -> int | None:
    """Where the first stop string starts in ``text``, or None."""
    found = [text.find(s) for s in stop if s and s in text]
    return min(found) if found else None


def guarded(pieces: Iterator[tuple], stop: Sequence[str]) -> Iterator[Token]:
    """Tokens of ``pieces`` ((text, log-probability[, phrase log-probability]) as the model made
    them) up to the first ``stop`` string or the start of a loop; closes ``pieces`` (and so frees
    the model) when it ends early."""
    text = ""
    try:
        for piece, logprob, *more in pieces:
            cut = stop_at(text + piece, stop)
            if cut is not None:
                if cut > len(text):
                    yield Token((text + piece)[len(text) : cut], logprob, *more)
                return
            text += piece
            yield Token(piece, logprob, *more)
            if ends_in_loop(text):
                return
    finally:
        close = getattr(pieces, "close", None)
        if close:
            close()


class LlamaGenerator:
    """A local GGUF via llama-cpp-python; calls are serialized (one context, not re-entrant).

    ``repeat_penalty`` stays 1.0: 1.05-1.1 made the model garble figures and names it
    quotes. A prompt longer than ``n_ctx`` raises ``ValueError``.
    """

    def __init__(
        self,
        model_path: Path,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        n_batch: int = 512,
        use_mmap: bool = False,
    ) -> None:
        self.model_path = Path(model_path)
        self.name = self.model_path.stem
        self.n_ctx, self.n_batch, self.use_mmap = n_ctx, n_batch, use_mmap
        self.n_threads = n_threads or len(os.sched_getaffinity(0))
        self._llama = None
        self._template = None
        self._prefixes: list[tuple[tuple[int, ...], bytes]] = []  # saved KV states (see remember_prefix)
        self._table = None  # token bytes, for copy-constrained decoding
        self._lock = threading.Lock()  # held while generating
        self._load_lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model (about 1 s with the GGUF in the page cache); idempotent."""
        with self._load_lock:
            if self._llama is not None:
                return
            try:
                from llama_cpp import Llama
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter
            except ImportError as exc:
                raise GeneratorUnavailable("llama-cpp-python is not installed; run `bash scripts/setup.sh`") from exc
            llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_batch=self.n_batch,
                n_ubatch=self.n_batch,
                use_mmap=self.use_mmap,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                verbose=False,
            )
            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                raise GeneratorUnavailable(f"{self.model_path.name} has no chat template; use an instruct GGUF")
            name = lambda t: llama._model.token_get_text(t) if t != -1 else ""
            self._template = Jinja2ChatFormatter(template, name(llama.token_eos()), name(llama.token_bos()))
            self._llama = llama

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        """The chat-formatted prompt as tokens (what :meth:`stream` evaluates)."""
        self.warm_up()
        prompt = self._template(messages=messages).prompt
        return self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def stream(
        self, messages: list[dict], max_tokens: int = 128, stop: Sequence[str] = (), copy: CopySpec | None = None
    ) -> Iterator[Token]:
        """Greedy tokens with their log-probabilities. With ``copy``, only tokens that keep the
        answer a copy are chosen, and a token's log-probability is taken among those (a copy of
        "三十日" for the model's "三十天" is not a doubt about the answer). The lock is held until the
        iterator is exhausted or closed: close it (or drop it) when stopping early."""
        tokens = self.prompt_tokens(messages)
        if copy is not None:
            return guarded(self._copied_pieces(tokens, max_tokens, copy), stop)
        return self._tokens(tokens, max_tokens, stop)

    def token_table(self):
        """Every token's bytes (:class:`qa.answering.copying.TokenTable`), built once (~0.5 s)."""
        if self._table is None:
            import llama_cpp

            from qa.answering.copying import TokenTable

            self.warm_up()
            llama = self._llama
            n_vocab = llama.n_vocab()
            pieces = [llama.detokenize([i], special=False) for i in range(n_vocab)]
            ends = [i for i in range(n_vocab) if llama_cpp.llama_vocab_is_eog(llama._model.vocab, i)]
            self._table = TokenTable(pieces, ends)
        return self._table

    def _copied_pieces(self, prompt: list[int], max_tokens: int, copy: CopySpec) -> Iterator[tuple]:
        """Like :meth:`_pieces`, choosing each token among those :class:`CopyConstraint` allows;
        the first also carries the log-probability of starting a fixed phrase instead."""
        import numpy as np

        from qa.answering.copying import CopyConstraint

        table = self.token_table()
        constraint = CopyConstraint(table, copy.sources, copy.separator, copy.phrases, copy.withheld)
        ends = set(table.end_ids)
        with self._lock:
            llama = self._llama
            self._restore_prefix(prompt)
            live = 0
            for a, b in zip(llama.input_ids[: llama.n_tokens], prompt[:-1]):
                if a != b:
                    break
                live += 1
            llama.n_tokens = live  # eval() drops the KV cache past this point
            pending_input = prompt[live:]
            n_vocab = llama.n_vocab()
            decoded = b""
            phrase_starts = constraint.phrase_start_tokens()
            for step in range(max_tokens):
                llama.eval(pending_input)
                logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(n_vocab,))
                allowed = constraint.allowed()
                choices = logits[allowed]
                token = int(allowed[int(np.argmax(choices))])
                logprob = float(choices.max()) - _logsumexp(choices)  # the chosen one is the top
                phrase = None
                if step == 0 and phrase_starts.size:  # among the allowed and the phrase's starts
                    starts, every = logits[phrase_starts], logits[np.union1d(allowed, phrase_starts)]
                    phrase = _logsumexp(starts) - _logsumexp(every)
                if token in ends:
                    return
                constraint.advance(token)
                decoded += table.pieces[token]
                piece = decoded.decode("utf-8", errors="ignore")
                if piece.encode("utf-8") == decoded:
                    decoded = b""
                else:
                    piece = ""
                yield piece, logprob, phrase
                pending_input = [token]

    def remember_prefix(self, prefix: list[dict], max_saved: int = 2) -> int:
        """Evaluate the fixed start of a family of prompts (``prefix`` followed by any user turn)
        once and keep its KV state, so that a prompt of that family reuses it even after other
        prompts ran in between. Returns the prefix length in tokens."""
        one = self.prompt_tokens(prefix + [{"role": "user", "content": "甲"}])
        other = self.prompt_tokens(prefix + [{"role": "user", "content": "乙"}])
        length = next((i for i, (a, b) in enumerate(zip(one, other)) if a != b), min(len(one), len(other)))
        import llama_cpp

        with self._lock:
            llama = self._llama
            if any(saved == tuple(one[:length]) for saved, _ in self._prefixes):
                return length
            llama.reset()
            llama.eval(one[:length])
            size = llama_cpp.llama_state_get_size(llama._ctx.ctx)
            buffer = (llama_cpp.ctypes.c_uint8 * size)()
            used = llama_cpp.llama_state_get_data(llama._ctx.ctx, buffer, size)
            self._prefixes = [*self._prefixes, (tuple(one[:length]), bytes(buffer[:used]))][-max_saved:]
        return length

    def _restore_prefix(self, prompt: list[int]) -> None:
        """Load a remembered prefix state when it covers more of ``prompt`` than the live context."""
        import llama_cpp

        llama = self._llama
        live = 0
        for a, b in zip(llama.input_ids[: llama.n_tokens], prompt):
            if a != b:
                break
            live += 1
        for tokens, state in self._prefixes:
            if len(tokens) > live and tuple(prompt[: len(tokens)]) == tokens:
                buffer = (llama_cpp.ctypes.c_uint8 * len(state)).from_buffer_copy(state)
                if llama_cpp.llama_state_set_data(llama._ctx.ctx, buffer, len(state)) != len(state):
                    llama.reset()  # could not restore: evaluate the whole prompt
                    return
                llama.input_ids[: len(tokens)] = tokens
                llama.n_tokens = len(tokens)
                llama._requires_eval = True
                return

    def _tokens(self, prompt: list[int], max_tokens: int, stop: Sequence[str]) -> Iterator[Token]:
        return guarded(self._pieces(prompt, max_tokens), stop)

    def _pieces(self, prompt: list[int], max_tokens: int) -> Iterator[tuple[str, float]]:
        """(text, log-probability) per generated token, under the lock; text is "" while a
        character's bytes are incomplete."""
        import llama_cpp
        import numpy as np

        with self._lock:
            llama = self._llama
            self._restore_prefix(prompt)
            vocab = llama._model.vocab
            n_vocab = llama.n_vocab()
            pending = b""
            steps = llama.generate(prompt, temp=0.0, repeat_penalty=1.0)
            try:
                for count, token in enumerate(steps):
                    if llama_cpp.llama_vocab_is_eog(vocab, token) or count >= max_tokens:
                        return
                    logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(n_vocab,))
                    top = float(logits.max())
                    logprob = float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))
                    pending += llama.detokenize([token], special=False)
                    piece = pending.decode("utf-8", errors="ignore")
                    if piece.encode("utf-8") == pending:  # complete characters only
                        pending = b""
                    else:
                        piece = ""
                    yield piece, logprob
            finally:
                steps.close()


def load_generator(settings) -> Generator:
    """The generator the settings name: an OpenAI-compatible server when ``llm_base_url`` is
    set, else the local GGUF (assembled on first use). Not yet warmed up."""
    generation = settings.generation
    if generation.llm_base_url:
        from qa.answering.remote import OpenAIGenerator

        return OpenAIGenerator(
            generation.llm_base_url,
            generation.llm_model,
            generation.llm_api_key,
            timeout_s=generation.llm_timeout_s,
            retries=generation.llm_retries,
        )
    from qa.answering.model_files import MODELS, assemble_model

    if generation.model not in MODELS:
        raise GeneratorUnavailable(f"unknown generator model {generation.model!r}; known: {sorted(MODELS)}")
    path = assemble_model(MODELS[generation.model], settings.model_dir)
    return LlamaGenerator(
        path,
        n_ctx=generation.n_ctx,
        n_threads=generation.n_threads or None,
        n_batch=generation.n_batch,
        use_mmap=generation.use_mmap,
    )
