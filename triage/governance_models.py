"""Replies under the same rules as posts, and moderation on the record: reply approval rules,
replies waiting for approval, and every hide, unhide, delete, block or mute of a resident's
comment or account with who, when, why and a snapshot of what it was. (Imported by
triage.models, so Django finds them.)"""
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Channel
from monitoring.fields import ExactCharField, ExactTextField

DEFAULT_REPLY_APPROVERS = ["communications_officer", "web_team"]


def default_reply_approvers():
    return list(DEFAULT_REPLY_APPROVERS)


class ReplyRule(models.Model):
    """When a reply to a resident needs approval before it goes out: on a channel, on a route,
    by a role, or by staff in their first months. Empty conditions match everything; every
    condition given must match."""

    name = models.CharField(max_length=200)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    route = models.CharField(max_length=30, blank=True, help_text="A route id, e.g. comms_escalation.")
    author_role = models.CharField(max_length=40, blank=True, help_text="A role slug of the person replying.")
    new_staff_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Only staff who joined fewer than this many months ago.")
    approver_roles = models.JSONField(default=default_reply_approvers, blank=True,
                                      help_text="Role slugs whose holders may approve these replies.")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class ReplyDraft(models.Model):
    """A reply that waits for approval; approving it sends it through the platform."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for approval"
        SENT = "sent", "Approved and sent"
        SENT_BACK = "sent_back", "Sent back"
        WITHDRAWN = "withdrawn", "Withdrawn"

    case = models.ForeignKey("triage.Case", on_delete=models.CASCADE, related_name="reply_drafts")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=200)
    reasons = models.JSONField(default=list, help_text="Why it needs approval.")
    approver_roles = models.JSONField(default=list)
    state = models.CharField(max_length=20, choices=State.choices, default=State.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_by_name = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "-created_at"])]

    def __str__(self):
        return f"Reply {self.pk} on {self.case}"

    def get_absolute_url(self):
        return reverse("case_detail", args=[self.case_id])


class ModerationAction(models.Model):
    """One moderation of a resident's comment or account, on the record: who, when, why (a reason
    from the house rules), and the text and author as they were."""

    class Action(models.TextChoices):
        HIDE = "hide", "Hidden"
        UNHIDE = "unhide", "Unhidden"
        DELETE = "delete", "Deleted"
        BLOCK = "block", "Author blocked"
        MUTE = "mute", "Author muted"

    class Outcome(models.TextChoices):
        DONE = "done", "Done on the platform"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "The platform did not do it"

    mention = models.ForeignKey("monitoring.Mention", null=True, on_delete=models.SET_NULL, related_name="+")
    case = models.ForeignKey("triage.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="moderation_actions")
    channel = models.ForeignKey(Channel, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    reason = models.CharField(max_length=40, help_text="A reason code from the house rules.")
    note = models.TextField(blank=True)
    automatic = models.BooleanField(default=False, help_text="Hidden automatically for a blocked word.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.DONE)
    detail = models.TextField(blank=True, help_text="What the platform said, or why it was refused.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    platform = models.CharField(max_length=20)
    external_id = models.CharField(max_length=300)
    text_snapshot = ExactTextField(help_text="The comment's text as it was.")
    author_snapshot = ExactCharField(max_length=300, help_text="Its author's handle and name as they were.")
    author_external_id = models.CharField(max_length=300, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["-at"], name="moderation_newest"),
                   models.Index(fields=["automatic", "reviewed_at"], name="moderation_review")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.platform} {self.external_id}"


class DataRequest(models.Model):
    """A subject-access or erasure request from a resident, while it is in progress: nothing in a
    thread they wrote in may be deleted until it is closed (hiding is still allowed)."""

    class Kind(models.TextChoices):
        SUBJECT_ACCESS = "subject_access", "Subject access request"
        ERASURE = "erasure", "Erasure request"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey("monitoring.Author", on_delete=models.CASCADE, related_name="+")
    reference = models.CharField(max_length=200, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference or self.pk}"
