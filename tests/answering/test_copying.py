"""Copy-constrained decoding on a tiny byte-level vocabulary (no model needed)."""

import random

from qa.answering.copying import CopyConstraint, TokenTable

END = 0
SOURCES = ("东山县新建 乡村图书馆37座。", "西河镇改造危房120户；修路8公里。")
NOT_FOUND = "资料中没有提到"


def _table() -> TokenTable:
    """Like a byte-level BPE vocabulary: every single byte, characters (座 only as its three
    bytes) and a few words."""
    text = "".join(SOURCES) + NOT_FOUND + "；北"
    words = ["东山县", "图书馆", "危房", "资料", "没有", "37", "120", "公里", "修路"]
    chars = {ch.encode() for ch in text if ch != "座" and not ch.isspace()}
    pieces = [b""] + sorted({bytes([b]) for b in range(256)} | chars | {w.encode() for w in words})
    return TokenTable(pieces, [END])


def _walk(constraint: CopyConstraint, table: TokenTable, rng: random.Random, steps: int = 30) -> str:
    out = b""
    for _ in range(steps):
        token = int(rng.choice(list(constraint.allowed())))
        if token == END:
            break
        constraint.advance(token)
        out += table.pieces[token]
    return out.decode("utf-8", errors="ignore")  # a walk cut by ``steps`` may end inside a character


def test_every_answer_it_allows_is_parts_copied_from_the_sources():
    table = _table()
    squashed = [s.replace(" ", "") for s in SOURCES]
    rng = random.Random(7)
    for _ in range(300):
        answer = _walk(CopyConstraint(table, SOURCES, "；", (NOT_FOUND,)), table, rng)
        if answer.startswith("资料中"):
            assert answer == NOT_FOUND
            continue
        for part in filter(None, answer.split("；")):
            assert any(part in s for s in squashed), (answer, part)


def test_whitespace_in_the_source_is_skipped_and_never_written():
    table = _table()
    constraint = CopyConstraint(table, SOURCES, "；")
    for word in ("新建", "乡村"):
        for ch in word:
            token = table.by_bytes[ch.encode()][0]
            assert token in constraint.allowed()
            constraint.advance(token)
    assert not any(table.pieces[t].isspace() for t in constraint.allowed() if t != END)


def test_a_part_continues_only_where_the_source_does():
    table = _table()
    constraint = CopyConstraint(table, SOURCES, "；")
    constraint.advance(table.by_bytes["危房".encode()][0])
    following = {table.pieces[t] for t in constraint.allowed()}
    assert b"1" in following and "北".encode() not in following
    assert b"" in following  # the end token: the part may stop here


def test_the_separator_starts_a_new_part_anywhere():
    table = _table()
    constraint = CopyConstraint(table, SOURCES, "；")
    constraint.advance(table.by_bytes[b"37"][0])
    separator = table.by_bytes["；".encode()][0]
    assert separator in constraint.allowed()
    constraint.advance(separator)
    assert table.by_bytes["东山县".encode()][0] in constraint.allowed()


def test_the_fixed_phrase_is_allowed_only_as_the_whole_answer():
    table = _table()
    constraint = CopyConstraint(table, SOURCES, "；", (NOT_FOUND,))
    material = table.by_bytes["资料".encode()][0]
    assert material in constraint.allowed()  # nowhere in the sources, but the phrase starts so
    constraint.advance(material)
    allowed = [table.pieces[t] for t in constraint.allowed()]
    assert allowed and all("中".encode().startswith(p) and p for p in allowed)  # on to 中: not "资料" alone
    later = CopyConstraint(table, SOURCES, "；", (NOT_FOUND,))
    later.advance(table.by_bytes[b"37"][0])
    later.advance(table.by_bytes["；".encode()][0])
    assert material not in later.allowed()  # not after a copied part


def test_no_end_or_separator_inside_a_character():
    table = _table()
    constraint = CopyConstraint(table, SOURCES, "；")
    constraint.advance(table.by_bytes[b"37"][0])
    first, second, third = ("座".encode()[i : i + 1] for i in range(3))
    constraint.advance(table.by_bytes[first][0])
    allowed = {table.pieces[t] for t in constraint.allowed()}
    assert allowed == {second, second + third} & set(table.pieces)  # no end, no separator: 座 is not whole
    constraint.advance(table.by_bytes[second][0])
    constraint.advance(table.by_bytes[third][0])
    assert END in constraint.allowed()


def test_nothing_to_copy_leaves_only_the_end():
    table = _table()
    assert list(CopyConstraint(table, ("   ",), "；").allowed()) == [END]


def test_a_withheld_phrase_is_never_allowed_but_its_start_is_measured():
    table = _table()
    constraint = CopyConstraint(table, SOURCES, "；", withheld=(NOT_FOUND,))
    material = table.by_bytes["资料".encode()][0]
    assert material not in constraint.allowed()  # only the phrase starts so: it may not be written
    assert material in constraint.phrase_start_tokens()
    assert material not in CopyConstraint(table, SOURCES, "；").phrase_start_tokens()
