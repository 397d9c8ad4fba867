"""Text as the rules read it: traditional characters as simplified (OpenCC), full-width digits, letters and
spaces as half-width. Length-preserving, so every position a rule reports is a position in the original
text the person sees."""

from functools import lru_cache

import opencc

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    half = text.translate(_FULL_WIDTH)
    simplified = _t2s().convert(half)
    if len(simplified) == len(half):
        return simplified
    # A phrase converted to a different length (rare): convert character by character instead, so the
    # positions stay those of the original.
    convert = _t2s().convert
    return "".join(c if len(s := convert(c)) != 1 else s for c in half)
