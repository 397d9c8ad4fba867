"""The plain data the assessment reads and writes. No Django here."""

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}


def higher(a: Level, b: Level) -> Level:
    return a if a.rank >= b.rank else b


class Priority(StrEnum):
    URGENT = "urgent"
    IMPORTANT = "important"
    NORMAL = "normal"


class DefectGrade(StrEnum):
    GENERAL = "general"
    BATCH = "batch"
    SERIOUS = "serious"

    @property
    def rank(self) -> int:
        return {"general": 0, "batch": 1, "serious": 2}[self.value]


@dataclass(frozen=True)
class Facts:
    """What the complaint itself says."""

    text: str
    channel: str = "web"
    amount: Decimal | float | None = None
    customer_level: str = "regular"
    product: str = ""
    lot: str = ""
    region: str = ""
    quantity_delivered: int | None = None
    quantity_defective: int | None = None


@dataclass(frozen=True)
class History:
    """What the database knows around the complaint (all counts exclude the complaint itself)."""

    customer_earlier: int = 0  # this customer's earlier complaints within the repeat window
    similar_in_window: int = 0  # complaints about the same product / lot / region within the scope window
    same_problem_this_month: int = 0  # same product family and defect this calendar month
    lot_delivered: int | None = None  # all complaints about the lot together
    lot_defective: int | None = None
    incident: bool = False  # linked to a mass incident by the early-warning detector


@dataclass(frozen=True)
class Evidence:
    """One reason a factor fired: a rule id and what it matched or counted."""

    factor: str
    rule: str
    detail: str
    matches: tuple[tuple[str, int], ...] = ()  # (word, position in the text)
    value: float | None = None
    limit: float | None = None  # the threshold or window the value was held against
    code: str = ""  # a code the sentence names: the channel, the customer level, the defect grade

    def as_dict(self) -> dict:
        # Written out: dataclasses.asdict deep-copies recursively and was a tenth of import time.
        found = {"factor": self.factor, "rule": self.rule, "detail": self.detail,
                 "matches": [{"word": w, "position": p} for w, p in self.matches], "value": self.value}
        if self.limit is not None:
            found["limit"] = self.limit
        if self.code:
            found["code"] = self.code
        return found


@dataclass(frozen=True)
class Assessment:
    risk_level: Level
    severity_grade: int  # 1 major, 2 important, 3 general
    priority: Priority
    emergency: bool
    complaint_type: str
    complaint_subtype: str
    defect_grade: DefectGrade | None
    factors: tuple[str, ...]
    reasons: tuple[Evidence, ...]
    policy_name: str
    policy_version: str
    type_scores: dict[str, int] = field(default_factory=dict)
    # The defect-catalogue item the text describes ("spindle.thread_defect"), "" when none: what "the same
    # problem again this month" compares.
    problem_key: str = ""

    def as_dict(self) -> dict:
        return {
            "risk_level": self.risk_level.value,
            "severity_grade": self.severity_grade,
            "priority": self.priority.value,
            "emergency": self.emergency,
            "complaint_type": self.complaint_type,
            "complaint_subtype": self.complaint_subtype,
            "defect_grade": self.defect_grade.value if self.defect_grade else None,
            "factors": list(self.factors),
            "reasons": [r.as_dict() for r in self.reasons],
            "policy": {"name": self.policy_name, "version": self.policy_version},
        }
