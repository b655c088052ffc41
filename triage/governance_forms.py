"""Forms of the case page's reply approval and moderation actions."""
from django import forms
from django.utils import timezone

from .forms import VersionedForm
from .moderation import REASONS


class ModerateForm(forms.Form):
    mention = forms.TypedChoiceField(coerce=int, label="Which comment", widget=forms.RadioSelect,
                                     error_messages={"required": "Choose the comment"})
    action = forms.ChoiceField(label="What to do", widget=forms.RadioSelect, choices=[
        ("hide", "Hide it"), ("unhide", "Unhide it"),
        ("delete", "Delete it (only when absolutely necessary)"),
        ("block", "Block its author (where the platform allows)"),
        ("mute", "Mute its author (where the platform allows)")],
        error_messages={"required": "Choose what to do"})
    reason = forms.ChoiceField(label="Reason (from the house rules)",
                               choices=[("", "Choose a reason"), *[(k, v) for k, v in REASONS.items()
                                                                    if k != "blocked_word"]],
                               error_messages={"required": "Choose a reason from the house rules"})
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           label="Why (required to delete: say why hiding is not enough)")

    def __init__(self, *args, mentions=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Labels without the residents' own words (shown above on the case page, isolated there).
        self.fields["mention"].choices = [
            (m.pk, f"{'The first comment' if n == 1 else f'Comment {n}'}, "
                   f"{timezone.localtime(m.posted_at):%-d %b %Y %H:%M}"
                   f"{' (hidden)' if m.hidden else ''}{' (deleted)' if m.deleted else ''}")
            for n, m in enumerate(mentions, start=1)]

    def clean(self):
        data = super().clean()
        if data.get("action") == "delete" and not (data.get("note") or "").strip():
            self.add_error("note", "Say why hiding it is not enough")
        return data


class ReplyDecisionForm(VersionedForm):
    reply = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", "Approve and send it"), ("send_back", "Send it back")],
                                 widget=forms.RadioSelect, label="Your decision",
                                 error_messages={"required": "Choose whether to approve the reply or send it back"})
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                              label="Comment", help_text="Required when you send it back: say what needs to change.")

    def __init__(self, *args, drafts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply"].choices = [(d.pk, str(d.pk)) for d in drafts]

    def clean(self):
        data = super().clean()
        if data.get("decision") == "send_back" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say what needs to change")
        return data
