from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.models import Channel, Service

from .fields import ExactCharField, ExactTextField


class WatchTerm(models.Model):
    """A name, handle or hashtag the council listens for, optionally for one service."""

    term = models.CharField(max_length=200)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    platforms = models.CharField(max_length=200, blank=True, help_text="Comma-separated platforms; blank = all.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["term"]
        constraints = [models.UniqueConstraint("term", "service", name="watchterm_unique")]

    def __str__(self):
        return self.term

    def applies_to(self, platform: str) -> bool:
        return not self.platforms or platform in {p.strip() for p in self.platforms.split(",")}


class Author(models.Model):
    """Someone who wrote a mention, as known on one platform."""

    platform = models.CharField(max_length=20, choices=Channel.Platform.choices)
    external_id = models.CharField(max_length=200)
    handle = ExactCharField(max_length=200, blank=True)
    display_name = ExactCharField(max_length=300, blank=True)
    followers = models.PositiveBigIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    profile_url = models.URLField(max_length=500, blank=True)
    influence = models.PositiveSmallIntegerField(default=0, help_text="0–100, from followers and verification.")
    first_seen_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint("platform", "external_id", name="author_unique_platform_id")]
        indexes = [models.Index(fields=["platform", "handle"])]

    def __str__(self):
        return self.handle or self.display_name or self.external_id


class RawPayload(models.Model):
    """A response body exactly as the platform sent it, kept with the mentions it held."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=40)
    body = ExactTextField()
    fetched_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=20, default="poll", help_text="poll or file")

    def __str__(self):
        return f"{self.channel} {self.endpoint} at {self.fetched_at}"


class Mention(models.Model):
    """A mention, comment, reply or search hit. `text` is stored exactly as received."""

    class Kind(models.TextChoices):
        MENTION = "mention", "Mention"
        COMMENT = "comment", "Comment"
        REPLY = "reply", "Reply"
        SEARCH_HIT = "search_hit", "Search hit"

    platform = models.CharField(max_length=20, choices=Channel.Platform.choices)
    external_id = models.CharField(max_length=300)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="mentions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="mentions")
    text = ExactTextField()
    url = models.URLField(max_length=1000, blank=True)
    posted_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    conversation_id = models.CharField(max_length=300, blank=True)
    in_reply_to_id = models.CharField(max_length=300, blank=True)
    likes = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    reshares = models.PositiveIntegerField(default=0)
    raw_payload = models.ForeignKey(RawPayload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    hidden = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint("platform", "external_id", name="mention_unique_platform_id")]
        indexes = [
            models.Index(fields=["channel", "-posted_at"]),
            models.Index(fields=["-posted_at"]),
            models.Index(fields=["author", "-posted_at"]),
            models.Index(fields=["platform", "conversation_id"]),
        ]

    def __str__(self):
        return f"{self.get_platform_display()} {self.external_id}"


class Quarantine(models.Model):
    """A body that could not be parsed: kept whole, never dropped, never retried blindly."""

    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    platform = models.CharField(max_length=20)
    endpoint = models.CharField(max_length=40, blank=True)
    body = ExactTextField()
    body_sha256 = models.CharField(max_length=64)
    error = ExactTextField()
    source = models.CharField(max_length=20, default="poll")
    created_at = models.DateTimeField(auto_now_add=True)
    seen_count = models.PositiveIntegerField(default=1)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("platform", "endpoint", "body_sha256", name="quarantine_unique_body"),
        ]

    def __str__(self):
        return f"{self.platform} {self.endpoint} at {self.created_at}"


class PollState(models.Model):
    """One channel endpoint being polled: its cursor, schedule and health."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="poll_states")
    endpoint = models.CharField(max_length=40)
    cursor = models.TextField(blank=True)
    interval_seconds = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    leased_until = models.DateTimeField(null=True, blank=True, help_text="A poll is running until then.")
    not_before = models.DateTimeField(null=True, blank=True, help_text="No request before this (rate limit).")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    rate_limit = models.JSONField(default=dict, blank=True)
    items_total = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["channel", "endpoint"]
        constraints = [models.UniqueConstraint("channel", "endpoint", name="pollstate_unique")]
        indexes = [models.Index(fields=["enabled", "not_before"], condition=Q(enabled=True), name="pollstate_due")]

    def __str__(self):
        return f"{self.channel} · {self.endpoint}"

    @property
    def schedule_name(self) -> str:
        return f"Poll {self.channel.platform}:{self.channel_id}:{self.endpoint}"


class ChannelMetricSnapshot(models.Model):
    """A channel's audience figures on one day."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="metric_snapshots")
    date = models.DateField()
    followers = models.PositiveBigIntegerField(null=True, blank=True)
    likes = models.PositiveBigIntegerField(null=True, blank=True)
    views = models.PositiveBigIntegerField(null=True, blank=True)
    watch_time_minutes = models.PositiveBigIntegerField(null=True, blank=True)
    posts = models.PositiveBigIntegerField(null=True, blank=True)
    estimated = models.BooleanField(default=False, help_text="Worked out, not measured on the platform.")
    source = models.CharField(max_length=20, default="platform",
                              help_text="platform (measured), backfill (estimated history) or demo (demo data).")

    SOURCE_LABELS = {"platform": "measured", "backfill": "estimated", "demo": "demo data"}

    class Meta:
        ordering = ["channel", "date"]
        constraints = [models.UniqueConstraint("channel", "date", name="metric_unique_day")]

    def __str__(self):
        return f"{self.channel} {self.date}"


class Erasure(models.Model):
    """A record that one author's data was erased on request. Holds no personal data."""

    platform = models.CharField(max_length=20)
    author_ref = models.CharField(max_length=64, help_text="SHA-256 of platform and author id.")
    reference = models.CharField(max_length=200, help_text="The request's reference, e.g. a DPO case number.")
    requested_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    erased_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self):
        return f"Erasure {self.reference} at {self.erased_at:%Y-%m-%d}"


class ApiUsage(models.Model):
    """How much of a platform's capped allowance one app (project) has used in one period: X's
    monthly cap on posts read, YouTube's daily quota units (monitoring.budget)."""

    platform = models.CharField(max_length=20)
    app = models.CharField(max_length=200, blank=True, help_text="The app (project) the cap applies to.")
    period_start = models.DateTimeField(help_text="When the month or day began.")
    used = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "platform"]
        verbose_name = "API usage"
        verbose_name_plural = "API usage"
        constraints = [models.UniqueConstraint(fields=["platform", "app", "period_start"], name="apiusage_unique")]

    def __str__(self):
        return f"{self.platform} {self.period_start:%Y-%m-%d}: {self.used}"


class WebSource(models.Model):
    """A channel of the `web` platform: a feed or a page the council listens to. Its address is
    the channel's url; every fetch of it goes through the guarded fetcher (platforms.fetch)."""

    class Kind(models.TextChoices):
        FEED = "feed", "Feed (RSS or Atom)"
        PAGE = "page", "Web page"

    class Mode(models.TextChoices):
        WATCHED = "watched", "Watched: keep every entry"
        SEARCHED = "searched", "Searched: keep entries that match the watch terms"

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="web_source")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FEED)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.WATCHED)
    added_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["channel__handle"]

    def __str__(self):
        return f"{self.channel.handle} ({self.get_kind_display()}, {self.mode})"


class HostVisit(models.Model):
    """When a web host was last visited, so that sources on one host keep a minimum interval."""

    host = models.CharField(max_length=255, unique=True)
    visited_at = models.DateTimeField()

    def __str__(self):
        return f"{self.host} at {self.visited_at}"


class WatchedAccount(models.Model):
    """Someone who matters (seed 004: "key decision makers and influential blogs"): a local
    journalist, an MP, a councillor, a community leader or an influential site, on any platform.
    Their mentions of the council are never left without a look. Listening stays about the
    council: each entry says who added it and why, every change is audited, and it is reviewed
    yearly."""

    class Kind(models.TextChoices):
        JOURNALIST = "journalist", "Journalist"
        POLITICIAN = "politician", "MP or councillor"
        COMMUNITY_LEADER = "community_leader", "Community leader"
        INFLUENTIAL_SITE = "influential_site", "Influential blog or site"
        OTHER = "other", "Other"

    REVIEW_DAYS = 365

    platform = models.CharField(max_length=20, choices=Channel.Platform.choices)
    handle = models.CharField(max_length=200, help_text="The account's handle on the platform (without @), or, "
                                                        "for the web, the site's host name or the author's name.")
    name = models.CharField(max_length=200, help_text="Who this is, e.g. the newspaper and the journalist's name.")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    reason = models.TextField(help_text="Why their mentions of the council matter.")
    added_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_due_on = models.DateField(help_text="When the entry is next reviewed (a year after adding or review).")
    review_flagged_at = models.DateTimeField(null=True, blank=True, help_text="When the web team was told the "
                                                                               "review is due.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [models.UniqueConstraint("platform", Lower("handle"), name="watchedaccount_unique_handle")]
        indexes = [models.Index(fields=["active", "platform"]), models.Index(fields=["review_due_on"])]

    def __str__(self):
        return f"{self.name} ({self.get_platform_display()} {self.handle})"


class TopicCount(models.Model):
    """How many of the council's mentions carried a topic (a hashtag, a phrase or a place) in one
    hour. Days are the sum of their hours (monitoring.trends)."""

    class Kind(models.TextChoices):
        HASHTAG = "hashtag", "Hashtag"
        PHRASE = "phrase", "Phrase"
        PLACE = "place", "Place"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    topic = models.CharField(max_length=100)
    hour = models.DateTimeField(help_text="The start of the hour (UTC).")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "topic", "hour"], name="topiccount_unique_hour")]
        indexes = [models.Index(fields=["hour", "kind"]), models.Index(fields=["kind", "topic", "hour"],
                                                                       name="topiccount_topic_hour")]

    def __str__(self):
        return f"{self.topic} at {self.hour:%Y-%m-%d %H}: {self.count}"


class SpikeAlert(models.Model):
    """A topic rising well above its own recent baseline: one alert per topic per episode."""

    kind = models.CharField(max_length=10, choices=TopicCount.Kind.choices)
    topic = models.CharField(max_length=100)
    started_at = models.DateTimeField(help_text="The hour the episode began.")
    last_rising_at = models.DateTimeField(help_text="The last hour it was still above the threshold.")
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When it fell back (the episode ended).")
    count = models.PositiveIntegerField(help_text="Mentions in the hour that raised the alert.")
    peak = models.PositiveIntegerField(default=0)
    baseline_mean = models.FloatField()
    baseline_sd = models.FloatField()
    threshold = models.FloatField()
    explanation = models.TextField()
    mentions = models.ManyToManyField(Mention, blank=True, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "topic"], condition=Q(ended_at__isnull=True),
                                               name="spikealert_one_open_per_topic")]

    def __str__(self):
        return f"{self.topic} rising since {self.started_at:%Y-%m-%d %H:%M}"


class StreamState(models.Model):
    """A live stream the council listens to (Bluesky's Jetstream): where it got to and whether it is up.

    `cursor` is the time (microseconds) of the last event stored; a restart resumes a little before
    it, and the store ignores what it already holds."""

    name = models.CharField(max_length=40, unique=True)
    cursor = models.BigIntegerField(default=0)
    connected = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="The consumer was last alive then.")
    last_event_at = models.DateTimeField(null=True, blank=True)
    connected_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    events_total = models.PositiveBigIntegerField(default=0)
    stored_total = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} at {self.cursor}"
