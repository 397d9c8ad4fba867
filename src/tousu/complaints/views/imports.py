from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.roles import Capability
from tousu.complaints.forms import ImportForm
from tousu.complaints.importers.run import import_file


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Capability.IMPORT):
        raise PermissionDenied(_("your role may not do this"))
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = import_file(upload.file, upload.name, by=request.user, now=timezone.now(),
                             default_channel=form.cleaned_data["channel"], keep_tracking_numbers=50)
    return render(request, "complaints/import.html", {"form": form, "report": report})
