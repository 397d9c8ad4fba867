from django import forms
from django.utils.translation import gettext_lazy as _

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Role
from tousu.workflow.models import EmergencyLog, EmergencyMember

_HANDLERS = [Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.QUALITY, Role.LEADER]


def handlers():
    return User.objects.filter(is_active=True, role__in=_HANDLERS).order_by("username")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                             required=False)


class PauseForm(forms.Form):
    reason = forms.CharField(label=_("what the customer is asked for"), max_length=2000)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("reason for the extension"), max_length=2000)


class ExcludeTimeForm(forms.Form):
    reason = forms.CharField(label=_("what is appraised, tested or assessed"), max_length=2000)


class ExpectedDateForm(forms.Form):
    expected = forms.DateField(label=_("expected completion date"), widget=forms.DateInput(attrs={"type": "date"}))


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("what the customer said"), widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)


class MediationEndForm(forms.Form):
    agreed = forms.TypedChoiceField(label=_("outcome"), coerce=lambda value: value == "1", widget=forms.RadioSelect,
                                    choices=[("1", _("agreement reached")), ("0", _("ended without agreement"))])
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


class TimeBarForm(forms.Form):
    harm_known_on = forms.DateField(label=_("the customer knew of the harm on"),
                                    widget=forms.DateInput(attrs={"type": "date"}))


class TransferForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("to"), queryset=User.objects.none(), required=False)
    to_department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.all(), required=False)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = handlers()


class SolutionForm(forms.Form):
    measures = forms.CharField(label=_("measures"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    owner = forms.ModelChoiceField(label=_("carried out by"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}))
    expected_effect = forms.CharField(label=_("expected effect"), required=False, max_length=2000)
    compensation = forms.DecimalField(label=_("compensation amount"), min_value=0, max_digits=12, decimal_places=2,
                                      initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = handlers()


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("reason"), required=False, max_length=2000)


class RootCauseForm(forms.Form):
    category = forms.ChoiceField(label=_("cause category"), choices=())
    why1 = forms.CharField(label=_("why? (1)"), max_length=500)
    why2 = forms.CharField(label=_("why? (2)"), max_length=500, required=False)
    why3 = forms.CharField(label=_("why? (3)"), max_length=500, required=False)
    why4 = forms.CharField(label=_("why? (4)"), max_length=500, required=False)
    why5 = forms.CharField(label=_("why? (5)"), max_length=500, required=False)
    responsible_department = forms.ModelChoiceField(label=_("responsible department"),
                                                    queryset=Department.objects.all(), required=False)
    responsible_person = forms.ModelChoiceField(label=_("responsible person"), queryset=User.objects.none(),
                                                required=False)
    evidence = forms.MultipleChoiceField(label=_("evidence"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, categories=(), attachments=(), **kwargs):
        super().__init__(*args, **kwargs)
        # No category is preselected: a cause defaulting to the first one would be recorded without a thought.
        self.fields["category"].choices = [("", "—"), *((c, c) for c in categories)]
        self.fields["responsible_person"].queryset = handlers()
        self.fields["evidence"].choices = [(str(a.pk), a.original_name) for a in attachments]


class ActivateForm(forms.Form):
    # Tick boxes: a leader in a crisis picks people at a glance, without Ctrl-clicking a list.
    on_site = forms.ModelMultipleChoiceField(label=_("On-site handling"), queryset=User.objects.none(), required=False,
                                             widget=forms.CheckboxSelectMultiple(attrs={"class": "people"}))
    logistics = forms.ModelMultipleChoiceField(label=_("Logistics support"), queryset=User.objects.none(),
                                               required=False,
                                               widget=forms.CheckboxSelectMultiple(attrs={"class": "people"}))
    records = forms.ModelMultipleChoiceField(label=_("Records and analysis"), queryset=User.objects.none(),
                                             required=False,
                                             widget=forms.CheckboxSelectMultiple(attrs={"class": "people"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("on_site", "logistics", "records"):
            self.fields[name].queryset = handlers()

    def team(self) -> list[tuple[User, str]]:
        return [(user, role) for role in (EmergencyMember.TeamRole.ON_SITE, EmergencyMember.TeamRole.LOGISTICS,
                                          EmergencyMember.TeamRole.RECORDS)
                for user in self.cleaned_data[role]]


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=[(EmergencyLog.Kind.ACTION, _("Action")),
                                                       (EmergencyLog.Kind.PROGRESS, _("Progress report"))])
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("why no emergency plan is needed"), widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=2000)


class LinkForm(forms.Form):
    tracking_number = forms.CharField(label=_("tracking number"), max_length=20,
                                      widget=forms.TextInput(attrs={"placeholder": "TS2611-XXXXX"}))


class ReviewForm(forms.Form):
    closing_review = forms.CharField(label=_("closing review"), widget=forms.Textarea(attrs={"rows": 3}),
                                     max_length=5000)


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(label=_("How satisfied are you?"), coerce=int, widget=forms.RadioSelect,
                                   choices=[(5, _("5 — very satisfied")), (4, "4"), (3, "3"), (2, "2"),
                                            (1, _("1 — very unsatisfied"))])
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=2000)
