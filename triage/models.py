"""Triage: how each mention was routed, the escalation matrix and classifier settings as
data, cases with their timeline, canned replies and the FOI register."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.models import Service
from accounts.roles import Role as StaffRole
from monitoring.fields import ExactCharField, ExactTextField
from monitoring.models import Mention

from . import classify, clock, matrix


class Route(models.TextChoices):
    """The outcomes of seed 004's matrix. The values are stable ids used in the UI, API and exports."""

    NO_ACTION = matrix.NO_ACTION, "No action (monitoring)"
    CUSTOMER_SERVICE = matrix.CUSTOMER_SERVICE, "Customer services"
    WEB_TEAM_RESPONSE = matrix.WEB_TEAM_RESPONSE, "Web team response"
    SERVICE_CONVERSATION = matrix.SERVICE_CONVERSATION, "Service conversation"
    COMMS_ESCALATION = matrix.COMMS_ESCALATION, "Communications escalation"
    FOI = matrix.FOI, "Freedom of Information"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class NotifyRole(models.TextChoices):
    """Who a rule tells (matrix.ROLES); leading members are the councillors comms choose."""

    WEB_TEAM = "web_team", "Web team"
    COMMUNICATIONS_OFFICER = "communications_officer", "Communications officers"
    HEAD_OF_SERVICE = "head_of_service", "Head of the service"
    SERVICE_EDITOR = "service_editor", "The service's editors"
    CUSTOMER_SERVICES = "customer_services", "Customer services officers"
    LEADING_MEMBERS = "leading_members", "Leading members (councillors)"


class MentionRouting(models.Model):
    """Where the escalation matrix sent one mention, and why."""

    mention = models.OneToOneField(Mention, on_delete=models.CASCADE, primary_key=True, related_name="routing")
    route = models.CharField(max_length=30, choices=Route.choices)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=200)
    explanation = models.TextField()
    priority = models.CharField(max_length=10, choices=Priority.choices)
    classification = models.JSONField(default=dict, help_text="Sentiment, criticality, influence and signals.")
    thread_growth = models.PositiveIntegerField(default=0, help_text="Replies and reshares when last routed.")
    case = models.ForeignKey("Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="routings")
    routed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["route", "-routed_at"]),
            models.Index(fields=["service", "route"]),
        ]

    def __str__(self):
        return f"{self.mention_id} → {self.route}"


class Rule(models.Model):
    """One row of the escalation matrix (matrix.Rule), editable by the web team."""

    name = models.CharField(max_length=200, unique=True)
    order = models.PositiveIntegerField(help_text="Rules are tried from the lowest order up; the first that applies wins.")
    enabled = models.BooleanField(default=True)
    conditions = models.JSONField(default=dict, blank=True)
    route = models.CharField(max_length=30, choices=Route.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    sla = models.CharField(max_length=60, blank=True, help_text="An SLA policy name; blank uses the route's own.")
    notify = models.JSONField(default=list, blank=True, help_text="Roles told of a new case.")
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("rule_edit", args=[self.pk])

    def clean(self):
        policies = set(clock.SLA_POLICIES) | set(SlaPolicy.objects.values_list("name", flat=True))
        errors = matrix.validate_rule(self.as_matrix_rule(), sla_policies=policies)
        if errors:
            raise ValidationError(errors)

    def as_matrix_rule(self) -> matrix.Rule:
        return matrix.Rule(name=self.name, order=self.order, route=self.route, priority=self.priority,
                           conditions=self.conditions, enabled=self.enabled, sla=self.sla or None,
                           notify=tuple(self.notify))


class SlaPolicy(models.Model):
    """A response target (clock.SLA_POLICIES), editable: the per-route targets."""

    class Kind(models.TextChoices):
        NONE = "none", "No deadline"
        ELAPSED_HOURS = "elapsed_hours", "Clock hours"
        WORKING_HOURS = "working_hours", "Working hours"
        WORKING_DAYS = "working_days", "Working days"
        SAME_WORKING_DAY = "same_working_day", "Same working day"
        FOI_WORKING_DAYS = "foi_working_days", "FOI working days (end of the due day)"

    name = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    amount = models.FloatField(null=True, blank=True, help_text="Hours or days, as the kind needs.")
    cutoff = models.TimeField(null=True, blank=True, help_text="Same working day: after this, the next day.")
    roll_to_working = models.BooleanField(default=True, help_text="Clock hours: a deadline out of hours moves "
                                                                  "to the next working moment.")
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self):
        return self.name

    def clean(self):
        errors = clock.validate_sla_policy(self.as_policy())
        if errors:
            raise ValidationError(errors)

    def as_policy(self) -> dict:
        policy: dict = {"kind": self.kind}
        if self.kind in ("elapsed_hours", "working_hours", "working_days", "foi_working_days"):
            amount = self.amount
            policy["amount"] = int(amount) if amount is not None and amount == int(amount) else amount
        if self.kind == "same_working_day" and self.cutoff:
            policy["cutoff"] = self.cutoff.strftime("%H:%M")
        if self.kind == "elapsed_hours":
            policy["roll_to_working"] = self.roll_to_working
        return policy


# Defaults for the editable lists (functions, so that migrations can refer to them).
def default_critical_phrases():
    return list(classify.DEFAULT_CRITICAL_PHRASES)


def default_reputational_phrases():
    return list(classify.DEFAULT_REPUTATIONAL_PHRASES)


def default_abuse_words():
    return list(classify.DEFAULT_ABUSE_WORDS)


def default_foi_phrases():
    return list(classify.DEFAULT_FOI_PHRASES)


def default_signpost_phrases():
    return list(classify.DEFAULT_SIGNPOST_PHRASES)


def default_safeguarding_phrases():
    return list(classify.DEFAULT_SAFEGUARDING_PHRASES)


class TriageSettings(models.Model):
    """The classifier's editable settings and the SLA warnings (one row). `config_token`
    changes with every change to rules, topics, SLA policies or these settings, so every
    process knows to rebuild its cached configuration."""

    influential_followers = models.PositiveIntegerField(
        default=classify.InfluenceThresholds.influential_followers,
        help_text="An author with at least this many followers is influential.")
    influential_score = models.PositiveSmallIntegerField(
        default=classify.InfluenceThresholds.influential_score,
        help_text="An author with at least this influence score (0–100) is influential.")
    verified_bonus = models.PositiveSmallIntegerField(default=classify.InfluenceThresholds.verified_bonus)
    critical_phrases = models.JSONField(default=default_critical_phrases, blank=True)
    reputational_phrases = models.JSONField(default=default_reputational_phrases, blank=True)
    abuse_words = models.JSONField(default=default_abuse_words, blank=True)
    foi_phrases = models.JSONField(default=default_foi_phrases, blank=True)
    signpost_phrases = models.JSONField(default=default_signpost_phrases, blank=True)
    safeguarding_phrases = models.JSONField(
        default=default_safeguarding_phrases, blank=True,
        help_text="Words that flag a person who may be at risk, whatever the learned model says.")
    sla_warning_minutes = models.PositiveIntegerField(
        default=60, help_text="Warn the assignee this long before a case breaches its SLA.")
    foi_reminder_working_days = models.PositiveSmallIntegerField(
        default=5, help_text="Remind about an unanswered FOI request this many working days before it is due.")
    config_token = models.CharField(max_length=32, default="initial", editable=False)
    # The council's named safeguarding contact: who is told at once of a person who may be at risk.
    # Any of the three, together; with none, the web team is told.
    safeguarding_role = models.CharField(
        max_length=30, blank=True, choices=StaffRole.choices,
        help_text="Everyone with this role is a safeguarding contact (within the service below, if one is chosen).")
    safeguarding_service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The staff of this service (with the role above, if one is chosen) are safeguarding contacts.")
    safeguarding_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+",
        help_text="Named safeguarding contacts, told whatever their role.")

    PHRASE_LISTS = ("critical_phrases", "reputational_phrases", "abuse_words", "foi_phrases", "signpost_phrases",
                    "safeguarding_phrases")

    class Meta:
        verbose_name = verbose_name_plural = "triage settings"

    def __str__(self):
        return "Triage settings"

    def clean(self):
        errors = {name: classify.validate_phrases(getattr(self, name)) for name in self.PHRASE_LISTS}
        errors = {name: found for name, found in errors.items() if found}
        if errors:
            raise ValidationError(errors)


class ServiceTopic(models.Model):
    """The phrases that place a mention with a service (bins → Waste and Recycling). A service
    without a topic uses the built-in phrases for its slug, if there are any."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="topic")
    phrases = models.JSONField(default=list, blank=True, help_text="Words and phrases; an empty list turns it off.")
    order = models.PositiveIntegerField(default=100, help_text="Breaks ties between services (lowest first).")

    class Meta:
        ordering = ["order", "service__name"]

    def __str__(self):
        return f"Topic of {self.service}"

    def clean(self):
        errors = classify.validate_phrases(self.phrases)
        if errors:
            raise ValidationError({"phrases": errors})


def case_search_text(text: str, handle: str) -> str:
    """What the cases' text search looks in: the opening mention's words and its author's handle,
    case-folded (the search folds its term the same way), so one trigram index serves it. NUL,
    which PostgreSQL's text cannot hold, becomes a space (the mention keeps it exactly)."""
    return f"{text}\n@{handle.lstrip('@')}".casefold().replace("\x00", " ")


# States in which a case is on the working queue (the dashboard's default "open" filter).
WORKING_STATES = ("new", "acknowledged", "in_progress", "with_service", "responded")
# Priority as a number, highest last: the "priority" sort of the queue, and its index.
PRIORITY_RANK = models.Case(*[models.When(priority=p, then=models.Value(i)) for i, p in enumerate(matrix.PRIORITIES)],
                            default=models.Value(0), output_field=models.IntegerField())


class Case(models.Model):
    """Work on a mention (and later mentions of the same conversation)."""

    class State(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        IN_PROGRESS = "in_progress", "In progress"
        WITH_SERVICE = "with_service", "With service"
        RESPONDED = "responded", "Responded"
        CLOSED = "closed", "Closed"
        MONITORING = "monitoring", "Monitoring"

    mention = models.ForeignKey(Mention, on_delete=models.PROTECT, related_name="cases",
                                help_text="The mention that opened the case.")
    platform = models.CharField(max_length=20)
    conversation_id = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    route = models.CharField(max_length=30, choices=Route.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_cases")
    shared_with = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="shared_cases",
                                         help_text="Councillors communications chose to tell, and the "
                                                   "safeguarding contacts of a safeguarding case: they can read it.")
    safeguarding = models.BooleanField(default=False, help_text="A person may be at risk of harm.")
    rule_name = models.CharField(max_length=200)
    explanation = models.TextField()
    sla_policy = models.CharField(max_length=60, blank=True)
    opened_at = models.DateTimeField(help_text="When the first mention was received.")
    out_of_hours = models.BooleanField(default=False)
    clock_started_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_stopped_at = models.DateTimeField(null=True, blank=True,
                                          help_text="First response (for FOI: the response recorded).")
    sla_warned_at = models.DateTimeField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Goes up with every change; stale saves are refused.")
    search_text = models.TextField(blank=True, default="", editable=False,
                                   help_text="The opening mention's text and author, case-folded, for the text "
                                             "search (case_search_text; a trigram index on PostgreSQL).")
    updated_at = models.DateTimeField(auto_now=True)

    OPEN_STATES = (State.NEW, State.ACKNOWLEDGED, State.IN_PROGRESS, State.WITH_SERVICE, State.RESPONDED,
                   State.MONITORING)
    # States in which a case waits for someone to act (the SLA runs).
    ACTIVE_STATES = (State.NEW, State.ACKNOWLEDGED, State.IN_PROGRESS, State.WITH_SERVICE)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "sla_due_at"]),
            models.Index(fields=["route", "state", "sla_due_at"]),
            models.Index(fields=["service", "state", "sla_due_at"]),
            models.Index(fields=["assignee", "state", "sla_due_at"]),
            models.Index(fields=["state", "-opened_at"]),
            models.Index(fields=["priority", "state"]),
            models.Index(fields=["platform", "conversation_id"], condition=~Q(state="closed"),
                         name="case_open_conversation"),
            models.Index(fields=["sla_due_at"], condition=Q(sla_stopped_at__isnull=True, sla_breached_at__isnull=True),
                         name="case_sla_watch"),
            # The working queue in each of its orders, so a page reads its rows in order and stops,
            # however many cases are open; and the queue counts as index-only scans.
            # (An ascending PostgreSQL index puts nulls last, as the queue's SLA order does.)
            models.Index(fields=["sla_due_at", "-opened_at", "-id"], condition=Q(state__in=WORKING_STATES),
                         name="case_working_sla"),
            models.Index(fields=["-opened_at", "-id"], condition=Q(state__in=WORKING_STATES),
                         name="case_working_newest"),
            models.Index(PRIORITY_RANK.desc(), F("sla_due_at"), F("id").desc(),
                         condition=Q(state__in=WORKING_STATES), name="case_working_priority"),
            models.Index(fields=["route", "service"],
                         include=["id", "state", "sla_due_at", "sla_stopped_at", "assignee"],
                         condition=Q(state__in=WORKING_STATES), name="case_working_counts"),
        ]

    def __str__(self):
        return f"Case {self.pk}"

    def get_absolute_url(self):
        return reverse("case_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state != self.State.CLOSED


# The search column repeats the mention's words: the audit trail records changes to a case, not them.
Case._meta.get_field("search_text").audit_hidden = True


class CaseEvent(models.Model):
    """One entry on a case's timeline: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Opened"
        JOINED = "joined", "Later mention joined"
        REROUTED = "rerouted", "Routing raised"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ASSIGNED = "assigned", "Assigned"
        NOTE = "note", "Internal note"
        HANDED_OVER = "handed_over", "Handed over to a service"
        ESCALATED = "escalated", "Escalated to communications"
        REPLY = "reply", "Replied"
        PRIVATE_CHANNEL = "private_channel", "Taken to a private channel"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        SLA_WARNING = "sla_warning", "SLA warning"
        SLA_BREACH = "sla_breach", "SLA breached"
        FOI_VALIDATED = "foi_validated", "FOI request made valid"
        FOI_REMINDER = "foi_reminder", "FOI reminder"
        FOI_RESPONSE = "foi_response", "FOI response recorded"
        CORRECTED = "corrected", "Moved to another route"
        SAFEGUARDING = "safeguarding", "Safeguarding"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=200, blank=True, help_text="Kept if the user is deleted.")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    text = models.TextField(blank=True)
    external_id = models.CharField(max_length=300, blank=True, help_text="A reply's id on the platform.")
    url = models.URLField(max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self):
        return f"{self.case} {self.kind} at {self.at}"


class CannedReply(models.Model):
    """A signposting reply with a link to the council's web pages."""

    title = models.CharField(max_length=120)
    text = models.CharField(max_length=260, help_text="The reply; the link is added after it.")
    url = models.URLField(max_length=500, blank=True)
    route = models.CharField(max_length=30, choices=Route.choices, blank=True,
                             help_text="Offer it first on this route's cases.")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self):
        return self.title

    @property
    def full_text(self) -> str:
        return f"{self.text} {self.url}".strip()


class FoiRequest(models.Model):
    """The FOI register: a request made on social media, fed from its case."""

    class ResponseKind(models.TextChoices):
        EMAIL = "email", "Emailed to the requester"
        WEB_PAGE = "web_page", "Published on a web page linked in a reply"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="foi")
    requester = ExactCharField(max_length=300, blank=True, help_text="The requester's name.")
    correspondence_address = models.CharField(max_length=500, blank=True)
    request_text = ExactTextField()
    valid = models.BooleanField(default=False)
    validity_reason = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField()
    clock_start = models.DateField(help_text="The day the valid request was received.")
    due_date = models.DateField()
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    response_kind = models.CharField(max_length=20, choices=ResponseKind.choices, blank=True)
    response_url = models.URLField(max_length=500, blank=True)
    response_note = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = "FOI request"
        indexes = [
            models.Index(fields=["due_date"], condition=Q(responded_at__isnull=True), name="foi_open_due"),
            models.Index(fields=["-received_at"]),
        ]

    def __str__(self):
        return f"FOI {self.pk} ({self.case})"


class CaseNotice(models.Model):
    """Who is to be told of cases that routing opened or raised, written in the transaction that
    stored them. services.case_notices_send sends what has gathered, merged: one message per
    subject, role and service, however many pages arrived in the meantime."""

    subject = models.CharField(max_length=200)
    # [[role, service id or null, [case ids]], ...]
    groups = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.subject} ({self.created_at:%Y-%m-%d %H:%M})"


class ClassifierVersion(models.Model):
    """One trained version of the learned classifier (triage.learned), stored as data: its
    parameters are a numpy .npz of plain arrays and one JSON text, read with allow_pickle=False.
    `metrics` are its figures on the held-back fifth of the shipped corpus (learned.scores).
    Exactly one version is live at a time; only the model store's services change `status`."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        LIVE = "live", "Live"
        REJECTED = "rejected", "Rejected (scored worse than the live version)"
        RETIRED = "retired", "Retired"

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CANDIDATE, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    trained_by_name = models.CharField(max_length=200, blank=True, default="system")
    corpus_items = models.PositiveIntegerField(default=0, help_text="Items of the shipped corpus trained on.")
    council_labels = models.PositiveIntegerField(default=0, help_text="The council's own labels trained on.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Figures on the held-back fifth of the corpus.")
    params = models.BinaryField(help_text="The model: numpy .npz bytes (arrays and JSON, no pickles).")
    params_sha256 = models.CharField(max_length=64)
    training_seconds = models.FloatField(default=0)
    promoted_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, default="", help_text="Why it was rejected, rolled back to, and so on.")

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["status"], condition=Q(status="live"),
                                               name="triage_one_live_classifier")]

    def __str__(self):
        return f"Classifier version {self.version} ({self.get_status_display().split(' (')[0].lower()})"

    def headline(self) -> dict:
        """Route accuracy, macro-F1, safeguarding recall and precision, service accuracy."""
        from .learned import summary

        return summary(self.metrics) if self.metrics.get("route") else {}


class RoutingLabel(models.Model):
    """A staff decision that says where a mention belonged: the council's own label, which
    retraining learns from beside the shipped corpus. Written by the case services in the
    transaction of the decision, with what the routing had said at the time."""

    class Decision(models.TextChoices):
        REROUTED = "rerouted", "Moved to another route"
        HANDED_OVER = "handed_over", "Handed over to a service"
        ESCALATED = "escalated", "Escalated to communications"
        CLOSED_NO_ACTION = "closed_no_action", "Closed as no action"
        FOI_MARKED = "foi_marked", "Marked as an FOI request"
        FOI_UNMARKED = "foi_unmarked", "Marked as not an FOI request"
        SAFEGUARDING_MARKED = "safeguarding_marked", "Marked as safeguarding"
        SAFEGUARDING_UNMARKED = "safeguarding_unmarked", "Marked as not safeguarding"

    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="labels")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels")
    route = models.CharField(max_length=30, choices=Route.choices)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    safeguarding = models.BooleanField(default=False)
    decision = models.CharField(max_length=30, choices=Decision.choices)
    # What the routing had said when the decision was made (the model's own guess where it made one).
    predicted_route = models.CharField(max_length=30, blank=True)
    predicted_service = models.CharField(max_length=100, blank=True, help_text="A service slug.")
    predicted_safeguarding = models.BooleanField(null=True, blank=True)
    model_version = models.CharField(max_length=100, blank=True, help_text="The model that routed the mention.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=200, blank=True, help_text="Kept if the user is deleted.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["-at"]), models.Index(fields=["mention", "-at"])]

    def __str__(self):
        return f"Label of mention {self.mention_id}: {self.route}"


class RetrainRun(models.Model):
    """One retraining of the classifier on the shipped corpus and the council's labels: its
    progress while the task runs, then the version trained and whether it was promoted."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Training"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_by_name = models.CharField(max_length=200, help_text="Kept if the user is deleted; \"system\" "
                                                                   "for the nightly run.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    step = models.CharField(max_length=200, blank=True, help_text="What the task is doing.")
    error = models.TextField(blank=True)
    labels_used = models.PositiveIntegerField(default=0, help_text="The council's labels trained on.")
    version = models.CharField(max_length=100, blank=True, help_text="The version trained.")
    promoted = models.BooleanField(default=False)
    outcome = models.TextField(blank=True, help_text="Why the version was promoted or kept back.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="retrainrun_progress")]

    def __str__(self):
        return f"Retraining {self.pk}"

    def get_absolute_url(self):
        return reverse("triage_retrain_run", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


from .governance_models import DataRequest, ModerationAction, ReplyDraft, ReplyRule  # noqa: E402,F401  (replies and moderation)
