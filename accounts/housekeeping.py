"""Housekeeping of the channel registry and the channel lifecycle.

Seed 000's first phase, "rationalisation and basic housekeeping": delete old or unnecessary
profiles, ensure appropriate branding, ensure the digital team has access. A periodic audit
raises a flag for each problem it finds on a channel and resolves the flag when the problem
goes away; the web team works through them on the housekeeping report (reassign, request
closure, archive).

Lifecycle: setting up → active → dormant → closing → closed; every change is audited.
"""
import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format

from .audit import audit_record
from .models import BrandingChecklist, Channel, ChannelConnection, HousekeepingFlag, Service, User
from .notifications import notify
from .requests import activation_blockers
from .roles import MANAGE_ALL_CHANNELS, Role
from .selectors import staff_with_role
from .services import channel_update

Status = Channel.Status
Kind = HousekeepingFlag.Kind

# Where a channel may go from each status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.SETTING_UP: (Status.ACTIVE, Status.CLOSING),
    Status.ACTIVE: (Status.DORMANT, Status.CLOSING),
    Status.DORMANT: (Status.ACTIVE, Status.CLOSING),
    Status.CLOSING: (Status.CLOSED, Status.ACTIVE),  # closed on the platform, or closure cancelled
    Status.CLOSED: (),
}

# Which problems matter in each status. A channel still being set up is expected to lack
# access and branding (activation needs both); one being closed only needs someone to close it.
CHECKS: dict[str, frozenset] = {
    Status.ACTIVE: frozenset(Kind.values),
    Status.DORMANT: frozenset(Kind.values) - {Kind.DORMANT},
    Status.SETTING_UP: frozenset({Kind.NO_OWNER, Kind.DUPLICATE}),
    Status.CLOSING: frozenset({Kind.NO_OWNER}),
    Status.CLOSED: frozenset(),
}

# Platforms whose channels the council listens to but does not run (web sources).
LISTENED_ONLY = frozenset({"web"})

# Two handles or display names at least this similar (0–1) on one platform look like duplicates.
DUPLICATE_SIMILARITY = 0.9


def dormant_days() -> int:
    return int(getattr(settings, "HOUSEKEEPING_DORMANT_DAYS", 90))


# Pure rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelFacts:
    """What the audit needs to know about a channel, loaded without any secret."""

    id: int
    status: str
    last_activity_at: datetime | None
    created_at: datetime
    manager_count: int
    service_name: str
    service_has_head: bool
    web_team_has_access: bool
    branding_missing: tuple[str, ...] | None  # None: no checklist at all
    connection: tuple[bool, datetime | None] | None  # (needs_reauth, expires_at), None: not connected
    platform: str = ""


def channel_issues(facts: ChannelFacts, *, now: datetime, dormant_after_days: int) -> dict[str, str]:
    """The problems of one channel (duplicates apart): flag kind → what is wrong."""
    checks = CHECKS.get(facts.status, frozenset())
    if facts.platform in LISTENED_ONLY:  # someone else's blog or forum: nothing of the council's to brand
        checks = checks - {Kind.BRANDING}
    issues = {}
    if Kind.DORMANT in checks:
        last = facts.last_activity_at or facts.created_at
        if last < now - timedelta(days=dormant_after_days):
            issues[Kind.DORMANT] = (
                f"No activity since {_day(last)} (more than {dormant_after_days} days)."
                if facts.last_activity_at else
                f"No activity recorded since it was added on {_day(last)} (more than {dormant_after_days} days).")
    if Kind.NO_OWNER in checks:
        gaps = []
        if not facts.manager_count:
            gaps.append("nobody is recorded as having access")
        if not facts.service_has_head:
            gaps.append(f"{facts.service_name} has no head of service recorded")
        if gaps:
            issues[Kind.NO_OWNER] = "; ".join(gaps).capitalize() + "."
    if Kind.NO_WEB_TEAM_ACCESS in checks and not facts.web_team_has_access:
        issues[Kind.NO_WEB_TEAM_ACCESS] = "The web team does not have access to the account."
    if Kind.BRANDING in checks:
        if facts.branding_missing is None:
            issues[Kind.BRANDING] = "The branding checklist has not been done."
        elif facts.branding_missing:
            issues[Kind.BRANDING] = "Not done: " + "; ".join(facts.branding_missing) + "."
    if Kind.CONNECTION_EXPIRED in checks and facts.connection is not None:
        needs_reauth, expires_at = facts.connection
        if needs_reauth:
            issues[Kind.CONNECTION_EXPIRED] = "The platform refused the channel's token: connect it again."
        elif expires_at is not None and expires_at < now:
            issues[Kind.CONNECTION_EXPIRED] = f"The connection expired on {_day(expires_at)}: connect it again."
    return issues


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment) if timezone.is_aware(moment) else moment, "j F Y")


def normalise(text: str) -> str:
    """Letters and digits only, lower case: "@Demo_Libraries" and "demolibraries" match."""
    return re.sub(r"[\W_]+", "", (text or "").casefold())


def _similar(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b)
    return (matcher.real_quick_ratio() >= DUPLICATE_SIMILARITY and matcher.quick_ratio() >= DUPLICATE_SIMILARITY
            and matcher.ratio() >= DUPLICATE_SIMILARITY)


def find_duplicates(channels: list[tuple[int, str, str, str]]) -> dict[int, list[int]]:
    """(id, platform, handle, display name) → for each id, the ids it looks like a duplicate of:
    same platform and a near-identical handle or display name."""
    by_platform: dict[str, list[tuple[int, str, str]]] = {}
    for pk, platform, handle, display_name in channels:
        by_platform.setdefault(platform, []).append((pk, normalise(handle), normalise(display_name)))
    found: dict[int, list[int]] = {}
    for items in by_platform.values():
        for i, (a_id, a_handle, a_name) in enumerate(items):
            for b_id, b_handle, b_name in items[i + 1:]:
                if _similar(a_handle, b_handle) or _similar(a_name, b_name):
                    found.setdefault(a_id, []).append(b_id)
                    found.setdefault(b_id, []).append(a_id)
    return found


# The audit ----------------------------------------------------------------------------------


def _facts(channels: list[Channel]) -> list[ChannelFacts]:
    ids = [c.pk for c in channels]
    branding = {b.channel_id: tuple(b.missing) for b in BrandingChecklist.objects.filter(channel_id__in=ids)}
    # values_list: the audit never loads (or decrypts) a token.
    connections = {cid: (reauth, expires) for cid, reauth, expires in ChannelConnection.objects.filter(
        channel_id__in=ids).exclude(access_token="").values_list("channel_id", "needs_reauth", "expires_at")}
    return [ChannelFacts(
        id=c.pk, status=c.status, last_activity_at=c.last_activity_at, created_at=c.created_at,
        manager_count=c.manager_count, service_name=c.service.name, service_has_head=c.service.head_id is not None,
        web_team_has_access=c.web_team_has_access, branding_missing=branding.get(c.pk),
        connection=connections.get(c.pk), platform=c.platform,
    ) for c in channels]


@transaction.atomic
def housekeeping_audit(*, now: datetime | None = None, channel_ids=None, announce: bool = True) -> dict:
    """Raise a flag for each problem found, resolve flags whose problem has gone. Safe to repeat.

    With channel_ids, audit only those channels (and the channels they were or are duplicates of).
    """
    now = now or timezone.now()
    days = dormant_days()
    live = list(Channel.objects.exclude(status=Status.CLOSED).values_list("pk", "platform", "handle",
                                                                           "display_name"))
    duplicates = find_duplicates(live)
    names = {pk: handle for pk, _, handle, _ in live}
    if channel_ids is not None:
        scope = set(channel_ids)
        scope |= {d for pk in list(scope) for d in duplicates.get(pk, [])}
        scope |= set(HousekeepingFlag.objects.filter(status=HousekeepingFlag.Status.OPEN, kind=Kind.DUPLICATE,
                                                     related_channel_id__in=scope).values_list("channel_id",
                                                                                                flat=True))
    channels = Channel.objects.select_related("service__head").annotate(
        manager_count=Count("managers", distinct=True))
    if channel_ids is not None:
        channels = channels.filter(pk__in=scope)
    channels = list(channels)
    by_id = {c.pk: c for c in channels}

    wanted: dict[tuple[int, str], tuple[str, int | None]] = {}
    for facts in _facts(channels):
        for kind, detail in channel_issues(facts, now=now, dormant_after_days=days).items():
            wanted[(facts.id, kind)] = (detail, None)
        if Kind.DUPLICATE in CHECKS.get(facts.status, ()) and facts.id in duplicates:
            others = sorted(duplicates[facts.id])
            wanted[(facts.id, Kind.DUPLICATE)] = (
                "Looks like a duplicate of " + ", ".join(names[o] for o in others) + " on the same platform.",
                others[0])

    raised, resolved = [], 0
    open_flags = HousekeepingFlag.objects.select_for_update(of=("self",)).filter(status=HousekeepingFlag.Status.OPEN,
                                                                     channel_id__in=by_id)
    for flag in open_flags:
        key = (flag.channel_id, flag.kind)
        if key in wanted:
            detail, related = wanted.pop(key)
            if (flag.detail, flag.related_channel_id) != (detail[:500], related):
                flag.detail, flag.related_channel_id = detail[:500], related
                flag.save(update_fields=["detail", "related_channel"])
            continue
        _resolve(flag, actor=None, resolution="No longer applies (found by the housekeeping audit).", now=now)
        resolved += 1
    for (channel_id, kind), (detail, related) in wanted.items():
        channel = by_id[channel_id]
        flag = HousekeepingFlag.objects.create(channel=channel, kind=kind, detail=detail[:500],
                                               related_channel_id=related)
        audit_record(actor=None, action="housekeeping.flag", obj=channel, note=f"{flag.get_kind_display()}: {detail}",
                     service=channel.service)
        raised.append(flag)
    if raised and announce:
        _announce(raised)
    open_count = HousekeepingFlag.objects.filter(status=HousekeepingFlag.Status.OPEN).count()
    return {"channels": len(channels), "raised": len(raised), "resolved": resolved, "open": open_count}


def _announce(flags: list[HousekeepingFlag]) -> None:
    from django.urls import reverse

    url = reverse("housekeeping_report")
    notify(users=staff_with_role(Role.WEB_TEAM), subject=f"Housekeeping found {len(flags)} new problem"
           f"{'s' if len(flags) != 1 else ''}",
           body="\n".join(f"- {f.channel}: {f.get_kind_display()}. {f.detail}" for f in flags[:50]), url=url)
    by_head: dict[int, tuple[User, list]] = {}
    for flag in flags:
        head = flag.channel.service.head
        if head is not None:
            by_head.setdefault(head.pk, (head, []))[1].append(flag)
    for head, own in by_head.values():
        notify(users=[head], subject=f"Your service's channels need attention ({len(own)})",
               body="\n".join(f"- {f.channel}: {f.get_kind_display()}. {f.detail}" for f in own),
               url=own[0].channel.get_absolute_url())


def _resolve(flag: HousekeepingFlag, *, actor, resolution: str, now=None) -> None:
    flag.status = HousekeepingFlag.Status.RESOLVED
    flag.resolved_at = now or timezone.now()
    flag.resolved_by = actor if getattr(actor, "pk", None) else None
    flag.resolution = resolution[:500]
    flag.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    audit_record(actor=actor, action="housekeeping.resolve", obj=flag.channel,
                 note=f"{flag.get_kind_display()}: {resolution}", service=flag.channel.service)


# Reads --------------------------------------------------------------------------------------


def can_do_housekeeping(user: User) -> bool:
    return user.is_authenticated and user.has_role(*MANAGE_ALL_CHANNELS)


def housekeeping_report(*, kind: str | None = None, service: str | None = None) -> QuerySet[HousekeepingFlag]:
    """Open flags, oldest problem first within each channel."""
    qs = HousekeepingFlag.objects.filter(status=HousekeepingFlag.Status.OPEN).select_related(
        "channel", "channel__service", "related_channel").order_by("channel__platform", "channel__handle", "kind")
    if kind:
        qs = qs.filter(kind=kind)
    if service:
        qs = qs.filter(channel__service__slug=service)
    return qs


def open_flags_for(channel: Channel) -> QuerySet[HousekeepingFlag]:
    return channel.housekeeping_flags.filter(status=HousekeepingFlag.Status.OPEN).select_related("related_channel")


# Changes ------------------------------------------------------------------------------------


def _require_web_team(actor) -> None:
    if actor is not None and not can_do_housekeeping(actor):
        raise PermissionDenied("Only the web team changes a channel's lifecycle and housekeeping.")


def allowed_transitions(channel: Channel) -> tuple[str, ...]:
    return TRANSITIONS.get(channel.status, ())


@transaction.atomic
def channel_transition(*, actor: User | None, channel: Channel, to_status: str, reason: str = "") -> Channel:
    """Move a channel along its lifecycle. actor=None is the system (a task)."""
    _require_web_team(actor)
    locked = Channel.objects.select_for_update(of=("self",)).select_related("service__head").get(pk=channel.pk)
    before = locked.status
    if to_status not in Status.values:
        raise ValidationError({"to_status": "Choose a status from the list."})
    if to_status == before:
        raise ValidationError(f"The channel is already {Status(before).label.lower()}.")
    if to_status not in TRANSITIONS[before]:
        allowed = ", ".join(Status(s).label.lower() for s in TRANSITIONS[before]) or "nothing (it is closed)"
        raise ValidationError(f"A channel that is {Status(before).label.lower()} cannot become "
                              f"{Status(to_status).label.lower()}. It can become: {allowed}.")
    if before == Status.SETTING_UP and to_status == Status.ACTIVE:
        blockers = activation_blockers(locked)
        if blockers:
            raise ValidationError(blockers)
    reason = (reason or "").strip()
    if to_status == Status.CLOSING and not reason:
        raise ValidationError({"reason": "Say why the channel should close."})
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    channel.status = to_status
    audit_record(actor=actor, action="channel.transition", obj=locked, changes={"status": [before, to_status]},
                 note=reason, service=locked.service)
    people = [locked.service.head, *locked.managers.all()]
    body = f"{actor or 'The housekeeping audit'} changed it from {Status(before).label.lower()} to " \
           f"{Status(to_status).label.lower()}." + (f"\n\nReason: {reason}" if reason else "")
    if to_status == Status.CLOSING:
        body += "\n\nClose or delete the account on the platform, then tell the web team so it can be archived."
    notify(users=[u for u in people if u is not None and u.pk != getattr(actor, "pk", None)],
           subject=f"{locked} is now {Status(to_status).label.lower()}", body=body, url=locked.get_absolute_url())
    housekeeping_audit(channel_ids=[locked.pk], announce=False)
    return locked


def channel_request_closure(*, actor: User, channel: Channel, reason: str) -> Channel:
    """Ask the owning service to close an old or unnecessary account (→ closing)."""
    return channel_transition(actor=actor, channel=channel, to_status=Status.CLOSING, reason=reason)


def channel_archive(*, actor: User, channel: Channel, reason: str = "") -> Channel:
    """The account is gone from the platform: keep its record, closed (closing → closed)."""
    return channel_transition(actor=actor, channel=channel, to_status=Status.CLOSED,
                              reason=reason or "Closed on the platform; the record is kept.")


@transaction.atomic
def channel_reassign(*, actor: User, channel: Channel, service: Service, managers, reason: str = "") -> Channel:
    """Give a channel a new owning service and/or new people with access."""
    _require_web_team(actor)
    if actor is None:
        raise PermissionDenied("Reassigning needs a person.")
    managers = list(managers)
    if not managers:
        raise ValidationError({"managers": "Choose at least one person who will have access."})
    channel = channel_update(actor=actor, channel=channel, service=service, managers=managers)
    notify(users=[u for u in [service.head, *managers] if u is not None and u.pk != actor.pk],
           subject=f"{channel} has been reassigned to {service}",
           body=f"{actor} made {service} the owner" + (f": {reason}" if reason else "."),
           url=channel.get_absolute_url())
    housekeeping_audit(channel_ids=[channel.pk], announce=False)
    return channel


@transaction.atomic
def housekeeping_flag_resolve(*, actor: User, flag: HousekeepingFlag, resolution: str) -> HousekeepingFlag:
    """Mark a flag dealt with. The next audit raises it again if the problem is still there."""
    _require_web_team(actor)
    flag = HousekeepingFlag.objects.select_for_update(of=("self",)).select_related("channel__service").get(pk=flag.pk)
    if flag.status != HousekeepingFlag.Status.OPEN:
        raise ValidationError("This flag is already resolved.")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": "Say what was done."})
    _resolve(flag, actor=actor, resolution=resolution)
    return flag


def open_flag_counts() -> dict[str, int]:
    rows = HousekeepingFlag.objects.filter(status=HousekeepingFlag.Status.OPEN).values("kind").annotate(
        n=Count("id")).order_by()
    return {row["kind"]: row["n"] for row in rows}
