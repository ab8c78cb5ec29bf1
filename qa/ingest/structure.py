"""Turn a document's plain text into metadata and structured paragraphs.

Works line by line on the original text and never rewrites it: each paragraph is
a ``[start, end)`` span of the original, so citations can point at the exact words.

* Web boilerplate (查看余下全文, 责任编辑, 精彩图片, repeated titles and source lines) and
  a site's page furniture (breadcrumb, 【打印本页】 commands, footer) are dropped; the first
  title and source line are kept as ``meta`` paragraphs.
* Headings give each paragraph a section path: part headings (一、), item headings
  ((一)), Markdown ``#`` headings, the question of a question-and-answer page
  ("3.在哪里申请？", "问：…？"), a table's first row (for its other rows), and a paragraph's
  own lead phrase (加快发展……种植业。).
  The 问：/答： labels of such pages are left out of the paragraphs they label.
* The items a line introduces ("需提交以下材料：" then "（一）…；" on lines of their own) keep
  that line's section; a closing sign-off (the issuing office and a date) is document
  information, not part of the last section.
* Each paragraph gets the period it talks about (过去五年 → 2017—2021年, 2022年, …),
  resolved against the document's own date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.figures import DATE
from qa.text import INTRODUCES_ITEMS, LIST_ITEM, format_period, relative_period, years_named
from qa.text import SENTENCE_END as SENTENCE_MARKS

HEADING_NUMERALS = "一二三四五六七八九十"  # the numerals that number headings and items (一、 （三）)
PART_HEADING = re.compile(rf"^[{HEADING_NUMERALS}]+、")
ITEM_HEADING = re.compile(rf"^[（(][{HEADING_NUMERALS}]+[)）]")
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
# A government site's page furniture around the document (lines squashed of spaces): the
# breadcrumb ("首页 > 政务公开 > 政府工作报告", "首页>>通知", "您所在的位置：首页 › 通知公告"), a
# row of bracketed page commands ("【打印本页】【关闭窗口】", "[打印] [关闭]", "【大】【中】【小】")
# and the site's footer ("主办：…办公室　地址：…", "版权所有：…", "…ICP备…号"). None of it is the
# document's title or text; a notice's own "主办：市文旅局", "承办单位：县文化馆，地址：…" and
# "【小微企业】" stay.
PAGE_FURNITURE = re.compile(
    r"^(?:您|当前|现在|所在)[当前现在所在的]{0,4}位置[:：].{0,80}$"
    r"|^(?:网站)?(?:首页|主页)(?:[>›»＞/→]+[^>›»＞/→]{1,16})+$"
    r"|^(?:[【\[](?:打印|关闭|收藏|返回|字号|字体|加入收藏)[^】\]]{0,8}[】\]]|[【\[][大中小][】\]])+$"
    r"|^(?:主办|承办)(?:单位)?[:：][^，,；;。]*(?:地址|版权|网站|邮编)|^(?:版权所有|技术支持|网站标识码)[:：©].*"
    r"|.*ICP备\d+号.*"
)
SENTENCE_END = re.compile(f"[{SENTENCE_MARKS}]")
LEAD_MAX_CHARS = 40
# Question-and-answer pages (政策问答, 常见问题): a short line that is one question heads the
# answer after it; "问：" and "答：" only label the two.
QA_LABEL = re.compile(r"^(?:问|答|[QA])\s*[:：]\s*")
QUESTION_HEADING = re.compile(
    rf"^(?:(?:\d{{1,3}}|[{HEADING_NUMERALS}]+)\s*[.．、]\s*)?[^{SENTENCE_MARKS}]{{2,60}}[？?]$"
)
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
    listing: tuple[str, ...] | None = None  # the section of the line that introduced the items being read
    item_mark: str | None = None  # the style of their marks (_mark_style): one list keeps one

    for start, end in spans:
        line = text[start:end]
        key = _squash(line)
        if (
            BOILERPLATE.match(key)
            or PAGE_FURNITURE.match(key)
            or (title_key and key == title_key)
            or (header and ALIGNMENT_ROW.match(line))
        ):
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
        listed = listing is not None and _item_of(line, item_mark)
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
        elif listed:
            pass  # an item of a list a line introduced ("需提交以下材料：" then "（一）…；"): no heading
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
        elif listed:
            section = listing  # the items answer what the line before them asks for, under its section
        else:
            section = tuple(md_path) + tuple(s for s in (part, item, header, own_lead) if s)
        if listed:
            item_mark = _mark_style(line)
        elif kind == "body" and INTRODUCES_ITEMS.search(line):
            listing, item_mark = section, None
        else:
            listing = item_mark = None
        paragraphs.append(Paragraph(len(paragraphs), start, end, line, kind, section, period))

    metadata = Metadata(title=title or fallback_title, date=date, source=source, published=published)
    return metadata, _sign_off_as_meta(paragraphs)


def _mark_style(line: str) -> str:
    """A list item's mark without its number, but with the kind of numeral it counts in:
    "cn（）" for "（二）", "cn、" for "三、", "digit、" for "3、", "•" for a bullet."""
    mark = LIST_ITEM.match(line)
    if not mark:
        return ""
    numeral = (
        "digit"
        if re.search(r"\d", mark.group())
        else "cn"
        if re.search(r"[一二三四五六七八九十]", mark.group())
        else ""
    )
    return numeral + re.sub(r"[\w\s]", "", mark.group())


LIST_ITEM_MAX_CHARS = 100  # an item of a list is a line or two; a longer paragraph is text of its own


def is_list_item(line: str) -> bool:
    """Whether ``line`` reads as an item of a list: marked as one (（一） 1. 一、 •), closed by a
    punctuation mark ("（一）诊断证明；"; a heading such as "（一）持续开展惠民行动" has none), and
    within LIST_ITEM_MAX_CHARS."""
    return bool(LIST_ITEM.match(line)) and line[-1] in SENTENCE_MARKS + "，," and len(line) <= LIST_ITEM_MAX_CHARS


def _item_of(line: str, style: str | None) -> bool:
    """Whether ``line`` is an item of the list being read: a list item, and after the first, in
    its mark style (after "（一）…（三）…" or "1、…2、…", "五、常见问题" is a heading again)."""
    return is_list_item(line) and (style is None or _mark_style(line) == style)


SIGN_OFF_MAX_CHARS = 30  # an issuing office's name ("青禾县人民政府办公室") fits well within this


def _office(paragraph: Paragraph) -> bool:
    """Whether a paragraph can be an issuing office's name: short body text with no punctuation
    and no figures ("青禾县人民政府办公室"; not "联系电话 96000")."""
    text = paragraph.text
    return (
        paragraph.kind == "body"
        and len(text) <= SIGN_OFF_MAX_CHARS
        and not re.search(rf"[{SENTENCE_MARKS}，,：:\d]", text)
    )


def _sign_off_as_meta(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """A notice's sign-off (落款) as document information, not part of its last section: the
    last line a date alone ("2041年1月5日") after one or two issuing offices' names (see
    :func:`_office`), which follow body text, not a heading. Read as body text, they took the
    last section's heading and answered questions about it ("什么时候交?" → the notice's date).
    A date right after a heading or a question ("报名截止时间" / "2041年3月1日") is its answer."""
    if len(paragraphs) < 3 or not DATE.fullmatch(_squash(paragraphs[-1].text)):
        return paragraphs
    first = len(paragraphs) - 1
    while first > 1 and len(paragraphs) - first <= 2 and _office(paragraphs[first - 1]):
        first -= 1
    if first == len(paragraphs) - 1 or paragraphs[first - 1].kind != "body":
        return paragraphs
    signed = [Paragraph(p.number, p.start, p.end, p.text, "meta", ("文档信息",)) for p in paragraphs[first:]]
    return paragraphs[:first] + signed
