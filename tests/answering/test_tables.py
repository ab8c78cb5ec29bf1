"""Table rows among the evidence (qa/answering/tables.py), on an invented fee table."""

from qa.answering.evidence import Evidence
from qa.answering.extractive import ExtractiveReader
from qa.answering.question import asks
from qa.answering.tables import asked_column, read_row, row_cells
from qa.fitted import ExtractiveSettings

HEADER = "医院级别 | 起付标准 | 报销比例"


def _row(text, section=(HEADER,)):
    return Evidence(0, "d", 100, 100 + len(text), text, "某县医保待遇", section, None, 1.0, 0.8)


def test_row_cells_name_each_cell_by_its_column():
    row = _row("二级医院 |  500元 | 75%")
    cells = row_cells(row)
    assert [(name, row.text[start:end]) for name, start, end in cells] == [
        ("医院级别", "二级医院"),
        ("起付标准", "500元"),
        ("报销比例", "75%"),
    ]
    assert row_cells(_row("二级医院 | 500元")) is None  # fewer cells than the header names
    assert row_cells(_row("二级医院起付500元。", ("三、待遇",))) is None  # not a row


def test_a_markdown_row_reads_as_a_decoded_one():
    row = _row("| 二级医院 | 500元 | 75% |", ("| 医院级别 | 起付标准 | 报销比例 |",))
    assert read_row(row) == "医院级别：二级医院，起付标准：500元，报销比例：75%"


def test_the_cell_under_the_column_the_question_names():
    row = _row("二级医院 | 500元 | 75%")
    assert row.text[slice(*asked_column(row, "二级医院报销比例是多少？"))] == "75%"
    assert row.text[slice(*asked_column(row, "二级医院起付线多少钱？"))] == "500元"  # 起付 is enough
    assert asked_column(row, "二级医院怎么样？") is None  # no column named
    # the row's label need not be said as the table says it: 一级医院 for 一级定点医疗机构
    labelled = Evidence(
        0, "d", 0, 20, "一级定点医疗机构 | 200元 | 85%", "某县", ("医疗机构级别 | 起付标准 | 报销比例",), None, 1.0, 0.8
    )
    assert labelled.text[slice(*asked_column(labelled, "一级医院住院能报销多少？"))] == "85%"
    reader = ExtractiveReader(ExtractiveSettings())
    question = "二级医院报销比例是多少？"
    assert reader.run(question, asks(question), [row]).text == "75%"
