from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from tousu.complaints.choices import Channel, CustomerLevel, Demand
from tousu.complaints.uploads import Refused, check_attachment, check_import_file
from tousu.complaints.validation import IntakeData, IntakeError, validate_intake


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            files = [super(MultipleFileField, self).clean(item, initial) for item in data]
        else:
            files = [super().clean(data, initial)] if data else []
        # Every file is checked before any is stored: one refused file leaves nothing behind.
        reasons = []
        for upload in files:
            try:
                check_attachment(upload)
            except Refused as refused:
                reasons.append(refused.error.reason)
        if reasons:
            raise forms.ValidationError(reasons, code="refused_upload")
        return files


RENDERED_SALT = "tousu.public-form-rendered"
HUMAN_SECONDS = 3  # nobody reads the form and writes a complaint faster


class IntakeForm(forms.Form):
    """A page form whose rules are IntakeData's: the form only renders and collects."""

    intake: IntakeData

    def __init__(self, *args, now, **kwargs):
        self.now = now
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        values = {name: value for name, value in cleaned.items()
                  if name in IntakeData.model_fields and value not in (None, "")}
        try:
            self.intake = validate_intake(values, now=self.now)
        except IntakeError as exc:
            for error in exc.errors:
                field = error.field if error.field in self.fields else None
                if field is not None and field in self.errors:
                    continue  # the form's own check already named this field: one message per field
                self.add_error(field, error.reason)
        return cleaned


class AgentComplaintForm(IntakeForm):
    # What the customer says comes first: the agent types it while listening.
    field_order = ["text", "channel", "received_at", "customer_name", "phone", "email", "demand", "product",
                   "order_no", "lot", "quantity_delivered", "quantity_defective", "amount", "region",
                   "customer_level", "company", "attachments"]
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial=Channel.PHONE)
    received_at = forms.DateTimeField(
        label=_("received at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    customer_name = forms.CharField(label=_("customer name"), required=False, max_length=100,
                                    help_text=_("Leave empty for an anonymous customer."))
    phone = forms.CharField(label=_("phone"), required=False, max_length=30)
    email = forms.CharField(label=_("email"), required=False, max_length=200)
    customer_level = forms.ChoiceField(label=_("customer level"), choices=CustomerLevel.choices)
    company = forms.CharField(label=_("company"), required=False, max_length=200)
    text = forms.CharField(label=_("complaint text"), widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Write down what the customer said, in full."))
    demand = forms.ChoiceField(label=_("core demand"), choices=[("", "—"), *Demand.choices], required=False)
    product = forms.CharField(label=_("product / model"), required=False, max_length=200)
    order_no = forms.CharField(label=_("order number"), required=False, max_length=100)
    lot = forms.CharField(label=_("production lot"), required=False, max_length=100)
    quantity_delivered = forms.CharField(label=_("quantity delivered"), required=False, max_length=20)
    quantity_defective = forms.CharField(label=_("quantity defective"), required=False, max_length=20)
    region = forms.CharField(label=_("region"), required=False, max_length=100)
    amount = forms.CharField(label=_("amount involved"), required=False, max_length=30,
                             help_text=_("In yuan, e.g. 1200 or 1.2万"))
    attachments = MultipleFileField(label=_("attachments"), required=False,
                                    help_text=_("Photos, recordings, test reports."))


class PublicComplaintForm(IntakeForm):
    customer_name = forms.CharField(label=_("your name"), required=False, max_length=100,
                                    help_text=_("Optional."))
    # A phone brings up the number pad and the mail keyboard for these.
    phone = forms.CharField(label=_("phone"), required=False, max_length=30, widget=forms.TextInput(
        attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}))
    email = forms.CharField(label=_("email"), required=False, max_length=200, widget=forms.EmailInput(
        attrs={"autocomplete": "email"}))
    text = forms.CharField(label=_("what happened"), widget=forms.Textarea(attrs={"rows": 7}))
    demand = forms.ChoiceField(label=_("what you ask for"), choices=[("", "—"), *Demand.choices], required=False)
    product = forms.CharField(label=_("product / service"), required=False, max_length=200)
    order_no = forms.CharField(label=_("order number"), required=False, max_length=100)
    region = forms.CharField(label=_("region"), required=False, max_length=100)
    attachments = MultipleFileField(label=_("attachments"), required=False)
    # Left empty by people (the page hides it with the `hidden` attribute, which needs no CSS); filled in by
    # bots that fill in every field. On its own it never decides: see looks_like_a_bot.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))
    # When the form was rendered, signed: a bot posts within a second of fetching the page.
    rendered = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rendered"].initial = signing.dumps(self.now.timestamp(), salt=RENDERED_SALT)

    def looks_like_a_bot(self) -> bool:
        """The hidden field is filled *and* the form came back faster than a person types a complaint
        (or without a render time this server signed). A person whose browser filled the trap (autofill)
        still has their complaint stored."""
        if not self.cleaned_data.get("website"):
            return False
        try:
            rendered = signing.loads(self.data.get("rendered", ""), salt=RENDERED_SALT, max_age=86400)
        except signing.BadSignature:
            return True
        return self.now.timestamp() - float(rendered) < HUMAN_SECONDS

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email"):
            self.add_error("phone", _("give a phone number or an email address so you can look the complaint up"))
        return cleaned


class LookupForm(forms.Form):
    tracking_number = forms.CharField(label=_("tracking number"), max_length=20)
    contact = forms.CharField(label=_("phone or email given with the complaint"), max_length=200)


class AttachmentForm(forms.Form):
    attachments = MultipleFileField(label=_("attachments"))


class ContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices, initial=Channel.PHONE)
    note = forms.CharField(label=_("what was said"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class RiskOverrideForm(forms.Form):
    level = forms.ChoiceField(label=_("overridden level"),
                              choices=[("high", _("High")), ("medium", _("Medium")), ("low", _("Low"))])
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("file (.csv or .xlsx)"))
    channel = forms.ChoiceField(label=_("channel for rows that name none"),
                                choices=[("", "—"), *Channel.choices], required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_import_file(upload)
        except Refused as refused:
            raise forms.ValidationError(refused.error.reason, code="refused_upload") from None
        return upload
