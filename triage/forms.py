"""Forms of the dashboard, the case page, the FOI register and the rules editor. They check
input only; the services make the changes."""
import json

from django import forms

from accounts.models import Channel, Service
from publishing.checks import REPLY_LIMITS, counting_rules

from . import matrix
from .models import CannedReply, Case, FoiRequest, NotifyRole, Priority, Route, Rule, SlaPolicy
from .selectors import SLA_STATES, SORTS

PAGE_SIZE = 50  # cases a page of the dashboard shows unless the filters say otherwise


class CaseFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search text or author", max_length=200)
    route = forms.ChoiceField(required=False, choices=[("", "All routes"), *Route.choices])
    service = forms.ChoiceField(required=False, label="Service")
    status = forms.ChoiceField(required=False, label="Status", choices=[
        ("open", "Open (not closed or monitoring)"), *Case.State.choices, ("all", "Any status")])
    priority = forms.ChoiceField(required=False, choices=[("", "Any priority"), *Priority.choices])
    sla = forms.ChoiceField(required=False, label="SLA", choices=[("", "Any SLA state"), *SLA_STATES.items()])
    platform = forms.ChoiceField(required=False, choices=[("", "All platforms"), *Channel.Platform.choices])
    channel = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Channel")
    assignee = forms.ChoiceField(required=False, label="Assigned to", choices=[
        ("", "Anyone or no one"), ("me", "Me"), ("none", "No one")])
    since = forms.DateField(required=False, label="Opened from (YYYY-MM-DD)")
    until = forms.DateField(required=False, label="Opened until (YYYY-MM-DD)")
    sort = forms.ChoiceField(required=False, label="Sort by", choices=list(SORTS.items()))
    size = forms.TypedChoiceField(required=False, coerce=int, empty_value=PAGE_SIZE, label="Cases per page",
                                  choices=[(25, "25"), (50, "50"), (100, "100")])

    def __init__(self, *args, services=(), channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "All services"), *[(s.slug, s.name) for s in services]]
        self.fields["channel"].choices = [("", "All channels"), *[(c.pk, str(c)) for c in channels]]

    def filters(self) -> dict:
        """The valid filters, without blanks (call after is_valid())."""
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "") and k != "size"}


class VersionedForm(forms.Form):
    """Carries the case version the page showed, so a stale save is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(queryset=None, required=False, label="Assign to",
                                      empty_label="No one (unassign)")

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = users


class NoteForm(forms.Form):
    text = forms.CharField(label="Internal note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Only staff see notes. Nothing is posted.",
                           error_messages={"required": "Write the note"})


class HandOverForm(VersionedForm):
    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"), label="Hand over to",
                                     empty_label="Choose a service",
                                     error_messages={"required": "Choose the service to hand the case to"})
    note = forms.CharField(required=False, max_length=2000, label="What the service needs to know",
                           widget=forms.Textarea(attrs={"rows": 2}))


class EscalateForm(VersionedForm):
    reason = forms.CharField(label="Why it needs communications", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Say why the case needs communications"})
    tell_head_of_service = forms.BooleanField(required=False, label="Tell the head of the case's service")
    councillors = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Tell leading members",
        help_text="They are told, and can read this case. Only the web team and communications officers can choose.")

    def __init__(self, *args, councillors=None, **kwargs):
        super().__init__(*args, **kwargs)
        if councillors is None:
            del self.fields["councillors"]
        else:
            self.fields["councillors"].queryset = councillors


class ReplyForm(VersionedForm):
    canned = forms.ModelChoiceField(queryset=CannedReply.objects.none(), required=False, label="Standard reply",
                                    empty_label="None: write my own",
                                    help_text="Used when the reply box is left empty.")
    text = forms.CharField(required=False, max_length=5000, label="Reply", widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Posted in public on the platform, after the same checks as a post.")

    def __init__(self, *args, canned=(), platform: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canned"].queryset = CannedReply.objects.filter(pk__in=[c.pk for c in canned])
        rules = counting_rules([platform], REPLY_LIMITS)
        if rules:  # the live character count, as the platform counts (static/js/character-count.js)
            self.fields["text"].widget.attrs["data-count-rules"] = json.dumps(rules)
        self.fields["canned"].label_from_instance = lambda c: c.title

    def clean(self):
        data = super().clean()
        if not (data.get("text") or "").strip():
            if data.get("canned"):
                data["text"] = data["canned"].full_text
            elif "text" not in self.errors:
                self.add_error("text", "Write the reply, or choose a standard reply.")
        return data


class PrivateChannelForm(VersionedForm):
    note = forms.CharField(label="Where the conversation went", max_length=2000,
                           help_text="For example: direct message, email to the resident, phone call.",
                           error_messages={"required": "Say where the conversation went"})
    message = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                              label="Direct message to send (optional)",
                              help_text="Sent from the case where the platform allows direct messages.")
    responded = forms.BooleanField(required=False, label="The resident has had a response (for example by phone)",
                                   help_text="Until a response is recorded the SLA clock keeps running.")


class CloseForm(VersionedForm):
    note = forms.CharField(required=False, max_length=2000, label="Outcome",
                           widget=forms.Textarea(attrs={"rows": 2}))
    no_action = forms.BooleanField(required=False, label="Nothing needed doing (no action)",
                                   help_text="Tells the classifier that mentions like this one need no action.")


class RerouteForm(VersionedForm):
    """"Routed wrongly? Move it to …": the route (and, if it changes, the service) the case belongs on."""

    route = forms.ChoiceField(choices=Route.choices, label="Move it to", widget=forms.RadioSelect,
                              error_messages={"required": "Choose the route the case belongs on"})
    service = forms.ModelChoiceField(queryset=Service.objects.order_by("name"), required=False,
                                     label="Service", empty_label="Keep the case's service")
    note = forms.CharField(required=False, max_length=2000, label="Why")

    def __init__(self, *args, current_route=None, **kwargs):
        super().__init__(*args, **kwargs)
        if current_route and not self.is_bound:
            self.fields["route"].choices = [(v, label) for v, label in Route.choices if v != current_route]


class SafeguardingForm(VersionedForm):
    safeguarding = forms.TypedChoiceField(
        label="Is a person at risk of harm?", widget=forms.RadioSelect, coerce=lambda v: v == "yes",
        choices=[("yes", "Yes: mark it as safeguarding and tell the safeguarding contacts"),
                 ("no", "No: this is not a safeguarding matter")],
        error_messages={"required": "Say whether a person may be at risk"})
    note = forms.CharField(required=False, max_length=2000, label="Why")


class ReopenForm(VersionedForm):
    note = forms.CharField(required=False, max_length=2000, label="Why it is reopened")


class CaseIdsField(forms.Field):
    """Case ids ticked on the dashboard; the selector keeps only those the user may see."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Choose at least one case.", "invalid": "Choose cases from the list."}

    def to_python(self, value):
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class BulkForm(forms.Form):
    action = forms.ChoiceField(label="With the chosen cases", choices=[
        ("acknowledge", "Acknowledge"), ("assign", "Assign"), ("close", "Close")])
    cases = CaseIdsField(label="Cases")
    assignee = forms.TypedChoiceField(required=False, label="Assign to", coerce=int, empty_value=None)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Names read as plain values: this form is on every visit to the inbox, and a council has
        # hundreds of staff (a model instance each would cost more than the list's rows).
        self.users = users
        names = users.values_list("pk", "first_name", "last_name", "username")
        self.fields["assignee"].choices = [("", "Choose someone (for Assign)")] + [
            (pk, f"{first} {last}".strip() or username) for pk, first, last, username in names]

    def clean_assignee(self):
        pk = self.cleaned_data.get("assignee")
        user = None if pk is None else self.users.filter(pk=pk).first()
        if pk is not None and user is None:
            raise forms.ValidationError("Choose someone who can still be given cases.")
        return user

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who to assign the cases to.")
        return data


class FoiValidateForm(forms.Form):
    requester = forms.CharField(max_length=300, label="Requester's name")
    address = forms.CharField(max_length=500, label="Address for correspondence",
                              help_text="A postal or email address the answer can be sent to.")


class FoiResponseForm(forms.Form):
    kind = forms.ChoiceField(label="How it was answered", widget=forms.RadioSelect,
                             choices=FoiRequest.ResponseKind.choices)
    url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Web page with the answer",
                         help_text="Needed when the answer is published on the website.")
    note = forms.CharField(required=False, max_length=2000, label="Note", widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("kind") == FoiRequest.ResponseKind.WEB_PAGE and not data.get("url"):
            self.add_error("url", "Give the address of the web page with the answer.")
        return data


class CannedReplyForm(forms.ModelForm):
    url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Link to the council's page")

    class Meta:
        model = CannedReply
        fields = ["title", "text", "url", "route", "service", "active"]
        labels = {"text": "Reply", "route": "Offer it first on", "service": "For one service only",
                  "active": "Offer this reply"}
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


CONDITIONS_HELP = (
    "Conditions as JSON, all of which must hold, for example "
    '{"criticality_in": ["high"], "service_in": ["housing"]}. Leave {} to match everything.'
)


class RuleForm(forms.ModelForm):
    conditions = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
                                 help_text=CONDITIONS_HELP, label="Conditions")
    sla = forms.ChoiceField(required=False, label="SLA policy")
    notify = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Who is told",
                                       choices=NotifyRole.choices)

    class Meta:
        model = Rule
        fields = ["name", "order", "enabled", "route", "priority", "conditions", "sla", "notify", "description"]
        labels = {"enabled": "This rule is in use"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = sorted(set(SlaPolicy.objects.values_list("name", flat=True)) | set(matrix.ROUTE_DEFAULT_SLA.values())
                       - {None})
        self.fields["sla"].choices = [("", "The route's own SLA"), *[(n, n.replace("_", " ")) for n in names]]
        if self.instance.pk and not self.is_bound:
            self.initial["conditions"] = json.dumps(self.instance.conditions, indent=2)

    def clean_conditions(self):
        try:
            value = json.loads(self.cleaned_data["conditions"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"The conditions are not valid JSON: {exc.msg} at line {exc.lineno}, "
                                        f"column {exc.colno}.") from None
        errors = matrix.validate_conditions(value)
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Rule.objects.filter(name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("There is already a rule with this name.")
        return name

    def matrix_rule(self) -> matrix.Rule:
        """The rule as the form has it (after is_valid())."""
        d = self.cleaned_data
        return matrix.Rule(name=d["name"], order=d["order"], route=d["route"], priority=d["priority"],
                           conditions=d["conditions"], enabled=d["enabled"], sla=d["sla"] or None,
                           notify=tuple(d["notify"]))

    def service_fields(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("name", "order", "enabled", "route", "priority", "conditions",
                                                  "sla", "notify", "description")}


class RollbackForm(forms.Form):
    version = forms.ModelChoiceField(queryset=None, to_field_name="version", label="Version",
                                     error_messages={"required": "Choose a version to go back to"})

    def __init__(self, *args, versions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions
