"""The handling card and the API show which rule each clock comes from and the time excluded."""

import pytest
import time_machine

from tousu.accounts.roles import Role
from tousu.assessments.policies import store_policy
from tousu.testing import bearer, make_complaint, make_department, make_user
from tousu.workflow.tests.clock_helpers import at

pytestmark = pytest.mark.django_db


def test_the_api_excludes_appraisal_time_and_names_each_clock_rule(client):
    store_policy("banking", activate=True)
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(by=agent, text="想咨询一下信用卡积分规则", now=at("2026-10-08T10:00"),
                               received_at=at("2026-10-08T10:00"))
    base = f"/api/complaints/{complaint.tracking_number}"
    post = {"content_type": "application/json", "headers": bearer(agent)}
    with time_machine.travel(at("2026-10-08T11:00"), tick=False):
        client.post(f"{base}/actions/start_investigation", {}, **post)
        refused = client.post(f"{base}/exclude-time", {"reason": ""}, **post)
        assert refused.status_code == 422 and "reason" in refused.content.decode()
        assert client.post(f"{base}/exclude-time", {"reason": "笔迹鉴定"}, **post).status_code == 200
    with time_machine.travel(at("2026-10-10T11:00"), tick=False):
        view = client.post(f"{base}/end-exclusion", {"reason": "报告已出"}, **post).json()
    solution = next(d for d in view["deadlines"] if d["stage"] == "solution")
    assert solution["excluded_seconds"] == 2 * 86400 and "第二十一条" in solution["source"]
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert "第二十一条" in page and 'class="excluded"' in page
