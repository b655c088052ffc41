from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from council_social.validators import validate_web_address

from .fields import EncryptedTextField
from .roles import Role


class Service(models.Model):
    """A council department (Libraries, Waste and Recycling, …)."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="headed_services", help_text="The head of service who approves its requests.",
    )
    email = models.EmailField(blank=True, help_text="The service's shared mailbox.")
    web_url = models.URLField(blank=True, help_text="The service's pages on the council website.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A member of staff or a councillor. Roles are groups (see accounts.roles)."""

    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    job_title = models.CharField(max_length=120, blank=True)
    sso_subject = models.CharField(
        max_length=255, unique=True, null=True, blank=True, verbose_name="single sign-on id",
        help_text="The council identity provider's id for this person (oid, otherwise sub), "
                  "kept at their first sign-in with their council account.",
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def roles(self) -> set[str]:
        """Role slugs of this user (cached per instance; groups are prefetched by selectors)."""
        if not hasattr(self, "_roles"):
            self._roles = {g.name for g in self.groups.all()} & set(Role.values)
            if self.is_superuser:
                self._roles.add(Role.ADMINISTRATOR)
        return self._roles

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


class Channel(models.Model):
    """One of the council's social media accounts."""

    class Platform(models.TextChoices):
        X = "x", "X (Twitter)"
        FACEBOOK = "facebook", "Facebook"
        INSTAGRAM = "instagram", "Instagram"
        YOUTUBE = "youtube", "YouTube"
        MASTODON = "mastodon", "Mastodon"
        BLUESKY = "bluesky", "Bluesky"
        LINKEDIN = "linkedin", "LinkedIn"
        FLICKR = "flickr", "Flickr"
        WEB = "web", "Web (feeds and pages)"
        THREADS = "threads", "Threads"
        NEXTDOOR = "nextdoor", "Nextdoor"

    class Kind(models.TextChoices):
        CORPORATE = "corporate", "Corporate"
        SERVICE = "service", "Service"
        CAMPAIGN = "campaign", "Campaign"

    class Status(models.TextChoices):
        SETTING_UP = "setting_up", "Setting up"
        ACTIVE = "active", "Active"
        DORMANT = "dormant", "Dormant"
        CLOSING = "closing", "Closing"
        CLOSED = "closed", "Closed"

    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=120, help_text="The account's name on the platform, e.g. @DemoCouncil.")
    display_name = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True, validators=[validate_web_address])
    purpose = models.TextField(blank=True, help_text="What the council uses this account for.")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="channels")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SERVICE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="managed_channels",
        help_text="Staff who have access to the account on the platform.",
    )
    web_team_has_access = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [
            models.UniqueConstraint("platform", Lower("handle"), name="channel_unique_platform_handle"),
        ]
        indexes = [models.Index(fields=["service", "platform"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.handle} ({self.get_platform_display()})"

    def get_absolute_url(self):
        return reverse("channel_detail", args=[self.pk])


def channel_condition(channel) -> tuple[str, str]:
    """(words, tag class) for a channel's state, the one rule every page uses (the registry, the
    channel's page, the home page's warning): an active channel whose platform refused its token
    needs re-authorising, whatever its lifecycle status says."""
    needs_reauth = getattr(channel, "needs_reauth", None)
    if needs_reauth is None:
        needs_reauth = ChannelConnection.objects.filter(channel=channel, needs_reauth=True).exists()
    if needs_reauth and channel.status in (Channel.Status.ACTIVE, Channel.Status.SETTING_UP):
        return "Needs re-authorising", "govuk-tag--red"
    return channel.get_status_display(), "" if channel.status == Channel.Status.ACTIVE else "govuk-tag--grey"


class ChannelConnection(models.Model):
    """A channel's platform credentials, encrypted at rest, kept apart from the channel so
    that listing channels never loads a secret. Never displayed, logged or serialised."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="connection")
    account_id = models.CharField(max_length=200, blank=True, help_text="The account's id on the platform.")
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True)
    extra = EncryptedTextField(blank=True, help_text="Other platform secrets, as JSON.")
    connected_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    needs_reauth = models.BooleanField(default=False, help_text="The platform refused the token.")
    reauth_reason = models.CharField(max_length=300, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Connection of {self.channel}"

    @property
    def is_connected(self) -> bool:
        return bool(self.access_token)


class AuditEvent(models.Model):
    """Who changed what, when. Written by services in the same transaction as the change."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=200, blank=True, help_text="Kept if the user is deleted.")
    action = models.CharField(max_length=60, help_text="e.g. channel.create, case.assign")
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changes = models.JSONField(default=dict, blank=True, help_text="Field → [old, new].")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["action", "-at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.action} {self.object_repr}"


class Heartbeat(models.Model):
    """When each part of the system (web, worker, beat) was last seen working."""

    component = models.CharField(max_length=40, unique=True)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.component} at {self.seen_at}"


class Notification(models.Model):
    """A message in a user's in-app inbox (and, when sent, their email)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self):
        return self.subject


# Governance: requests for new accounts (seed 004), branding and housekeeping (seed 000).


class AccountRequest(models.Model):
    """A request for a new social media account, with seed 004's four questions.

    submitted → the head of the requesting service decides → the web team decides → approved
    (the channel is created, "setting up") or refused; either stage may send it back to the
    requester for more information, who resubmits it to the stage that asked.
    """

    class State(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for the head of service"
        WITH_WEB_TEAM = "with_web_team", "Waiting for the web team"
        MORE_INFORMATION = "more_information", "More information requested"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    class Stage(models.TextChoices):
        HEAD_OF_SERVICE = "head_of_service", "Head of service"
        WEB_TEAM = "web_team", "Web team"

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="account_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_requests")
    platform = models.CharField(max_length=20, choices=Channel.Platform.choices)
    kind = models.CharField(max_length=20, choices=Channel.Kind.choices, default=Channel.Kind.SERVICE)
    proposed_handle = models.CharField(max_length=120, help_text="The account's name on the platform, e.g. @DemoParks.")
    proposed_display_name = models.CharField(max_length=200)
    audience = models.TextField(help_text="Who is your audience?")
    objectives = models.TextField(
        help_text="What are your business objectives that a new, direct social media account would likely help "
                  "you achieve?")
    why_own_account = models.TextField(
        help_text="Why would having your own account help you achieve these objectives better than simply "
                  "providing content for the council's existing accounts?")
    content_commitment = models.TextField(
        help_text="Your own account carries a duty to create regular, fresh, interesting content. How often will "
                  "you post, and who will write it?")
    monitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="monitored_account_requests",
        help_text="Who will monitor, update and engage with the account's audience.")
    out_of_hours = models.TextField(help_text="How you will deal with messages received out of hours.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.SUBMITTED)
    returned_from = models.CharField(
        max_length=20, choices=Stage.choices, blank=True,
        help_text="The stage that asked for more information; a resubmission goes back to it.")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="account_requests")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True, help_text="When it was finally approved or refused.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["service", "state"]), models.Index(fields=["requester", "-created_at"]),
                   models.Index(fields=["state", "-created_at"])]

    def __str__(self):
        return f"Request for {self.proposed_handle} ({self.get_platform_display()})"

    def get_absolute_url(self):
        return reverse("account_request_detail", args=[self.pk])

    @property
    def stage(self) -> str | None:
        """Who decides next, if anyone."""
        return {self.State.SUBMITTED: self.Stage.HEAD_OF_SERVICE,
                self.State.WITH_WEB_TEAM: self.Stage.WEB_TEAM}.get(self.state)

    @property
    def is_open(self) -> bool:
        return self.state not in (self.State.APPROVED, self.State.REFUSED)


class AccountRequestDecision(models.Model):
    """One decision on a request: who, at which stage, what, and why."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approve"
        REFUSED = "refused", "Refuse"
        MORE_INFORMATION = "more_information", "Ask for more information"

    request = models.ForeignKey(AccountRequest, on_delete=models.CASCADE, related_name="decisions")
    stage = models.CharField(max_length=20, choices=AccountRequest.Stage.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by_name = models.CharField(max_length=200, help_text="Kept if the user is deleted.")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self):
        return f"{self.get_stage_display()}: {self.get_outcome_display()} by {self.decided_by_name}"


class BrandingChecklist(models.Model):
    """Seed 000, "ensure appropriate branding": a channel is not active until all are done."""

    ITEMS = (
        ("profile_image", "The profile picture is the council's logo or an approved service badge"),
        ("naming", "The name and handle follow the council's naming convention"),
        ("official_bio", "The biography says it is an official council account and links to the council website"),
        ("hours_and_contact", "The biography says when the account is monitored and where to go out of hours"),
        ("header_image", "The cover or header image uses approved council branding"),
    )

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="branding")
    profile_image = models.BooleanField(default=False)
    naming = models.BooleanField(default=False)
    official_bio = models.BooleanField(default=False)
    hours_and_contact = models.BooleanField(default=False)
    header_image = models.BooleanField(default=False)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Branding of {self.channel}"

    @property
    def missing(self) -> list[str]:
        return [label for field, label in self.ITEMS if not getattr(self, field)]

    @property
    def is_complete(self) -> bool:
        return not self.missing


class HousekeepingFlag(models.Model):
    """A problem the periodic housekeeping audit found on a channel. At most one open flag
    per channel and kind; the audit resolves it when the problem goes away."""

    class Kind(models.TextChoices):
        DORMANT = "dormant", "Dormant"
        NO_OWNER = "no_owner", "No owner"
        NO_WEB_TEAM_ACCESS = "no_web_team_access", "No web team access"
        BRANDING = "branding", "Branding checklist not done"
        CONNECTION_EXPIRED = "connection_expired", "Connection expired"
        DUPLICATE = "duplicate", "Possible duplicate"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="housekeeping_flags")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    detail = models.CharField(max_length=500)
    related_channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                        help_text="The other channel of a possible duplicate.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "kind"], condition=models.Q(status="open"),
                                    name="housekeeping_one_open_flag_per_kind"),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.channel}"


class ApiToken(models.Model):
    """A key for the API (`Authorization: Token <key>`), with a scope and an expiry. Only a hash
    of the key is stored, and its first characters to tell keys apart: the key itself is shown
    once, when it is made (accounts/tokens.py)."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. the reporting script.")
    prefix = models.CharField(max_length=12, editable=False, help_text="The key's first characters.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user}"
