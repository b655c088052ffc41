"""Forms for account requests, channel set-up and housekeeping. They read input only: the
rules are in accounts.requests and accounts.housekeeping."""
from django import forms

from .models import AccountRequest, AccountRequestDecision, BrandingChecklist, Channel, Service, User
from .requests import REQUESTABLE_KINDS
from .roles import Role

QUESTIONS = {
    "audience": "1. Who is your audience?",
    "objectives": "2. What are your business objectives that a new, direct social media account would likely help "
                  "you achieve?",
    "why_own_account": "3. Why would having your own account help you achieve these objectives better than simply "
                       "providing content for the council's existing accounts?",
    "content_commitment": "4. Are you sure you want to take on the duty to create regular, fresh, interesting "
                          "content?",
}


class AccountRequestForm(forms.ModelForm):
    monitors = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, label="Who will monitor the account",
        help_text="Your service is responsible for monitoring, updating and engaging with the account's audience.",
        error_messages={"required": "Choose who will monitor the account."},
    )

    class Meta:
        model = AccountRequest
        fields = ["platform", "kind", "proposed_handle", "proposed_display_name", "audience", "objectives",
                  "why_own_account", "content_commitment", "monitors", "out_of_hours"]
        labels = {
            "platform": "Platform", "kind": "What kind of account", "proposed_handle": "Proposed account name",
            "proposed_display_name": "Proposed display name", "out_of_hours": "Out-of-hours handling",
            **QUESTIONS,
        }
        help_texts = {
            "content_commitment": "Having your own account carries a duty to create regular, fresh, interesting "
                                  "content that meets the council's standards; providing occasional content for the "
                                  "council's existing accounts does not. Say how often you will post and who will "
                                  "write it.",
            "out_of_hours": "How will you deal with messages received in the evening, at weekends and on bank "
                            "holidays?",
            "audience": "", "objectives": "", "why_own_account": "",
        }
        widgets = {f: forms.Textarea(attrs={"rows": 4}) for f in (
            "audience", "objectives", "why_own_account", "content_commitment", "out_of_hours")}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in REQUESTABLE_KINDS]
        self.fields["kind"].widget = forms.RadioSelect(choices=self.fields["kind"].choices)
        self.fields["platform"].choices = [("", "Choose a platform"), *Channel.Platform.choices]
        service_id = self.instance.service_id if self.instance.pk else user.service_id
        staff = User.objects.filter(is_active=True, service_id=service_id)
        if self.instance.pk:
            staff = staff | User.objects.filter(pk__in=self.instance.monitors.values("pk"))
        self.fields["monitors"].queryset = staff.distinct().order_by("first_name", "last_name", "username")

    def answers(self) -> dict:
        data = dict(self.cleaned_data)
        return {"monitors": data.pop("monitors"), **data}


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=AccountRequestDecision.Outcome.choices, widget=forms.RadioSelect, label="Your decision",
        error_messages={"required": "Choose approve, refuse or ask for more information."},
    )
    reasons = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Reasons",
        help_text="Needed to refuse or to ask for more information. The requester reads them.", max_length=4000,
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") and data["outcome"] != AccountRequestDecision.Outcome.APPROVED \
                and not (data.get("reasons") or "").strip():
            self.add_error("reasons", "Give your reasons: the requester will read them.")
        return data


class BrandingChecklistForm(forms.ModelForm):
    class Meta:
        model = BrandingChecklist
        fields = [field for field, _ in BrandingChecklist.ITEMS]
        labels = dict(BrandingChecklist.ITEMS)


class TransitionForm(forms.Form):
    prefix = "status"
    to_status = forms.ChoiceField(widget=forms.RadioSelect, label="Change its status to",
                                  error_messages={"required": "Choose the new status."})
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason", max_length=2000,
                             required=False, help_text="Needed to request closure.")

    def __init__(self, *args, allowed: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        labels = {Channel.Status.CLOSING: "Closing: ask the owning service to close the account",
                  Channel.Status.CLOSED: "Closed: archive the record (the account is gone from the platform)",
                  Channel.Status.DORMANT: "Dormant: not in use at the moment",
                  Channel.Status.ACTIVE: "Active"}
        self.fields["to_status"].choices = [(s, labels[s]) for s in allowed]


class ReassignForm(forms.Form):
    prefix = "reassign"
    service = forms.ModelChoiceField(queryset=Service.objects.all(), label="Owning service",
                                     error_messages={"required": "Choose the service that will own the channel."})
    managers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple, label="Who has access",
        help_text="Staff who can sign in to the account on the platform.",
        error_messages={"required": "Choose at least one person who will have access."},
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason", max_length=2000,
                             required=False)

    def __init__(self, *args, channel: Channel, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True, groups__name__in=[
            Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR])
        people = people | User.objects.filter(pk__in=channel.managers.values("pk"))
        self.fields["managers"].queryset = people.distinct().select_related("service").order_by(
            "first_name", "last_name", "username")
        self.fields["managers"].label_from_instance = lambda u: f"{u} ({u.service})" if u.service_id else str(u)


class ResolveFlagForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What was done", max_length=500,
                                 error_messages={"required": "Say what was done."})
