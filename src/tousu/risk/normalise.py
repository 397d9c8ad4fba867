"""Text as the rules read it: traditional characters as simplified (OpenCC), full-width digits, letters and
spaces as half-width. Length-preserving, so every position a rule reports is a position in the original
text the person sees."""

import re
from functools import lru_cache

import opencc

# Full-width punctuation (，。！) stays: the rules' clause breaks list it, and translating every text for it
# cost a fifth of an assessment. Digits, letters, signs and the ideographic space are made half-width.
_WIDE = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ％＋－．＊　"
_NARROW = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz%+-.* "
_FULL_WIDTH = str.maketrans(_WIDE, _NARROW)
_HAS_WIDE = re.compile(f"[{re.escape(_WIDE)}]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    half = text.translate(_FULL_WIDTH) if _HAS_WIDE.search(text) else text
    simplified = _t2s().convert(half)
    if len(simplified) == len(half):
        return simplified
    # A phrase converted to a different length (rare): convert character by character instead, so the
    # positions stay those of the original.
    convert = _t2s().convert
    return "".join(c if len(s := convert(c)) != 1 else s for c in half)
