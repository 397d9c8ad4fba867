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
from tousu.complaints.validation import IntakeError, describe
from tousu.reports.api import router as reports_router
from tousu.workflow.api import router as workflow_router


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token)
        if user is None:
            return None
        request.user = user
        ApiToken.objects.filter(user=user).update(last_used_at=timezone.now())
        return user


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


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError):
    return _errors(request, 422, [e.as_dict() for e in describe(exc.errors)])


@api.exception_handler(IntakeError)
def on_intake_error(request: HttpRequest, exc: IntakeError):
    return _errors(request, 422, [e.as_dict() for e in exc.errors])


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
