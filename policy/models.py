"""Policy documents and their versions, acknowledgements, and training records.

Seed 002: separate policies for staff and for elected members; minor amendments delegated
to an officer, anything else approved by committee. Seed 000: the policy is reviewed every
year; an e-learning module for all staff. Seed 003: a guide for councillors at induction.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

# Slugs that are pages of their own under /policies/.
RESERVED_SLUGS = {"compliance", "new"}


def _not_reserved(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError(f"“{slug}” is used by another page: choose another.")


class Audience(models.TextChoices):
    STAFF = "staff", "Staff"
    COUNCILLORS = "councillors", "Councillors"


class PolicyDocument(models.Model):
    class Kind(models.TextChoices):
        SOCIAL_MEDIA_POLICY = "social_media_policy", "Social media policy"
        MEMBERS_POLICY = "members_policy", "Social media policy for members"
        COUNCILLORS_GUIDE = "councillors_guide", "Social media guide for councillors"
        HOUSE_RULES = "house_rules", "House rules"
        GUIDANCE = "guidance", "Guidance"

    # Kinds that are policies proper: their first version must be approved by committee.
    POLICY_KINDS = (Kind.SOCIAL_MEDIA_POLICY, Kind.MEMBERS_POLICY)

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, validators=[_not_reserved])
    audience = models.CharField(max_length=20, choices=Audience.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    summary = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_policies", help_text="Who reviews it every year.")
    requires_acknowledgement = models.BooleanField(
        default=True, help_text="Everyone in its audience must read and acknowledge each version.")
    review_reminder_days = models.PositiveSmallIntegerField(
        default=30, help_text="How many days before the annual review date its owner is reminded.")
    order = models.PositiveSmallIntegerField(default=100, help_text="Position in lists.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["audience", "order", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("policy_document", args=[self.slug])


class PolicyVersion(models.Model):
    """One version of a document. The current version is the latest one in effect."""

    class ChangeType(models.TextChoices):
        COMMITTEE = "committee", "Approved by committee"
        DELEGATED = "delegated_minor", "Minor amendment (delegated)"

    document = models.ForeignKey(PolicyDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown.")
    summary_of_changes = models.CharField(max_length=500, blank=True)
    effective_from = models.DateField()
    review_due = models.DateField(help_text="The annual review date.")
    change_type = models.CharField(max_length=20, choices=ChangeType.choices)
    approved_by = models.CharField(
        max_length=200, help_text="e.g. Policy Committee, or the Corporate Officer in consultation with the "
                                  "Portfolio Holder.")
    committee_reference = models.CharField(max_length=200, blank=True,
                                           help_text="The committee, meeting date and minute number.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    review_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="policy_version_unique_number")]
        indexes = [models.Index(fields=["document", "-effective_from", "-number"])]

    def __str__(self):
        return f"{self.document.title}, version {self.number}"

    def get_absolute_url(self):
        return reverse("policy_version", args=[self.document.slug, self.number])


class Acknowledgement(models.Model):
    """A person has read and understood one version of a document."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="policy_acknowledgements")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="acknowledgement_once")]
        indexes = [models.Index(fields=["version", "user"])]

    def __str__(self):
        return f"{self.user} acknowledged {self.version}"


class TrainingModule(models.Model):
    """A course: the social media e-learning for staff (seed 000), councillor induction (seed 003)."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    audience = models.CharField(max_length=20, choices=Audience.choices)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True, help_text="Where to take it.")
    valid_for_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long a completion counts. Leave blank if it never expires.")
    required = models.BooleanField(default=True, help_text="Everyone in its audience must complete it.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["audience", "title"]

    def __str__(self):
        return self.title


class TrainingCompletion(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_completions")
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    lapse_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        indexes = [models.Index(fields=["user", "module", "-completed_on"]), models.Index(fields=["expires_on"])]

    def __str__(self):
        return f"{self.user}: {self.module} on {self.completed_on}"
