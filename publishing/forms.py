import json
from datetime import datetime

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils import timezone

from accounts.models import Channel, Service
from council_social.validators import validate_web_address

from .checks import counting_rules
from .models import Campaign, Topic

# Platforms the council can publish to, each of which may have its own version of the text.
VARIANT_PLATFORMS = [("x", "X"), ("mastodon", "Mastodon"), ("bluesky", "Bluesky"), ("facebook", "Facebook"),
                     ("instagram", "Instagram"), ("linkedin", "LinkedIn")]
IMAGE_SLOTS = 2
IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "webp"]
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class ChannelChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, channel):
        return f"{channel.handle} ({channel.get_platform_display()}, {channel.service.name})"


class PostForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=63206,
                           help_text="Every channel gets this text unless you write a version for its platform below.")
    channels = ChannelChoiceField(queryset=Channel.objects.none(), widget=forms.CheckboxSelectMultiple,
                                  error_messages={"required": "Choose at least one channel."})
    link = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Link",
                          validators=[validate_web_address],
                          help_text="A web page to link to, for example on the council website.")
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False,
                                     help_text="The service the post is for. It decides who can see it.")
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Email alerts",
        help_text="Residents signed up to these topics get the post by email when it is published.")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, channels, services, campaigns, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels
        self.fields["service"].queryset = services
        self.fields["campaign"].queryset = campaigns
        self.fields["topics"].queryset = topics
        platforms = {str(pk): platform for pk, platform in channels.values_list("pk", "platform")}
        # The live character count counts as each platform does (static/js/character-count.js).
        self.fields["text"].widget.attrs.update({
            "data-count-rules": json.dumps(counting_rules(platforms.values())),
            "data-count-channels": json.dumps(platforms)})
        for slug, name in VARIANT_PLATFORMS:
            rules = counting_rules([slug])
            self.fields[f"variant_{slug}"] = forms.CharField(
                required=False, label=f"Text for {name}",
                widget=forms.Textarea(attrs={"rows": 3, **({"data-count-rules": json.dumps(rules)} if rules else {})}),
                help_text=f"Only if {name} needs different text, for example a shorter one.")
        for n in range(1, IMAGE_SLOTS + 1):
            self.fields[f"image_{n}_file"] = forms.FileField(
                required=False, label=f"Image {n}: upload a file",
                validators=[FileExtensionValidator(IMAGE_EXTENSIONS)],
                help_text="JPEG, PNG, GIF or WebP, up to 5 MB.")
            self.fields[f"image_{n}_url"] = forms.URLField(required=False, assume_scheme="https", max_length=500,
                                                           validators=[validate_web_address],
                                                           label=f"Image {n}: or its web address")
            self.fields[f"image_{n}_alt"] = forms.CharField(
                required=False, widget=forms.Textarea(attrs={"rows": 2}), label=f"Image {n}: alt text",
                help_text="Describe what the image shows, for people who cannot see it.")

    def clean(self):
        data = super().clean()
        for n in range(1, IMAGE_SLOTS + 1):
            upload, url, alt = (data.get(f"image_{n}_file"), data.get(f"image_{n}_url"),
                                (data.get(f"image_{n}_alt") or "").strip())
            if upload and upload.size > MAX_IMAGE_BYTES:
                self.add_error(f"image_{n}_file", f"Image {n} must be smaller than 5 MB.")
            if (upload or url) and not alt:
                self.add_error(f"image_{n}_alt", f"Enter alt text for image {n}: describe what it shows.")
            if alt and not (upload or url):
                self.add_error(f"image_{n}_url", f"Upload image {n} or give its web address, or remove its alt text.")
        return data

    def variants(self) -> dict:
        return {slug: self.cleaned_data[f"variant_{slug}"] for slug, _ in VARIANT_PLATFORMS
                if (self.cleaned_data.get(f"variant_{slug}") or "").strip()}

    def images(self) -> list[dict]:
        out = []
        for n in range(1, IMAGE_SLOTS + 1):
            upload, url = self.cleaned_data.get(f"image_{n}_file"), self.cleaned_data.get(f"image_{n}_url")
            if upload or url:
                out.append({"file": upload, "url": "" if upload else url,
                            "alt_text": self.cleaned_data[f"image_{n}_alt"]})
        return out

    @staticmethod
    def initial_for(post) -> dict:
        initial = {"text": post.text, "link": post.link, "service": post.service_id, "campaign": post.campaign_id,
                   "channels": [t.channel_id for t in post.targets.all()], "topics": list(post.topics.all()),
                   "version": post.version}
        for slug, _ in VARIANT_PLATFORMS:
            initial[f"variant_{slug}"] = (post.variants or {}).get(slug, "")
        for n, image in enumerate(post.images.all()[:IMAGE_SLOTS], start=1):
            initial[f"image_{n}_url"] = image.source
            initial[f"image_{n}_alt"] = image.alt_text
        return initial


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("request_changes", "Ask for changes")],
                                 widget=forms.RadioSelect, label="Your decision",
                                 error_messages={"required": "Choose whether to approve the post or ask for changes."})
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                              help_text="Required when you ask for changes: say what needs to change.")

    def clean(self):
        data = super().clean()
        if data.get("decision") == "request_changes" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say what needs to change.")
        return data


class MonitoringOfficerForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve it for the pre-election period"),
                                          ("refuse", "Do not approve it")], widget=forms.RadioSelect,
                                 label="Your decision", error_messages={"required": "Choose your decision."})
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                              help_text="Required when you do not approve it: say why.")

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Say why the post cannot go out.")
        return data


class ScheduleForm(forms.Form):
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Date",
                           help_text="Leave the date and time empty to publish as soon as possible.")
    time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Time")

    def clean(self):
        data = super().clean()
        day, time = data.get("date"), data.get("time")
        if bool(day) != bool(time) and not self.errors:
            self.add_error("time" if day else "date", "Give both the date and the time, or neither.")
        return data

    def when(self) -> datetime | None:
        day, time = self.cleaned_data.get("date"), self.cleaned_data.get("time")
        if not (day and time):
            return None
        return timezone.make_aware(datetime.combine(day, time))


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Why")


class MarkPublishedForm(forms.Form):
    url = forms.URLField(max_length=1000, assume_scheme="https", label="Web address of the post on the channel",
                         validators=[validate_web_address],
                         error_messages={"required": "Give the web address of the post on the channel."})


class EmergencyForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text="For example a major incident or a period of national mourning. Every member "
                                       "of staff sees it.",
                             error_messages={"required": "Give the reason for the pause."})
    message = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                              label="Emergency message (optional)",
                              help_text="Published at once to the channels you choose below.")
    channels = ChannelChoiceField(queryset=Channel.objects.none(), required=False,
                                  widget=forms.CheckboxSelectMultiple, label="Channels for the emergency message")

    def __init__(self, *args, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels

    def clean(self):
        data = super().clean()
        if (data.get("message") or "").strip() and not data.get("channels"):
            self.add_error("channels", "Choose the channels for the emergency message.")
        if data.get("channels") and not (data.get("message") or "").strip():
            self.add_error("message", "Write the emergency message, or choose no channels.")
        return data


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "description", "service", "start_date", "end_date"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "start_date": forms.DateInput(attrs={"type": "date"}),
                   "end_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", "The campaign must end on or after the day it starts.")
        return data


class CalendarFilterForm(forms.Form):
    service = forms.ChoiceField(required=False)
    channel = forms.ChoiceField(required=False)

    def __init__(self, *args, services, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "All services"), *[(s.slug, s.name) for s in services]]
        self.fields["channel"].choices = [("", "All channels"), *[(str(c.pk), str(c)) for c in channels]]


class SubscribeForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254,
                             error_messages={"required": "Enter your email address.",
                                             "invalid": "Enter an email address in the correct format, like "
                                                        "name@example.com."})
    topics = forms.ModelMultipleChoiceField(queryset=Topic.objects.none(), widget=forms.CheckboxSelectMultiple,
                                            label="What do you want to hear about?",
                                            error_messages={"required": "Choose at least one topic."})

    def __init__(self, *args, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = topics


class SubscriberSearchForm(forms.Form):
    email = forms.EmailField(label="Email address of the subscriber", max_length=254)


class ApprovalStageForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name of the stage", help_text="For example \"Head of service\".",
                           error_messages={"required": "Name the stage."})
    roles = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                      label="Roles whose holders may approve",
                                      help_text="Service roles approve for their own service's channels only.")
    users = forms.ModelMultipleChoiceField(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                                           label="Or named people")

    def __init__(self, *args, people, **kwargs):
        from accounts.roles import Role

        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = [(r.value, r.label) for r in Role if r != Role.COUNCILLOR]
        self.fields["users"].queryset = people

    def clean(self):
        data = super().clean()
        if not data.get("roles") and not data.get("users") and not self.errors:
            self.add_error("roles", "Choose at least one role or person who may approve this stage.")
        return data
