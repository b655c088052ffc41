from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

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
    url = models.URLField(max_length=500, blank=True)
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
