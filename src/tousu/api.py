"""The JSON API under /api/ (OpenAPI schema at /api/openapi.json)."""

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from tousu.accounts.models import ApiToken
from tousu.assessments.api import router as risk_router
from tousu.complaints.access import AccessDenied
from tousu.complaints.api import router as complaints_router
from tousu.complaints.schemas import NOT_BLANK_PATTERN, PATTERN_HINTS
from tousu.complaints.validation import IntakeError, describe
from tousu.reports.api import router as reports_router
from tousu.workflow.api import router as workflow_router


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        found = ApiToken.token_for(token)
        if found is None:
            return None
        request.user = found.user
        found.record_use(timezone.now())
        return found.user


class Utf8JSONRenderer(JSONRenderer):
    """Chinese as UTF-8 characters (the response says charset=utf-8), not as \\uXXXX escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Tousu API",
    version="1",
    description="Complaint intake, tracking and risk assessment. Authenticate with "
    "`Authorization: Bearer <token>` (`tousu token USERNAME` prints a user's token).",
    auth=BearerToken(),
    urls_namespace="api",
    renderer=Utf8JSONRenderer(),
)
api.add_router("/", complaints_router)
api.add_router("/", risk_router)
api.add_router("/", workflow_router)
api.add_router("/", reports_router)


def _errors(request: HttpRequest, status: int, errors: list[dict[str, str]]):
    return api.create_response(request, {"errors": errors}, status=status)


# Fields an action names when the request is well formed but the object's present state refuses it
# (a complaint's status, a plan's or incident's state, a running clock, a solution already decided):
# that is a conflict (409), not a bad request (422), and the client should reload rather than fix input.
STATE_FIELDS = frozenset({"status", "state", "stage", "solution", "complaint"})


_CONTAINERS = frozenset({"body", "payload", "query", "path", "form", "file", "filters", "pagination"})


def _field(error: dict) -> str:
    """The field an error is about: `whys`, not the index of the bad item in it nor the branch of a
    field that takes a number or a text."""
    names = [str(part) for part in error.get("loc", ()) if isinstance(part, str) and part not in _CONTAINERS]
    return names[0] if names else ""


def _reason(error: dict) -> str:
    """Pydantic's error as a reason in the reader's language: the types intake's own `describe` does
    not know come from the strict request schemas (codes, patterns, lengths, formats)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    field = _field(error)
    if field == "text" and (kind == "string_too_short" or ctx.get("pattern") == NOT_BLANK_PATTERN):
        return _("the complaint text is empty")
    if kind in ("literal_error", "enum"):
        return _("use one of: %(allowed)s") % {"allowed": ctx.get("expected", "")}
    if kind == "string_pattern_mismatch":
        hint = PATTERN_HINTS.get(field)
        if hint:
            return _("must be %(hint)s") % {"hint": hint}
        if ctx.get("pattern") == NOT_BLANK_PATTERN:
            return _("must not be blank")
        return _("must match the pattern %(pattern)s") % {"pattern": ctx.get("pattern", "")}
    if kind == "string_too_short":
        return _("must not be empty")
    if kind == "greater_than_equal":
        return _("must be at least %(limit)s") % {"limit": ctx.get("ge")}
    if kind == "greater_than":
        return _("must be more than %(limit)s") % {"limit": ctx.get("gt")}
    if kind == "less_than_equal":
        return _("must be at most %(limit)s") % {"limit": ctx.get("le")}
    if kind == "less_than":
        return _("must be less than %(limit)s") % {"limit": ctx.get("lt")}
    if kind == "too_short":
        return _("must have at least %(count)s items") % {"count": ctx.get("min_length")}
    if kind == "too_long":
        return _("must have at most %(count)s items") % {"count": ctx.get("max_length")}
    if kind in ("float_type", "float_parsing", "finite_number"):
        return _("must be a number")
    if kind in ("bool_type", "bool_parsing"):
        return _("must be true or false")
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return _("is not a date such as 2026-12-31")
    if kind in ("timezone_aware", "datetime_from_date_parsing"):
        return _("is not a date and time with its offset, such as 2026-11-20T14:30:00+08:00")
    if kind == "list_type":
        return _("must be a list")
    if kind in ("dict_type", "model_attributes_type"):
        return _("must be an object")
    return ""


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError):
    # One reason a field: of a field with two forms (a number or a text), the last form's reason.
    reasons: dict[str, str] = {}
    for described, raw in zip(describe(exc.errors), exc.errors, strict=True):
        reasons[_field(raw) or described.field] = _reason(raw) or described.reason
    return _errors(request, 422, [{"field": field, "reason": reason} for field, reason in reasons.items()])


@api.exception_handler(IntakeError)
def on_intake_error(request: HttpRequest, exc: IntakeError):
    status = 409 if {e.field for e in exc.errors} <= STATE_FIELDS else 422
    return _errors(request, status, [e.as_dict() for e in exc.errors])


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):
    return _errors(request, 404, [{"field": "tracking_number", "reason": _("no such complaint")}])


@api.exception_handler(AccessDenied)
def on_access_denied(request: HttpRequest, exc: AccessDenied):
    return _errors(request, 403, [{"field": "__all__", "reason": _("your role may not do this")}])


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError):
    return _errors(request, 401, [{"field": "Authorization",
                                   "reason": _("send a valid token as 'Authorization: Bearer <token>'")}])


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):
    return _errors(request, exc.status_code, [{"field": "__all__", "reason": str(exc)}])
