"""Every operation of /api/openapi.json, fuzzed by schemathesis: no 5xx, every status documented, every
answer in its published schema, and the published request schemas as strict as the validation behind
them (positive data is accepted, negative data refused).

Bounded and repeatable: a fixed number of examples per operation, derandomised, so a run here is the
same run in CI. Well-formed path identifiers are mostly replaced by real objects' ones (complaints in several
states, a solution, an emergency plan, an incident, an import job) so the bodies reach the actions.
"""

import json
import os
import re
from collections import Counter

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tousu.accounts.models import ApiToken
from tousu.accounts.roles import Role
from tousu.api import api
from tousu.assessments.models import Incident
from tousu.complaints.models import ImportJob
from tousu.testing import make_complaint, make_team, make_user
from tousu.workflow.actions import approvals
from tousu.workflow.actions.transitions import perform
from tousu.workflow.models import EmergencyPlan

EXAMPLES_PER_OPERATION = int(os.environ.get("TOUSU_FUZZ_EXAMPLES", "8"))
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,16}$")

# Rules a JSON Schema cannot state, because they depend on other fields, on stored objects or on the
# day: a request that passes the published schema may still be refused with 422 naming one of these
# fields, and only these. Anything else refused with 422 means the schema is looser than the validation.
BUSINESS_RULES: dict[str, set[str]] = {
    # not in the future nor before 1970; no more defective than delivered
    "POST /api/complaints": {"received_at", "quantity_defective"},
    "PATCH /api/complaints/{tracking_number}": {"quantity_defective"},
    # only .csv and .xlsx files (the name's ending); an attachment not empty, not too large, of a known type
    "POST /api/imports": {"file"},
    "POST /api/complaints/{tracking_number}/attachments": {"file"},
    # some actions need a reason (reject, reopen …)
    "POST /api/complaints/{tracking_number}/actions/{action}": {"reason"},
    # after today
    "POST /api/complaints/{tracking_number}/expected-date": {"expected"},
    # the policy's time bar for the channel; not after the complaint was received
    "POST /api/complaints/{tracking_number}/time-bar": {"harm_known_on"},
    # who or which department exists and may take it over
    "POST /api/complaints/{tracking_number}/transfer": {"to_user", "to_department"},
    # who carries it out exists; due today or later; within the approver's authority
    "POST /api/complaints/{tracking_number}/solutions": {"owner", "due_date", "compensation"},
    # the category is one of the active policy's; who and which department exist; evidence of this complaint
    "PUT /api/complaints/{tracking_number}/root-cause": {"category", "responsible_department",
                                                        "responsible_person", "evidence"},
    "POST /api/emergencies/{plan_id}/activate": {"team"},
    "POST /api/emergencies/{plan_id}/complaints": {"tracking_number"},
    # both days of the period or neither, the first not after the last, at most a year; the department exists
    "GET /api/reports": {"from", "to", "department"},
    "POST /api/complaints/{tracking_number}/risk-override": {"level"},  # the complaint was assessed
}

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema(), default=str)))
schema.app = WSGIHandler()
# The token is sent by the test, as a client would; the fuzzer does not invent Authorization headers.
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, with_security_parameters=False)
schema.config.output.sanitization.update(enabled=False)

CASES: Counter = Counter()  # requests sent per operation, for the closing figures

# Identifiers of real objects, filled by the `world` fixture before each operation's examples run.
KNOWN: dict[str, list] = {}


def _well_formed(value) -> bool:
    if isinstance(value, str):
        return TRACKING_NUMBER.match(value) is not None
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """A well-formed generated identifier is replaced by a real one most of the time (a malformed one is
    left alone: it is what a negative case is about)."""
    choices = []
    for name, value in (path_parameters or {}).items():
        known = KNOWN.get(name)
        if known and _well_formed(value):
            choices.append(st.sampled_from([value, *known]).map(lambda v, n=name: (n, v)))
    if not choices:
        return st.just(path_parameters)
    return st.tuples(*choices).map(lambda pairs: {**path_parameters, **dict(pairs)})


@pytest.fixture(scope="module", autouse=True)
def _figures():
    yield
    if CASES:  # shown with `pytest -s`
        print(f"\nschemathesis: {sum(CASES.values())} requests over {len(CASES)} operations")


@pytest.fixture
def world(db, settings):
    """An administrator (who may use every operation) and objects for the identifiers to point at."""
    settings.ALLOWED_HOSTS = ["*"]
    # The test client does this too: a request must not close the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    team = make_team(department_code="kf", agent="li", specialist="zhao", manager="wang", leader="boss")
    admin = make_user(Role.ADMIN, username="root")
    plain = make_complaint(by=team["agent"], text="想咨询一下退货流程")
    burned = make_complaint(by=team["agent"], text="孩子被热水壶烫伤住院了", phone="13912345678")
    other = make_complaint(by=team["agent"], text="包装破损，要求换货", amount="300")
    for action in ("acknowledge", "start_investigation"):
        perform(plain, action, by=team["agent"], now=timezone.now(), reason="")
    solution = approvals.propose_solution(
        plain, approvals.SolutionInput(measures="换新", owner=team["agent"], due_date=timezone.now().date(),
                                       expected_effect="", compensation=0),
        by=team["specialist"], now=timezone.now())
    incident = Incident.objects.create(key="lot", value="L4", opened_at=timezone.now(), count_at_open=6,
                                       expected=1.0)
    job = ImportJob.objects.create(original_name="a.csv", size=1, default_channel="", by=admin,
                                   created_at=timezone.now())
    KNOWN.clear()
    KNOWN.update({
        "tracking_number": [plain.tracking_number, burned.tracking_number, other.tracking_number],
        "solution_id": [solution.pk],
        "plan_id": list(EmergencyPlan.objects.values_list("pk", flat=True)) or [1],
        "incident_id": [incident.pk],
        "job_id": [job.pk],
    })
    yield {"Authorization": f"Bearer {ApiToken.issue(admin).key}"}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck), print_blob=False)
def test_the_api_keeps_its_published_contract(case, world):
    CASES[case.operation.label] += 1
    case.call_and_validate(headers=world, excluded_checks=[positive_data_acceptance],
                           additional_checks=[positive_data_is_accepted_or_refused_by_a_named_rule])


def positive_data_is_accepted_or_refused_by_a_named_rule(ctx, response, case):
    """schemathesis' positive_data_acceptance, except a 422 that names only the operation's business rules."""
    if case.meta is not None and case.meta.generation.mode.is_positive and response.status_code == 422:
        fields = {error["field"] for error in response.json()["errors"]}
        allowed = BUSINESS_RULES.get(f"{case.method.upper()} {case.path}", set())
        assert fields <= allowed, (f"a request that passes the published schema was refused naming {sorted(fields)}; "
                                   f"only {sorted(allowed)} are rules the schema cannot state")
        return True
    return positive_data_acceptance(ctx, response, case)
