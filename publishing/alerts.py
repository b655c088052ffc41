"""Email alerts for residents (seed 001): double opt-in, one-click unsubscribe, batched sending.

Nothing about a resident is stored until they confirm: the confirmation link carries their
address and topics, signed. Unsubscribing from everything removes the address.
"""
import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection, send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User

from . import selectors
from .models import AlertDelivery, AlertIssue, AlertSubscriber, Post, Topic

CONFIRM_SALT = "publishing.alerts.confirm"
UNSUBSCRIBE_SALT = "publishing.alerts.unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)
BATCH = 200


class AlertRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise AlertRefused("Enter an email address in the correct format, like name@example.com.") from None
    return email


def alert_subscribe_request(*, email: str, topics) -> None:
    """Email a link that confirms the sign-up. Sent whether or not the address is already
    signed up, so the page reveals nothing about who subscribes."""
    email = _clean_email(email)
    topic_ids = sorted({t.pk for t in topics if t.active})
    if not topic_ids:
        raise AlertRefused("Choose at least one topic.")
    token = signing.dumps({"e": email, "t": topic_ids}, salt=CONFIRM_SALT)
    names = ", ".join(Topic.objects.filter(pk__in=topic_ids).values_list("name", flat=True))
    link = _absolute(reverse("alerts_confirm", args=[token]))
    send_mail(
        f"Confirm your email alerts from {settings.COUNCIL_NAME}",
        f"Someone, probably you, asked for email alerts from {settings.COUNCIL_NAME} about: {names}.\n\n"
        f"To confirm, open this link within {CONFIRM_MAX_AGE.days} days:\n{link}\n\n"
        "If you did not ask for this, ignore this email: you will not get any alerts.",
        settings.DEFAULT_FROM_EMAIL, [email],
    )


@transaction.atomic
def alert_confirm(*, token: str) -> AlertSubscriber:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise AlertRefused("This link has expired. Sign up again to get a new one.") from None
    except signing.BadSignature:
        raise AlertRefused("This link is not valid. Check you copied all of it, or sign up again.") from None
    topics = list(Topic.objects.filter(pk__in=data.get("t", []), active=True))
    subscriber = AlertSubscriber.objects.select_for_update(of=("self",)).filter(email__iexact=data["e"]).first()
    before = sorted(subscriber.topics.values_list("slug", flat=True)) if subscriber else []
    if subscriber is None:
        subscriber = AlertSubscriber.objects.create(email=data["e"], confirmed_at=timezone.now())
    subscriber.topics.set(topics)
    audit_record(actor=None, action="alerts.subscribe", obj=subscriber,
                 changes={"topics": [before, sorted(t.slug for t in topics)]})
    return subscriber


def unsubscribe_token(subscriber: AlertSubscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "k": _email_key(subscriber.email)}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(subscriber: AlertSubscriber) -> str:
    return _absolute(reverse("alerts_unsubscribe", args=[unsubscribe_token(subscriber)]))


@transaction.atomic
def alert_unsubscribe(*, token: str) -> bool:
    """One click removes the resident and their address. False when they had already gone."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise AlertRefused("This unsubscribe link is not valid. Check you copied all of it.") from None
    subscriber = AlertSubscriber.objects.select_for_update(of=("self",)).filter(pk=data.get("s")).first()
    if subscriber is None or _email_key(subscriber.email) != data.get("k"):
        return False
    audit_record(actor=None, action="alerts.unsubscribe", obj=subscriber,
                 changes={"topics": [sorted(subscriber.topics.values_list("slug", flat=True)), []]})
    subscriber.delete()
    return True


@transaction.atomic
def alert_erase(*, actor: User, subscriber: AlertSubscriber, reason: str = "") -> None:
    """Erase a resident's address and everything sent to them (a data protection request)."""
    if not actor.has_role(*selectors.ALERTS_ROLES):
        raise AlertRefused("Only the web team can erase subscribers.")
    audit_record(actor=actor, action="alerts.erase", obj=subscriber, note=reason or "Erased on request",
                 changes={"deliveries": [subscriber.deliveries.count(), 0]})
    subscriber.delete()


def subscribers_export(*, actor: User) -> list[list[str]]:
    """Every subscriber as a CSV row (email, topics, confirmed at); the export is audited."""
    if not actor.has_role(*selectors.ALERTS_ROLES):
        raise AlertRefused("Only the web team can export subscribers.")
    rows = []
    for subscriber in selectors.subscriber_list():
        # The CSV writer neutralises cells a spreadsheet would read as formulas (council_social/csv_export.py).
        rows.append([subscriber.email, "; ".join(t.slug for t in subscriber.topics.all()), subscriber.confirmed_at.isoformat()])
    audit_record(actor=actor, action="alerts.export", obj=actor, note=f"{len(rows)} subscribers exported")
    return rows


# --- sending ---------------------------------------------------------------------------------


def alert_issue_for_post(*, post: Post) -> AlertIssue | None:
    """A published post tagged with topics goes to their subscribers (inside the caller's transaction)."""
    if not post.topics.exists():
        return None
    issue, created = AlertIssue.objects.get_or_create(post=post)
    if created:
        from .tasks import alert_send_batch

        transaction.on_commit(lambda: alert_send_batch.delay(issue.pk))
    return issue


def _message(post: Post, subscriber: AlertSubscriber, topic_names: list[str], connection) -> EmailMessage:
    unsubscribe = unsubscribe_url(subscriber)
    first_line = (post.text.strip().splitlines() or [""])[0]
    body = "\n\n".join(part for part in [
        post.text.strip(),
        post.link,
        f"You get this email because you signed up for alerts from {settings.COUNCIL_NAME} about "
        f"{', '.join(topic_names)}.\nUnsubscribe with one click: {unsubscribe}",
    ] if part)
    return EmailMessage(
        subject=f"{settings.COUNCIL_NAME}: {first_line[:90]}", body=body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email], connection=connection,
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def alert_send_batch(*, issue_id: int) -> dict:
    """Send the next batch of an alert; queue the one after. A subscriber already sent this
    alert is skipped, so a repeated batch sends nobody anything twice."""
    issue = AlertIssue.objects.select_related("post").get(pk=issue_id)
    post_topics = {t.pk: t.name for t in issue.post.topics.all()}
    subscribers = list(
        AlertSubscriber.objects.filter(topics__in=list(post_topics)).exclude(deliveries__issue=issue)
        .prefetch_related("topics").distinct().order_by("id")[:BATCH]
    )
    if subscribers:
        connection = get_connection()
        messages = [_message(issue.post, s, [t.name for t in s.topics.all() if t.pk in post_topics], connection)
                    for s in subscribers]
        connection.send_messages(messages)
    with transaction.atomic():
        AlertDelivery.objects.bulk_create([AlertDelivery(issue=issue, subscriber=s) for s in subscribers],
                                          ignore_conflicts=True)
        issue.sent += len(subscribers)
        more = len(subscribers) == BATCH
        if not more:
            issue.finished_at = timezone.now()
        issue.save(update_fields=["sent", "finished_at"])
        if more:
            from .tasks import alert_send_batch as task

            transaction.on_commit(lambda: task.delay(issue.pk))
    return {"sent": len(subscribers), "more": more}
