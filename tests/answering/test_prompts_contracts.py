"""What every prompt builder (qa/answering/prompts.py) promises, whatever its wording: well-formed
chat messages, a fixed prefix shared by every call, and the caller's own text in the last turn.
Invented evidence about a fictional county (青禾县)."""

from qa.answering import prompts
from qa.answering.evidence import Evidence

ROLES = {"system", "user", "assistant"}


def _evidence(text, section, period=None, start=0):
    return Evidence(0, "qinghe", start, start + len(text), text, "青禾县政府工作报告", section, period, 1.0, 0.5)


EVIDENCE = [
    _evidence("2041年全县新建乡村书屋18座。", ("二、2041年工作",), "2041年"),
    _evidence("改造文化广场3个。", ("二、2041年工作",), "2041年", start=20),
    _evidence("书屋由县文旅局统一管理。", ("三、管理",), None, start=40),
]


def _well_formed(messages):
    assert isinstance(messages, list) and messages
    for message in messages:
        assert set(message) == {"role", "content"}, message
        assert message["role"] in ROLES and isinstance(message["content"], str), message
    assert messages[0]["role"] == "system" and messages[0]["content"]
    turns = [m["role"] for m in messages[1:]]
    assert all(role != "system" for role in turns)
    assert all(a != b for a, b in zip(turns, turns[1:])), turns  # user and assistant take turns


def test_the_reader_prompt_is_the_fixed_prefix_then_the_evidence_and_the_question():
    question = "青禾县今年新建多少座乡村书屋？"
    messages = prompts.reader_messages(question, EVIDENCE)
    _well_formed(messages)
    prefix = prompts.reader_prefix()
    _well_formed(prefix)
    assert messages[: len(prefix)] == prefix and len(messages) == len(prefix) + 1
    assert prefix[-1]["role"] == "assistant"  # worked examples end with an answer
    last = messages[-1]
    assert last["role"] == "user" and question in last["content"]
    positions = [last["content"].find(e.text) for e in EVIDENCE]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)  # in the order given
    assert last["content"].rfind(question) > positions[-1]  # the question after the evidence
    assert "青禾县政府工作报告" in last["content"]  # where each sentence comes from


def test_the_prefix_is_identical_from_call_to_call_whatever_is_asked():
    first = prompts.reader_messages("书屋由谁管理？", EVIDENCE[2:])
    second = prompts.reader_messages("改造了几个广场？", EVIDENCE[:2])
    prefix = prompts.reader_prefix()
    assert first[: len(prefix)] == second[: len(prefix)] == prefix
    assert first[-1] != second[-1]


def test_asking_for_the_evidence_words_adds_the_answer_and_one_user_turn():
    messages = prompts.reader_messages("书屋由县文旅局管理吗？", EVIDENCE)
    before = [dict(m) for m in messages]
    cited = prompts.cite_messages(messages, "是")
    _well_formed(cited)
    assert messages == before  # the caller's list is left as it was
    assert cited[: len(messages)] == messages and len(cited) == len(messages) + 2
    assert cited[-2] == {"role": "assistant", "content": "是"}
    assert cited[-1]["role"] == "user" and cited[-1]["content"] == prompts.CITE


def test_the_rewrite_prompt_ends_with_both_questions_after_its_fixed_prefix():
    previous, follow_up = "青禾县今年新建多少座乡村书屋？", "那文化广场呢？"
    messages = prompts.rewrite_messages(previous, follow_up)
    _well_formed(messages)
    prefix = prompts.rewrite_prefix()
    assert messages[: len(prefix)] == prefix and len(messages) == len(prefix) + 1
    last = messages[-1]
    assert last["role"] == "user" and previous in last["content"] and follow_up in last["content"]
    assert last["content"].find(previous) < last["content"].find(follow_up)
    assert prompts.rewrite_messages("甲县有几座桥？", "乙县呢？")[: len(prefix)] == prefix


def test_the_not_found_answer_is_what_the_reader_is_told_to_say():
    assert prompts.NOT_FOUND in prompts.reader_prefix()[0]["content"]
    assert any(m == {"role": "assistant", "content": prompts.NOT_FOUND} for m in prompts.reader_prefix())


def test_evidence_is_numbered_from_one_under_one_heading_per_place():
    content = prompts.reader_messages("书屋几座？", EVIDENCE)[-1]["content"]
    lines = content.split("\n")
    for n, e in enumerate(EVIDENCE, start=1):
        assert f"[{n}] {e.text}" in lines, lines
    assert content.count(EVIDENCE[0].where) == 1 and EVIDENCE[0].where == EVIDENCE[1].where  # shared heading
    assert content.count(EVIDENCE[2].where) == 1
    assert lines.index(f"[3] {EVIDENCE[2].text}") > lines.index(f"[2] {EVIDENCE[1].text}")


def test_no_prompt_shows_a_missing_value():
    every = [
        *prompts.reader_messages("书屋几座？", EVIDENCE),
        *prompts.rewrite_messages("青禾县今年新建多少座乡村书屋？", "那广场呢？"),
        *prompts.cite_messages(prompts.reader_prefix(), "是"),
    ]
    assert all("None" not in m["content"] for m in every)


def test_evidence_of_several_lines_is_shown_on_one():
    text = "（一）营业执照；\n（二）租赁合同。"
    items = Evidence(0, "qinghe", 0, len(text), text, "青禾县摊位补贴办法", ("第九条",), None, 1.0, 0.5)
    content = prompts.reader_messages("要交哪些材料？", [items])[-1]["content"]
    assert "（一）营业执照；（二）租赁合同。" in content
