"""One Aho-Corasick automaton per policy finds every phrase of every rule in a single pass."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick

from tousu.risk.policy import LanguagePolicy


@dataclass(frozen=True)
class Target:
    kind: str  # "rule", "near", "unless", "type", "subtype", "defect", "enquiry"
    ref: tuple  # what the phrase belongs to, e.g. (factor, rule_id) or (family, grade, item_id)


class Hit(NamedTuple):
    word: str
    start: int
    target: Target


class PhraseMatcher:
    def __init__(self, entries: list[tuple[str, Target]], language: LanguagePolicy):
        self._automaton = ahocorasick.Automaton()
        grouped: dict[str, list[Target]] = {}
        for word, target in entries:
            grouped.setdefault(word, []).append(target)
        for word, targets in grouped.items():
            self._automaton.add_word(word, (word, tuple(targets), word[0].isdigit() or word[-1].isdigit()))
        self._empty = not grouped
        if grouped:
            self._automaton.make_automaton()
        negations = "|".join(sorted(map(re.escape, language.negations), key=len, reverse=True))
        fillers = "|".join(sorted(map(re.escape, language.negation_fillers), key=len, reverse=True))
        self._negated = re.compile(rf"(?:{negations})(?:{fillers})*$") if negations else None
        self._reported = tuple(language.reported_speech)
        self._breaks = language.clause_breaks

    def matches(self, text: str) -> Iterator[tuple[str, int, tuple[Target, ...]]]:
        """(word, start, every target of the word) once per place a phrase occurs."""
        if self._empty:
            return
        for end, (word, targets, numeric) in self._automaton.iter(text):
            start = end - len(word) + 1
            if numeric and not _whole_number(text, start, end + 1, word):
                continue
            yield word, start, targets

    def hits(self, text: str) -> Iterator[Hit]:
        for word, start, targets in self.matches(text):
            for target in targets:
                yield Hit(word, start, target)

    def _clause_before(self, text: str, start: int, reach: int = 20) -> str:
        window = text[max(0, start - reach):start]
        for index in range(len(window) - 1, -1, -1):
            if window[index] in self._breaks:
                return window[index + 1:]
        return window

    def is_negated(self, text: str, start: int) -> bool:
        return bool(self._negated and self._negated.search(self._clause_before(text, start, 8)))

    def is_reported(self, text: str, start: int) -> bool:
        clause = self._clause_before(text, start)
        return any(marker in clause for marker in self._reported)


_NUMBER_INSIDE = set("0123456789.*×xX")
# A figure followed by a unit or preceded by 第 is a quantity or an ordinal ("110元", "第110次"), not a
# hotline or the police.
_AMOUNT_AFTER = set("元块万千%％号次期个天年月日笔条件位人份")
_ORDINAL_BEFORE = set("第")


def _whole_number(text: str, start: int, end: int, word: str) -> bool:
    """A keyword that begins or ends with a digit ("12315", "110", "24%") counts only as a whole token: not
    inside a phone number, an ID number, an amount (110元) or a masked figure."""
    if word[0].isdigit() and start > 0 and (text[start - 1] in _NUMBER_INSIDE or text[start - 1] in _ORDINAL_BEFORE
                                             or text[start - 1].isascii() and text[start - 1].isalnum()):
        return False
    if word[-1].isdigit() and end < len(text) and (text[end] in _NUMBER_INSIDE or text[end] in _AMOUNT_AFTER
                                                    or text[end].isascii() and text[end].isalnum()):
        return False
    return True
