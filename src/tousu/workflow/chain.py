"""Who approves a solution (R-WF-5) and which root-cause categories exist (R-WF-6), as policy data.
Plain Python, no Django."""

from collections.abc import Collection
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Approval authority rises in this order; a chain lists its levels in it.
ROLE_ORDER = ("specialist", "manager", "quality", "leader")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_roles(chain: list[str]) -> list[str]:
    unknown = [role for role in chain if role not in ROLE_ORDER]
    if unknown:
        raise ValueError(f"unknown approver role {unknown[0]!r}; use {', '.join(ROLE_ORDER)}")
    if not chain:
        raise ValueError("a chain needs at least one approver")
    return chain


class ApprovalTier(_Strict):
    up_to: Decimal | None = Field(None, ge=0)  # compensation up to this amount; none: any amount
    chain: list[str]

    _roles = field_validator("chain")(classmethod(lambda cls, v: _known_roles(v)))


class WorkflowPolicy(_Strict):
    approval_tiers: list[ApprovalTier] = [
        ApprovalTier(up_to=Decimal(500), chain=["specialist"]),
        ApprovalTier(up_to=Decimal(5000), chain=["manager"]),
        ApprovalTier(chain=["quality", "leader"]),
    ]
    # High-risk complaints need at least these approvers whatever the amount.
    high_risk_chain: list[str] = ["manager", "quality"]
    cause_categories: list[str] = ["设计", "原材料", "生产工艺", "检验", "包装运输", "服务流程", "人员态度",
                                   "系统故障", "第三方", "客户使用不当", "其他"]

    @field_validator("approval_tiers")
    @classmethod
    def _ordered(cls, tiers: list[ApprovalTier]) -> list[ApprovalTier]:
        if not tiers or tiers[-1].up_to is not None:
            raise ValueError("the last tier must have no up_to, so that every amount has a chain")
        limits = [t.up_to for t in tiers[:-1] if t.up_to is not None]
        if len(limits) != len(tiers) - 1 or limits != sorted(limits):
            raise ValueError("tiers must rise by up_to")
        return tiers

    _high = field_validator("high_risk_chain")(classmethod(lambda cls, v: _known_roles(v) if v else v))

    def chain_for(self, amount: Decimal, level: str) -> list[str]:
        tier = next(t for t in self.approval_tiers if t.up_to is None or amount <= t.up_to)
        roles = set(tier.chain)
        if level == "high":
            roles |= set(self.high_risk_chain)
        return sorted(roles, key=ROLE_ORDER.index)


class Refusal(StrEnum):
    """Why a person may not sign an approval step (separation of duties, seed 002)."""

    PROPOSER = "proposer"  # nobody approves their own solution
    ROLE = "role"  # each level is signed by someone holding that level's role
    SIGNED_BEFORE = "signed_before"  # one person signs one level of a chain, never two


def signing_refusal(*, signer: int, signer_role: str, step_role: str, proposer: int,
                    earlier_signers: Collection[int]) -> Refusal | None:
    """None when `signer` may sign a step of role `step_role`, else the first rule that forbids it.
    `earlier_signers` are the people who already signed other levels of the same chain."""
    if signer == proposer:
        return Refusal.PROPOSER
    if signer_role != step_role:
        return Refusal.ROLE
    if signer in earlier_signers:
        return Refusal.SIGNED_BEFORE
    return None
