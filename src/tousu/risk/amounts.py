"""Amounts of money and interest rates read from complaint text (normalised first, see normalise.py).

Arabic figures with 万/千 (5万, 1.2万元, 12,000元), Chinese numerals (五万元, 三千五百块), masked digits read as
"at least" (1***元 → ¥1,000, 2****元 → ¥20,000), and instalment totals (每月还款1918.9 … 54期 → ¥103,620.6).
Rates: a percentage right after a rate word (年化37.82%, 年利率高达百分之35.99, 利息百分之三十六), a monthly or
daily rate made yearly (月利率2% → 24 %). Each keeps where it stands in the text and how it was read, so the
reason can show it.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

_CURRENCY = r"(?:元|块|圆|人民币|rmb|RMB)"
_ARABIC = re.compile(r"(?<![\d.])(\d[\d,]*(?:\.\d+)?)\s*(万|千|w|W)?\s*多?\s*(" + _CURRENCY + r")?")
_MASKED = re.compile(r"(?<![\d*])(\d{1,3})(\*{2,9})(?:\.\d+)?\s*(万)?\s*" + _CURRENCY)
_CHINESE = re.compile(r"([零一二两三四五六七八九十百千万亿]{2,12}|[一二两三四五六七八九十]万)\s*多?\s*(" + _CURRENCY + r"|万)")
# 每月还款1918.9 … 共需要还款54期 / 分24期每期还800: a per-instalment amount and a number of instalments in
# one sentence.
_PER_INSTALMENT = re.compile(r"每(?:月|期|个月)[^，。！？；,.!?;\d]{0,8}?(\d[\d,]*(?:\.\d+)?)\s*" + _CURRENCY + r"?")
_INSTALMENTS = re.compile(r"(?<!\d)(\d{1,3})\s*(?:期|个月)")
_SENTENCE_BREAKS = "。！？；!?;\n"


@dataclass(frozen=True)
class Amount:
    value: Decimal
    start: int
    end: int
    how: str  # "figure", "chinese", "masked" (at least), "instalments" (per instalment × count)


def _decimal(figure: str) -> Decimal | None:
    try:
        return Decimal(figure.replace(",", ""))
    except InvalidOperation:
        return None


def _sentence(text: str, at: int) -> tuple[int, int]:
    start = max((text.rfind(b, 0, at) for b in _SENTENCE_BREAKS), default=-1) + 1
    ends = [i for i in (text.find(b, at) for b in _SENTENCE_BREAKS) if i != -1]
    return start, min(ends) if ends else len(text)


def amounts_in(text: str) -> list[Amount]:
    found: list[Amount] = []
    for match in _ARABIC.finditer(text):
        multiplier, currency = match.group(2), match.group(3)
        if not multiplier and not currency:
            continue  # a bare number: a date, a count, an order number
        value = _decimal(match.group(1))
        if value is None:
            continue
        if multiplier in ("万", "w", "W"):
            value *= 10_000
        elif multiplier == "千":
            value *= 1_000
        found.append(Amount(value, match.start(), match.end(), "figure"))
    for match in _MASKED.finditer(text):
        value = Decimal(match.group(1)) * 10 ** len(match.group(2))
        if match.group(3):
            value *= 10_000
        found.append(Amount(value, match.start(), match.end(), "masked"))
    for match in _CHINESE.finditer(text):
        numeral = match.group(1)
        try:
            value = Decimal(str(cn2an.cn2an(numeral, "smart")))
        except (ValueError, KeyError, IndexError):
            continue
        if match.group(2) == "万" and not numeral.endswith("万"):
            value *= 10_000
        found.append(Amount(value, match.start(), match.end(), "chinese"))
    for match in _PER_INSTALMENT.finditer(text):
        per = _decimal(match.group(1))
        if per is None:
            continue
        start, end = _sentence(text, match.start())
        counts = [int(m.group(1)) for m in _INSTALMENTS.finditer(text, start, end)
                  if not (match.start(1) <= m.start(1) < match.end(1))]
        counts = [n for n in counts if 2 <= n <= 360]
        if counts:
            found.append(Amount(per * max(counts), match.start(), end, "instalments"))
    return found


# A percentage (37.82%, 百分之35.99, 百分之三十六) that a rate word (利率, 年化, 利息, 费率 …) stands shortly before.
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%|百分之\s*(\d{1,3}(?:\.\d+)?)|百分之([零一二两三四五六七八九十百点]{1,8})")
_RATE_WORD = re.compile(r"(月|日)?(?:利率|年化|利息|费率|息费|综合成本|年利|年华)")
_EXCEEDS = ("超过", "超出", "高于", "超")
# "不超过24%", "不得高于": the figure is a limit someone states, not the rate charged.
_LIMIT = re.compile(r"(?:不|没|未|不得|不能|不可)(?:有)?(?:超过|超出|高于|超)")
_RATE_REACH = 12
_PER_YEAR = {"月": 12, "日": 365}


@dataclass(frozen=True)
class Rate:
    percent: Decimal  # a year's rate in percent
    start: int
    end: int
    exceeds: bool  # said as more than the figure ("超过百分之24")


def rates_in(text: str) -> list[Rate]:
    found: list[Rate] = []
    for match in _PERCENT.finditer(text):
        before = text[max(0, match.start() - _RATE_REACH):match.start()]
        # The rate word must be in the same clause as the figure.
        clause = re.split(r"[，。！？；,!?;\n]", before)[-1]
        words = list(_RATE_WORD.finditer(clause))
        if not words:
            continue
        figure = match.group(1) or match.group(2)
        if figure:
            value = _decimal(figure)
        else:
            try:
                value = Decimal(str(cn2an.cn2an(match.group(3), "smart")))
            except (ValueError, KeyError, IndexError):
                continue
        if value is None:
            continue
        value *= _PER_YEAR.get(words[-1].group(1) or "", 1)
        between = clause[words[-1].end():]
        if _LIMIT.search(between):
            continue
        found.append(Rate(value, match.start() - len(clause) + words[0].start(), match.end(),
                          any(word in between for word in _EXCEEDS)))
    return found
