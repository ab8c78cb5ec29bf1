"""The promises of qa/figures.py at their edges: units, qualifiers and bare letters. Invented
sentences about a fictional county (青禾县)."""

from qa.figures import number_spans, numbers_in


def test_number_spans_take_units_qualifiers_and_leave_bare_letters():
    text = "建成书屋18座，面积3.5万平方米左右，投资2亿元多，覆盖率达百分之九十，用时三个月，5G基站"
    found = [text[s:e] for s, e in number_spans(text)]
    assert found == ["18座", "3.5万平方米左右", "2亿元多", "百分之九十", "三个月"]
    assert numbers_in("书屋18座，覆盖率3.5%，百分之九十，三个月") == ["18", "3.5", "百分之九十", "三"]
