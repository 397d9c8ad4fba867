"""The permission matrix (R-SEC-2, issue 13): every page URL and every API operation, read from Django's URL
resolver and from the API's OpenAPI schema, for every demo role and for outsiders (not logged in; a
logged-in agent of another department), on complaints of every scope (the person's own, their department's,
another department's), writes included.

The expected answer comes from one place, `tousu.accounts.roles`: an endpoint declares the capability it
needs and whether the scope of its object matters; `can(role, capability)` and `covers(reach(role), scope)`
say whether the person gets through. A few endpoints add a rule of their own beyond the matrix (signing an
approval step, the emergency team's timeline, closing a mass-incident warning); each is named below.
An endpoint that is not declared here fails the walk, so a new one cannot escape it.

Every request runs in a savepoint that is rolled back, so writes do not disturb the next request; a
refused write must leave the history and the other records untouched. To keep the walk fast, a role that
reaches all departments is tried on another department's complaint only (its own and its department's
lie inside that), and public pages are tried by an anonymous visitor and one signed-in person.
"""

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tousu.accounts.models import ApiToken, User
from tousu.accounts.roles import Capability, Role, Scope, covers
from tousu.api import api
from tousu.assessments.models import Incident, ReferenceCase, RiskOverride
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.models import Attachment, Complaint, ComplaintEvent, ImportJob, SavedFilter
from tousu.testing import make_complaint, make_department, make_user
from tousu.workflow.actions import approvals
from tousu.workflow.actions.transitions import perform
from tousu.workflow.models import EmergencyLog, EmergencyPlan, Solution, Survey, Transfer

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
ANONYMOUS, OUTSIDER = "anonymous", "outsider"
PRINCIPALS = [*[role.value for role in Role], OUTSIDER, ANONYMOUS]


# ---- the declared matrix ------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """Who gets through: anyone (`public`), anyone signed in, or those whose role has `capability` (all of
    `capabilities`), on an object their reach covers when `scoped`; `extra` is a rule beyond the matrix."""

    capabilities: tuple[Capability, ...] = ()
    scoped: bool = False
    public: bool = False
    extra: Callable[[User, dict], bool] | None = None
    why: str = ""


PUBLIC = Rule(public=True)
SIGNED_IN = Rule()


def needs(*capabilities: Capability, scoped: bool = False, extra=None, why: str = "") -> Rule:
    return Rule(capabilities=capabilities, scoped=scoped, extra=extra, why=why)


SEES = needs(scoped=True)  # any role, on what its reach covers
HANDLES = needs(Capability.HANDLE, scoped=True)


def _signs_current_step(user: User, objects: dict) -> bool:
    solution = objects["solution"]
    return approvals.may_decide_step(user, solution, approvals.current_step(solution))


def _on_the_team(user: User, objects: dict) -> bool:
    return user.can(Capability.LEAD_EMERGENCY) or objects["plan"].members.filter(user=user).exists()


def _closes_incidents(user: User, objects: dict) -> bool:
    # A role name, not a capability, in tousu.intake.incidents.close_incident (and the emergencies page).
    return user.can(Capability.LEAD_EMERGENCY) or user.role == Role.QUALITY


SIGNS = needs(Capability.APPROVE, scoped=True, extra=_signs_current_step,
              why="separation of duties: the current step's role, a manager for their own department")
LEADS = needs(Capability.LEAD_EMERGENCY, scoped=True)
TEAM = needs(scoped=True, extra=_on_the_team, why="the emergency team writes on its timeline")
CLOSES_INCIDENTS = needs(scoped=True, extra=_closes_incidents, why="quality or the emergency-team leader")


@dataclass(frozen=True)
class Probe:
    rule: Rule
    method: str = "GET"
    obj: str = ""  # complaint, attachment, solution, plan, incident, import_job: the kwargs filled per scope
    data: dict = field(default_factory=dict)
    query: str = ""
    kwargs: dict = field(default_factory=dict)  # fixed URL arguments (action, stage, step …)
    # Judged by what it wrote, not by its status: it answers with a redirect and a message either way.
    by_effect: bool = False


# Pages by URL name. The admin is walked separately (is_staff; its own per-model permissions).
PAGES: dict[str, list[Probe]] = {
    "home": [Probe(SIGNED_IN)],
    "login": [Probe(PUBLIC), Probe(PUBLIC, "POST", data={"username": "nobody", "password": "wrong"})],
    "logout": [Probe(PUBLIC, "POST")],
    "set_language": [Probe(PUBLIC, "POST", data={"language": "zh-hans", "next": "/"})],
    "survey": [Probe(PUBLIC, kwargs={"token": "no-such-survey"}),
               Probe(PUBLIC, "POST", data={"score": "5"}, kwargs={"token": "no-such-survey"})],
    "public:submit": [Probe(PUBLIC), Probe(PUBLIC, "POST", data={"text": "买的热水壶漏电", "phone": "13800138000"})],
    "public:submitted": [Probe(PUBLIC, kwargs={"tracking_number": "TS2026-AAAAAAAA"})],
    "public:lookup": [Probe(PUBLIC), Probe(PUBLIC, "POST", data={"tracking_number": "TS2026-AAAAAAAA",
                                                                 "contact": "13800138000"})],
    "complaints:list": [Probe(SIGNED_IN)],
    "complaints:new": [Probe(needs(Capability.RECORD)),
                       Probe(needs(Capability.RECORD), "POST", data={"channel": "phone", "text": "热水壶漏电",
                                                                     "customer_level": "regular"})],
    "complaints:risk_preview": [Probe(needs(Capability.RECORD), "POST", data={"text": "热水壶漏电"})],
    "complaints:export": [Probe(SIGNED_IN)],
    "complaints:bulk_assign": [Probe(needs(Capability.TRANSFER, scoped=True), "POST", obj="complaint",
                                     data={"to_user": "receiver", "reason": "轮岗"}, by_effect=True)],
    "complaints:saved_filter_add": [Probe(SIGNED_IN, "POST", data={"name": "我的", "query": "status=received"})],
    "complaints:saved_filter_delete": [Probe(needs(extra=lambda user, objects: False,
                                                   why="a saved filter is its owner's alone"),
                                             "POST", obj="saved_filter", by_effect=True)],
    "complaints:import": [Probe(needs(Capability.IMPORT)),
                          Probe(needs(Capability.IMPORT), "POST", data={"channel": ""}, obj="csv_upload")],
    "complaints:import_job": [Probe(needs(Capability.IMPORT, scoped=True), obj="import_job")],
    "complaints:detail": [Probe(SEES, obj="complaint"),
                          # Opening the full record is a logged POST, for those who may see personal data.
                          Probe(needs(Capability.VIEW_PERSONAL_DATA, scoped=True), "POST", obj="complaint",
                                by_effect=True)],
    "complaints:attachment_add": [Probe(HANDLES, "POST", obj="complaint_upload")],
    "complaints:attachment_download": [Probe(SEES, obj="attachment")],
    "complaints:contact_add": [Probe(HANDLES, "POST", obj="complaint", data={"channel": "phone", "note": "已致电"})],
    "complaints:risk_override": [Probe(needs(Capability.HANDLE, Capability.OVERRIDE_RISK, scoped=True), "POST",
                                       obj="complaint", data={"level": "low", "reason": "误报"})],
    "workflow:act": [Probe(HANDLES, "POST", obj="complaint", kwargs={"action": "acknowledge"})],
    "workflow:pause": [Probe(HANDLES, "POST", obj="complaint", data={"reason": "等客户提供照片"})],
    "workflow:resume": [Probe(HANDLES, "POST", obj="complaint")],
    "workflow:extend": [Probe(needs(Capability.HANDLE, Capability.APPROVE, scoped=True), "POST", obj="complaint",
                              kwargs={"stage": "investigation"}, data={"reason": "需要检测"})],
    "workflow:exclude_time": [Probe(HANDLES, "POST", obj="complaint", data={"reason": "送检"})],
    "workflow:end_exclusion": [Probe(HANDLES, "POST", obj="complaint")],
    "workflow:expected_date": [Probe(HANDLES, "POST", obj="complaint", data={"expected": "2026-12-31"})],
    "workflow:follow_up": [Probe(HANDLES, "POST", obj="complaint", data={"note": "回访"})],
    "workflow:mediation_end": [Probe(HANDLES, "POST", obj="complaint", data={"agreed": "on"})],
    "workflow:mediation_notice": [Probe(HANDLES, "POST", obj="complaint", data={"note": "已告知"})],
    "workflow:time_bar": [Probe(HANDLES, "POST", obj="complaint", data={"harm_known_on": "2026-11-01"})],
    "workflow:transfer": [Probe(needs(Capability.HANDLE, Capability.TRANSFER, scoped=True), "POST",
                                obj="complaint", data={"to_user": "receiver", "to_department": "", "reason": "转办"})],
    "workflow:propose": [Probe(HANDLES, "POST", obj="complaint", data={"measures": "退款", "owner": "",
                                                                         "due_date": "2026-12-31"})],
    "workflow:root_cause": [Probe(HANDLES, "POST", obj="complaint", data={"category": "设计", "why1": "为什么"})],
    "workflow:decide": [Probe(SIGNS, "POST", obj="solution", data={"decision": "approve", "reason": "同意"})],
    "workflow:emergency_list": [Probe(SIGNED_IN)],
    "workflow:incident_close": [Probe(CLOSES_INCIDENTS, "POST", obj="incident", data={"note": "误报"})],
    "workflow:emergency_detail": [Probe(needs(scoped=True), obj="plan")],
    "workflow:emergency_act": [
        Probe(LEADS, "POST", obj="plan", kwargs={"step": "decline"}, data={"reason": "无需启动"}),
        Probe(TEAM, "POST", obj="plan", kwargs={"step": "report"}, data={"kind": "progress", "text": "进展"}),
    ],
    "assessments:similar": [Probe(SEES, obj="complaint")],
    "assessments:mark_reference": [Probe(needs(Capability.HANDLE, Capability.APPROVE, scoped=True), "POST",
                                         obj="complaint", data={"solution": "退款", "outcome": "满意"})],
    "reports:report": [Probe(needs(Capability.VIEW_REPORTS))],
    "reports:print": [Probe(needs(Capability.VIEW_REPORTS))],
    "reports:xlsx": [Probe(needs(Capability.VIEW_REPORTS))],
    "reports:complaints": [Probe(needs(Capability.VIEW_REPORTS))],
    "reports:dashboard": [Probe(needs(Capability.VIEW_REPORTS))],
}
# The API's own pages: its schema and docs are public; every operation is walked from the schema.
API_PAGES = {"api:openapi-json": [Probe(PUBLIC)], "api:openapi-view": [Probe(PUBLIC)], "api:api-root": [Probe(PUBLIC)]}

# API operations by (method, path) as the OpenAPI schema lists them.
OPERATIONS: dict[tuple[str, str], Probe | list[Probe]] = {
    ("POST", "/api/complaints"): Probe(needs(Capability.RECORD), data={"text": "热水壶漏电", "channel": "phone"}),
    ("GET", "/api/complaints"): Probe(SIGNED_IN),
    ("GET", "/api/complaints/{tracking_number}"): [
        Probe(SEES, obj="complaint"),
        Probe(needs(Capability.VIEW_PERSONAL_DATA, scoped=True), obj="complaint", query="full=true")],
    ("PATCH", "/api/complaints/{tracking_number}"): Probe(HANDLES, obj="complaint", data={"product": "热水壶"}),
    ("POST", "/api/complaints/{tracking_number}/attachments"): Probe(HANDLES, obj="complaint_upload"),
    ("POST", "/api/imports"): Probe(needs(Capability.IMPORT), obj="csv_upload"),
    ("GET", "/api/imports/{job_id}"): Probe(needs(Capability.IMPORT, scoped=True), obj="import_job"),
    ("GET", "/api/complaints/{tracking_number}/risk"): Probe(SEES, obj="complaint"),
    ("POST", "/api/complaints/{tracking_number}/risk-override"): Probe(
        needs(Capability.HANDLE, Capability.OVERRIDE_RISK, scoped=True), obj="complaint",
        data={"level": "low", "reason": "误报"}),
    ("GET", "/api/incidents"): Probe(SIGNED_IN),
    ("POST", "/api/incidents/{incident_id}/close"): Probe(CLOSES_INCIDENTS, obj="incident", data={"note": "误报"}),
    ("GET", "/api/trends"): Probe(needs(Capability.VIEW_REPORTS)),
    ("GET", "/api/complaints/{tracking_number}/similar"): Probe(SEES, obj="complaint", query="k=5"),
    ("POST", "/api/complaints/{tracking_number}/reference-case"): Probe(
        needs(Capability.HANDLE, Capability.APPROVE, scoped=True), obj="complaint",
        data={"solution": "退款", "outcome": "满意"}),
    ("GET", "/api/complaints/{tracking_number}/workflow"): Probe(SEES, obj="complaint"),
    ("POST", "/api/complaints/{tracking_number}/actions/{action}"): Probe(
        HANDLES, obj="complaint", kwargs={"action": "acknowledge"}, data={"reason": ""}),
    ("POST", "/api/complaints/{tracking_number}/pause"): Probe(HANDLES, obj="complaint", data={"reason": "等照片"}),
    ("POST", "/api/complaints/{tracking_number}/resume"): Probe(HANDLES, obj="complaint", data={"reason": ""}),
    ("POST", "/api/complaints/{tracking_number}/deadlines/{stage}/extend"): Probe(
        needs(Capability.HANDLE, Capability.APPROVE, scoped=True), obj="complaint",
        kwargs={"stage": "investigation"}, data={"reason": "需要检测"}),
    ("POST", "/api/complaints/{tracking_number}/exclude-time"): Probe(HANDLES, obj="complaint", data={"reason": "送检"}),
    ("POST", "/api/complaints/{tracking_number}/end-exclusion"): Probe(HANDLES, obj="complaint", data={"reason": ""}),
    ("POST", "/api/complaints/{tracking_number}/expected-date"): Probe(HANDLES, obj="complaint",
                                                                       data={"expected": "2026-12-31"}),
    ("POST", "/api/complaints/{tracking_number}/follow-ups"): Probe(HANDLES, obj="complaint", data={"note": "回访"}),
    ("POST", "/api/complaints/{tracking_number}/mediation/end"): Probe(HANDLES, obj="complaint",
                                                                       data={"agreed": True, "note": ""}),
    ("POST", "/api/complaints/{tracking_number}/mediation/notice"): Probe(HANDLES, obj="complaint",
                                                                          data={"note": "已告知"}),
    ("POST", "/api/complaints/{tracking_number}/time-bar"): Probe(HANDLES, obj="complaint",
                                                                  data={"harm_known_on": "2026-11-01"}),
    ("POST", "/api/complaints/{tracking_number}/transfer"): Probe(
        needs(Capability.HANDLE, Capability.TRANSFER, scoped=True), obj="complaint",
        data={"to_user": "receiver", "reason": "转办"}),
    ("POST", "/api/complaints/{tracking_number}/solutions"): Probe(
        HANDLES, obj="complaint", data={"measures": "退款", "owner": "agent", "due_date": "2026-12-31"}),
    ("POST", "/api/solutions/{solution_id}/decision"): Probe(SIGNS, obj="solution",
                                                             data={"approve": True, "reason": "同意"}),
    ("PUT", "/api/complaints/{tracking_number}/root-cause"): Probe(HANDLES, obj="complaint",
                                                                   data={"category": "设计", "whys": ["为什么"]}),
    ("GET", "/api/emergencies"): Probe(SIGNED_IN),
    ("GET", "/api/emergencies/{plan_id}"): Probe(needs(scoped=True), obj="plan"),
    ("POST", "/api/emergencies/{plan_id}/activate"): Probe(LEADS, obj="plan", data={"team": []}),
    ("POST", "/api/emergencies/{plan_id}/decline"): Probe(LEADS, obj="plan", data={"reason": "无需启动"}),
    ("POST", "/api/emergencies/{plan_id}/log"): Probe(TEAM, obj="plan", data={"kind": "progress", "text": "进展"}),
    ("POST", "/api/emergencies/{plan_id}/complaints"): Probe(LEADS, obj="plan_link"),
    ("POST", "/api/emergencies/{plan_id}/close"): Probe(LEADS, obj="plan", data={"closing_review": "复盘"}),
    ("GET", "/api/reports"): Probe(needs(Capability.VIEW_REPORTS)),
}


# ---- walking them -------------------------------------------------------------------------------

def page_patterns() -> dict[str, str]:
    """Every named URL pattern outside the admin: {"namespace:name": route}."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(p for p in (namespace, pattern.namespace or "") if p)
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if namespace == "admin" and not pattern.name:  # the admin's redirects to a change page
                    found[f"admin:{route}"] = route
                    continue
                assert pattern.name, f"unnamed URL pattern {route}: name it to classify it"
                found[f"{namespace}:{pattern.name}" if namespace else pattern.name] = route

    walk(get_resolver().url_patterns, "/", "")
    return found


def api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, operations in schema["paths"].items() for method in operations}


def changes() -> tuple:
    """What a write leaves behind (read inside the savepoint, before it is rolled back), in one query."""
    counted = [ComplaintEvent.objects.all(), Transfer.objects.all(), Attachment.objects.all(),
               RiskOverride.objects.all(), EmergencyLog.objects.all(), ReferenceCase.objects.all(),
               ImportJob.objects.all(), Complaint.objects.all(), Solution.objects.exclude(status="pending"),
               Incident.objects.filter(state="closed"), EmergencyPlan.objects.exclude(state="proposed"),
               SavedFilter.objects.all()]
    parts, params = [], []
    for i, query in enumerate(counted):
        sql, query_params = query.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS q{i})")
        params.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return tuple(cursor.fetchone())


class PermissionMatrixTest(TestCase):
    @classmethod
    def setUpClass(cls):
        # Uploads (attachments, import files) land in a folder of their own, removed afterwards.
        cls.media = tempfile.TemporaryDirectory()
        cls.media_settings = override_settings(MEDIA_ROOT=cls.media.name)
        cls.media_settings.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.media_settings.disable()
        cls.media.cleanup()

    @classmethod
    def setUpTestData(cls):
        now = timezone.now()
        home, other, far = make_department("home"), make_department("other"), make_department("far")
        cls.users = {role.value: make_user(role, department=home, username=role.value) for role in Role}
        home.manager = cls.users["manager"]
        home.save()
        cls.users[OUTSIDER] = make_user(Role.AGENT, department=far, username=OUTSIDER)
        colleague = make_user(Role.AGENT, department=home, username="colleague")
        make_user(Role.AGENT, department=home, username="receiver")  # takes bulk assignments
        stranger = make_user(Role.AGENT, department=other, username="stranger")
        cls.tokens = {name: ApiToken.issue(user).key for name, user in cls.users.items()}

        def complaint(by: User, n: int, owner: User | None = None) -> Complaint:
            made = make_complaint(by=by, text=f"第{n}号：购买的{n}号型号耳机左声道无声，要求更换", product=f"型号{n}")
            if owner is not None:
                Complaint.objects.filter(pk=made.pk).update(owner=owner)
                made.refresh_from_db()
            perform(made, "start_investigation", by=colleague, now=now)
            add_attachment(made, SimpleUploadedFile("photo.jpg", JPEG), by=colleague, now=now)
            approvals.propose_solution(made, approvals.SolutionInput(
                measures="更换新机", owner=colleague, due_date=date.today() + timedelta(days=10),
                expected_effect="", compensation=0), by=colleague, now=now)
            plan = EmergencyPlan.objects.create(title=f"预案第{n}号", proposed_at=now,
                                                golden_due_at=now + timedelta(hours=2))
            plan.complaints.add(made)
            incident = Incident.objects.create(key="product", value=f"型号{n}", opened_at=now, count_at_open=5,
                                               expected=1.0)
            incident.complaints.add(made)
            return made

        # "department": home's, owned by a colleague; "other": another department's; "own": owned by the
        # person, in the other department (so only ownership lets them in).
        cls.scoped = {"department": complaint(colleague, 1), "other": complaint(stranger, 2)}
        # Roles that reach all are tried on another department's complaint only (see scopes()).
        cls.own = {name: complaint(stranger, 10 + i, owner=user) for i, (name, user) in enumerate(cls.users.items())
                   if user.reach() != Scope.ALL}
        cls.jobs = {"department": ImportJob.objects.create(original_name="a.csv", size=1, by=colleague, created_at=now),
                    "other": ImportJob.objects.create(original_name="b.csv", size=1, by=stranger, created_at=now)}
        cls.own_jobs = {name: ImportJob.objects.create(original_name="c.csv", size=1, by=user, created_at=now)
                        for name, user in cls.users.items()}
        cls.colleagues_filter = SavedFilter.objects.create(user=colleague, name="别人的", query="status=closed")
        assert not Survey.objects.exists()

    # -- helpers --

    def scopes(self, principal: str) -> dict[str, Complaint]:
        """The complaints a probe is tried on for this person, by their scope relative to the person."""
        if principal == OUTSIDER:  # home's complaints are another department's to the outsider
            return {"other": self.scoped["department"], "own": self.own[OUTSIDER]}
        if principal in self.users and self.users[principal].reach() == Scope.ALL:
            return {"other": self.scoped["other"]}
        found = {"department": self.scoped["department"], "other": self.scoped["other"]}
        if principal in self.own:
            found["own"] = self.own[principal]
        return found

    def objects_for(self, complaint: Complaint, scope: str, principal: str) -> dict:
        jobs = {"department": self.jobs["department"], "other": self.jobs["other"],
                "own": self.own_jobs.get(principal)}
        return {"complaint": complaint, "solution": complaint.solutions.get(), "plan": complaint.emergency_plans.get(),
                "incident": complaint.incidents.get(), "attachment": complaint.attachments.get(),
                "import_job": jobs[scope] if principal != OUTSIDER else self.jobs["department"]}

    def expected(self, rule: Rule, principal: str, scope: Scope | None, objects: dict) -> bool:
        if rule.public:
            return True
        user = self.users.get(principal)
        if user is None:
            return False
        if any(not user.can(capability) for capability in rule.capabilities):
            return False
        if rule.scoped and not covers(user.reach(), scope):
            return False
        return rule.extra is None or rule.extra(user, objects)

    def cases(self, probe: Probe, principal: str):
        """(scope, url kwargs, objects) for each object the probe is tried on."""
        if not probe.obj or probe.obj in ("csv_upload",):
            yield None, {}, {}
            return
        if probe.obj == "saved_filter":
            yield None, {"filter_id": self.colleagues_filter.pk}, {}
            return
        for scope, complaint in self.scopes(principal).items():
            if principal == ANONYMOUS and scope != "department":
                continue
            objects = self.objects_for(complaint, scope, principal)
            relation = Scope(scope) if scope in ("own", "department") else Scope.ALL
            kwargs = {"tracking_number": complaint.tracking_number, "solution_id": objects["solution"].pk,
                      "plan_id": objects["plan"].pk, "incident_id": objects["incident"].pk,
                      "attachment_id": objects["attachment"].pk, "job_id": objects["import_job"].pk}
            if probe.obj == "import_job":
                relation = Scope.OWN if scope == "own" else Scope.DEPARTMENT if scope == "department" else Scope.ALL
                if principal == OUTSIDER:
                    relation = Scope.ALL
            yield relation, kwargs, objects

    def body(self, probe: Probe, objects: dict, api: bool):
        data = dict(probe.data)
        if probe.obj == "csv_upload":
            data["file"] = SimpleUploadedFile("calls.csv", "text\n热水壶漏电\n".encode())
        if probe.obj == "complaint_upload":
            data["file" if api else "attachments"] = SimpleUploadedFile("photo.jpg", JPEG)
        if probe.obj == "plan_link":
            data["tracking_number"] = objects["complaint"].tracking_number
        if probe.obj == "complaint" and "complaints" not in data and not api:
            data["complaints"] = [objects["complaint"].tracking_number]  # bulk assignment ticks it
        return data

    def request(self, client: Client, method: str, url: str, data: dict, *, api: bool, headers: dict):
        multipart = any(isinstance(v, SimpleUploadedFile) for v in data.values())
        if method == "GET":
            return client.get(url, headers=headers)
        if api and not multipart:
            return client.generic(method, url, json.dumps(data), content_type="application/json", headers=headers)
        return getattr(client, method.lower())(url, data, headers=headers)

    def run_probe(self, name: str, route: str, probe: Probe, principal: str, client: Client, *, api: bool,
                  failures: list) -> int:
        tried = 0
        for scope, kwargs, objects in self.cases(probe, principal):
            path = route
            for key, value in {**kwargs, **probe.kwargs}.items():
                for form in (f"<str:{key}>", f"<int:{key}>", f"<{key}>", f"{{{key}}}"):
                    path = path.replace(form, str(value))
            url = path + (f"?{probe.query}" if probe.query else "")
            headers = {"Authorization": f"Bearer {self.tokens[principal]}"} if api and principal in self.tokens else {}
            if principal == ANONYMOUS or probe.rule.public:
                client = Client()
                if probe.rule.public and principal in self.users and not api:
                    client.force_login(self.users[principal])
            with transaction.atomic():
                before = changes()
                response = self.request(client, probe.method, url, self.body(probe, objects, api), api=api,
                                        headers=headers)
                after = changes()
                transaction.set_rollback(True)
            tried += 1
            allowed = self.expected(probe.rule, principal, scope, objects)
            status = response.status_code
            to_login = status == 302 and "/login/" in response.get("Location", "")
            denied = status in (401, 403, 404) or to_login
            where = f"{probe.method} {url} ({name}) as {principal} on {scope or '-'}"
            if status >= 500:
                failures.append(f"{where}: {status}")
            elif probe.rule.public:
                continue
            elif probe.by_effect and principal != ANONYMOUS:
                if allowed and after == before:
                    failures.append(f"{where}: changed nothing ({status}), the matrix allows it")
                elif not allowed and after != before:
                    failures.append(f"{where}: changed {before} -> {after}, the matrix refuses it")
            elif allowed and denied:
                failures.append(f"{where}: refused with {status}, the matrix allows it")
            elif not allowed and not denied:
                failures.append(f"{where}: answered {status}, the matrix refuses it {response.content[:300]!r}")
            elif not allowed and after != before:
                failures.append(f"{where}: refused but changed {before} -> {after}")
            elif principal == ANONYMOUS and status not in ((401,) if api else (302,)):
                failures.append(f"{where}: anonymous got {status}, not {'401' if api else 'the login page'}")
        return tried

    # -- the walks --

    def test_every_page_and_operation_is_declared_in_the_matrix(self):
        patterns = page_patterns()
        pages = {name for name in patterns if not name.startswith(("admin:", "api:"))}
        self.assertEqual(sorted(pages - set(PAGES)), [], "pages with no entry in PAGES: declare who may use them")
        self.assertEqual(sorted(set(PAGES) - pages), [], "PAGES names URLs that no longer exist")
        self.assertEqual(sorted(api_operations() - set(OPERATIONS)), [],
                         "API operations with no entry in OPERATIONS: declare who may use them")
        self.assertEqual(sorted(set(OPERATIONS) - api_operations()), [], "OPERATIONS names operations that are gone")
        # Every URL under /api/ is an operation of the schema or one of the API's own pages.
        operation_paths = {path for _method, path in OPERATIONS}
        for name, route in patterns.items():
            if name.startswith("api:") and name not in API_PAGES:
                path = route.rstrip("/")
                for kind in ("str:", "int:", "path:"):
                    path = path.replace(f"<{kind}", "<")
                self.assertIn(path.replace("<", "{").replace(">", "}"), operation_paths, name)

    def test_pages_answer_as_the_matrix_says(self):
        routes = page_patterns()
        failures: list[str] = []
        tried = 0
        for principal in PRINCIPALS:
            client = Client()
            if principal in self.users:
                client.force_login(self.users[principal])
            for name, probes in {**PAGES, **API_PAGES}.items():
                for probe in probes:
                    if probe.rule.public and principal not in (ANONYMOUS, Role.AGENT.value):
                        continue
                    tried += self.run_probe(name, routes[name], probe, principal, client, api=False,
                                            failures=failures)
        self.assertGreater(tried, 400)
        self.assertEqual(failures, [], "\n" + "\n".join(failures))

    def test_api_operations_answer_as_the_matrix_says(self):
        failures: list[str] = []
        tried = 0
        for principal in PRINCIPALS:
            client = Client()
            for (method, path), probes in OPERATIONS.items():
                for probe in probes if isinstance(probes, list) else [probes]:
                    probe = Probe(probe.rule, method, probe.obj, probe.data, probe.query, probe.kwargs, probe.by_effect)
                    tried += self.run_probe(f"{method} {path}", path, probe, principal, client, api=True,
                                            failures=failures)
        self.assertGreater(tried, 400)
        self.assertEqual(failures, [], "\n" + "\n".join(failures))

    def relation(self, user: User, complaint: Complaint) -> Scope:
        if user.pk in (complaint.owner_id, complaint.first_owner_id):
            return Scope.OWN
        if complaint.department_id == user.department_id:
            return Scope.DEPARTMENT
        return Scope.ALL

    def test_lists_show_only_what_the_reach_covers(self):
        """Lists and exports answer 200 to everyone signed in, so what they hold is the answer: exactly the
        complaints (and their plans and incidents) the person's reach covers."""
        import io

        import openpyxl

        everything = list(Complaint.objects.all())
        failures = []
        for principal, user in self.users.items():
            expected = {c.tracking_number for c in everything if covers(user.reach(), self.relation(user, c))}
            plans = {c.emergency_plans.get().title for c in everything
                     if c.tracking_number in expected or user.can(Capability.LEAD_EMERGENCY)}
            auth = {"Authorization": f"Bearer {self.tokens[principal]}"}
            client = Client()
            client.force_login(user)
            listed = {c["tracking_number"] for c in client.get("/api/complaints", headers=auth).json()["items"]}
            api_plans = {p["title"] for p in client.get("/api/emergencies", headers=auth).json()}
            incidents = {n for i in client.get("/api/incidents", headers=auth).json() for n in i["complaints"]}
            page = client.get("/complaints/").content.decode()
            on_page = {c.tracking_number for c in everything if c.tracking_number in page}
            emergencies = client.get("/emergencies/").content.decode()
            plans_on_page = {title for c in everything if (title := c.emergency_plans.get().title) in emergencies}
            home = client.get("/").content.decode()
            plans_at_home = {title for c in everything if (title := c.emergency_plans.get().title) in home}
            sheet = openpyxl.load_workbook(io.BytesIO(client.get("/complaints/export.xlsx").content)).active
            exported = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
            for what, got, want in [("GET /api/complaints", listed, expected), ("/complaints/", on_page, expected),
                                    ("export.xlsx", exported, expected), ("GET /api/incidents", incidents, expected),
                                    ("GET /api/emergencies", api_plans, plans), ("/emergencies/", plans_on_page, plans)]:
                if got != want:
                    failures.append(f"{what} as {principal}: shows {sorted(got - want)}, hides {sorted(want - got)}")
            if not plans_at_home <= plans:
                failures.append(f"home as {principal}: shows plans {sorted(plans_at_home - plans)} beyond its reach")
        self.assertEqual(failures, [], "\n" + "\n".join(failures))

    def test_the_admin_is_for_administrators_only(self):
        """Every admin URL: anyone but an administrator is sent to the admin login; the administrator is
        answered (what each model allows there is the admin's own, see test_admin_keeps_audit_rows)."""
        routes = {name: route for name, route in page_patterns().items() if name.startswith("admin:")}
        complaint = self.scoped["department"]
        values = {"object_id": str(complaint.pk), "app_label": "complaints", "content_type_id": "1",
                  "id": str(complaint.pk), "url": "x"}
        failures = []
        for principal in PRINCIPALS:
            client = Client()
            if principal in self.users:
                client.force_login(self.users[principal])
            for name, route in routes.items():
                if name in ("admin:login", "admin:logout", "admin:jsi18n", "admin:view_on_site",
                            "admin:password_change", "admin:password_change_done"):
                    continue
                url = route
                for key, value in values.items():
                    url = url.replace(f"<path:{key}>", value).replace(f"<{key}>", value)
                url = url.replace("(?P<app_label>", "").replace("^", "").replace("$", "")
                if "<" in url or "(" in url:
                    url = url.split("(")[0].split("<")[0]
                response = client.get(url)
                location = response.get("Location", "")
                if principal == Role.ADMIN.value:
                    if response.status_code >= 500 or "/admin/login/" in location:
                        failures.append(f"{url} as admin: {response.status_code} {location}")
                elif not (response.status_code == 302 and "/admin/login/" in location) and response.status_code != 404:
                    failures.append(f"{url} as {principal}: {response.status_code} {location}")
        self.assertEqual(failures, [], "\n" + "\n".join(failures))
        self.assertIn(Complaint, admin.site._registry)
