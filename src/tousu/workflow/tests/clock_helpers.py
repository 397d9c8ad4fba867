from datetime import datetime

from tousu.accounts.roles import Role
from tousu.assessments.policies import store_policy
from tousu.testing import make_complaint, make_department, make_user
from tousu.timeline import SHANGHAI


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def due(complaint, stage: str) -> str:
    deadline = complaint.deadlines.get(stage=stage, met_at__isnull=True)
    return deadline.due_at.astimezone(SHANGHAI).isoformat(timespec="minutes")


def agent_under(policy: str):
    store_policy(policy, activate=True)
    return make_user(Role.AGENT, department=make_department())


def complaint(agent, text="想咨询一下信用卡积分规则", when="2026-09-30T10:00", **fields):
    return make_complaint(by=agent, text=text, now=at(when), received_at=at(when), **fields)
