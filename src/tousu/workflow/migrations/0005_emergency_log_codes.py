"""Emergency timelines store what the system records as an event code with its facts, not a sentence in
the language of the day (STYLE.md 14). Earlier rows, written in English or Chinese, are read back into
codes; a person's own words (progress reports, a reason for declining) stay as they were written."""

from django.db import migrations, models

# The sentences earlier versions stored, in both languages they could have been written in.
_ASSESSMENT = ("proposed by the risk assessment: ", "由风险评估提出：")
_INCIDENT = ("proposed by the mass-incident warning: ", "由群体性事件预警提议：")
_ACTIVATED = ("activated", "已启动")
_CLOSED = ("closed", "已关闭")
_JOINED = ("joined the team: ", "加入应急小组：")
_LINKED = ("linked ", "已关联 ")


def _after(text: str, prefixes: tuple[str, ...]) -> str | None:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix):]
    return None


def coded(kind: str, text: str, by_id) -> tuple[str, dict, str] | None:
    """(event, data, text) for a stored sentence the system wrote; None for a person's own words."""
    text = text.strip()
    if kind == "state":
        if _after(text, _ASSESSMENT) is not None:
            return "proposed", {"by": "assessment"}, ""
        if _after(text, _INCIDENT) is not None:
            return "proposed", {"by": "incident"}, ""  # the incident row keeps its facts
        if text in _ACTIVATED:
            return "activated", {}, ""
        if text in _CLOSED:
            return "closed", {}, ""
        if by_id is not None:
            return "declined", {}, text  # the leader's reason, in the leader's words
        return None
    if kind == "action":
        names = _after(text, _JOINED)
        if names is not None:
            return "joined", {"members": [[name, ""] for name in names.split("、") if name]}, ""
        number = _after(text, _LINKED)
        if number is not None and number.startswith("TS") and " " not in number:
            return "linked", {"tracking_number": number}, ""
    return None


def forward(apps, schema_editor):
    EmergencyLog = apps.get_model("workflow", "EmergencyLog")
    changed = []
    for entry in EmergencyLog.objects.filter(event="").only("id", "kind", "text", "by_id").iterator(chunk_size=2000):
        found = coded(entry.kind, entry.text, entry.by_id)
        if found is not None:
            entry.event, entry.data, entry.text = found
            changed.append(entry)
        if len(changed) >= 2000:
            EmergencyLog.objects.bulk_update(changed, ["event", "data", "text"])
            changed = []
    EmergencyLog.objects.bulk_update(changed, ["event", "data", "text"])


def backward(apps, schema_editor):
    """Back to sentences (English) for the code before this migration."""
    EmergencyLog = apps.get_model("workflow", "EmergencyLog")
    for entry in EmergencyLog.objects.exclude(event="").iterator(chunk_size=2000):
        data = entry.data or {}
        if entry.event == "proposed":
            entry.text = ("proposed by the risk assessment: emergency" if data.get("by") == "assessment"
                          else "proposed by the mass-incident warning: " + entry.text)
        elif entry.event in ("activated", "closed"):
            entry.text = entry.event
        elif entry.event == "joined":
            entry.text = "joined the team: " + "、".join(name for name, _role in data.get("members", []))
        elif entry.event == "linked":
            entry.text = "linked " + data.get("tracking_number", "")
        entry.save(update_fields=["text"])


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0004_clocks'),
    ]

    operations = [
        migrations.AddField(
            model_name='emergencylog',
            name='data',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='emergencylog',
            name='event',
            field=models.CharField(blank=True, choices=[('proposed', 'proposed'), ('activated', 'activated'), ('declined', 'declined'), ('closed', 'closed'), ('joined', 'joined the team'), ('linked', 'complaint linked')], max_length=10),
        ),
        migrations.AlterField(
            model_name='emergencylog',
            name='text',
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(forward, backward),
    ]
