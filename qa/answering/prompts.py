"""Every prompt the generator sees, kept with its examples.

The reader's prompt is a fixed prefix (system message plus worked examples) followed by
the evidence and the question. The prefix is byte-identical from call to call, so the
generator evaluates it once and reuses its KV cache (see :class:`qa.answering.generator.
LlamaGenerator`). The examples are invented (a fictional county and regulations): they
teach the answer format, not facts, and none comes from a document or QA set of the project.
"""

from __future__ import annotations

from qa.answering.evidence import Evidence

NOT_FOUND = "资料中没有提到"
PART_SEPARATOR = "；"

READER_SYSTEM = (
    "你是政府文件问答助手，只根据给出的资料回答问题。\n"
    "1. 直接抄写资料中回答问题的原文，越短越好：数字连同单位和“以上”“以内”等限定词；名称；"
    "或者回答问题的那句原话中最关键的部分。\n"
    f"2. 问题要几项内容时，把每一项都抄出来，用“{PART_SEPARATOR}”分隔。\n"
    f"3. 资料中没有问题要的内容时，只回答：{NOT_FOUND}。\n"
    "4. 不解释，不重复问题，不写资料里没有的字。"
)

# ((where, sentence), ...), question, answer: invented, to show the format only.
READER_EXAMPLES: tuple[tuple[tuple[tuple[str, str], ...], str, str], ...] = (
    (
        (
            (
                "某县政府工作报告 › 二、2023年重点工作（2023年）",
                "全县粮食总产量稳定在120万吨以上，新建改建农村公路85公里。",
            ),
            ("某县政府工作报告 › 一、2022年工作回顾（2022年）", "新建农村公路60公里，改造危房300户。"),
        ),
        "2023年要修多少公里农村公路？",
        "85公里",
    ),
    (
        (("某县政府工作报告 › 一、工作回顾", "城镇新增就业3200人，城镇登记失业率控制在4%以内。"),),
        "农村劳动力转移就业了多少人？",
        NOT_FOUND,
    ),
    (
        (
            (
                "某市物业管理条例 › 第十二条",
                "使用专项维修资金，应当经专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主同意。",
            ),
        ),
        "小区想动用维修资金，得多少业主同意？",
        "专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主",
    ),
    (
        (("某县政府工作报告 › 一、工作回顾", "城镇和农村常住居民人均可支配收入分别增长5.1%和7.3%。"),),
        "城里人和农村人的收入各涨了多少？",
        f"5.1%{PART_SEPARATOR}7.3%",
    ),
    (
        (
            (
                "某省消费者权益保护条例 › 第二十条",
                "经营者不得以格式条款、通知、声明、店堂告示等方式，排除或者限制消费者的权利。",
            ),
        ),
        "店里贴着“最终解释权归本店所有”，这样算数吗？",
        "经营者不得以格式条款、通知、声明、店堂告示等方式，排除或者限制消费者的权利",
    ),
    (
        (("某县政府工作报告 › 二、重点工作", "重点发展装备制造、绿色食品、生物医药等产业，打造三个百亿级产业集群。"),),
        "重点要发展哪些产业？",
        "装备制造、绿色食品、生物医药",
    ),
    (
        (
            ("某市居住证办法 › 第八条", "申请居住证，应当向居住地的街道办事处或者乡镇人民政府提出。"),
            ("某市居住证办法 › 第十二条", "居住证持有人可以在居住地申请办理出入境证件。"),
        ),
        "办居住证该去哪儿申请？",
        "居住地的街道办事处或者乡镇人民政府",
    ),
    (
        (
            ("某市居住证办法 › 第八条", "申请居住证，应当向居住地的街道办事处或者乡镇人民政府提出。"),
            ("某市居住证办法 › 第十二条", "居住证持有人可以在居住地申请办理出入境证件。"),
        ),
        "我拿居住证能在这边办护照吗？",
        "居住证持有人可以在居住地申请办理出入境证件",
    ),
    (
        (("某市养犬管理办法 › 第三十条", "携犬进入商场等公共场所的，由公安机关处二百元以上五百元以下罚款。"),),
        "带狗进商场被抓到要罚多少钱？",
        "二百元以上五百元以下",
    ),
    (
        (
            (
                "某县政府工作报告 › 一、工作回顾",
                "我们通过减免房租、发放消费券、缓缴社保费等措施，帮助中小企业渡过难关。",
            ),
        ),
        "县里是怎么帮中小企业渡过难关的？",
        "减免房租、发放消费券、缓缴社保费",
    ),
)


def _reader_turn(lines, question: str) -> str:
    """Evidence grouped under where it stands ("【title › section（period）】"), numbered."""
    out, last = ["资料："], None
    for n, (where, text) in enumerate(lines, start=1):
        if where != last:
            out.append(f"【{where}】")
            last = where
        out.append(f"[{n}] {text}")
    return "\n".join(out) + f"\n问题：{question}"


def reader_prefix() -> list[dict]:
    """The fixed part of every reader prompt (system message and worked examples)."""
    messages = [{"role": "system", "content": READER_SYSTEM}]
    for lines, question, answer in READER_EXAMPLES:
        messages += [
            {"role": "user", "content": _reader_turn(lines, question)},
            {"role": "assistant", "content": answer},
        ]
    return messages


CITE = "请把资料中说明这一点的原话抄出来，不要改写。"


def cite_messages(messages: list[dict], answer: str) -> list[dict]:
    """A follow-up turn asking for the evidence's own words behind a yes-or-no ``answer``."""
    return messages + [{"role": "assistant", "content": answer}, {"role": "user", "content": CITE}]


def reader_messages(question: str, evidence: list[Evidence]) -> list[dict]:
    """The reader prompt: the fixed prefix, then the evidence sentences and the question."""
    lines = [(e.where, e.text.replace("\n", "")) for e in evidence]
    return reader_prefix() + [{"role": "user", "content": _reader_turn(lines, question)}]


REWRITE_SYSTEM = (
    "你把对话中的追问改写成一个完整、独立的问题。\n"
    "保留追问的意思和用词，从上一个问题里补上它省略的主语、对象或时间；只输出改写后的问题。\n"
    "改写后只问追问要问的那一件事：不要把上一个问题抄进去，不要写成两个问句。"
)

# (previous question, follow-up, standalone question): invented, to show the task only.
REWRITE_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("某县今年要新建多少公里农村公路？", "那危房改造呢？", "某县今年要改造多少户危房？"),
    ("今年城镇新增就业目标是多少？", "去年呢？", "去年城镇新增就业是多少？"),
    ("物业管理条例规定业主大会怎么成立？", "它由谁来召集？", "业主大会由谁来召集？"),
    ("网购的商品有质量问题可以退货吗？", "运费谁出？", "网购商品因质量问题退货，运费由谁承担？"),
)


def _rewrite_turn(previous: str, question: str) -> str:
    return f"上一个问题：{previous}\n追问：{question}"


def rewrite_messages(previous: str, question: str) -> list[dict]:
    """The follow-up rewriting prompt (fixed system message and examples first)."""
    messages = [{"role": "system", "content": REWRITE_SYSTEM}]
    for before, follow, standalone in REWRITE_EXAMPLES:
        messages += [
            {"role": "user", "content": _rewrite_turn(before, follow)},
            {"role": "assistant", "content": standalone},
        ]
    return messages + [{"role": "user", "content": _rewrite_turn(previous, question)}]


def rewrite_prefix() -> list[dict]:
    """The fixed start of every rewriting prompt."""
    return rewrite_messages("", "")[:-1]
