from django import forms

from council_social.validators import validate_web_address

from .models import Channel, Service, User


class ChannelForm(forms.ModelForm):
    url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Web address",
                         validators=[validate_web_address])
    managers = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Who has access", help_text="Staff who can sign in to the account on the platform.",
    )

    class Meta:
        model = Channel
        fields = ["platform", "handle", "display_name", "url", "purpose", "service", "kind", "status",
                  "followers", "web_team_has_access", "managers"]
        labels = {"web_team_has_access": "The web team has access to this account"}
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .selectors import can_see_all_channels

        if self.instance.pk:
            # An existing channel's status follows its lifecycle (the housekeeping actions).
            del self.fields["status"]
        service_field = self.fields["service"]
        if user is not None and not can_see_all_channels(user):
            # Service staff keep their channels within their own service.
            service_field.queryset = Service.objects.filter(pk=user.service_id)
        staff = User.objects.filter(is_active=True).order_by("first_name", "last_name")
        if self.instance.pk and self.instance.service_id:
            staff = staff.filter(service_id=self.instance.service_id) | User.objects.filter(
                pk__in=self.instance.managers.values("pk")
            )
        elif user is not None and not can_see_all_channels(user):
            staff = staff.filter(service_id=user.service_id)
        self.fields["managers"].queryset = staff.distinct()

    def clean_handle(self):
        handle = self.cleaned_data["handle"].strip()
        platform = self.cleaned_data.get("platform") or self.instance.platform
        clash = Channel.objects.filter(platform=platform, handle__iexact=handle).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("The council already has a channel with this handle on this platform.")
        return handle


class ChannelFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=100)
    platform = forms.ChoiceField(required=False, choices=[("", "All platforms"), *Channel.Platform.choices])
    service = forms.ChoiceField(required=False, label="Service")
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *Channel.Kind.choices])
    status = forms.ChoiceField(required=False, choices=[("", "All statuses"), *Channel.Status.choices])

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "All services"), *[(s.slug, s.name) for s in services]]
