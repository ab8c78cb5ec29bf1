"""Copy-constrained decoding: the generator may only write what the evidence says.

A small generator asked to "copy the words of the material" still paraphrases, echoes the
labels around the material, or states a verdict of its own ("不合理"); none of that can be
cited. :class:`CopyConstraint` makes copying the only option. At every step it names the
tokens that keep the answer a sequence of parts, each an exact stretch of one source
sentence (whitespace aside), separated by a separator, or one of a few fixed phrases (the
"not found" answer) at the very start; the decoder picks the likeliest of those. The model
still chooses *what* to copy and when to stop, which is the reading it is good at.

It works on bytes, so it needs no knowledge of the tokenizer beyond each token's bytes
(:class:`TokenTable`): byte-level BPE tokens may hold part of a character, and a part may
only end, or be followed by a separator, on a whole character.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from qa.text import squash


class TokenTable:
    """Each token's bytes and, the other way, the tokens with given bytes.

    ``pieces[i]`` is token ``i``'s bytes (b"" for control tokens); ``end_ids`` are the tokens
    that end a turn.
    """

    def __init__(self, pieces: Sequence[bytes], end_ids: Iterable[int]) -> None:
        self.by_bytes: dict[bytes, list[int]] = defaultdict(list)
        for token, piece in enumerate(pieces):
            if piece:
                self.by_bytes[piece].append(token)
        self.pieces = list(pieces)
        self.end_ids = sorted(set(end_ids))
        self.longest = max((len(p) for p in self.pieces), default=1)

    def matches(self, text: bytes, start: int) -> Iterable[tuple[int, int]]:
        """(token, length) for every token whose bytes stand in ``text`` at ``start``."""
        for length in range(1, min(self.longest, len(text) - start) + 1):
            for token in self.by_bytes.get(text[start : start + length], ()):
                yield token, length


def _char_starts(data: bytes) -> list[int]:
    """Offsets of the first byte of each UTF-8 character."""
    return [i for i, byte in enumerate(data) if byte & 0xC0 != 0x80]


def _whole(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class CopyConstraint:
    """Which tokens may come next when the answer must be copied (see the module docstring).

    ``sources``: the sentences parts are copied from (whitespace is removed from them and never
    allowed in the answer); ``separator``: what separates parts; ``phrases``: whole answers
    allowed instead, only as the first and only part (e.g. the "not found" phrase); ``withheld``:
    phrases never allowed, whose start tokens :meth:`phrase_start_tokens` still names.
    Use: ``allowed()`` → choose one of them → ``advance(token)``, until an end token.
    """

    def __init__(
        self,
        table: TokenTable,
        sources: Sequence[str],
        separator: str,
        phrases: Sequence[str] = (),
        withheld: Sequence[str] = (),
    ) -> None:
        self.table = table
        self.texts = [squash(s).encode("utf-8") for s in sources if squash(s)]
        self.phrases = [p.encode("utf-8") for p in phrases if p]
        self.withheld = [p.encode("utf-8") for p in withheld if p]
        self.separator_ids = list(table.by_bytes.get(separator.encode("utf-8"), ()))
        self.part = b""  # the bytes of the part being written
        self.live: list[tuple[int, int]] = []  # (text, end) where the part stands; texts then phrases
        self.parts = 0  # parts finished
        self._next: dict[int, list[tuple[int, int]]] | None = None
        self._starts = self._start_map()

    def _all(self) -> list[bytes]:
        return self.texts + self.phrases

    def _start_map(self) -> dict[int, list[tuple[int, int]]]:
        """token → (text, end) for every token a part may start with."""
        found: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for index, text in enumerate(self.texts):
            for start in _char_starts(text):
                for token, length in self.table.matches(text, start):
                    found[token].append((index, start + length))
        return found

    def _phrase_starts(self) -> dict[int, list[tuple[int, int]]]:
        found: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for offset, phrase in enumerate(self.phrases):
            for token, length in self.table.matches(phrase, 0):
                found[token].append((len(self.texts) + offset, length))
        return found

    def _continuations(self) -> dict[int, list[tuple[int, int]]]:
        if not self.part:
            starts = dict(self._starts)
            if self.parts == 0:
                for token, places in self._phrase_starts().items():
                    starts[token] = starts.get(token, []) + places
            return starts
        every = self._all()
        found: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for index, end in self.live:
            for token, length in self.table.matches(every[index], end):
                found[token].append((index, end + length))
        return found

    def phrase_start_tokens(self) -> np.ndarray:
        """The tokens that start one of the fixed phrases, allowed or withheld, at the beginning
        of the answer."""
        tokens = set(self._phrase_starts())
        for phrase in self.withheld:
            tokens.update(token for token, _ in self.table.matches(phrase, 0))
        return np.fromiter(sorted(tokens), dtype=np.int64)

    def allowed(self) -> np.ndarray:
        """The token ids that may come next (never empty: an end token at the least)."""
        self._next = self._continuations()
        tokens = set(self._next)
        if self.part and _whole(self.part):
            copied = any(index < len(self.texts) for index, _ in self.live)
            phrase = any(end == len(self._all()[index]) for index, end in self.live if index >= len(self.texts))
            if copied or phrase:  # a fixed phrase ends only when whole, and is the whole answer
                tokens.update(self.table.end_ids)
            if copied:
                tokens.update(self.separator_ids)
        if not tokens:
            tokens.update(self.table.end_ids)
        return np.fromiter(sorted(tokens), dtype=np.int64)

    def advance(self, token: int) -> None:
        """Take ``token`` (one of :meth:`allowed`) as the next one."""
        following = self._next if self._next is not None else self._continuations()
        self._next = None
        if token in self.separator_ids:  # a new part (copying on is a new part that starts there)
            self.part, self.live, self.parts = b"", [], self.parts + 1
            return
        self.live = following.get(token, [])
        self.part += self.table.pieces[token]
