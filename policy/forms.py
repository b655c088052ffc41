"""Forms read input only; the rules are in policy.services."""
from django import forms

from accounts.models import User

from .models import PolicyVersion, TrainingModule

DATE_HINT = "For example, 27/03/2026"


class AcknowledgeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(error_messages={"required": "Tick the box to confirm you have read it."})

    def __init__(self, *args, version: PolicyVersion, **kwargs):
        super().__init__(*args, initial={"version": version.number}, **kwargs)
        self.fields["confirm"].label = (f"I have read and understood the {version.document.title} "
                                        f"(version {version.number})")


class PolicyVersionForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 24}), label="Text of the document",
                           help_text="Markdown: ## for headings, - for lists, [text](https://…) for links.",
                           error_messages={"required": "Enter the text of the document."})
    summary_of_changes = forms.CharField(max_length=500, required=False, label="What has changed")
    effective_from = forms.DateField(label="Comes into effect on", help_text=DATE_HINT,
                                     error_messages={"required": "Enter the date it comes into effect.",
                                                     "invalid": "Enter a real date, like 27/03/2026."})
    review_due = forms.DateField(required=False, label="Annual review date",
                                 help_text=f"Leave blank for a year after it comes into effect. {DATE_HINT}",
                                 error_messages={"invalid": "Enter a real date, like 27/03/2026."})
    change_type = forms.ChoiceField(choices=PolicyVersion.ChangeType.choices, widget=forms.RadioSelect,
                                    label="How was it approved",
                                    error_messages={"required": "Choose how it was approved."})
    approved_by = forms.CharField(max_length=200, label="Approved by",
                                  help_text="For example, Policy Committee; or the Corporate Officer in consultation "
                                            "with the Portfolio Holder.",
                                  error_messages={"required": "Say who approved it."})
    committee_reference = forms.CharField(max_length=200, required=False, label="Committee and minute reference",
                                          help_text="Needed when committee approved it.")


class TrainingCompletionForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Person",
                                  error_messages={"required": "Choose the person."})
    module = forms.ModelChoiceField(queryset=TrainingModule.objects.filter(active=True), label="Training",
                                    error_messages={"required": "Choose the training."})
    completed_on = forms.DateField(label="Completed on", help_text=DATE_HINT,
                                   error_messages={"required": "Enter the date it was completed.",
                                                   "invalid": "Enter a real date, like 27/03/2026."})
    note = forms.CharField(max_length=300, required=False, label="Note", help_text="For example, a certificate "
                                                                                   "number.")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people.select_related("service").order_by("last_name", "first_name",
                                                                                  "username")
        self.fields["user"].label_from_instance = lambda u: f"{u} ({u.service})" if u.service_id else str(u)
