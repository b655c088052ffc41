"""Every change of a post, a campaign and emergency mode: one transaction, audited, people
told after commit. Views, the API, admin and tasks all come through here."""
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record, diff, snapshot
from accounts.models import Channel, Service, User
from accounts.notifications import notify, notify_role
from accounts.roles import Role
from accounts.selectors import can_see_all_channels

from . import checks, selectors
from .models import Approval, Campaign, EmergencyPause, Post, PostImage, PostTarget

POST_FIELDS = ("text", "variants", "link", "campaign", "service", "scheduled_at")
# A time this far in the past still counts as "now" (the form took a while to fill in).
PAST_TOLERANCE = timedelta(minutes=2)


class PostRefused(Exception):
    """The change was refused; `message` says why and what to do. Nothing was changed."""

    def __init__(self, message: str, *, code: str = "refused", link: str = "",
                 results: tuple[checks.CheckResult, ...] = ()):
        super().__init__(message)
        self.message = message
        self.code = code
        self.link = link
        self.results = results


def _lock(post: Post) -> Post:
    """The post's row, locked for this transaction, with the caller's in-memory copy refreshed."""
    locked = Post.objects.select_for_update(of=("self",)).get(pk=post.pk)
    for field in ("state", "version", "scheduled_at", "mo_approved_version", "mo_requested_at"):
        setattr(post, field, getattr(locked, field))
    return locked


def _require_state(post: Post, *states: str, action: str) -> None:
    if post.state not in states:
        raise PostRefused(f"You cannot {action} a post that is {post.get_state_display().lower()}.",
                          code="wrong_state")


def _audit(actor, action: str, post: Post, changes=None, note: str = "") -> None:
    audit_record(actor=actor, action=action, obj=post, changes=changes or {}, note=note, service=post.service)


def _set_state(post: Post, state: str, **fields) -> dict:
    before = post.state
    post.state = state
    for key, value in fields.items():
        setattr(post, key, value)
    post.save(update_fields=["state", "updated_at", *fields])
    return {"state": [before, state]}


def _clean_images(images) -> list[dict]:
    cleaned = []
    for number, image in enumerate(images or (), start=1):
        alt = (image.get("alt_text") or "").strip()
        if not (image.get("url") or image.get("file")):
            raise PostRefused(f"Image {number} has no file or web address.", code="image_missing")
        if not alt:
            raise PostRefused(f"Image {number} has no alt text. Describe what the image shows.",
                              code="alt_text_missing")
        cleaned.append({"url": image.get("url") or "", "file": image.get("file"), "alt_text": alt})
    return cleaned


def _check_channels(actor: User, channels) -> list[Channel]:
    channels = list(channels)
    allowed = set(selectors.channels_for_author(actor).values_list("pk", flat=True))
    outside = [c for c in channels if c.pk not in allowed]
    if outside:
        raise PostRefused(f"You cannot post to {', '.join(c.handle for c in outside)}.", code="channel_not_allowed")
    return channels


def _service_for(actor: User, service: Service | None) -> Service:
    if service is not None and (can_see_all_channels(actor) or service.pk == actor.service_id):
        return service
    if service is not None:
        raise PostRefused("You can only write posts for your own service.", code="service_not_allowed")
    if actor.service is None:
        raise PostRefused("Choose the service this post is for.", code="service_required")
    return actor.service


def _check_campaign(actor: User, campaign: Campaign | None) -> Campaign | None:
    if campaign is not None and not selectors.campaign_list(user=actor).filter(pk=campaign.pk).exists():
        raise PostRefused("You cannot add posts to that campaign.", code="campaign_not_allowed")
    return campaign


def _clean_variants(variants) -> dict:
    variants = {k: v for k, v in (variants or {}).items() if isinstance(v, str) and v.strip()}
    unknown = set(variants) - set(Channel.Platform.values)
    if unknown:
        raise PostRefused(f"There is no platform called {', '.join(sorted(unknown))}.", code="unknown_platform")
    return variants


def _replace_images(post: Post, images: list[dict]) -> None:
    post.images.all().delete()
    PostImage.objects.bulk_create([
        PostImage(post=post, url=i["url"], file=i["file"] or "", alt_text=i["alt_text"], order=n)
        for n, i in enumerate(images)
    ])


def _replace_targets(post: Post, channels: list[Channel]) -> None:
    wanted = {c.pk for c in channels}
    post.targets.exclude(channel_id__in=wanted).delete()
    have = set(post.targets.values_list("channel_id", flat=True))
    PostTarget.objects.bulk_create([PostTarget(post=post, channel=c) for c in channels if c.pk not in have])


# --- drafting -------------------------------------------------------------------------------


@transaction.atomic
def post_create(*, actor: User, text: str, channels, service: Service | None = None, variants=None,
                link: str = "", campaign: Campaign | None = None, topics=(), images=(),
                scheduled_at: datetime | None = None, is_emergency: bool = False) -> Post:
    if not selectors.can_author(actor):
        raise PostRefused("Your role does not let you write posts.", code="not_allowed")
    if not (text or "").strip() and not variants:
        raise PostRefused("Write the text of the post.", code="text_required")
    channels = _check_channels(actor, channels)
    post = Post.objects.create(
        text=text, variants=_clean_variants(variants), link=link or "", campaign=_check_campaign(actor, campaign),
        service=_service_for(actor, service), author=actor, scheduled_at=scheduled_at, is_emergency=is_emergency,
    )
    _replace_targets(post, channels)
    _replace_images(post, _clean_images(images))
    post.topics.set(topics)
    _audit(actor, "post.create", post, diff({}, snapshot(post, POST_FIELDS)) | {
        "channels": [None, sorted(c.handle for c in channels)]})
    return post


@transaction.atomic
def post_update(*, actor: User, post: Post, version: int, channels=None, topics=None, images=None,
                **fields) -> Post:
    """Change a draft. `version` is the one the editor started from: a stale save is refused."""
    _lock(post)
    if post.author_id != actor.pk and not actor.has_role(*selectors.EMERGENCY_ROLES):
        raise PostRefused("Only the author or the central team can change this post.", code="not_allowed")
    _require_state(post, *Post.EDITABLE, action="change")
    if int(version) != post.version:
        raise PostRefused("Someone else changed this post after you opened it. Your changes were not saved: "
                          "open the post again to see the latest version.", code="stale")
    unknown = set(fields) - set(POST_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be changed here")
    before = snapshot(post, POST_FIELDS)
    if "variants" in fields:
        fields["variants"] = _clean_variants(fields["variants"])
    if "service" in fields:
        fields["service"] = _service_for(actor, fields["service"])
    if fields.get("campaign") is not None:
        _check_campaign(actor, fields["campaign"])
    if not (fields.get("text", post.text) or "").strip() and not fields.get("variants", post.variants):
        raise PostRefused("Write the text of the post.", code="text_required")
    for key, value in fields.items():
        setattr(post, key, value if value is not None or key in ("campaign", "scheduled_at") else "")
    post.version += 1
    post.save()
    changes = diff(before, snapshot(post, POST_FIELDS))
    if channels is not None:
        before_channels = sorted(post.targets.values_list("channel__handle", flat=True))
        _replace_targets(post, _check_channels(actor, channels))
        after_channels = sorted(c.handle for c in channels)
        if before_channels != after_channels:
            changes["channels"] = [before_channels, after_channels]
    if images is not None:
        _replace_images(post, _clean_images(images))
        changes["images"] = [None, len(images)]
    if topics is not None:
        post.topics.set(topics)
    _audit(actor, "post.update", post, changes)
    return post


def _require_policy(user: User) -> None:
    """Staff who have not acknowledged the current policy cannot submit (issue 6)."""
    try:
        from policy.services import PolicyNotAcknowledged, require_policy_acknowledged
    except ImportError:  # the governance app is not installed
        return
    try:
        require_policy_acknowledged(user)
    except PolicyNotAcknowledged as exc:
        raise PostRefused(exc.message, code=exc.code, link=exc.url) from exc


def _refuse_blocks(results) -> None:
    blocks = checks.blocking(results)
    if blocks:
        first = blocks[0]
        more = f" ({len(blocks) - 1} more problem{'s' if len(blocks) > 2 else ''} below.)" if len(blocks) > 1 else ""
        raise PostRefused(first.message + more, code=first.code, results=tuple(blocks))


@transaction.atomic
def post_submit(*, actor: User, post: Post) -> tuple[checks.CheckResult, ...]:
    """Send a draft for approval. Refused on a blocking check; warnings are returned."""
    _lock(post)
    if post.author_id != actor.pk and not actor.has_role(*selectors.EMERGENCY_ROLES):
        raise PostRefused("Only the author can submit this post.", code="not_allowed")
    _require_state(post, *Post.EDITABLE, action="submit")
    _require_policy(actor)
    results = selectors.post_checks(post)
    _refuse_blocks(results)
    changes = _set_state(post, Post.State.SUBMITTED, submitted_at=timezone.now())
    _audit(actor, "post.submit", post, changes,
           note="; ".join(f"{r.code}: {r.message}" for r in results)[:2000])
    approvers = [u for u in User.objects.filter(is_active=True).exclude(pk=post.author_id).prefetch_related(
        "groups") if u.has_role(Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.HEAD_OF_SERVICE)
        and selectors.can_approve(u, post)[0]]
    notify(users=approvers, subject=f"A post is waiting for your approval: {post}",
           body=f"{post.author} submitted a post for approval.", url=post.get_absolute_url())
    return results


def _decide(actor: User, post: Post, *, decision: str, comment: str) -> None:
    allowed, why = selectors.can_approve(actor, post)
    if not allowed:
        raise PostRefused(why, code="not_allowed")
    Approval.objects.create(post=post, kind=Approval.Kind.APPROVER, decision=decision, comment=comment,
                            decided_by=actor, decided_by_name=str(actor), post_version=post.version)


@transaction.atomic
def post_approve(*, actor: User, post: Post, comment: str = "") -> Post:
    _lock(post)
    _require_state(post, Post.State.SUBMITTED, action="approve")
    _decide(actor, post, decision=Approval.Decision.APPROVED, comment=comment)
    _refuse_blocks(selectors.post_checks(post))
    changes = _set_state(post, Post.State.APPROVED, approved_by=actor, approved_at=timezone.now())
    _audit(actor, "post.approve", post, changes, note=comment)
    notify(users=[post.author], subject=f"Your post was approved: {post}",
           body=f"{actor} approved it.{' ' + comment if comment else ''} Schedule it when you are ready.",
           url=post.get_absolute_url())
    return post


@transaction.atomic
def post_request_changes(*, actor: User, post: Post, comment: str) -> Post:
    _lock(post)
    allowed, why = selectors.can_approve(actor, post)  # who may, before what they wrote
    if not allowed:
        raise PostRefused(why, code="not_allowed")
    if not (comment or "").strip():
        raise PostRefused("Say what needs to change.", code="comment_required")
    _require_state(post, Post.State.SUBMITTED, action="send back")
    _decide(actor, post, decision=Approval.Decision.CHANGES_REQUESTED, comment=comment)
    changes = _set_state(post, Post.State.CHANGES_REQUESTED)
    _audit(actor, "post.request_changes", post, changes, note=comment)
    notify(users=[post.author], subject=f"Changes requested to your post: {post}",
           body=f"{actor} asked for changes: {comment}", url=post.get_absolute_url())
    return post


# --- the monitoring officer -------------------------------------------------------------------


@transaction.atomic
def post_refer_to_monitoring_officer(*, actor: User, post: Post) -> Post:
    """Ask the monitoring officer to look at a post the pre-election check blocks."""
    _lock(post)
    if post.author_id != actor.pk and not actor.has_role(*selectors.EMERGENCY_ROLES):
        raise PostRefused("Only the author can refer this post.", code="not_allowed")
    _require_state(post, *Post.EDITABLE, Post.State.SUBMITTED, Post.State.APPROVED, Post.State.HELD,
                   action="refer")
    if not any(r.code == "pre_election" for r in selectors.post_checks(post)):
        raise PostRefused("This post does not need the monitoring officer: the pre-election check does not "
                          "block it.", code="not_needed")
    post.mo_requested_at = timezone.now()
    post.save(update_fields=["mo_requested_at", "updated_at"])
    _audit(actor, "post.refer_monitoring_officer", post, {"mo_requested_at": [None, post.mo_requested_at.isoformat()]})
    notify_role(Role.MONITORING_OFFICER, subject=f"A post needs your approval (pre-election period): {post}",
                body=f"{actor} asks you to approve a post that names people or matters restricted during the "
                     "pre-election period.", url=post.get_absolute_url())
    return post


@transaction.atomic
def post_monitoring_officer_decide(*, actor: User, post: Post, approve: bool, comment: str = "") -> Post:
    """The monitoring officer lifts (or upholds) the pre-election block on this version of the post."""
    _lock(post)
    if not actor.has_role(Role.MONITORING_OFFICER):
        raise PostRefused("Only the monitoring officer can approve posts in a pre-election period.",
                          code="not_allowed")
    if post.author_id == actor.pk:
        raise PostRefused("You cannot approve your own post.", code="own_post")
    if not approve and not (comment or "").strip():
        raise PostRefused("Say why the post cannot go out.", code="comment_required")
    _require_state(post, *Post.EDITABLE, Post.State.SUBMITTED, Post.State.APPROVED, Post.State.HELD,
                   action="decide on")
    decision = Approval.Decision.APPROVED if approve else Approval.Decision.CHANGES_REQUESTED
    Approval.objects.create(post=post, kind=Approval.Kind.MONITORING_OFFICER, decision=decision, comment=comment,
                            decided_by=actor, decided_by_name=str(actor), post_version=post.version)
    changes = {"mo_approved_version": [post.mo_approved_version, post.version if approve else None]}
    post.mo_approved_version = post.version if approve else None
    post.save(update_fields=["mo_approved_version", "updated_at"])
    if not approve and post.state in (Post.State.SUBMITTED, Post.State.APPROVED, Post.State.HELD):
        changes |= _set_state(post, Post.State.CHANGES_REQUESTED)
    _audit(actor, "post.monitoring_officer", post, changes, note=comment)
    verdict = "approved" if approve else "did not approve"
    notify(users=[post.author], subject=f"The monitoring officer {verdict} your post: {post}",
           body=comment, url=post.get_absolute_url())
    return post


# --- schedule and cancel ------------------------------------------------------------------------


@transaction.atomic
def post_schedule(*, actor: User, post: Post, scheduled_at: datetime | None = None) -> Post:
    """Put an approved (or held) post on the schedule; no time means as soon as possible.
    The sweeper publishes it when its time comes (never a delayed task)."""
    _lock(post)
    if not selectors.can_manage_post(actor, post):
        raise PostRefused("Only the author, an approver of the post or the central team can schedule it.",
                          code="not_allowed")
    _require_state(post, Post.State.APPROVED, Post.State.HELD, action="schedule")
    now = timezone.now()
    when = scheduled_at or now
    if when < now - PAST_TOLERANCE:
        raise PostRefused("The time has already passed. Choose a time in the future, or leave it empty to "
                          "publish as soon as possible.", code="in_the_past")
    _refuse_blocks(selectors.post_checks(post, when=when))
    pause = selectors.emergency_active()
    state = Post.State.PAUSED if pause and not post.is_emergency else Post.State.SCHEDULED
    changes = _set_state(post, state, scheduled_at=when)
    post.targets.exclude(state=PostTarget.State.PUBLISHED).update(state=PostTarget.State.PENDING, last_error="")
    _audit(actor, "post.schedule", post, changes | {"scheduled_at": [None, when.isoformat()]},
           note="paused: emergency mode is on" if state == Post.State.PAUSED else "")
    return post


CANCELLABLE = (Post.State.DRAFT, Post.State.SUBMITTED, Post.State.CHANGES_REQUESTED, Post.State.APPROVED,
               Post.State.SCHEDULED, Post.State.PAUSED, Post.State.HELD, Post.State.FAILED)


@transaction.atomic
def post_cancel(*, actor: User, post: Post, reason: str = "") -> Post:
    _lock(post)
    if not selectors.can_manage_post(actor, post):
        raise PostRefused("Only the author, an approver of the post or the central team can cancel it.",
                          code="not_allowed")
    _require_state(post, *CANCELLABLE, action="cancel")
    changes = _set_state(post, Post.State.CANCELLED)
    post.targets.exclude(state=PostTarget.State.PUBLISHED).update(state=PostTarget.State.CANCELLED)
    _audit(actor, "post.cancel", post, changes, note=reason)
    if post.author_id != actor.pk:
        notify(users=[post.author], subject=f"Your post was cancelled: {post}",
               body=f"{actor} cancelled it. {reason}".strip(), url=post.get_absolute_url())
    return post


# --- campaigns ------------------------------------------------------------------------------


CAMPAIGN_FIELDS = ("name", "description", "service", "owner", "start_date", "end_date")


def campaign_role_check(user: User) -> None:
    """The role first (views call it before reading the input)."""
    if not user.has_role(*selectors.CAMPAIGN_ROLES):
        raise PostRefused("Only communications officers, the web team and heads of service plan campaigns.",
                          code="not_allowed")


def _campaign_check(actor: User, fields: dict) -> None:
    campaign_role_check(actor)
    service = fields.get("service")
    if service is not None and not can_see_all_channels(actor) and service.pk != actor.service_id:
        raise PostRefused("You can only plan campaigns for your own service.", code="service_not_allowed")
    if fields.get("start_date") and fields.get("end_date") and fields["end_date"] < fields["start_date"]:
        raise PostRefused("The campaign must end on or after the day it starts.", code="dates")


@transaction.atomic
def campaign_create(*, actor: User, **fields) -> Campaign:
    fields.setdefault("owner", actor)
    fields.setdefault("service", actor.service)
    _campaign_check(actor, fields)
    campaign = Campaign.objects.create(**{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
    audit_record(actor=actor, action="campaign.create", obj=campaign, changes=diff({}, snapshot(campaign)),
                 service=campaign.service)
    return campaign


@transaction.atomic
def campaign_update(*, actor: User, campaign: Campaign, **fields) -> Campaign:
    before = snapshot(campaign)
    _campaign_check(actor, {"service": campaign.service, "start_date": campaign.start_date,
                            "end_date": campaign.end_date, **fields})
    for key, value in fields.items():
        if key not in CAMPAIGN_FIELDS:
            raise ValueError(f"{key} cannot be changed here")
        setattr(campaign, key, value)
    campaign.save()
    audit_record(actor=actor, action="campaign.update", obj=campaign, changes=diff(before, snapshot(campaign)),
                 service=campaign.service)
    return campaign


# --- emergency mode ---------------------------------------------------------------------------


def _require_emergency_role(actor: User) -> None:
    if not actor.has_role(*selectors.EMERGENCY_ROLES):
        raise PostRefused("Only communications officers and the web team can use emergency mode.",
                          code="not_allowed")


def emergency_start(*, actor: User, reason: str, message: str = "", channels=()) -> EmergencyPause:
    """Stop every scheduled post on every channel at once; optionally publish an emergency
    message to the chosen channels straight away."""
    from .publisher import post_start_publishing

    _require_emergency_role(actor)
    if not (reason or "").strip():
        raise PostRefused("Give the reason for the pause, for example a major incident.", code="reason_required")
    channels = list(channels)
    if message.strip() and not channels:
        raise PostRefused("Choose the channels for the emergency message.", code="channels_required")
    if channels and not message.strip():
        raise PostRefused("Write the emergency message, or choose no channels.", code="message_required")
    with transaction.atomic():
        if EmergencyPause.objects.select_for_update(of=("self",)).filter(active=True).exists():
            raise PostRefused("Emergency mode is already on.", code="already_paused")
        pause = EmergencyPause.objects.create(reason=reason, message=message, started_by=actor)
        paused = _pause_everything(actor, pause)
        if message.strip():
            post = post_create(actor=actor, text=message, channels=channels, is_emergency=True)
            results = selectors.post_checks(post)
            _refuse_blocks(results)
            Approval.objects.create(post=post, decision=Approval.Decision.APPROVED, decided_by=actor,
                                    decided_by_name=str(actor), post_version=post.version,
                                    comment="Emergency message: published at once, without the usual approval.")
            _set_state(post, Post.State.SCHEDULED, scheduled_at=timezone.now(), approved_by=actor,
                       approved_at=timezone.now())
            pause.message_post = post
            post_start_publishing(post=post)
        pause.paused_posts = paused
        pause.save(update_fields=["paused_posts", "message_post"])
        audit_record(actor=actor, action="emergency.start", obj=pause, note=reason,
                     changes={"paused_posts": [None, paused],
                              "message_channels": [None, sorted(c.handle for c in channels)]})
        staff = User.objects.filter(is_active=True).exclude(groups__name=Role.COUNCILLOR).exclude(groups=None)
        notify(users=list(staff), subject="Emergency mode: all scheduled posts are paused",
               body=f"{actor} paused every scheduled post: {reason}", url=reverse("emergency"))
    return pause


def _pause_everything(actor: User, pause: EmergencyPause) -> int:
    """Scheduled posts, and posts whose channels have not been reached yet, become paused."""
    scheduled = list(Post.objects.select_for_update(of=("self",)).filter(state=Post.State.SCHEDULED, is_emergency=False))
    # Posts already going out: stop the channels not yet attempted.
    going = list(Post.objects.select_for_update(of=("self",)).filter(state=Post.State.PUBLISHING, is_emergency=False))
    for post in going:
        stopped = post.targets.filter(state=PostTarget.State.QUEUED).update(state=PostTarget.State.PENDING,
                                                                               queued_at=None)
        if stopped and not post.targets.filter(state__in=[
                PostTarget.State.PUBLISHING, PostTarget.State.VERIFYING, PostTarget.State.PUBLISHED]).exists():
            scheduled.append(post)
    for post in scheduled:
        changes = _set_state(post, Post.State.PAUSED)
        _audit(actor, "post.pause", post, changes, note=f"Emergency pause: {pause.reason}")
    return len(scheduled)


@transaction.atomic
def emergency_end(*, actor: User) -> EmergencyPause:
    """Restore the schedule. Posts whose time passed during the pause are held for review, not fired."""
    _require_emergency_role(actor)
    pause = EmergencyPause.objects.select_for_update(of=("self",)).filter(active=True).first()
    if pause is None:
        raise PostRefused("Emergency mode is not on.", code="not_paused")
    now = timezone.now()
    restored = held = 0
    for post in Post.objects.select_for_update(of=("self",)).filter(state=Post.State.PAUSED):
        if post.scheduled_at and post.scheduled_at > now:
            changes = _set_state(post, Post.State.SCHEDULED)
            restored += 1
        else:
            changes = _set_state(post, Post.State.HELD)
            held += 1
            notify(users=[post.author], subject=f"Your post is held for review: {post}",
                   body="Its time passed while emergency mode was on, so it was not published. Check it is still "
                        "right to publish, then schedule it again or cancel it.", url=post.get_absolute_url())
        _audit(actor, "post.resume", post, changes, note="Emergency pause ended")
    pause.active = False
    pause.ended_by = actor
    pause.ended_at = now
    pause.held_posts = held
    pause.save(update_fields=["active", "ended_by", "ended_at", "held_posts"])
    audit_record(actor=actor, action="emergency.end", obj=pause,
                 changes={"restored_posts": [None, restored], "held_posts": [None, held]})
    staff = User.objects.filter(is_active=True).exclude(groups__name=Role.COUNCILLOR).exclude(groups=None)
    notify(users=list(staff), subject="Emergency mode is over", email=False,
           body=f"{actor} restored the schedule: {restored} posts rescheduled, {held} held for review.")
    return pause

