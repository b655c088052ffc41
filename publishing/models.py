"""Posts and their journey to the platforms, the campaign calendar, the rules that govern
publishing (approvers, frequency caps, pre-election periods, emergency pauses) and email
alerts for residents."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from accounts.models import Channel, Service
from council_social.validators import validate_web_address


class Campaign(models.Model):
    """A communications campaign on the forward planner (seed 004)."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="campaigns")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="campaigns")
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")),
                                              name="campaign_ends_after_start")]
        indexes = [models.Index(fields=["start_date", "end_date"])]

    def __str__(self):
        return self.name


class Topic(models.Model):
    """What residents can sign up to hear about by email (seed 001)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Post(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Waiting for approval"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        SCHEDULED = "scheduled", "Scheduled"
        PAUSED = "paused", "Paused (emergency)"
        HELD = "held", "Held for review"
        PUBLISHING = "publishing", "Publishing"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    EDITABLE = (State.DRAFT, State.CHANGES_REQUESTED)

    text = models.TextField(help_text="The text of the post. Each platform uses it unless it has its own version.")
    variants = models.JSONField(default=dict, blank=True, help_text="Platform slug → that platform's own text.")
    link = models.URLField(max_length=500, blank=True, validators=[validate_web_address])
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts")
    channels = models.ManyToManyField(Channel, through="PostTarget", related_name="posts")
    topics = models.ManyToManyField(Topic, blank=True, related_name="posts",
                                    help_text="Residents signed up to these topics get the post by email.")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Goes up on every edit; stale saves are refused.")
    is_emergency = models.BooleanField(default=False, help_text="An emergency message: goes out during a pause.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # The monitoring officer's approval during a pre-election period, for one version of the text.
    mo_requested_at = models.DateTimeField(null=True, blank=True)
    mo_approved_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "scheduled_at"]),
            models.Index(fields=["service", "state"]),
            models.Index(fields=["author", "-created_at"]),
        ]

    def __str__(self):
        first_line = (self.text.strip().splitlines() or [""])[0]
        return f"Post {self.pk}: {first_line[:60]}"

    def get_absolute_url(self):
        return reverse("post_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE

    @property
    def mo_approved(self) -> bool:
        return self.mo_approved_version is not None and self.mo_approved_version == self.version


class PostImage(models.Model):
    """An image of a post: an uploaded file or a web address, always with alt text."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to="posts/%Y/%m/", blank=True)
    url = models.URLField(max_length=500, blank=True, validators=[validate_web_address])
    alt_text = models.TextField(help_text="What the image shows, for people who cannot see it.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.CheckConstraint(condition=~Q(file="") | ~Q(url=""), name="postimage_file_or_url")]

    def __str__(self):
        return f"Image {self.order + 1} of post {self.post_id}"

    @property
    def source(self) -> str:
        """Where the platform fetches the image from."""
        if self.url:
            return self.url
        return settings.SITE_URL.rstrip("/") + self.file.url


class PostTarget(models.Model):
    """One channel of a post, with its own outcome. The publish intent (state "publishing" and
    an attempt id) is stored before the platform is called, so a repeated task can tell that
    an attempt may already have reached the platform."""

    class State(models.TextChoices):
        PENDING = "pending", "Not yet due"
        QUEUED = "queued", "Queued"
        PUBLISHING = "publishing", "Publishing"
        VERIFYING = "verifying", "Checking whether it went out"
        UNKNOWN = "unknown", "Unknown: check the channel before retrying"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    IN_PROGRESS = (State.QUEUED, State.PUBLISHING, State.VERIFYING)
    NEEDS_PERSON = (State.UNKNOWN, State.FAILED)

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="targets")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="post_targets")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempt_id = models.UUIDField(null=True, blank=True, help_text="The attempt that may be at the platform.")
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    last_error = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["post", "channel__platform", "channel__handle"]
        constraints = [models.UniqueConstraint(fields=["post", "channel"], name="posttarget_unique_channel")]
        indexes = [models.Index(fields=["state", "queued_at"]), models.Index(fields=["channel", "published_at"])]

    def __str__(self):
        return f"Post {self.post_id} on {self.channel}"


class Approval(models.Model):
    """A decision on a post: an approver's, or the monitoring officer's in a pre-election period."""

    class Kind(models.TextChoices):
        APPROVER = "approver", "Approver"
        MONITORING_OFFICER = "monitoring_officer", "Monitoring officer"

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.APPROVER)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by_name = models.CharField(max_length=200, help_text="Kept if the user is deleted.")
    post_version = models.PositiveIntegerField()
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_decision_display()} by {self.decided_by_name}"


class ChannelApprovers(models.Model):
    """Who may approve posts to a channel, replacing the defaults (see publishing.rules)."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="approvers")
    roles = models.JSONField(default=list, blank=True, help_text="Role slugs whose holders may approve.")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                   help_text="People who may approve, whatever their role.")

    class Meta:
        verbose_name_plural = "channel approvers"

    def __str__(self):
        return f"Approvers of {self.channel}"


class FrequencyCap(models.Model):
    """"Do not post too often": at most `max_posts` in any `period_hours` on a channel."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="frequency_cap")
    max_posts = models.PositiveSmallIntegerField(default=6)
    period_hours = models.PositiveSmallIntegerField(default=24)

    def __str__(self):
        return f"{self.channel}: {self.max_posts} posts in {self.period_hours} hours"


class ElectionPeriod(models.Model):
    """A pre-election period: posts naming these are blocked unless the monitoring officer approves."""

    name = models.CharField(max_length=200)
    start = models.DateField(help_text="The first day of the pre-election period.")
    end = models.DateField(help_text="Polling day.")
    candidates = models.TextField(blank=True, help_text="One name a line.")
    parties = models.TextField(blank=True, help_text="One name a line.")
    councillors = models.TextField(blank=True, help_text="One name a line.")
    contested_matters = models.TextField(blank=True, help_text="One matter a line, e.g. the name of a scheme.")

    class Meta:
        ordering = ["-start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")),
                                              name="election_period_ends_after_start")]

    def __str__(self):
        return self.name


class EmergencyPause(models.Model):
    """Emergency mode: while active, no scheduled post goes out on any channel."""

    active = models.BooleanField(default=True)
    reason = models.TextField()
    message = models.TextField(blank=True, help_text="The emergency message published at the start, if any.")
    message_post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    paused_posts = models.PositiveIntegerField(default=0)
    held_posts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["active"], condition=Q(active=True),
                                               name="emergency_pause_one_active")]

    def __str__(self):
        return f"Emergency pause of {self.started_at:%d %b %Y %H:%M}"


class AlertSubscriber(models.Model):
    """A resident who confirmed (double opt-in) that they want email alerts on some topics."""

    email = models.EmailField(max_length=254)
    topics = models.ManyToManyField(Topic, related_name="subscribers")
    confirmed_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="alert_subscriber_unique_email")]

    def __str__(self):
        # Never the address: this string goes into the audit trail.
        return f"Subscriber {self.pk}"


class AlertIssue(models.Model):
    """The email alert for one published post, sent in batches."""

    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="alert_issue")
    created_at = models.DateTimeField(auto_now_add=True)
    sent = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Alert for post {self.post_id}"


class AlertDelivery(models.Model):
    issue = models.ForeignKey(AlertIssue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(AlertSubscriber, on_delete=models.CASCADE, related_name="deliveries")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "subscriber"], name="alert_delivery_once")]

    def __str__(self):
        return f"Alert {self.issue_id} to subscriber {self.subscriber_id}"
