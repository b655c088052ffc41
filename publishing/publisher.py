"""Publishing to the platforms: the sweeper, one task per channel, and reconciliation.

Never a delayed task: a post's time is stored, and the sweeper (every minute) starts the
posts that are due. Each channel of a post (a PostTarget) is published by its own task:

1. the task claims the target and records the intent ("publishing", a new attempt id) in its
   own transaction, before any request reaches the platform;
2. it calls the platform and stores the external id, only for its own attempt;
3. a task that finds an attempt already "publishing" (its worker died, or the answer never
   came) looks for the post on the channel before anything else: found, it is recorded;
   not found, a new attempt is made; where the platform cannot be searched, the target is
   held as "unknown" for a person to check. It never posts again blindly.
"""
import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Channel
from accounts.notifications import notify
from accounts.services import channel_record_activity
from platforms.base import (
    AuthError,
    MalformedPayload,
    NotSupported,
    PlatformError,
    Published,
    RateLimited,
    TransientError,
)

from . import reconcile, selectors
from .models import Post, PostTarget

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A queued task not started by then was lost (the on-commit dispatch failed): queue it again.
REQUEUE_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
IN_PROGRESS = PostTarget.IN_PROGRESS


def _queue(target_ids: list[int]) -> None:
    from .tasks import target_publish

    for target_id in target_ids:
        target_publish.delay(target_id)


def post_start_publishing(*, post: Post) -> list[int]:
    """Inside the caller's transaction (the post locked): queue a task per channel on commit."""
    now = timezone.now()
    post.state = Post.State.PUBLISHING
    post.save(update_fields=["state", "updated_at"])
    ids = list(post.targets.filter(state=PostTarget.State.PENDING).values_list("pk", flat=True))
    PostTarget.objects.filter(pk__in=ids).update(state=PostTarget.State.QUEUED, queued_at=now)
    audit_record(actor=None, action="post.publish_start", obj=post, service=post.service,
                 changes={"state": [Post.State.SCHEDULED, Post.State.PUBLISHING]})
    transaction.on_commit(lambda: _queue(ids))
    return ids


def publish_sweep(*, now=None) -> dict:
    """Every minute: start the posts that are due (not in emergency mode), and queue again the
    tasks whose dispatch was lost or whose worker died."""
    now = now or timezone.now()
    started = held = 0
    if selectors.emergency_active() is None:
        due = Post.objects.filter(state=Post.State.SCHEDULED, scheduled_at__lte=now).order_by("scheduled_at")
        for post_id in due.values_list("pk", flat=True)[:SWEEP_BATCH]:
            with transaction.atomic():
                # Locked and checked again: emergency mode or a cancellation may have come first.
                post = Post.objects.select_for_update(of=("self",)).filter(pk=post_id, state=Post.State.SCHEDULED).first()
                if post is None or selectors.emergency_active() is not None:
                    continue
                problems = selectors.publish_time_problems(post, now=now)
                if problems:
                    post_hold_at_publishing(post=post, problems=problems)
                    held += 1
                    continue
                post_start_publishing(post=post)
                started += 1
    stale = PostTarget.objects.filter(
        Q(state__in=[PostTarget.State.QUEUED, PostTarget.State.VERIFYING], queued_at__lt=now - REQUEUE_AFTER)
        | Q(state=PostTarget.State.PUBLISHING, attempt_started_at__lt=now - selectors.IN_FLIGHT,
            queued_at__lt=now - REQUEUE_AFTER)
    )
    ids = list(stale.values_list("pk", flat=True)[:SWEEP_BATCH])
    if ids:
        PostTarget.objects.filter(pk__in=ids).update(queued_at=now)
        transaction.on_commit(lambda: _queue(ids))
    return {"started": started, "held": held, "requeued": len(ids)}


def post_hold_at_publishing(*, post: Post, problems: list[str]) -> None:
    """Inside the caller's transaction (the post locked): the post fails a check at the moment
    of publishing, so it is held, not published; its author and approvers are told why."""
    reason = " ".join(problems)[:4000]
    post.state = Post.State.HELD
    post.held_reason = reason
    post.save(update_fields=["state", "held_reason", "updated_at"])
    audit_record(actor=None, action="post.hold", obj=post, service=post.service,
                 changes={"state": [Post.State.SCHEDULED, Post.State.HELD]}, note=reason)
    approvers = [a.decided_by for a in post.approvals.select_related("decided_by")
                 if a.round == post.approval_round and a.decided_by is not None]
    notify(users=list({u.pk: u for u in [post.author, *approvers]}.values()),
           subject=f"A post was held, not published: {post}",
           body=f"When its time came it failed a check: {reason} Change it, or ask the monitoring officer where "
                "the pre-election period is the reason, then schedule it again or cancel it.",
           url=post.get_absolute_url())


# --- one channel --------------------------------------------------------------------------------


def _begin_attempt(target: PostTarget) -> None:
    target.state = PostTarget.State.PUBLISHING
    target.attempt_id = uuid.uuid4()
    target.attempt_started_at = timezone.now()
    target.attempts += 1
    target.save(update_fields=["state", "attempt_id", "attempt_started_at", "attempts"])


def _hold_for_pause(target: PostTarget) -> None:
    """Emergency mode came on while this channel waited: it goes back to waiting, and the post
    is paused once nothing of it is in flight."""
    PostTarget.objects.filter(pk=target.pk).update(state=PostTarget.State.PENDING, queued_at=None, attempt_id=None)
    post = Post.objects.select_for_update(of=("self",)).get(pk=target.post_id)
    in_flight = post.targets.filter(state__in=[PostTarget.State.PUBLISHING, PostTarget.State.VERIFYING,
                                               PostTarget.State.PUBLISHED]).exists()
    if post.state == Post.State.PUBLISHING and not in_flight:
        post.state = Post.State.PAUSED
        post.save(update_fields=["state", "updated_at"])
        audit_record(actor=None, action="post.pause", obj=post, service=post.service,
                     changes={"state": [Post.State.PUBLISHING, Post.State.PAUSED]}, note="Emergency pause")


@transaction.atomic
def _claim(target_id: int) -> tuple[str, PostTarget | None]:
    """What this run should do with the target, decided under its row lock. Publishing records
    the intent (a new attempt) here, committed before the platform is called."""
    target = PostTarget.objects.select_for_update(of=("self",)).filter(pk=target_id).first()
    if target is None:
        return "missing", None
    target.post = Post.objects.get(pk=target.post_id)
    if target.state == PostTarget.State.QUEUED:
        if target.post.state != Post.State.PUBLISHING:
            return "post not publishing", None
        if not target.post.is_emergency and selectors.emergency_active() is not None:
            _hold_for_pause(target)
            return "paused", None
        _begin_attempt(target)
        return "publish", target
    if target.state == PostTarget.State.PUBLISHING:
        if target.attempt_started_at and target.attempt_started_at > timezone.now() - selectors.IN_FLIGHT:
            return "in flight", None
        return "reconcile", target
    if target.state == PostTarget.State.VERIFYING:
        return "reconcile", target
    return "nothing to do", None


def text_for(target: PostTarget) -> str:
    post = target.post
    variant = (post.variants or {}).get(target.channel.platform)
    return variant if variant and variant.strip() else post.text


def target_publish(*, target_id: int, client=None) -> str:
    """Publish one post to one channel, at most once. Raises TransientError or RateLimited
    when the task should be retried later."""
    action, target = _claim(target_id)
    if target is None:
        return action
    target.channel = Channel.objects.select_related("service", "connection").get(pk=target.channel_id)
    if client is None:
        from monitoring.clients import client_for

        client = client_for(target.channel)
    if action == "reconcile":
        outcome = _reconcile(target, client)
        if outcome != "not found":
            return outcome
        target = _fresh_attempt(target)
        if target is None:
            return "nothing to do"
    return _publish(target, client)


def _publish(target: PostTarget, client) -> str:
    attempt = target.attempt_id
    images = [(image.source, image.alt_text) for image in target.post.images.all()]
    try:
        published = client.publish(text_for(target), link=target.post.link, images=images)
    except RateLimited as exc:
        if _retry_later(target, attempt, f"The platform is limiting requests until "
                        f"{timezone.localtime(exc.retry_at):%H:%M}. It will try again then.", verify=False):
            raise
        return "failed"
    except TransientError as exc:
        # No answer at all (timeout, dropped connection): the platform may have taken the post.
        no_answer = exc.status is None
        reason = ("The platform did not answer." if no_answer else
                  f"The platform had a temporary problem (HTTP {exc.status}).")
        if _retry_later(target, attempt, f"{reason} It will try again shortly.", verify=no_answer):
            raise
        return "unknown" if no_answer else "failed"
    except MalformedPayload:
        _hold(target, attempt, "The platform answered, but its answer could not be read, so the post may be on "
                               "the channel. Check the channel before retrying.")
        return "unknown"
    except AuthError:
        from monitoring.services import connection_mark_revoked

        connection = getattr(target.channel, "connection", None)
        if connection is not None:
            connection_mark_revoked(connection=connection, reason="Refused while publishing a post")
        _finish_failed(target, attempt, "The platform refused the channel's connection. The web team must "
                                        "connect the channel again; then retry.")
        return "failed"
    except PlatformError as exc:
        _finish_failed(target, attempt, _refusal(exc))
        return "failed"
    _succeed(target, attempt, published)
    return "published"


def _refusal(exc: PlatformError) -> str:
    if isinstance(exc, NotSupported):
        return f"The platform cannot take this post: {exc}."
    return f"The platform refused the post: {exc}."


def _reconcile(target: PostTarget, client) -> str:
    attempt = target.attempt_id
    try:
        found = reconcile.find_published(client, text=text_for(target), since=target.attempt_started_at)
    except NotSupported:
        _hold(target, attempt, f"An earlier attempt was interrupted after it may have reached "
                               f"{target.channel.get_platform_display()}, which cannot be searched. Check the "
                               "channel: if the post is there, record its link; if not, publish it again.")
        return "unknown"
    except (TransientError, RateLimited):
        PostTarget.objects.filter(pk=target.pk, attempt_id=attempt).update(
            state=PostTarget.State.VERIFYING, queued_at=timezone.now())
        raise
    except PlatformError as exc:
        _hold(target, attempt, f"An earlier attempt was interrupted and the channel could not be checked ({exc}). "
                               "Check the channel before retrying.")
        return "unknown"
    if found is not None:
        _succeed(target, attempt, found, note="found on the channel after an interrupted attempt")
        return "published"
    return "not found"


@transaction.atomic
def _fresh_attempt(target: PostTarget) -> PostTarget | None:
    """The interrupted attempt did not reach the platform: try again, under the lock."""
    locked = PostTarget.objects.select_for_update(of=("self",)).filter(pk=target.pk, attempt_id=target.attempt_id).first()
    if locked is None or locked.state not in (PostTarget.State.PUBLISHING, PostTarget.State.VERIFYING):
        return None
    locked.post, locked.channel = target.post, target.channel
    if not locked.post.is_emergency and selectors.emergency_active() is not None:
        _hold_for_pause(locked)
        return None
    if locked.attempts >= MAX_ATTEMPTS:
        _finish_failed(locked, locked.attempt_id, locked.last_error or "Too many attempts.")
        return None
    _begin_attempt(locked)
    return locked


def _retry_later(target: PostTarget, attempt, reason: str, *, verify: bool) -> bool:
    """Back to the queue (or to be checked first, when the platform may have the post); False
    when the attempts are used up and the target was settled instead."""
    if target.attempts >= MAX_ATTEMPTS:
        if verify:
            _hold(target, attempt, reason + " After several attempts it is still not known whether the post "
                                            "went out: check the channel before retrying.")
        else:
            _finish_failed(target, attempt, reason.replace(" It will try again shortly.", "") +
                           " It failed after several attempts.")
        return False
    state = PostTarget.State.VERIFYING if verify else PostTarget.State.QUEUED
    PostTarget.objects.filter(pk=target.pk, attempt_id=attempt).update(
        state=state, last_error=reason, queued_at=timezone.now(), **({} if verify else {"attempt_id": None}))
    return True


@transaction.atomic
def _succeed(target: PostTarget, attempt, published: Published, note: str = "") -> None:
    updated = PostTarget.objects.filter(pk=target.pk, attempt_id=attempt).update(
        state=PostTarget.State.PUBLISHED, external_id=published.external_id[:300], url=published.url[:1000],
        published_at=timezone.now(), last_error="")
    if not updated:
        log.warning("%s was published by an attempt that is no longer current (%s)", target, published.external_id)
        return
    channel_record_activity(channel_id=target.channel_id, at=timezone.now())
    audit_record(actor=None, action="post.published_to", obj=target.post, service=target.post.service,
                 changes={str(target.channel): [None, published.url or published.external_id]}, note=note)
    _settle(target.post_id)


@transaction.atomic
def _finish_failed(target: PostTarget, attempt, reason: str) -> None:
    updated = PostTarget.objects.filter(pk=target.pk, attempt_id=attempt).update(
        state=PostTarget.State.FAILED, last_error=reason)
    if updated:
        audit_record(actor=None, action="post.failed_on", obj=target.post, service=target.post.service,
                     changes={str(target.channel): [None, "failed"]}, note=reason)
        _settle(target.post_id)


@transaction.atomic
def _hold(target: PostTarget, attempt, reason: str) -> None:
    updated = PostTarget.objects.filter(pk=target.pk, attempt_id=attempt).update(
        state=PostTarget.State.UNKNOWN, last_error=reason)
    if updated:
        audit_record(actor=None, action="post.unknown_on", obj=target.post, service=target.post.service,
                     changes={str(target.channel): [None, "unknown"]}, note=reason)
        _settle(target.post_id)


def _settle(post_id: int) -> None:
    """When no channel is still in progress: published, or failed with the reasons told to the author."""
    post = Post.objects.select_for_update(of=("self",)).select_related("author", "service").get(pk=post_id)
    if post.state != Post.State.PUBLISHING:
        return
    targets = list(post.targets.select_related("channel").exclude(state=PostTarget.State.CANCELLED))
    if any(t.state in (*IN_PROGRESS, PostTarget.State.PENDING) for t in targets):
        return
    problems = [t for t in targets if t.state != PostTarget.State.PUBLISHED]
    if not problems:
        post.state = Post.State.PUBLISHED
        post.published_at = post.targets.aggregate(last=Max("published_at"))["last"] or timezone.now()
        post.save(update_fields=["state", "published_at", "updated_at"])
        audit_record(actor=None, action="post.published", obj=post, service=post.service,
                     changes={"state": [Post.State.PUBLISHING, Post.State.PUBLISHED]})
        notify(users=[post.author], subject=f"Your post was published: {post}", email=False,
               body="\n".join(f"{t.channel}: {t.url or t.external_id}" for t in targets),
               url=post.get_absolute_url())
        from .alerts import alert_issue_for_post

        alert_issue_for_post(post=post)
        return
    post.state = Post.State.FAILED
    post.save(update_fields=["state", "updated_at"])
    audit_record(actor=None, action="post.failed", obj=post, service=post.service,
                 changes={"state": [Post.State.PUBLISHING, Post.State.FAILED]})
    notify(users=[post.author], subject=f"Your post did not go out on every channel: {post}",
           body="\n".join(f"{t.channel} ({t.get_state_display()}): {t.last_error}" for t in problems),
           url=post.get_absolute_url())


# --- what a person does with a failed or unknown channel -----------------------------------------


def _require_manager(actor, target: PostTarget) -> None:
    from .services import PostRefused

    if not selectors.can_manage_post(actor, target.post):
        raise PostRefused("Only the author, an approver of the post or the central team can do this.",
                          code="not_allowed")
    if target.state not in PostTarget.NEEDS_PERSON:
        raise PostRefused(f"This channel is {target.get_state_display().lower()}: there is nothing to do.",
                          code="wrong_state")


@transaction.atomic
def target_retry(*, actor, target: PostTarget) -> PostTarget:
    """A person checked the channel (the post is not there) and asks for it to be published again."""
    from .services import PostRefused

    target = PostTarget.objects.select_for_update(of=("self",)).select_related("post", "channel").get(pk=target.pk)
    _require_manager(actor, target)
    post = Post.objects.select_for_update(of=("self",)).get(pk=target.post_id)
    if not post.is_emergency and selectors.emergency_active() is not None:
        raise PostRefused("Emergency mode is on: nothing is published until it ends.", code="paused")
    before = target.state
    PostTarget.objects.filter(pk=target.pk).update(state=PostTarget.State.QUEUED, attempt_id=None, attempts=0,
                                                   queued_at=timezone.now(), last_error="")
    if post.state != Post.State.PUBLISHING:
        post.state = Post.State.PUBLISHING
        post.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, action="post.retry", obj=post, service=post.service,
                 changes={str(target.channel): [before, PostTarget.State.QUEUED]})
    transaction.on_commit(lambda: _queue([target.pk]))
    target.refresh_from_db()
    return target


@transaction.atomic
def target_mark_published(*, actor, target: PostTarget, url: str) -> PostTarget:
    """A person found the post on the channel: record it instead of posting again."""
    from .services import PostRefused

    target = PostTarget.objects.select_for_update(of=("self",)).select_related("post", "channel").get(pk=target.pk)
    _require_manager(actor, target)
    if not (url or "").startswith(("https://", "http://")):
        raise PostRefused("Give the web address of the post on the channel.", code="url_required")
    post = Post.objects.select_for_update(of=("self",)).get(pk=target.post_id)
    before = target.state
    PostTarget.objects.filter(pk=target.pk).update(state=PostTarget.State.PUBLISHED, url=url[:1000],
                                                   published_at=timezone.now(), last_error="")
    if post.state == Post.State.FAILED:
        post.state = Post.State.PUBLISHING
        post.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, action="post.mark_published", obj=post, service=post.service,
                 changes={str(target.channel): [before, PostTarget.State.PUBLISHED]}, note=url)
    _settle(post.pk)
    target.refresh_from_db()
    return target
