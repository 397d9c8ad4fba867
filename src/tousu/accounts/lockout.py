"""What a person sees when their login is locked after too many failures (django-axes counts them).

Axes marks the request and its middleware asks `locked_out_response` for the answer: the login page they
used (staff or admin) again, with the name they typed and one error saying until when the lock holds.
"""

from datetime import datetime

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

LOCKED_STATUS = 429


def unlocks_at(username: str, request: HttpRequest) -> datetime | None:
    """When the lock lifts: the last counted failure of this username or this address plus the cool-off
    (settings.AXES_LOCKOUT_PARAMETERS locks either)."""
    cool_off = get_cool_off(request)
    address = getattr(request, "axes_ip_address", None)
    last = (AccessAttempt.objects.filter(Q(username=username) | Q(ip_address=address))
            .aggregate(last=Max("attempt_time"))["last"])
    if cool_off is None or last is None:
        return None
    return last + cool_off


def lockout_message(until: datetime | None, now: datetime) -> str:
    if until is None:
        return _("Too many failed logins: logging in is locked. Ask an administrator to unlock it.")
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return _("Too many failed logins: logging in is locked until %(time)s (in about %(minutes)d minutes). "
             "Try again then, or ask an administrator to unlock it.") % {
        "time": timezone.localtime(until).strftime("%H:%M"), "minutes": minutes}


def _locked_form(form_class: type[AuthenticationForm], request: HttpRequest, message: str) -> AuthenticationForm:
    """The login form as posted (the name stays, the password does not), failing with `message` only: it
    does not authenticate again."""

    class LockedForm(form_class):
        def clean(self):
            raise forms.ValidationError(message, code="locked")

    form = LockedForm(request, data=request.POST)
    form.is_valid()
    return form


def locked_out_response(request: HttpRequest, original_response: HttpResponse | None = None,
                        credentials: dict | None = None) -> HttpResponse:
    username = get_client_username(request, credentials) or ""
    message = lockout_message(unlocks_at(username, request), timezone.now())
    next_url = request.POST.get(REDIRECT_FIELD_NAME, "")
    if request.path == reverse("admin:login"):
        context = {
            **admin.site.each_context(request), "title": _("Log in"), "subtitle": None,
            "app_path": request.get_full_path(), "username": username,
            "form": _locked_form(AdminAuthenticationForm, request, message), REDIRECT_FIELD_NAME: next_url,
        }
        return render(request, "admin/login.html", context, status=LOCKED_STATUS)
    context = {"form": _locked_form(AuthenticationForm, request, message), "next": next_url}
    return render(request, "registration/login.html", context, status=LOCKED_STATUS)
