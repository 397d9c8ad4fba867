from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.roles import Capability
from tousu.complaints.access import visible_import_jobs
from tousu.complaints.forms import ImportForm
from tousu.complaints.models import ImportJob
from tousu.complaints.tasks import queue_import
from tousu.complaints.validation import IntakeError
from tousu.intake.import_jobs import start_import


def _importer(request: HttpRequest) -> None:
    if not request.user.can(Capability.IMPORT):
        raise PermissionDenied(_("your role may not do this"))


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """The upload form; the file is imported in the background and the page follows the job."""
    _importer(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = queue_import(start_import(form.cleaned_data["file"], by=request.user,
                                            channel=form.cleaned_data["channel"], now=timezone.now()))
        except IntakeError as exc:
            for error in exc.errors:
                form.add_error(error.field, error.reason)
        else:
            return redirect("complaints:import_job", job_id=job.pk)
    jobs = ImportJob.objects.filter(by=request.user)[:10]
    return render(request, "complaints/import.html", {"form": form, "jobs": jobs})


@login_required
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A job's progress and report; while it runs, the progress part reloads itself (htmx)."""
    _importer(request)
    job = get_object_or_404(visible_import_jobs(request.user), pk=job_id)
    template = "complaints/_import_job.html" if request.htmx else "complaints/import_job.html"
    return render(request, template, {"job": job})
