"""The risk policy: a versioned YAML file a quality manager reads and edits, validated on load.

A policy may `extends:` another shipped policy: mappings merge key by key, lists of items with an `id`
merge by id (same id replaces, new ids are added), other lists replace.
"""

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from tousu.risk.incidents import IncidentPolicy
from tousu.risk.model import DefectGrade, Level
from tousu.timeline.rules import DeadlinePolicy, Unit
from tousu.workflow.chain import WorkflowPolicy

POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"
FACTORS = ("impact_scope", "spread", "compliance", "safety", "money", "customer_value", "emotion", "repetition",
           "illegal", "mass")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the key and the line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhraseRule(_Strict):
    id: str
    words: list[str] = Field(min_length=1)
    level: Level = Level.HIGH
    emergency: bool = False
    # A negation right before the phrase ("没有受伤") cancels it.
    negatable: bool = True
    # The phrase in someone else's mouth ("客服说会上报") does not count.
    reported_speech_cancels: bool = False
    # Proximity: with `near`, a phrase counts only when one of these words stands within `within` characters
    # of it, before or after ("没有同意" near "扣款"; "威胁" near "家人").
    near: list[str] = []
    within: int = Field(12, ge=1, le=200)
    # Where the `near` word must stand: "before" for a cause ("气得住院", not "住院，导致逾期").
    near_side: Literal["before", "after", "either"] = "either"
    # Words within `within` characters that cancel the phrase: "去世" near "继承" is an inheritance, not a death.
    unless: list[str] = []

    @field_validator("words")
    @classmethod
    def _no_blank_words(cls, words: list[str]) -> list[str]:
        cleaned = [w.strip() for w in words]
        if any(not w for w in cleaned):
            raise ValueError("a word is empty")
        return cleaned


class FactorPolicy(_Strict):
    label: str = ""
    rules: list[PhraseRule] = []
    channels: dict[str, Level] = {}  # a channel alone fires the factor at this level


class MoneyPolicy(_Strict):
    high_amount: Decimal = Field(Decimal(10_000), gt=0)
    medium_amount: Decimal = Field(Decimal(0), ge=0)  # any concrete amount above this is at least medium
    read_amounts_in_text: bool = True
    # Words near an amount in the text that make it a loss rather than a loan, bill or price.
    loss_words: list[str] = ["损失", "扣了", "扣走", "被扣", "划走", "转走", "盗刷", "被骗", "骗走", "亏损", "亏了", "赔偿",
                             "全部扣", "刷走", "不翼而飞", "少了", "丢失"]
    # Ways of reading an amount (amounts.py: figure, chinese, masked, instalments) that count as a loss
    # without a loss word: an instalment total is what the customer is made to pay.
    totals_as_loss: list[Literal["figure", "chinese", "masked", "instalments"]] = []
    # A yearly interest rate above this (percent) read in the text is illegal lending; null: not read.
    legal_rate_cap: Decimal | None = Field(None, gt=0, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> "MoneyPolicy":
        if self.medium_amount >= self.high_amount:
            raise ValueError(f"medium_amount ({self.medium_amount}) must be below high_amount ({self.high_amount})")
        return self


class RepetitionPolicy(_Strict):
    window_days: int = Field(30, ge=1)
    medium_after: int = Field(1, ge=1)  # earlier complaints of this customer
    high_after: int = Field(3, ge=1)


class ScopePolicy(_Strict):
    window_days: int = Field(7, ge=1)
    medium_at: int = Field(3, ge=1)  # similar complaints in the window
    high_at: int = Field(10, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "ScopePolicy":
        if self.high_at < self.medium_at:
            raise ValueError("high_at must not be below medium_at")
        return self


class EmergencyPolicy(_Strict):
    any_of: list[str] = ["safety"]  # any of these factors starts the plan
    all_of: list[list[str]] = [["mass", "spread"]]  # or all factors of one of these groups


class MinorMatters(_Strict):
    """A minor matter (rubric "low"): a coupon, gift or promotion not honoured, told in a short text in which
    nothing fired but a money dispute below `amount_below`. Such a complaint is low, not medium."""

    words: list[str] = []
    below: int = Field(0, ge=0)  # characters; 0 switches the rule off
    amount_below: Decimal = Field(Decimal(500), ge=0)
    # The factors that may have fired (at medium, never high) for the text still to be a minor matter.
    factors: list[str] = ["money"]

    @field_validator("factors")
    @classmethod
    def _known_factors(cls, factors: list[str]) -> list[str]:
        unknown = sorted(set(factors) - set(FACTORS))
        if unknown:
            raise ValueError(f"unknown factor(s) {', '.join(unknown)}; known: {', '.join(FACTORS)}")
        return factors


class LanguagePolicy(_Strict):
    negations: list[str] = ["没有", "没", "未", "无", "并未", "并没有", "不曾", "从未", "从没", "不是", "并非", "别"]
    # Words that may stand between a negation and the phrase: "没有造成人员受伤".
    negation_fillers: list[str] = ["造成", "导致", "发生", "出现", "引起", "人员", "任何", "什么", "明显", "受到", "被"]
    reported_speech: list[str] = ["客服说", "客服称", "客服表示", "工作人员说", "对方说", "他们说", "业务员说",
                                  "经理说", "说会", "称会", "表示会", "承诺会", "说要帮我"]
    clause_breaks: str = "，。！？；,.!?;\n"
    enquiry_words: list[str] = ["咨询", "请问", "想了解", "想问", "建议", "希望改进", "如何办理", "怎么办理"]
    # A text shorter than this (characters) in which no factor fired, naming no demand and no topic of the
    # type list, states no concrete problem: low.
    vague_below: int = Field(0, ge=0)
    demand_words: list[str] = ["要求", "希望", "请尽快", "退", "赔", "还我", "给我", "解决", "处理", "尽快"]
    # The customer says the matter is settled or was a misunderstanding: low unless a high factor fired.
    settled_words: list[str] = ["是我自己误会", "我误会了", "是我误会", "是我搞错", "我搞错了", "是我弄错", "已经解决了",
                                "问题已解决", "已经处理好了", "撤销投诉", "撤回投诉", "不用处理了"]
    minor_matters: MinorMatters = MinorMatters()


class TypeRule(_Strict):
    id: str
    label: str
    words: list[str] = []
    subtypes: dict[str, list[str]] = {}
    # Rules whose firing makes this the type whatever the words say: an injury is a safety complaint.
    from_rules: list[str] = []


class DefectItem(_Strict):
    id: str
    label: str
    words: list[str] = Field(min_length=1)


class DefectFamily(_Strict):
    id: str
    label: str
    general: list[DefectItem] = []
    batch: list[DefectItem] = []
    serious: list[DefectItem] = []


class ManufacturingPolicy(_Strict):
    batch_defect_rate: float = Field(0.30, gt=0, le=1)
    serious_repeats_per_month: int = Field(3, ge=2)
    grade_levels: dict[DefectGrade, Level] = {
        DefectGrade.GENERAL: Level.LOW, DefectGrade.BATCH: Level.MEDIUM, DefectGrade.SERIOUS: Level.HIGH}
    catalogue: list[DefectFamily] = []


class ModelPolicy(_Strict):
    """What the learned high-risk model (R-RA-8) may do beside the rules. It never lowers a level, and it is
    used at all only once a person with the configure capability has activated the trained model."""

    may_raise: bool = False  # raise a medium or low complaint to high when the model is this sure
    raise_from: float = Field(0.8, gt=0.5, le=1.0)


class RetentionPolicy(_Strict):
    """R-SEC-3: how long an archived complaint keeps its personal data after closing; regulators ask for
    at least three years of records, so nothing shorter is accepted."""

    years_after_closing: int = Field(3, ge=3, le=100)


class Policy(_Strict):
    name: str
    version: str
    description: str = ""
    industry: str = "general"
    baseline_level: Level = Level.MEDIUM
    severity: dict[Level, int] = {Level.HIGH: 1, Level.MEDIUM: 2, Level.LOW: 3}
    factors: dict[str, FactorPolicy] = {}
    money: MoneyPolicy = MoneyPolicy()
    repetition: RepetitionPolicy = RepetitionPolicy()
    scope: ScopePolicy = ScopePolicy()
    customer_value: dict[str, Level] = {"vip": Level.MEDIUM, "key_account": Level.MEDIUM}
    emergency: EmergencyPolicy = EmergencyPolicy()
    language: LanguagePolicy = LanguagePolicy()
    types: list[TypeRule] = []
    manufacturing: ManufacturingPolicy | None = None
    deadlines: DeadlinePolicy = DeadlinePolicy()
    workflow: WorkflowPolicy = WorkflowPolicy()
    incidents: IncidentPolicy = IncidentPolicy()
    model: ModelPolicy = ModelPolicy()
    retention: RetentionPolicy = RetentionPolicy()

    _engine: Any = PrivateAttr(default=None)

    @field_validator("factors")
    @classmethod
    def _known_factors(cls, factors: dict[str, FactorPolicy]) -> dict[str, FactorPolicy]:
        unknown = sorted(set(factors) - set(FACTORS))
        if unknown:
            raise ValueError(f"unknown factor {unknown[0]!r}; known: {', '.join(FACTORS)}")
        return factors

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> "Policy":
        seen: set[str] = set()
        for factor in self.factors.values():
            for rule in factor.rules:
                if rule.id in seen:
                    raise ValueError(f"rule id {rule.id!r} is used twice")
                seen.add(rule.id)
        return self


# ---- loading -------------------------------------------------------------------------------------

_DURATION_KEYS = frozenset(unit.value for unit in Unit)


def _merge(base: Any, override: Any) -> Any:
    if (isinstance(base, dict) and isinstance(override, dict) and override and set(override) <= _DURATION_KEYS
            and set(base) <= _DURATION_KEYS):
        return override  # a duration ({working_days: 5}) is replaced whole, never mixed with another unit
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if (isinstance(base, list) and isinstance(override, list)
            and all(isinstance(i, dict) and "id" in i for i in base + override)):
        by_id = {item["id"]: item for item in base}
        for item in override:
            by_id[item["id"]] = _merge(by_id[item["id"]], item) if item["id"] in by_id else item
        return list(by_id.values())
    return override


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """The line of the YAML node a pydantic error location points at (1-based), as near as it exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    node = value_node
                    line = key_node.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _read(path: Path) -> tuple[dict, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise PolicyError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: a policy is a mapping of keys (name, version, factors …)")
    return data, node


def resolve_path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return POLICY_DIR / f"{name_or_path}.yaml"


def _parent(data: dict, source: str | Path) -> str | None:
    """The policy `extends` names: a shipped policy's name or a YAML file's name."""
    parent = data.pop("extends", None)
    if parent is not None and not (isinstance(parent, str) and parent.strip()):
        raise PolicyError(f"{source}: extends: names one policy (default, banking …), not {parent!r}")
    return parent


def load_data(name_or_path: str | Path, _seen: tuple[Path, ...] = ()) -> tuple[dict, yaml.Node | None, Path]:
    path = resolve_path(name_or_path)
    if path in _seen:
        raise PolicyError(f"{path}: extends itself through {' → '.join(p.name for p in _seen)}")
    data, node = _read(path)
    parent = _parent(data, path)
    if parent:
        file_name = parent if str(parent).endswith((".yaml", ".yml")) else f"{parent}.yaml"
        # A sibling file of that name first, else the shipped policy.
        parent_path = path.parent / file_name if (path.parent / file_name).exists() else POLICY_DIR / file_name
        base, _node, _path = load_data(parent_path, (*_seen, path))
        data = _merge(base, data)
    return data, node, path


def parse_policy(data: dict, *, source: str = "<policy>", node: yaml.Node | None = None) -> Policy:
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            key = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(node, loc)
            where = f" line {line}" if line else ""
            problems.append(f"{source}:{where} {key}: {error['msg'].removeprefix('Value error, ')}")
        raise PolicyError("\n".join(problems)) from None


def load_policy(name_or_path: str | Path) -> Policy:
    """A shipped policy by name (`default`, `banking` …) or a YAML file by path."""
    data, node, path = load_data(name_or_path)
    return parse_policy(data, source=str(path), node=node)


def load_policy_text(text: str, *, source: str = "<policy>") -> Policy:
    """A policy from YAML text (stored policy versions); `extends` names a shipped policy."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PolicyError(f"{source}: line {mark.line + 1 if mark else '?'}: not valid YAML") from None
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy is a mapping of keys (name, version, factors …)")
    parent = _parent(data, source)
    if parent:
        base, _node, _path = load_data(parent)
        data = _merge(base, data)
    return parse_policy(data, source=source, node=node)


def shipped_policies() -> list[str]:
    return sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))
