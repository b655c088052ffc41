from django import forms

from accounts.models import Channel

from .models import Mention


class MentionFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search text or author", max_length=200)
    platform = forms.ChoiceField(required=False, choices=[("", "All platforms"), *Channel.Platform.choices])
    channel = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Channel")
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *Mention.Kind.choices])
    since = forms.DateField(required=False, label="From (YYYY-MM-DD)")
    until = forms.DateField(required=False, label="Before (YYYY-MM-DD)")

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", "All channels"), *[(c.pk, str(c)) for c in channels]]


class AppPasswordForm(forms.Form):
    """Bluesky connects with an app password (made in the account's settings), not OAuth."""

    handle = forms.CharField(label="Handle", max_length=200, help_text="For example council.bsky.social")
    app_password = forms.CharField(label="App password", widget=forms.PasswordInput, max_length=200,
                                   help_text="Create one in Bluesky under Settings, Privacy and security, App passwords.")


class ErasureForm(forms.Form):
    reference = forms.CharField(label="Request reference", max_length=200,
                                help_text="The reference of the erasure request, for example the DPO case number.")
    confirm = forms.BooleanField(label="I understand this permanently deletes the author and everything they wrote",
                                 error_messages={"required": "Confirm that you want to erase this author"})
