import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tousu.complaints import events


class Command(BaseCommand):
    help = ("Verify the audit trail (R-SEC-4): walk the hash chain of all history events from the last "
            "checkpoint (--full: from the first event); exit 1 naming the first bad row and why.")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="walk from the first event, not the last checkpoint")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--chunk-size", type=int, default=events.CHUNK_SIZE, help="rows read per query")

    def handle(self, *args, full: bool, json: bool, chunk_size: int, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size: at least 1")
        result = events.verify(full=full, chunk_size=chunk_size)
        if json:
            self.stdout.write(_dumps(result.as_dict()))
        elif result.ok:
            self.stdout.write(_("Audit trail intact: %(checked)s events checked in %(seconds).1f s, up to event "
                                "%(event)s (#%(seq)s, %(hash)s).") % {
                "checked": result.checked, "seconds": result.seconds, "event": result.end.event_id,
                "seq": result.end.seq, "hash": result.end.hash})
            if result.from_checkpoint:
                self.stdout.write(_("Started after the checkpoint at event %(event)s; --full checks every row.")
                                  % {"event": result.started_after.event_id})
        if result.problem is not None:
            problem = result.problem
            what = {"changed": _("changed"), "deleted": _("deleted or missing"),
                    "inserted": _("inserted out of band"), "head": _("head changed"),
                    "checkpoint": _("checkpoint changed")}.get(problem.reason, problem.reason)
            row = _("event %(id)s") % {"id": problem.event_id} if problem.event_id is not None else _("a missing event")
            raise CommandError(_("Audit trail broken at %(row)s: %(what)s. %(detail)s")
                               % {"row": row, "what": what, "detail": problem.detail}, returncode=1)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
