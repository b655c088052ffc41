"""Reads, limited to what the user may see, and the permission rules of publishing."""
import dataclasses
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Channel, Service, User
from accounts.roles import SEE_ALL_CHANNELS, Role
from accounts.selectors import can_see_all_channels, channel_access, channels_with_access

from . import checks, planner
from .models import (
    AlertSubscriber,
    Approval,
    ApprovalStage,
    BlockedWord,
    Campaign,
    ChannelApprovers,
    ElectionPeriod,
    EmergencyPause,
    FrequencyCap,
    Post,
    PostTarget,
    Topic,
)

# Roles that may draft posts; councillors and customer services do not publish.
AUTHORS = {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR,
           Role.ADMINISTRATOR}
# Roles that run emergency mode, plan campaigns and manage resident alerts.
EMERGENCY_ROLES = {Role.COMMUNICATIONS_OFFICER, Role.WEB_TEAM}
CAMPAIGN_ROLES = {Role.COMMUNICATIONS_OFFICER, Role.WEB_TEAM, Role.HEAD_OF_SERVICE}
ALERTS_ROLES = {Role.WEB_TEAM}
# Default approvers (issue 5): corporate channels, and service (and campaign) channels.
CORPORATE_APPROVERS = {Role.COMMUNICATIONS_OFFICER, Role.WEB_TEAM}
SERVICE_APPROVERS = {Role.HEAD_OF_SERVICE, Role.WEB_TEAM}
# A lease on an attempt: a task older than the Celery time limit is no longer running.
IN_FLIGHT = timedelta(minutes=6)


def can_author(user: User) -> bool:
    return user.is_authenticated and user.has_role(*AUTHORS)


def can_use_publishing(user: User) -> bool:
    return user.is_authenticated and user.has_role(*AUTHORS, Role.MONITORING_OFFICER)


def post_list(*, user: User, filters: dict | None = None) -> QuerySet[Post]:
    """Posts the user may see: every post for the web team and communications officers, else
    their service's posts, their own, and (for the monitoring officer) those referred to them."""
    qs = Post.objects.select_related("author", "service", "campaign").prefetch_related(
        Prefetch("targets", queryset=PostTarget.objects.select_related(
            "channel", "channel__service", "channel__approvers").prefetch_related(
            "channel__approval_stages__users", "channel__approvers__users")), "edits", "approvals")
    if not can_see_all_channels(user):
        visible = Q(author_id=user.pk)
        if user.service_id:
            visible |= Q(service_id=user.service_id)
        if user.has_role(Role.MONITORING_OFFICER):
            visible |= Q(mo_requested_at__isnull=False)
        qs = qs.filter(visible)
    f = filters or {}
    if f.get("state"):
        qs = qs.filter(state__in=f["state"] if isinstance(f["state"], (list, tuple)) else [f["state"]])
    if f.get("service"):
        qs = qs.filter(service__slug=f["service"])
    if f.get("channel"):
        qs = qs.filter(targets__channel_id=f["channel"])
    if f.get("campaign"):
        qs = qs.filter(campaign_id=f["campaign"])
    if f.get("author"):
        qs = qs.filter(author_id=f["author"])
    if f.get("q"):
        # No post has a null character (PostgreSQL could not even compare it).
        qs = qs.filter(text__icontains=f["q"]) if "\x00" not in f["q"] else qs.none()
    return qs.distinct()


def post_get(*, user: User, pk: int) -> Post:
    """A post the user may see; 404 otherwise, so ids reveal nothing."""
    return get_object_or_404(post_list(user=user), pk=pk)


def posts_to_approve(*, user: User) -> list[Post]:
    """Submitted posts this user may approve, and posts waiting for the monitoring officer."""
    waiting = post_list(user=user, filters={"state": [Post.State.SUBMITTED]}).exclude(author_id=user.pk)
    mine = [p for p in waiting if can_approve(user, p)[0]]
    if user.has_role(Role.MONITORING_OFFICER):
        referred = post_list(user=user).filter(mo_requested_at__isnull=False).exclude(
            state__in=[Post.State.PUBLISHED, Post.State.CANCELLED]).exclude(author_id=user.pk)
        mine += [p for p in referred if not p.mo_approved and p not in mine]
    return mine


# --- approvers ------------------------------------------------------------------------------


def _holds_role_for(user: User, role: str, channel: Channel) -> bool:
    if not user.has_role(role):
        return False
    if role in SEE_ALL_CHANNELS or role == Role.MONITORING_OFFICER:
        return True
    # Service roles approve for their own service's channels only.
    return user.service_id is not None and user.service_id == channel.service_id


def may_approve_channel(user: User, channel: Channel) -> bool:
    try:
        configured = channel.approvers
    except ChannelApprovers.DoesNotExist:
        configured = None
    if configured is not None:
        if any(u.pk == user.pk for u in configured.users.all()):
            return True
        return any(_holds_role_for(user, role, channel) for role in configured.roles)
    if channel.kind == Channel.Kind.CORPORATE:
        return user.has_role(*CORPORATE_APPROVERS)
    if user.has_role(Role.WEB_TEAM):
        return True
    return _holds_role_for(user, Role.HEAD_OF_SERVICE, channel) or channel.service.head_id == user.pk


def approver_rule(channel: Channel) -> str:
    """Who approves posts to a channel, in words."""
    try:
        configured = channel.approvers
    except ChannelApprovers.DoesNotExist:
        configured = None
    if configured is not None:
        names = [Role(r).label for r in configured.roles if r in Role.values]
        names += [str(u) for u in configured.users.all()]
        return ", ".join(names) or "nobody (ask the web team to set approvers)"
    if channel.kind == Channel.Kind.CORPORATE:
        return "a communications officer or the web team"
    return f"the head of {channel.service.name} or the web team"


def can_edit_chains(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR)


def channel_stages(channel: Channel) -> list[ApprovalStage | None]:
    """A channel's approval chain; None stands for its single default stage (its approvers)."""
    return list(channel.approval_stages.all()) or [None]


def may_approve_stage(user: User, channel: Channel, stage: ApprovalStage | None) -> bool:
    if stage is None:
        return may_approve_channel(user, channel)
    if any(u.pk == user.pk for u in stage.users.all()):
        return True
    return any(_holds_role_for(user, role, channel) for role in stage.roles)


def stage_rule(channel: Channel, stage: ApprovalStage | None) -> str:
    """Who approves a stage, in words."""
    if stage is None:
        return approver_rule(channel)
    names = [Role(r).label for r in stage.roles if r in Role.values] + [str(u) for u in stage.users.all()]
    return f"{stage.name}: {', '.join(names) or 'nobody (ask the web team to set approvers)'}"


@dataclasses.dataclass
class ChainStage:
    number: int
    # (channel, its stage or None for the default) for every channel with a stage of this number
    parts: list[tuple[Channel, ApprovalStage | None]]
    approval: Approval | None = None

    @property
    def label(self) -> str:
        names = sorted({part.name for _, part in self.parts if part is not None})
        return " / ".join(names) or "Approval"

    @property
    def who(self) -> str:
        return "; ".join(f"{c.handle}: {stage_rule(c, s)}" for c, s in self.parts)


def approval_chain(post: Post) -> list[ChainStage]:
    """The stages the post goes through: stage n needs an approver for stage n of every channel
    whose chain has that many stages. Each stage carries its approval in the current round."""
    chains = [(t.channel, channel_stages(t.channel)) for t in post.targets.all()]
    length = max((len(stages) for _, stages in chains), default=0)
    approvals = {a.stage: a for a in post.approvals.all() if a.kind == Approval.Kind.APPROVER
                 and a.round == post.approval_round and a.decision == Approval.Decision.APPROVED}
    return [ChainStage(number=n, parts=[(c, stages[n - 1]) for c, stages in chains if len(stages) >= n],
                       approval=approvals.get(n)) for n in range(1, length + 1)]


def current_stage(post: Post, chain: list[ChainStage] | None = None) -> ChainStage | None:
    """The first stage of the chain not yet approved in this round."""
    return next((s for s in (chain if chain is not None else approval_chain(post)) if s.approval is None), None)


def editors_since_approval(post: Post) -> dict[int, str]:
    """Everyone who changed the content or channels since the post was last approved."""
    edits = post.edits.all()
    return {e.editor_id: e.editor_name for e in edits
            if e.editor_id and (post.approved_at is None or e.at > post.approved_at)}


def can_approve(user: User, post: Post) -> tuple[bool, str]:
    """Whether the user may approve (or send back) the current stage of this post, and if not, why.
    Never the author, never anyone who changed it since it was last approved, and a different
    person at each stage."""
    if not user.is_authenticated:
        return False, "Sign in to approve posts."
    if post.author_id == user.pk:
        return False, "You cannot approve your own post. Ask another approver."
    if user.pk in editors_since_approval(post):
        return False, "You changed this post, so you cannot approve it. Ask another approver."
    if not list(post.targets.all()):
        return False, "The post has no channels."
    chain = approval_chain(post)
    if any(s.approval is not None and s.approval.decided_by_id == user.pk for s in chain):
        return False, "You approved an earlier stage of this post. Another person must approve the next stage."
    stage = current_stage(post, chain)
    if stage is None:
        return False, "Every stage of this post is approved."
    refused = [(c, s) for c, s in stage.parts if not may_approve_stage(user, c, s)]
    if refused:
        who = "; ".join(f"{c.handle}: {stage_rule(c, s)}" for c, s in refused)
        prefix = f"stage {stage.number} of " if len(chain) > 1 else ""
        return False, f"You cannot approve {prefix}this post for every channel. Approvers are {who}."
    return True, ""


def stage_approvers(post: Post) -> list[User]:
    """Who may approve the post's current stage (to be told it waits for them)."""
    users = User.objects.filter(is_active=True).exclude(pk=post.author_id).prefetch_related("groups")
    return [u for u in users if can_approve(u, post)[0]]


def is_approver_of(user: User, post: Post) -> bool:
    """The user approves some stage of the post's chain for every one of its channels."""
    targets = list(post.targets.all())
    return bool(targets) and all(any(may_approve_stage(user, t.channel, s) for s in channel_stages(t.channel))
                                 for t in targets)


def can_manage_post(user: User, post: Post) -> bool:
    """Author, approvers of the post and the central team may schedule or cancel it."""
    return (post.author_id == user.pk or user.has_role(*EMERGENCY_ROLES)
            or (post.author_id != user.pk and is_approver_of(user, post)))


def approvals_for(post: Post) -> QuerySet[Approval]:
    return post.approvals.select_related("decided_by")


# --- rules the checks need --------------------------------------------------------------------


def emergency_active() -> EmergencyPause | None:
    return EmergencyPause.objects.filter(active=True).select_related("started_by").first()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def check_context(*, when: datetime | None, mo_approved: bool = False) -> checks.CheckContext:
    """The council's rules at `when`: pre-election periods and their names, its own contact details."""
    day = timezone.localdate(when) if when else timezone.localdate()
    periods = list(ElectionPeriod.objects.filter(start__lte=day, end__gte=day))
    domains = set()
    for email, web in Service.objects.values_list("email", "web_url"):
        if "@" in email:
            domains.add(email.rsplit("@", 1)[1].lower())
        if "://" in web:
            domains.add(web.split("://", 1)[1].split("/", 1)[0].lower())
    return checks.CheckContext(
        election_periods=[checks.ElectionPeriod(p.start, p.end, p.name) for p in periods],
        candidates=[n for p in periods for n in _lines(p.candidates)],
        parties=[n for p in periods for n in _lines(p.parties)],
        councillors=[n for p in periods for n in _lines(p.councillors)],
        contested_matters=[n for p in periods for n in _lines(p.contested_matters)],
        monitoring_officer_approved=mo_approved,
        council_domains=sorted(domains),
    )


def posts_in_window(*, channel: Channel, when: datetime, exclude_post_id: int | None) -> tuple[int, int | None]:
    """(posts on the channel in the cap's period before `when`, the cap) for the frequency check."""
    try:
        cap = channel.frequency_cap
    except FrequencyCap.DoesNotExist:
        return 0, None
    start = when - timedelta(hours=cap.period_hours)
    going = [Post.State.SCHEDULED, Post.State.PAUSED, Post.State.PUBLISHING]
    count = PostTarget.objects.filter(channel=channel).exclude(post_id=exclude_post_id).filter(
        Q(state=PostTarget.State.PUBLISHED, published_at__gt=start, published_at__lte=when)
        | Q(post__state__in=going, post__scheduled_at__gt=start, post__scheduled_at__lte=when)
    ).count()
    return count, cap.max_posts


def draft_for(post: Post, *, when: datetime | None = None) -> checks.Draft:
    """The post as the pure checks see it."""
    when = when or post.scheduled_at or timezone.now()
    targets = []
    for target in post.targets.all():
        count, cap = posts_in_window(channel=target.channel, when=when, exclude_post_id=post.pk)
        targets.append(checks.ChannelTarget(platform=target.channel.platform, handle=target.channel.handle,
                                            kind=target.channel.kind, posts_in_window=count, frequency_cap=cap))
    return checks.Draft(
        text=post.text, variants=post.variants or {}, channels=targets, link=post.link, when=when,
        images=[(image.source, image.alt_text) for image in post.images.all()],
    )


def post_checks(post: Post, *, when: datetime | None = None) -> tuple[checks.CheckResult, ...]:
    when = when or post.scheduled_at or timezone.now()
    results = checks.run_checks(draft_for(post, when=when), check_context(when=when, mo_approved=post.mo_approved))
    words = blocked_words_in(post_texts(post))
    if words:  # the approver must see it: a post with a blocked word never goes out unapproved
        results += (checks.CheckResult(
            code="blocked_word", level=checks.WARNING,
            message=f"It contains {', '.join(repr(w) for w in words)}, on the council's blocked words list. The "
                    "approver must be sure it is right to publish."),)
    return results


def blocked_words_in(text: str, *, since: datetime | None = None, incoming_only: bool = False) -> list[str]:
    """The blocked words (added after `since`, if given) that the text contains, as whole words."""
    import re

    words = BlockedWord.objects.all()
    if since is not None:
        words = words.filter(created_at__gt=since)
    if incoming_only:
        words = words.filter(hide_incoming=True)
    found = []
    for word in words.values_list("word", flat=True):
        if word.strip() and re.search(rf"(?<!\w){re.escape(word.strip())}(?!\w)", text or "", re.IGNORECASE):
            found.append(word)
    return found


def post_texts(post: Post) -> str:
    return "\n".join([post.text, *(post.variants or {}).values(), *(i.alt_text for i in post.images.all())])


def publish_time_problems(post: Post, *, now: datetime) -> list[str]:
    """Why the post must not go out now, checked again by the publishing task: the checks with
    the rules of the moment (a pre-election period that began since approval, house rules),
    blocked words added since approval, the channels' state and the author's acknowledgement of
    the current policy."""
    problems = [r.message for r in checks.blocking(post_checks(post, when=now))]
    words = blocked_words_in(post_texts(post), since=post.approved_at)
    if words:
        problems.append(f"It contains {', '.join(repr(w) for w in words)}, on the blocked words list since it "
                        "was approved.")
    for target in post.targets.all():
        if target.channel.status in (Channel.Status.CLOSING, Channel.Status.CLOSED):
            problems.append(f"{target.channel.handle} is {target.channel.get_status_display().lower()}.")
        if not post.is_emergency and not channel_access(post.author, target.channel, "publish"):
            problems.append(f"{post.author} may no longer publish to {target.channel.handle}.")
    try:
        from policy.services import PolicyNotAcknowledged, require_policy_acknowledged
    except ImportError:  # the policy app is not installed
        return problems
    try:
        require_policy_acknowledged(post.author)
    except PolicyNotAcknowledged as exc:
        problems.append(f"The author has not acknowledged the current policy: {exc.message}")
    return problems


# --- calendar, campaigns, alerts ------------------------------------------------------------


def campaign_list(*, user: User, filters: dict | None = None) -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("service", "owner")
    if not can_see_all_channels(user):
        qs = qs.filter(service_id=user.service_id) if user.service_id else qs.none()
    f = filters or {}
    if f.get("service"):
        qs = qs.filter(service__slug=f["service"])
    if f.get("start"):
        qs = qs.filter(end_date__gte=f["start"])
    if f.get("end"):
        qs = qs.filter(start_date__lte=f["end"])
    return qs


def calendar_posts(*, user: User, start: datetime, end: datetime, filters: dict | None = None) -> QuerySet[Post]:
    """Scheduled, paused, held and published posts whose time falls in [start, end)."""
    f = filters or {}
    qs = post_list(user=user, filters={k: f.get(k) for k in ("service", "channel")})
    on_plan = [Post.State.APPROVED, Post.State.SCHEDULED, Post.State.PAUSED, Post.State.HELD,
               Post.State.PUBLISHING, Post.State.FAILED]
    return qs.filter(
        Q(state__in=on_plan, scheduled_at__gte=start, scheduled_at__lt=end)
        | Q(state=Post.State.PUBLISHED, published_at__gte=start, published_at__lt=end)
    ).order_by("scheduled_at", "published_at", "id")


def channels_for_author(user: User) -> QuerySet[Channel]:
    """The channels the user may publish to (managers named on a channel, roles covering all)."""
    return channels_with_access(user=user, action="publish").exclude(status=Channel.Status.CLOSED)


def topic_list(*, active_only: bool = True) -> QuerySet[Topic]:
    qs = Topic.objects.all()
    return qs.filter(active=True) if active_only else qs


def subscriber_list(*, email: str = "") -> QuerySet[AlertSubscriber]:
    qs = AlertSubscriber.objects.prefetch_related("topics").order_by("id")
    return qs.filter(email__iexact=email.strip()) if email else qs


def _local_range(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, datetime.min.time(), tz), datetime.combine(end, datetime.min.time(), tz))


def plan_entries(*, user: User, start: date, end: date, filters: dict | None = None) -> list[planner.Entry]:
    """Posts and campaigns between two dates (end exclusive), as calendar entries."""
    f = filters or {}
    since, until = _local_range(start, end)
    entries = []
    for post in calendar_posts(user=user, start=since, end=until, filters=f):
        when = post.published_at if post.state == Post.State.PUBLISHED else post.scheduled_at
        entries.append(planner.Entry(
            uid=f"post-{post.pk}", title=str(post), start=timezone.localtime(when), url=post.get_absolute_url(),
            state=post.get_state_display(), channels=tuple(t.channel.handle for t in post.targets.all()),
            description=(f"Held: {post.held_reason}\n\n" if post.state == Post.State.HELD and post.held_reason
                         else "") + post.text,
        ))
    if not f.get("channel"):
        for campaign in campaign_list(user=user, filters={"service": f.get("service"), "start": start,
                                                          "end": end - timedelta(days=1)}):
            entries.append(planner.Entry(
                uid=f"campaign-{campaign.pk}", title=f"Campaign: {campaign.name}", start=campaign.start_date,
                end=campaign.end_date, kind="campaign", description=campaign.description,
                url=reverse("campaign_detail", args=[campaign.pk]),
            ))
    return entries


BEST_TIME_WEEKS = 8


def channel_best_time(*, user: User, channel: Channel, now: datetime | None = None) -> planner.Suggestion:
    """When the channel's audience engages most, from the mentions, comments and replies of
    the last weeks that monitoring stored."""
    from monitoring.selectors import mention_list

    now = timezone.localtime(now or timezone.now())
    rows = mention_list(user=user, filters={"channel": channel.pk, "since": now - timedelta(weeks=BEST_TIME_WEEKS)})
    activity = [(timezone.localtime(at), 1 + likes + reshares)
                for at, likes, reshares in rows.values_list("posted_at", "likes", "reshares")[:20000]]
    return planner.best_time(activity, now=now, weeks=BEST_TIME_WEEKS)
