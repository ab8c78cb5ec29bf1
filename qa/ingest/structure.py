"""Turn a document's plain text into metadata and structured paragraphs.

Works line by line on the original text and never rewrites it: each paragraph is
a ``[start, end)`` span of the original, so citations can point at the exact words.

* Web boilerplate (查看余下全文, 责任编辑, 精彩图片, repeated titles and source lines)
  is dropped; the first title and source line are kept as ``meta`` paragraphs.
* Headings give each paragraph a section path: part headings (一、), item headings
  ((一)), Markdown ``#`` headings, the question of a question-and-answer page
  ("3.在哪里申请？", "问：…？"), a table's first row (for its other rows), and a paragraph's
  own lead phrase (加快发展……种植业。).
  The 问：/答： labels of such pages are left out of the paragraphs they label.
* Each paragraph gets the period it talks about (过去五年 → 2017—2021年, 2022年, …),
  resolved against the document's own date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text import SENTENCE_END as SENTENCE_MARKS
from qa.text import format_period, relative_period, years_named

CN_DIGITS = "一二三四五六七八九十"
PART_HEADING = re.compile(rf"^[{CN_DIGITS}]+、")
ITEM_HEADING = re.compile(rf"^[（(][{CN_DIGITS}]+[)）]")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
# Statutes, regulations and rules: 第N编/章/节 headings group articles (第N条), and an article
# (with its later paragraphs and its (一)(二) items) is the unit a citation names.
LEGAL_NUMBER = r"第[零〇一二三四五六七八九十百千\d]+"
DIVISION_LEVELS = "编章节"
LEGAL_DIVISION = re.compile(rf"^{LEGAL_NUMBER}(?P<level>[{DIVISION_LEVELS}])(?:[\s\u3000]|$)")
ARTICLE = re.compile(rf"^{LEGAL_NUMBER}条(?:之[一二三四五六七八九十]+)?")
SOURCE_LINE = re.compile(r"来源\s*[:：]\s*(?P<source>[^\s|｜]+)")
DATE_CN = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
DATE_ISO = re.compile(r"(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
BOILERPLATE = re.compile(
    r"^(查看余下全文|[（(]?\s*责任编辑\s*[:：].*|精彩图片|相关阅读|相关新闻|扫一扫.*|分享到.*|"
    r"打印本页|关闭窗口|【?\s*字体\s*[:：].*|上一篇.*|下一篇.*|返回顶部)$"
)
SENTENCE_END = re.compile(f"[{SENTENCE_MARKS}]")
LEAD_MAX_CHARS = 40
# Question-and-answer pages (政策问答, 常见问题): a short line that is one question heads the
# answer after it; "问：" and "答：" only label the two.
QA_LABEL = re.compile(r"^(?:问|答|[QA])\s*[:：]\s*")
QUESTION_HEADING = re.compile(rf"^(?:(?:\d{{1,3}}|[{CN_DIGITS}]+)\s*[.．、]\s*)?[^{SENTENCE_MARKS}]{{2,60}}[？?]$")
# A table row as decode writes one (its cells joined by " | "), or as Markdown does ("| a | b |"):
# the table's first row names the columns, and every later row is read under it ("三级医院 |
# 800元" under "级别 | 起付标准"). A Markdown table's alignment row ("|---|:---:|") says nothing.
TABLE_ROW = re.compile(r"\S \| \S")
ALIGNMENT_ROW = re.compile(r"^(?=.*-)(?=.*\|)[\s|:-]+$")

YEAR_LEAD = re.compile(r"^(?P<y>(?:19|20)\d{2})年")
YEAR_ANY = re.compile(r"(?:19|20)\d{2}年")


@dataclass(frozen=True)
class Paragraph:
    """A span of the original document: ``doc_text[start:end] == text``."""

    number: int
    start: int
    end: int
    text: str
    kind: str  # "meta" (title/source), "heading" or "body"
    section: tuple[str, ...]
    period: str | None = None


@dataclass(frozen=True)
class Metadata:
    title: str
    date: str | None  # ISO date the document itself carries (e.g. the speech date)
    source: str | None
    published: str | None


def _iso(match: re.Match | None) -> str | None:
    if not match:
        return None
    return f"{int(match['y']):04d}-{int(match['m']):02d}-{int(match['d']):02d}"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _lines(text: str):
    """Yield (start, end) of each non-blank line, stripped of surrounding whitespace."""
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        stripped = line.strip()
        if stripped:
            start = match.start() + (len(line) - len(line.lstrip()))
            yield start, start + len(stripped)


def period_in(text: str, year: int | None, heading: bool = False) -> str | None:
    """The period a heading or lead sentence names, or None; explicit years win. A heading may
    name its year anywhere ("一、2029年工作回顾"); a lead sentence only at its start (elsewhere a
    year is often a comparison: "比2020年增长")."""
    lead = YEAR_LEAD.match(text)
    if lead:
        return f"{lead['y']}年"
    named = years_named(text)
    relative = relative_period(text, year) if year is not None else None
    if heading and named and relative is None and max(named) - min(named) + 1 == len(named):
        return format_period(min(named), max(named))
    if relative is None or YEAR_ANY.search(text):
        return None  # none, or a heading naming two periods: decided per paragraph
    return format_period(*relative)


def _first_sentence(text: str) -> str:
    match = SENTENCE_END.search(text)
    return text[: match.start()] if match else text


def analyze(text: str, fallback_title: str) -> tuple[Metadata, list[Paragraph]]:
    """Split ``text`` into metadata and content paragraphs (boilerplate removed)."""
    spans = list(_lines(text))
    title, title_key, source, published, date = None, None, None, None, None
    part: str | None = None
    item: str | None = None
    header: str | None = None  # the first row of the table being read
    divisions: dict[str, str] = {}  # level (编/章/节) -> heading line
    article: str | None = None
    md_path: list[str] = []
    period: str | None = None
    paragraphs: list[Paragraph] = []

    for start, end in spans:
        line = text[start:end]
        key = _squash(line)
        if BOILERPLATE.match(key) or (title_key and key == title_key) or (header and ALIGNMENT_ROW.match(line)):
            continue
        source_match = SOURCE_LINE.search(line)
        if source_match and len(key) <= 80:
            if source is not None:
                continue  # a repeated source line
            source = source_match["source"].strip()
            published = _iso(DATE_ISO.search(line) or DATE_CN.search(line))
            paragraphs.append(Paragraph(len(paragraphs), start, end, line, "meta", ("文档信息",)))
            continue
        if title is None and not paragraphs and len(key) <= 80 and not line.endswith("。"):
            heading = MD_HEADING.match(line)
            title, title_key = (heading[2] if heading else line), key
            date = date or _iso(DATE_CN.search(line))
            paragraphs.append(Paragraph(len(paragraphs), start, end, line, "meta", ("文档信息",)))
            continue
        if date is None and len(paragraphs) < 8:
            date = _iso(DATE_CN.search(line))
        year = int(date[:4]) if date else None

        label = QA_LABEL.match(line)
        if label and label.end() < len(line):
            start, line = start + label.end(), line[label.end() :]
        kind, own_lead = "body", None
        row = bool(TABLE_ROW.search(line))
        header = (header or line) if row else None
        md = MD_HEADING.match(line)
        division = LEGAL_DIVISION.match(line) if len(line) <= 40 else None
        article_match = ARTICLE.match(line)
        if md:
            level = len(md[1])
            md_path = md_path[: level - 1] + [md[2]]
            kind, part, item, article, divisions = "heading", None, None, None, {}
            period = period_in(md[2], year, heading=True) or period
        elif division:
            rank = DIVISION_LEVELS.index(division["level"])
            divisions = {k: v for k, v in divisions.items() if DIVISION_LEVELS.index(k) < rank}
            divisions[division["level"]] = line
            kind, article = "heading", None
        elif row:
            kind = "heading" if header == line else "body"
        elif article_match:
            article = article_match.group()
        elif QUESTION_HEADING.match(line):
            item, kind, article = line, "heading", None
            period = period_in(item, year, heading=True) or period
        elif article and not PART_HEADING.match(line):
            pass  # a later paragraph or a (一) item of the current article
        elif PART_HEADING.match(line) and len(line) <= 40 and not SENTENCE_END.search(line[:-1]):
            part, item, kind, article = line.rstrip("。"), None, "heading", None
            period = period_in(line, year, heading=True)
        elif ITEM_HEADING.match(line):
            item = _first_sentence(line)
            period = period_in(item, year, heading=True) or period
        else:
            lead = _first_sentence(line)
            if len(lead) <= LEAD_MAX_CHARS and len(lead) < len(line) - 1:
                own_lead = lead
            period = period_in(lead, year) or period
        if article or division:
            section = tuple(md_path) + tuple(divisions.values()) + ((article,) if article else ())
        else:
            section = tuple(md_path) + tuple(s for s in (part, item, header, own_lead) if s)
        paragraphs.append(Paragraph(len(paragraphs), start, end, line, kind, section, period))

    metadata = Metadata(title=title or fallback_title, date=date, source=source, published=published)
    return metadata, paragraphs
