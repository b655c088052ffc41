"""Every change to policies, acknowledgements and training records: one transaction, audited.

Other apps call require_policy_acknowledged() before someone submits a post or a reply:
staff who have not acknowledged the current version of the staff policy cannot.
"""
from calendar import monthrange
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User
from accounts.notifications import notify
from accounts.roles import Role
from accounts.selectors import staff_with_role

from . import selectors
from .models import Acknowledgement, PolicyDocument, PolicyVersion, TrainingCompletion, TrainingModule


class PolicyNotAcknowledged(PermissionDenied):
    """The user must read and acknowledge the current version of one or more documents first.

    .message says what to read; .url is the page of the first document to read (where it is
    acknowledged); .versions are all the versions still owed. A PermissionDenied, so a view
    that lets it through answers 403 with the message, and DRF answers 403 {"detail": message}.
    """

    code = "policy_not_acknowledged"

    def __init__(self, versions: list[PolicyVersion], *, action: str = "submit posts or replies"):
        self.versions = list(versions)
        self.url = self.versions[0].document.get_absolute_url()
        names = [f"the {v.document.title} (version {v.number})" for v in self.versions]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        self.message = f"Before you {action}, read and acknowledge {listed}: {self.url}"
        super().__init__(self.message)

    def __str__(self):
        return self.message

    def as_dict(self) -> dict:
        """The body of an API error."""
        return {"detail": self.message, "code": self.code, "policy_url": self.url,
                "policies": [{"slug": v.document.slug, "title": v.document.title, "version": v.number}
                             for v in self.versions]}


def require_policy_acknowledged(user: User, *, action: str = "submit posts or replies",
                                on: date | None = None) -> None:
    """Raise PolicyNotAcknowledged unless the user has acknowledged the current version of
    every document for their audience that needs acknowledging. Returns None when they have."""
    pending = selectors.must_acknowledge(user, on=on)
    if pending:
        raise PolicyNotAcknowledged(pending, action=action)


def add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


# Policies -----------------------------------------------------------------------------------


@transaction.atomic
def policy_acknowledge(*, actor: User, version: PolicyVersion, on: date | None = None) -> Acknowledgement:
    """The actor has read and understood the current version of a document. Safe to repeat."""
    document = version.document
    if document.audience not in selectors.audiences_for(actor):
        raise ValidationError(f"The {document.title} is for {document.get_audience_display().lower()}: you do not "
                              "need to acknowledge it.")
    current = selectors.current_version(document, on=on)
    if current is None:
        raise ValidationError(f"The {document.title} is not in effect yet.")
    if current.pk != version.pk:
        raise ValidationError(f"Version {version.number} of the {document.title} is not the current one: read "
                              f"version {current.number} and acknowledge that.")
    acknowledgement, created = Acknowledgement.objects.get_or_create(user=actor, version=version)
    if created:
        audit_record(actor=actor, action="policy.acknowledge", obj=version, changes={"version": [None, version.number]},
                     service=actor.service)
    return acknowledgement


def _audience_members(audience: str) -> list[User]:
    people = User.objects.filter(is_active=True).prefetch_related("groups")
    return [p for p in people if audience in selectors.audiences_for(p)]


@transaction.atomic
def policy_version_publish(*, actor: User, document: PolicyDocument, body: str, effective_from: date,
                           change_type: str, approved_by: str, committee_reference: str = "",
                           summary_of_changes: str = "", review_due: date | None = None) -> PolicyVersion:
    """Publish a new version. It becomes current on its effective date, and from then on
    everyone in the audience must acknowledge it afresh."""
    if not selectors.can_manage_policy(actor, document):
        raise PermissionDenied("Only the web team, administrators and the document's owner publish versions.")
    document = PolicyDocument.objects.select_for_update(of=("self",)).get(pk=document.pk)
    body, approved_by = (body or "").strip(), (approved_by or "").strip()
    committee_reference = (committee_reference or "").strip()
    errors = {}
    if not body:
        errors["body"] = "Enter the text of the document."
    if change_type not in PolicyVersion.ChangeType.values:
        errors["change_type"] = "Choose whether committee approved it or it is a delegated minor amendment."
    if not approved_by:
        errors["approved_by"] = "Say who approved it."
    if change_type == PolicyVersion.ChangeType.COMMITTEE and not committee_reference:
        errors["committee_reference"] = "Enter the committee and minute reference."
    last = document.versions.order_by("-number").first()
    if last is None and document.kind in PolicyDocument.POLICY_KINDS \
            and change_type == PolicyVersion.ChangeType.DELEGATED:
        errors["change_type"] = "The first version of a policy must be approved by committee."
    if not isinstance(effective_from, date):
        errors["effective_from"] = "Enter the date it comes into effect."
    elif last is not None and effective_from < last.effective_from:
        errors["effective_from"] = (f"It cannot come into effect before version {last.number} "
                                    f"({last.effective_from:%d/%m/%Y}).")
    if not errors:
        review_due = review_due or add_months(effective_from, 12)
        if review_due <= effective_from:
            errors["review_due"] = "The review date must be after the date it comes into effect."
    if errors:
        raise ValidationError(errors)
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(
        document=document, number=number, body=body, summary_of_changes=(summary_of_changes or "").strip()[:500],
        effective_from=effective_from, review_due=review_due, change_type=change_type, approved_by=approved_by,
        committee_reference=committee_reference, created_by=actor)
    audit_record(actor=actor, action="policy.version", obj=version, note=version.summary_of_changes, changes={
        "number": [last.number if last else None, number], "effective_from": [None, str(effective_from)],
        "review_due": [None, str(review_due)], "change_type": [None, change_type],
        "committee_reference": [None, committee_reference]})
    if document.requires_acknowledgement:
        when = "now in effect" if effective_from <= selectors.today() else \
            f"in effect from {effective_from:%d/%m/%Y}"
        notify(users=[p for p in _audience_members(document.audience) if p.pk != actor.pk], email=False,
               subject=f"New version of the {document.title}: read and acknowledge it",
               body=f"Version {number} is {when}. {version.summary_of_changes}".strip(),
               url=document.get_absolute_url())
    return version


@transaction.atomic
def policy_review_reminders(*, on: date | None = None) -> int:
    """Remind each owner once, ahead of the annual review date of their document's current version."""
    on = on or selectors.today()
    sent = 0
    for version in selectors.current_versions(on=on):
        document = version.document
        if version.review_reminded_at or version.review_due - timedelta(days=document.review_reminder_days) > on:
            continue
        owners = [document.owner] if document.owner_id else list(staff_with_role(Role.WEB_TEAM))
        state = "was due" if version.review_due < on else "is due"
        notify(users=owners, subject=f"The annual review of the {document.title} {state} on "
                                     f"{version.review_due:%d/%m/%Y}",
               body=f"Review version {version.number} (in effect since {version.effective_from:%d/%m/%Y}). Minor "
                    "amendments may be made under delegation; anything else goes to committee for approval.",
               url=document.get_absolute_url())
        PolicyVersion.objects.filter(pk=version.pk).update(review_reminded_at=timezone.now())
        audit_record(actor=None, action="policy.review_reminder", obj=version,
                     note=f"Review {state} on {version.review_due:%d/%m/%Y}.")
        sent += 1
    return sent


# Training -----------------------------------------------------------------------------------


@transaction.atomic
def training_completion_record(*, actor: User, user: User, module: TrainingModule, completed_on: date,
                               note: str = "") -> TrainingCompletion:
    """Record that someone completed a module; it expires after the module's validity."""
    if not selectors.can_record_training(actor, user):
        raise PermissionDenied("Only the web team, administrators and their head of service record training.")
    errors = {}
    if not module.active:
        errors["module"] = "This module is no longer offered."
    if not user.is_active:
        errors["user"] = "This person no longer works here."
    if not isinstance(completed_on, date):
        errors["completed_on"] = "Enter the date it was completed."
    elif completed_on > selectors.today():
        errors["completed_on"] = "The completion date cannot be in the future."
    if errors:
        raise ValidationError(errors)
    expires_on = add_months(completed_on, module.valid_for_months) if module.valid_for_months else None
    completion = TrainingCompletion.objects.create(user=user, module=module, completed_on=completed_on,
                                                   expires_on=expires_on, note=(note or "").strip()[:300],
                                                   recorded_by=actor)
    audit_record(actor=actor, action="training.complete", obj=completion, service=user.service, changes={
        "module": [None, module.slug], "completed_on": [None, str(completed_on)],
        "expires_on": [None, str(expires_on) if expires_on else None]})
    if user.pk != actor.pk:
        notify(users=[user], subject=f"Your {module.title} training was recorded",
               body=f"Completed on {completed_on:%d/%m/%Y}" + (
                   f"; it lasts until {expires_on:%d/%m/%Y}." if expires_on else "."),
               url=reverse("training_mine"))
    return completion


@transaction.atomic
def training_reminders(*, on: date | None = None) -> dict:
    """Warn once before a person's latest completion of a required module expires, and
    remind them (and their head of service) once when it has lapsed. Safe to repeat."""
    on = on or selectors.today()
    now = timezone.now()
    newer = TrainingCompletion.objects.filter(user=OuterRef("user"), module=OuterRef("module"),
                                              completed_on__gt=OuterRef("completed_on"))
    latest = TrainingCompletion.objects.filter(module__active=True, module__required=True, user__is_active=True,
                                               expires_on__isnull=False).exclude(Exists(newer)).select_related(
        "user", "user__service__head", "module")
    lapsed = list(latest.filter(expires_on__lt=on, lapse_reminded_at__isnull=True).select_for_update(of=("self",)))
    for c in lapsed:
        head = c.user.service.head if c.user.service_id else None
        notify(users=[c.user], subject=f"Your {c.module.title} training has lapsed",
               body=f"It expired on {c.expires_on:%d/%m/%Y}. Take it again" + (f": {c.module.url}" if c.module.url
                                                                                 else "."), url=reverse("training_mine"))
        if head is not None and head.pk != c.user.pk:
            notify(users=[head], subject=f"{c.user}'s {c.module.title} training has lapsed",
                   body=f"It expired on {c.expires_on:%d/%m/%Y}.", url=reverse("training_person", args=[c.user.pk]))
    TrainingCompletion.objects.filter(pk__in=[c.pk for c in lapsed]).update(lapse_reminded_at=now)
    soon = on + timedelta(days=selectors.expiry_warning_days())
    expiring = list(latest.filter(expires_on__gte=on, expires_on__lt=soon, expiry_warned_at__isnull=True)
                    .select_for_update(of=("self",)))
    for c in expiring:
        notify(users=[c.user], subject=f"Your {c.module.title} training expires on {c.expires_on:%d/%m/%Y}",
               body="Take it again before then" + (f": {c.module.url}" if c.module.url else "."), url=reverse("training_mine"))
    TrainingCompletion.objects.filter(pk__in=[c.pk for c in expiring]).update(expiry_warned_at=now)
    return {"lapsed": len(lapsed), "expiring": len(expiring)}
