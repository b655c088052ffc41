"""Forms of the web sources and watch list pages."""
from django import forms

from accounts.models import Channel, Service

from .models import WatchedAccount, WebSource


class WebSourceForm(forms.Form):
    url = forms.URLField(label="Address of the feed or page", max_length=500, assume_scheme="https",
                         help_text="For example https://kingsmere-eye.example/feed or a forum thread's address.")
    kind = forms.ChoiceField(label="What is it?", choices=WebSource.Kind.choices, widget=forms.RadioSelect,
                             initial=WebSource.Kind.FEED)
    mode = forms.ChoiceField(label="What to keep", choices=WebSource.Mode.choices, widget=forms.RadioSelect,
                             initial=WebSource.Mode.WATCHED)
    handle = forms.SlugField(label="Short name", max_length=120, help_text="Letters, numbers and hyphens, for "
                                                                          "example kingsmere-eye.")
    display_name = forms.CharField(label="Name", max_length=200)
    service = forms.ModelChoiceField(label="Service that owns it", queryset=Service.objects.all())
    purpose = forms.CharField(label="Why the council listens to it", required=False, widget=forms.Textarea(
        attrs={"rows": 3}))

    def clean_handle(self):
        handle = self.cleaned_data["handle"]
        if Channel.objects.filter(platform=Channel.Platform.WEB, handle__iexact=handle).exists():
            raise forms.ValidationError("A web source already has this short name.")
        return handle


class WatchedAccountForm(forms.Form):
    platform = forms.ChoiceField(label="Platform", choices=[("", "Choose a platform"), *Channel.Platform.choices])
    handle = forms.CharField(label="Handle or site", max_length=500, help_text="The account's handle, for example "
                             "@jo_gazette; for a blog or site, its address.")
    name = forms.CharField(label="Who this is", max_length=200, help_text="For example Jo Reed, Kingsmere Gazette.")
    kind = forms.ChoiceField(label="Kind", choices=WatchedAccount.Kind.choices)
    reason = forms.CharField(label="Why their mentions of the council matter", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)


class WatchedAccountEditForm(forms.Form):
    name = forms.CharField(label="Who this is", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=WatchedAccount.Kind.choices)
    reason = forms.CharField(label="Why their mentions of the council matter", widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)
