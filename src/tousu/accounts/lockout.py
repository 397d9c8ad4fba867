"""What a person sees when their login is locked after too many failures (django-axes counts them).

Axes marks the request and its middleware asks `locked_out_response` for the answer: the login page they
used (staff or admin) again, with the name they typed and one error saying until when the lock holds.
"""

import ipaddress
from datetime import datetime

from axes.attempts import get_cool_off_threshold
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.core.throttle import client_address

LOCKED_STATUS = 429


def login_address(request: HttpRequest) -> str | None:
    """The client address axes counts failures under (tousu.core.throttle.client_address, which believes
    X-Forwarded-For only from the configured proxies), or None when it is no IP address: PostgreSQL's inet
    column refuses anything else, and a forged header must not turn a login into a server error."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _address_failures(address: str, request: HttpRequest) -> int:
    counted = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=get_cool_off_threshold(request))
    return counted.aggregate(n=Sum("failures_since_start"))["n"] or 0


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list[str]:
    """What axes locks: always the username (guessing one person's password from many addresses); the
    address as well once it has TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT failures within the lock time (trying
    passwords over many usernames). An address alone at TOUSU_LOGIN_FAILURE_LIMIT would let one person's
    typos lock a whole office behind one address out."""
    address = getattr(request_or_attempt, "axes_ip_address", None)
    if (isinstance(request_or_attempt, HttpRequest) and address
            and _address_failures(address, request_or_attempt) >= settings.TOUSU_LOGIN_ADDRESS_FAILURE_LIMIT):
        return ["username", "ip_address"]
    return ["username"]


def unlocks_at(username: str, request: HttpRequest) -> datetime | None:
    """When the lock lifts: the last counted failure of what is locked (the username, and the address when
    it is locked too) plus the cool-off."""
    cool_off = get_cool_off(request)
    locked = Q(username=username)
    if "ip_address" in lockout_parameters(request):
        locked |= Q(ip_address=request.axes_ip_address)
    last = AccessAttempt.objects.filter(locked).aggregate(last=Max("attempt_time"))["last"]
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
