"""Every change made by triage: routing new mentions into cases, the case actions, FOI, the
SLA watch and the rules. One transaction each, an audit record and a timeline event in it,
notifications after commit."""
from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record, diff, snapshot
from accounts.models import Service, User
from accounts.notifications import notify
from accounts.roles import Role
from accounts.selectors import staff_with_role
from monitoring import bulk
from monitoring.models import Mention
from platforms.base import NotSupported, PlatformError

from . import classify, clock, config, learning, matrix, selectors
from .models import (
    CannedReply,
    Case,
    CaseEvent,
    CaseNotice,
    FoiRequest,
    MentionRouting,
    NotifyRole,
    Priority,
    Route,
    RoutingLabel,
    Rule,
    case_search_text,
)

log = logging.getLogger(__name__)
BATCH = 500
State = Case.State
Kind = CaseEvent.Kind


class CaseActionError(ValueError):
    """The action cannot be done; the message says why, for the person who tried."""


class StaleCase(CaseActionError):
    """Someone else changed the case after the form was loaded."""


# --- who is told -----------------------------------------------------------------------------

# Roles limited to the case's own service.
SERVICE_ROLES = {NotifyRole.HEAD_OF_SERVICE, NotifyRole.SERVICE_EDITOR}
# Who watches a route's cases when no one is assigned (SLA warnings).
ROUTE_TEAM = {
    Route.CUSTOMER_SERVICE: NotifyRole.CUSTOMER_SERVICES,
    Route.WEB_TEAM_RESPONSE: NotifyRole.WEB_TEAM,
    Route.SERVICE_CONVERSATION: NotifyRole.SERVICE_EDITOR,
    Route.COMMS_ESCALATION: NotifyRole.COMMUNICATIONS_OFFICER,
    Route.FOI: NotifyRole.WEB_TEAM,
    Route.NO_ACTION: NotifyRole.WEB_TEAM,
}


def _role_users(role: str, service_id: int | None) -> list[User]:
    if role == NotifyRole.LEADING_MEMBERS:
        return list(selectors.councillors())
    if role in SERVICE_ROLES:
        if service_id is None:
            return []
        users = list(staff_with_role(role, service_id=service_id))
        if role == NotifyRole.HEAD_OF_SERVICE:
            head = Service.objects.filter(pk=service_id, head__is_active=True).select_related("head").first()
            users += [head.head] if head else []
        return users
    return list(staff_with_role(role))


def _summary(cases: Sequence[Case]) -> str:
    lines = [f"{c} ({Route(c.route).label}, {Priority(c.priority).label.lower()} priority): "
             f"{' '.join(c.mention.text.split())[:120]}" for c in cases[:20]]
    if len(cases) > 20:
        lines.append(f"… and {len(cases) - 20} more.")
    return "\n".join(lines)


def _tell(groups: dict[tuple[str, int | None], list[Case]], *, subject: str) -> None:
    """After commit, tell each (role, service) group of its cases: one message per group."""
    groups = {key: cases for key, cases in groups.items() if cases}
    if not groups:
        return

    def send():
        for (role, service_id), cases in groups.items():
            users = _role_users(role, service_id)
            url = cases[0].get_absolute_url() if len(cases) == 1 else reverse("case_list")
            notify(users=users, subject=f"{subject}: {len(cases)} case{'s' if len(cases) != 1 else ''}",
                   body=_summary(cases), url=url)

    transaction.on_commit(send)


def _notice(groups: dict[tuple[str, int | None], list[Case]], *, subject: str) -> None:
    """Keep who is to be told of these (saved) cases, in the caller's transaction; after commit,
    queue the task that sends what has gathered (the beat schedule sends it too, should the
    queueing fail)."""
    rows = [[role, service_id, [c.pk for c in cases]] for (role, service_id), cases in groups.items() if cases]
    if not rows:
        return
    CaseNotice.objects.create(subject=subject[:200], groups=rows)
    transaction.on_commit(_queue_notices_send)


def _queue_notices_send() -> None:
    from .tasks import case_notices

    try:
        case_notices.delay()
    except Exception:  # the broker is away: the beat schedule's run sends them
        log.warning("Could not queue triage.case_notices; the next scheduled run sends the notices", exc_info=True)


def case_notices_send(*, limit: int = 1000) -> int:
    """Send the notices that have gathered: for each subject, role and service, one message
    listing every case that came in since the last run. Runs in one transaction; two runs at
    once take different notices. Returns the number of (role, service) messages."""
    with transaction.atomic():
        notices = list(CaseNotice.objects.select_for_update(skip_locked=True).order_by("pk")[:limit])
        if not notices:
            return 0
        merged: dict[tuple[str, str, int | None], dict[int, None]] = defaultdict(dict)
        for notice in notices:
            for role, service_id, case_ids in notice.groups:
                merged[(notice.subject, role, service_id)].update(dict.fromkeys(case_ids))
        wanted = {pk for ids in merged.values() for pk in ids}
        cases = Case.objects.select_related("mention").in_bulk(wanted)  # erased meanwhile: gone
        sent = 0
        for (subject, role, service_id), ids in merged.items():
            found = [cases[pk] for pk in ids if pk in cases]
            if not found:
                continue
            url = found[0].get_absolute_url() if len(found) == 1 else reverse("case_list")
            notify(users=_role_users(role, service_id),
                   subject=f"{subject}: {len(found)} case{'s' if len(found) != 1 else ''}",
                   body=_summary(found), url=url)
            sent += 1
        CaseNotice.objects.filter(pk__in=[n.pk for n in notices]).delete()
    return sent


def _tell_users(users: Iterable[User | None], *, subject: str, body: str, url: str) -> None:
    users = [u for u in users if u is not None]
    if users:
        transaction.on_commit(lambda: notify(users=users, subject=subject, body=body, url=url))


def _group_by_role(items: Iterable[tuple[Case, Iterable[str]]]) -> dict[tuple[str, int | None], list[Case]]:
    groups: dict[tuple[str, int | None], list[Case]] = defaultdict(list)
    for case, roles in items:
        for role in roles:
            if role in SERVICE_ROLES:
                if case.service_id is not None:
                    groups[(role, case.service_id)].append(case)
            else:
                groups[(role, None)].append(case)
    return groups


def _share_with_leading_members(items: list[tuple[Case, Iterable[str]]]) -> None:
    """Rules that tell leading members share their cases with the councillors."""
    shared = [case for case, roles in items if NotifyRole.LEADING_MEMBERS in roles]
    if not shared:
        return
    through = Case.shared_with.through
    members = list(selectors.councillors().values_list("pk", flat=True))
    through.objects.bulk_create([through(case_id=c.pk, user_id=u) for c in shared for u in members],
                                ignore_conflicts=True, batch_size=BATCH)


# --- routing new mentions --------------------------------------------------------------------

def _received(mention: Mention) -> datetime:
    """When the council received the mention: when it was posted, unless that claims to be later
    than when it was stored."""
    return min(mention.posted_at, mention.received_at) if mention.received_at else mention.posted_at


def _classification_json(c: classify.Classification) -> dict:
    return {
        "sentiment": c.sentiment, "sentiment_label": c.sentiment_label,
        "criticality": c.criticality, "influence": c.influence, "influential": c.influential,
        "service": c.service,
        "signals": {"customer_service": c.customer_service, "simple_question": c.simple_question,
                    "foi": c.foi, "foi_valid": c.foi_valid, "abusive": c.abusive,
                    "thread_growth": c.thread_growth, "safeguarding": c.safeguarding},
        "reasons": dict(c.reasons),
        "model": {"version": c.model_version, "intent": c.intent, "confidence": round(c.confidence, 4),
                  "route_probabilities": {k: round(v, 4) for k, v in c.route_probabilities.items()},
                  "safeguarding_probability": round(c.safeguarding_probability, 4),
                  "service_probability": round(c.service_probability, 4)} if c.intent else None,
    }


def _safeguarding(c: classify.Classification) -> bool:
    return bool(c.safeguarding)


def _routing(mention: Mention, c: classify.Classification, d: matrix.Decision, *, service_id: int | None,
             case: Case, now: datetime) -> MentionRouting:
    return MentionRouting(mention=mention, route=d.route, service_id=service_id, rule_name=d.rule[:200],
                          explanation=d.explanation, priority=d.priority, classification=_classification_json(c),
                          thread_growth=d.thread_growth, case=case, routed_at=now)


def _new_case(mention: Mention, d: matrix.Decision, cfg: config.TriageConfig, received: datetime,
              service_id: int | None, safeguarding: bool = False) -> Case:
    watching = d.route == Route.NO_ACTION and not safeguarding
    due = None if watching else cfg.sla_due(received, d.sla)
    return Case(
        mention=mention, platform=mention.platform, conversation_id=mention.conversation_id or mention.external_id,
        state=State.MONITORING if watching else State.NEW, route=d.route,
        priority=Priority.URGENT if safeguarding else d.priority, safeguarding=safeguarding,
        service_id=service_id, rule_name=d.rule[:200], explanation=d.explanation, sla_policy=d.sla or "",
        opened_at=received, out_of_hours=clock.out_of_hours(received),
        clock_started_at=clock.next_working_moment(received) if due else None, sla_due_at=due,
        search_text=case_search_text(mention.text, mention.author.handle),
    )


def _new_foi(case: Case, mention: Mention, c: classify.Classification, received: datetime) -> FoiRequest:
    author = mention.author
    given = classify.name_and_address(mention.text)
    if classify.looks_like_real_name(author.display_name):
        requester = author.display_name
    else:
        requester = given[0] if given else ""
    return FoiRequest(
        case=case, requester=requester[:300], request_text=mention.text, valid=bool(c.foi_valid),
        validity_reason=c.reasons.get("foi_valid", "")[:500], received_at=received,
        clock_start=timezone.localdate(received), due_date=clock.foi_due(received),
    )


def _raise_routing(case: Case, d: matrix.Decision, cfg: config.TriageConfig, at: datetime,
                   service_id: int | None) -> list[str]:
    """Take the case up to a routing that goes further; its clock restarts at `at` if that is sooner."""
    before = snapshot(case, ["route", "priority", "state", "sla_due_at", "service"])
    case.route, case.priority, case.rule_name, case.explanation = d.route, d.priority, d.rule[:200], d.explanation
    case.sla_policy = d.sla or ""
    if case.state == State.MONITORING:
        case.state = State.NEW
    due = cfg.sla_due(at, d.sla)
    if due is not None and (case.sla_due_at is None or case.sla_stopped_at is not None or due < case.sla_due_at):
        case.sla_due_at, case.clock_started_at = due, clock.next_working_moment(at)
        case.sla_stopped_at = case.sla_warned_at = case.sla_breached_at = None
    if service_id and not case.service_id:
        case.service_id = service_id
    case.version += 1
    return list(diff(before, snapshot(case, ["route", "priority", "state", "sla_due_at", "service"])))


CASE_ROUTING_FIELDS = ["route", "priority", "rule_name", "explanation", "sla_policy", "state", "sla_due_at",
                       "clock_started_at", "sla_stopped_at", "sla_warned_at", "sla_breached_at", "service",
                       "safeguarding", "version", "updated_at"]


@transaction.atomic(savepoint=False)  # inside the page's transaction: all or nothing with it
def mentions_route(mentions: Sequence[Mention] | Sequence[int]) -> int:
    """Classify and route new mentions: a routing per mention and a case per mention, or the
    mention joins the open case of its conversation. A fixed number of queries per batch.
    Returns the number routed.

    Monitoring's NEW_MENTION_HOOKS call it inside the page's transaction with the mentions it
    has just stored (their author and channel attached, so nothing is read back). Given ids,
    it loads them and skips any already routed."""
    if not mentions:
        return 0
    if isinstance(mentions[0], Mention):
        mentions = sorted(mentions, key=lambda m: (m.posted_at, m.pk))
    else:
        mentions = list(Mention.objects.filter(pk__in=list(mentions), routing__isnull=True)
                        .select_related("author", "channel", "channel__service").order_by("posted_at", "pk"))
    if not mentions:
        return 0
    cfg = config.current()
    inputs = selectors.mention_inputs(mentions)
    classifications = classify.classify_many(inputs, cfg.classifier, cfg.predictor)
    decisions = matrix.route_many(cfg.matrix, classifications, inputs)
    now = timezone.now()

    slugs = {c.service for c in classifications if c.service}
    service_ids = dict(Service.objects.filter(slug__in=slugs).values_list("slug", "pk")) if slugs else {}
    conversations = {m.conversation_id for m in mentions if m.conversation_id}
    open_cases: dict[tuple[str, str], Case] = {}
    if conversations:
        found = (Case.objects.filter(platform__in={m.platform for m in mentions}, conversation_id__in=conversations)
                 .exclude(state=State.CLOSED).order_by("opened_at", "pk"))
        for case in found:
            open_cases.setdefault((case.platform, case.conversation_id), case)

    # Routings and timeline events are written as plain rows once the new cases have their ids.
    new_cases, raised, routed, events, fois, told, at_risk = [], {}, [], [], [], [], {}
    for mention, c, d in zip(mentions, classifications, decisions, strict=True):
        received = _received(mention)
        service_id = service_ids.get(c.service)
        # An FOI request always opens its own case: it has its own statutory clock and register entry.
        joins = mention.conversation_id and d.route != Route.FOI
        case = open_cases.get((mention.platform, mention.conversation_id)) if joins else None
        if case is None:
            case = _new_case(mention, d, cfg, received, service_id, _safeguarding(c))
            new_cases.append(case)
            open_cases.setdefault((case.platform, case.conversation_id), case)
            events.append((case, Kind.CREATED, d.explanation, {"mention": mention.pk, "rule": d.rule,
                                                                "route": d.route}))
            if d.route == Route.FOI:
                fois.append(_new_foi(case, mention, c, received))
            told.append((case, d.notify))
        else:
            events.append((case, Kind.JOINED, d.explanation, {"mention": mention.pk, "rule": d.rule,
                                                               "route": d.route}))
            if matrix.rank(d.route, d.priority) > matrix.rank(case.route, case.priority):
                changed = _raise_routing(case, d, cfg, received, service_id)
                events.append((case, Kind.REROUTED, d.explanation, {"mention": mention.pk, "changed": changed}))
                if case.pk:
                    raised[case.pk] = case
                told.append((case, d.notify))
        if _safeguarding(c) and (case.pk is None or not case.safeguarding):
            at_risk[id(case)] = case
            if not case.safeguarding:  # a later mention of the conversation says someone is at risk
                case.safeguarding, case.priority = True, Priority.URGENT
                if case.state == State.MONITORING:
                    case.state = State.NEW
                if case.pk:
                    case.version += 1
                    raised[case.pk] = case
        routed.append((mention, c, d, service_id, case))

    bulk.insert(Case, new_cases)
    if raised:
        bulk.update(Case, list(raised.values()), CASE_ROUTING_FIELDS)
    bulk.insert_rows(MentionRouting, [
        {"mention_id": mention.pk, "route": d.route, "service_id": service_id, "rule_name": d.rule[:200],
         "explanation": d.explanation, "priority": d.priority, "classification": _classification_json(c),
         "thread_growth": d.thread_growth, "case_id": case.pk, "routed_at": now}
        for mention, c, d, service_id, case in routed])
    bulk.insert_rows(CaseEvent, [
        {"case_id": case.pk, "at": now, "actor_name": "system", "kind": kind, "text": text, "data": data}
        for case, kind, text, data in events])
    bulk.insert(FoiRequest, fois)
    _share_with_leading_members(told)
    _notice(_group_by_role(told), subject="New on the dashboard")
    _safeguarding_tell(list(at_risk.values()))
    return len(routed)


@transaction.atomic(savepoint=False)
def mentions_rethink(mention_ids: Sequence[int]) -> int:
    """Look again at routed mentions whose threads grew (monitoring's GROWN_MENTION_HOOKS): a
    routing only ever goes up, and takes its open case with it. Returns the number raised."""
    if not mention_ids:
        return 0
    routings = list(MentionRouting.objects.filter(mention_id__in=list(mention_ids))
                    .select_related("mention", "mention__author", "mention__channel", "mention__channel__service",
                                    "case", "case__mention"))
    if not routings:
        return 0
    cfg = config.current()
    inputs = selectors.mention_inputs([r.mention for r in routings])
    classifications = classify.classify_many(inputs, cfg.classifier, cfg.predictor)
    now = timezone.now()
    slugs = {c.service for c in classifications if c.service}
    service_ids = dict(Service.objects.filter(slug__in=slugs).values_list("slug", "pk")) if slugs else {}

    changed_routings, cases, events, fois, told, at_risk = [], {}, [], [], [], []
    for routing, c, m in zip(routings, classifications, inputs, strict=True):
        previous = matrix.Decision(rule=routing.rule_name, route=routing.route, priority=routing.priority, sla=None,
                                   notify=(), explanation=routing.explanation, thread_growth=routing.thread_growth)
        d = matrix.rethink(previous, c, m, cfg.matrix)
        if c.thread_growth > routing.thread_growth:
            routing.thread_growth = c.thread_growth
            changed_routings.append(routing)
        if d is None:
            continue
        routing.route, routing.priority, routing.rule_name = d.route, d.priority, d.rule[:200]
        routing.explanation, routing.classification = d.explanation, _classification_json(c)
        routing.service_id = service_ids.get(c.service, routing.service_id)
        case = routing.case
        if case is None or not case.is_open or matrix.rank(d.route, d.priority) <= matrix.rank(case.route,
                                                                                                  case.priority):
            continue
        was_foi = case.route == Route.FOI
        changed = _raise_routing(case, d, cfg, now, service_ids.get(c.service))
        cases[case.pk] = case
        events.append(CaseEvent(case=case, at=now, actor_name="system", kind=Kind.REROUTED, text=d.explanation,
                                data={"mention": routing.mention_id, "changed": changed}))
        if d.route == Route.FOI and not was_foi:
            fois.append(_new_foi(case, routing.mention, c, now))
        told.append((case, d.notify))
    for routing, c in zip(routings, classifications, strict=True):
        case = routing.case
        if c.safeguarding and case is not None and case.is_open and not case.safeguarding:
            case.safeguarding, case.priority = True, Priority.URGENT  # the thread now says someone is at risk
            if case.state == State.MONITORING:
                case.state = State.NEW
            case.version += 1
            cases[case.pk] = case
            at_risk.append(case)

    MentionRouting.objects.bulk_update(changed_routings, ["route", "priority", "rule_name", "explanation",
                                                          "classification", "service", "thread_growth"],
                                       batch_size=BATCH)
    if cases:
        Case.objects.bulk_update(list(cases.values()), CASE_ROUTING_FIELDS, batch_size=BATCH)
    CaseEvent.objects.bulk_create(events, batch_size=BATCH)
    FoiRequest.objects.bulk_create(fois, batch_size=BATCH, ignore_conflicts=True)
    _share_with_leading_members(told)
    _notice(_group_by_role(told), subject="Raised as its thread grew")
    _safeguarding_tell(at_risk)
    return len(cases)


def cases_search_refresh(mention_ids: Sequence[int]) -> int:
    """After mentions' text changed (an edited blog post): their cases' search text follows."""
    cases = list(Case.objects.filter(mention_id__in=list(mention_ids)).select_related("mention__author")
                 .only("id", "search_text", "mention__text", "mention__author__handle"))
    changed = []
    for case in cases:
        text = case_search_text(case.mention.text, case.mention.author.handle)
        if case.search_text != text:
            case.search_text = text
            changed.append(case)
    Case.objects.bulk_update(changed, ["search_text"], batch_size=BATCH)
    return len(changed)


@transaction.atomic
def mentions_forget(mention_ids: Sequence[int]) -> int:
    """Before mentions are deleted (retention or an erasure request): delete the cases they
    opened, with their timelines and FOI records. Mentions that only joined a case leave it."""
    if not mention_ids:
        return 0
    return Case.objects.filter(mention_id__in=list(mention_ids)).delete()[1].get("triage.Case", 0)


# --- case actions ------------------------------------------------------------------------------

def _name(actor) -> str:
    return str(actor) if actor is not None else "system"


def _begin(case: Case, version: int | None) -> Case:
    """The case, locked for the change; refused if someone changed it since `version`."""
    fresh = (Case.objects.select_for_update(of=("self",))
             .select_related("mention", "mention__channel", "service", "assignee").get(pk=case.pk))
    if version is not None and fresh.version != version:
        raise StaleCase("Someone else changed this case after you opened it. Check the timeline, then try again.")
    return fresh


def _set(case: Case, **values) -> dict:
    """Set fields on the case; return the changes, as the audit trail records them."""
    changes = {}
    for field, value in values.items():
        old = getattr(case, field)
        if old != value:
            setattr(case, field, value)
            changes[field] = [old, value]
    return changes


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, int | float | bool | str | type(None)) else str(value)


def _record(case: Case, *, actor, kind: str, changes: dict, now: datetime, text: str = "", data: dict | None = None,
            external_id: str = "", url: str = "") -> CaseEvent:
    """Save the changes (a new version), put the event on the timeline and on the audit trail."""
    if changes:
        case.version += 1
        case.save(update_fields=[*changes, "version", "updated_at"])
    event = CaseEvent.objects.create(case=case, at=now, actor=actor if getattr(actor, "pk", None) else None,
                                     actor_name=_name(actor), kind=kind, text=text, data=data or {},
                                     external_id=external_id, url=url)
    audit_record(actor=actor, action=f"case.{kind}", obj=case, service=case.service, note=text[:2000],
                 changes={k: [_plain(a), _plain(b)] for k, (a, b) in changes.items()})
    return event


_UNSET = object()


def _label(case: Case, *, actor, decision: str, now: datetime, route: str | None = None, service=_UNSET,
           safeguarding: bool | None = None) -> RoutingLabel:
    """Keep a staff decision about where the case's mention belonged, beside what the routing
    had said: the label retraining learns from. Call inside the decision's transaction."""
    routing = (MentionRouting.objects.filter(mention_id=case.mention_id).select_related("service")
               .only("route", "classification", "service__slug").first())
    said = learning.routing_said(routing)
    return RoutingLabel.objects.create(
        mention_id=case.mention_id, case=case, route=route or case.route,
        service_id=case.service_id if service is _UNSET else getattr(service, "pk", None),
        safeguarding=case.safeguarding if safeguarding is None else safeguarding, decision=decision,
        predicted_route=said["route"][:30], predicted_service=said["service"][:100],
        predicted_safeguarding=said["safeguarding"] if routing else None, model_version=said["version"][:100],
        actor=actor if getattr(actor, "pk", None) else None, actor_name=_name(actor), at=now)


def _refuse_closed(case: Case, doing: str) -> None:
    if case.state == State.CLOSED:
        raise CaseActionError(f"This case is closed. Reopen it before you {doing}.")


def _responded(case: Case, now: datetime) -> dict:
    """A first response stops the clock (an FOI clock stops when the FOI response is recorded)."""
    values = {"state": State.RESPONDED, "first_response_at": case.first_response_at or now}
    if case.route != Route.FOI and case.sla_stopped_at is None:
        values["sla_stopped_at"] = now
    return _set(case, **values)


@transaction.atomic
def case_acknowledge(*, actor, case: Case, version: int | None = None) -> Case:
    case = _begin(case, version)
    if case.state not in (State.NEW, State.MONITORING):
        raise CaseActionError(f"{case} is already {case.get_state_display().lower()}.")
    now = timezone.now()
    changes = _set(case, state=State.ACKNOWLEDGED, acknowledged_at=case.acknowledged_at or now)
    _record(case, actor=actor, kind=Kind.ACKNOWLEDGED, changes=changes, now=now)
    return case


@transaction.atomic
def case_assign(*, actor, case: Case, assignee: User | None, version: int | None = None, tell: bool = True) -> Case:
    """Give the case to someone (or to no one). A new case is then in progress."""
    case = _begin(case, version)
    _refuse_closed(case, "assign it")
    if assignee is not None and (not assignee.is_active or not selectors.can_work_on_cases(assignee)):
        raise CaseActionError(f"{assignee} cannot be given cases.")
    if assignee == case.assignee:
        raise CaseActionError(f"{case} is already {'assigned to ' + str(assignee) if assignee else 'unassigned'}.")
    now = timezone.now()
    values = {"assignee": assignee}
    if assignee is not None and case.state in (State.NEW, State.ACKNOWLEDGED, State.MONITORING):
        values.update(state=State.IN_PROGRESS, acknowledged_at=case.acknowledged_at or now)
    changes = _set(case, **values)
    text = f"Assigned to {assignee}." if assignee else "Unassigned."
    _record(case, actor=actor, kind=Kind.ASSIGNED, changes=changes, now=now, text=text,
            data={"assignee": assignee.pk if assignee else None})
    if tell and assignee is not None and assignee != actor:
        _tell_users([assignee], subject=f"{case} was assigned to you", body=_summary([case]),
                    url=case.get_absolute_url())
    return case


@transaction.atomic
def case_note(*, actor, case: Case, text: str) -> CaseEvent:
    """An internal note on the timeline (never published). Notes add to a case without
    changing it, so they never make anyone's form stale."""
    text = text.strip()
    if not text:
        raise CaseActionError("Write the note.")
    return _record(case, actor=actor, kind=Kind.NOTE, changes={}, now=timezone.now(), text=text)


@transaction.atomic
def case_hand_over(*, actor, case: Case, service: Service, note: str = "", version: int | None = None) -> Case:
    """Hand the case to a service's officers, who are told."""
    case = _begin(case, version)
    _refuse_closed(case, "hand it over")
    if case.service_id == service.pk:
        raise CaseActionError(f"This case is already {service}'s. Choose another service to hand it to.")
    now = timezone.now()
    previous = str(case.service) if case.service_id else ""
    changes = _set(case, service=service, state=State.WITH_SERVICE)
    _record(case, actor=actor, kind=Kind.HANDED_OVER, changes=changes, now=now,
            text=note.strip() or f"Handed over to {service}.",
            data={"service": service.slug, "to": str(service), "from": previous})
    _label(case, actor=actor, decision=RoutingLabel.Decision.HANDED_OVER, now=now)
    _tell(_group_by_role([(case, (NotifyRole.HEAD_OF_SERVICE, NotifyRole.SERVICE_EDITOR))]),
          subject=f"Handed over to {service}")
    return case


def _move_values(case: Case, route: str, now: datetime) -> dict:
    """A case moved to `route` by staff: its queue, SLA (the clock starts at the move) and state."""
    if route == case.route:
        return {}
    policy = matrix.ROUTE_DEFAULT_SLA[route]
    due = config.current().sla_due(now, policy)
    values = {"route": route, "sla_policy": policy or "", "sla_due_at": due,
              "clock_started_at": clock.next_working_moment(now) if due else None, "sla_stopped_at": None,
              "sla_warned_at": None, "sla_breached_at": None}
    if route == Route.NO_ACTION and case.state in (State.NEW, State.ACKNOWLEDGED):
        values["state"] = State.MONITORING
    elif route != Route.NO_ACTION and case.state == State.MONITORING:
        values["state"] = State.NEW
    return values


@transaction.atomic
def case_reroute(*, actor, case: Case, route: str, service: Service | None = None, note: str = "",
                 version: int | None = None) -> Case:
    """"Routed wrongly? Move it to …": staff put the case on the route (and service) where it
    belonged. The case moves queue and SLA, the move is on the timeline and the audit trail, and
    the decision is kept as a label for the classifier. Moving to FOI opens the FOI register
    entry; moving away removes an unanswered one."""
    if route not in Route.values:
        raise CaseActionError("Choose the route the case belongs on.")
    case = _begin(case, version)
    _refuse_closed(case, "move it")
    if route == case.route and (service is None or service.pk == case.service_id):
        raise CaseActionError(f"{case} is already on {Route(route).label}"
                              f"{f' with {case.service}' if case.service_id else ''}.")
    now = timezone.now()
    was = case.route
    values = _move_values(case, route, now)
    if service is not None:
        values["service"] = service
    changes = _set(case, **values)
    decision = RoutingLabel.Decision.REROUTED
    foi = FoiRequest.objects.filter(case=case).first()
    foi_change = None
    if route == Route.FOI and was != Route.FOI:
        decision = RoutingLabel.Decision.FOI_MARKED
        if foi is None:
            mention = case.mention
            c = classify.classify(selectors.mention_input(
                Mention.objects.select_related("author", "channel", "channel__service").get(pk=mention.pk)),
                config.current().classifier)
            _new_foi(case, mention, c, now).save()
            foi_change = "An FOI register entry is opened."
    elif was == Route.FOI and route != Route.FOI:
        decision = RoutingLabel.Decision.FOI_UNMARKED
        if foi is not None and foi.responded_at is None:
            foi.delete()
            foi_change = "Its unanswered FOI register entry is removed."
    moved = f"Moved from {Route(was).label} to {Route(route).label}"
    if service is not None:
        moved += f", {service}"
    _record(case, actor=actor, kind=Kind.CORRECTED, changes=changes, now=now,
            text=" ".join(filter(None, [f"{moved}.", foi_change, note.strip()])),
            data={"from": was, "to": route, "service": service.slug if service else None, "foi": foi_change})
    _label(case, actor=actor, decision=decision, now=now)
    if route != Route.NO_ACTION:
        _tell(_group_by_role([(case, (ROUTE_TEAM[route],))]), subject=f"Moved to {Route(route).label}")
    return case


@transaction.atomic
def case_safeguarding(*, actor, case: Case, safeguarding: bool, note: str = "", version: int | None = None) -> Case:
    """Staff say that a person may be at risk (or that they are not, after all). Marking makes
    the case urgent, never "no action", shares it with the safeguarding contacts and tells
    them at once. Either way the decision is kept as a label."""
    case = _begin(case, version)
    if case.safeguarding == safeguarding:
        raise CaseActionError(f"{case} is already {'marked' if safeguarding else 'not marked'} as safeguarding.")
    now = timezone.now()
    values = {"safeguarding": safeguarding}
    if safeguarding:
        values["priority"] = Priority.URGENT
        if case.state == State.CLOSED:
            values.update(state=State.IN_PROGRESS, resolved_at=None)
        values.update(_move_values(case, Route.CUSTOMER_SERVICE, now) if case.route == Route.NO_ACTION else {})
    changes = _set(case, **values)
    text = note.strip() or ("A person may be at risk of harm: the safeguarding contacts are told."
                            if safeguarding else "Not a safeguarding matter.")
    _record(case, actor=actor, kind=Kind.SAFEGUARDING, changes=changes, now=now, text=text,
            data={"safeguarding": safeguarding})
    _label(case, actor=actor, decision=RoutingLabel.Decision.SAFEGUARDING_MARKED if safeguarding
           else RoutingLabel.Decision.SAFEGUARDING_UNMARKED, now=now)
    if safeguarding:
        _safeguarding_tell([case])
    return case


def _safeguarding_tell(cases: Sequence[Case]) -> None:
    """Share safeguarding cases with the council's safeguarding contacts (so they can read them)
    and tell the contacts at once, in the app and by email, whatever the hour."""
    cases = [c for c in cases if c.pk]
    if not cases:
        return
    contacts = selectors.safeguarding_contacts()
    through = Case.shared_with.through
    through.objects.bulk_create([through(case_id=c.pk, user_id=u.pk) for c in cases for u in contacts],
                                ignore_conflicts=True, batch_size=BATCH)
    for case in cases:
        _tell_users(contacts, subject=f"Safeguarding: a person may be at risk ({case})",
                    body=f"Urgent. Read the case now.\n\n{_summary([case])}", url=case.get_absolute_url())


@transaction.atomic
def case_escalate(*, actor, case: Case, reason: str = "", tell_head_of_service: bool = False,
                  councillors: Sequence[User] = (), version: int | None = None) -> Case:
    """Escalate to communications: the comms officers are told and, where chosen, the head of
    the case's service and leading members (councillors, who can then read the case)."""
    councillors = list(councillors)
    if councillors and not selectors.can_tell_councillors(actor):
        raise CaseActionError("Only the web team and communications officers can tell councillors.")
    not_members = [u for u in councillors if not u.has_role(Role.COUNCILLOR)]
    if not_members:
        raise CaseActionError(f"{', '.join(map(str, not_members))} is not a councillor.")
    case = _begin(case, version)
    _refuse_closed(case, "escalate it")
    if tell_head_of_service and case.service_id is None:
        raise CaseActionError("This case has no service, so there is no head of service to tell. Hand it over to "
                              "a service first, or leave that box unticked.")
    now = timezone.now()
    values = {"escalated_at": now, "priority": Priority.URGENT}
    if case.route != Route.COMMS_ESCALATION:
        cfg = config.current()
        policy = matrix.ROUTE_DEFAULT_SLA[matrix.COMMS_ESCALATION]
        due = cfg.sla_due(now, policy)
        values.update(route=Route.COMMS_ESCALATION, sla_policy=policy or "", sla_due_at=due,
                      clock_started_at=clock.next_working_moment(now) if due else None, sla_stopped_at=None,
                      sla_warned_at=None, sla_breached_at=None)
    if case.state in (State.NEW, State.ACKNOWLEDGED, State.MONITORING, State.RESPONDED):
        values["state"] = State.IN_PROGRESS
    changes = _set(case, **values)
    told = ["communications officers"]
    roles = [NotifyRole.COMMUNICATIONS_OFFICER]
    if tell_head_of_service:
        roles.append(NotifyRole.HEAD_OF_SERVICE)
        told.append(f"the head of {case.service}")
    if councillors:
        case.shared_with.add(*councillors)
        told += [str(u) for u in councillors]
    text = reason.strip() or "Escalated to communications."
    _record(case, actor=actor, kind=Kind.ESCALATED, changes=changes, now=now, text=text,
            data={"told": told, "councillors": [u.pk for u in councillors]})
    _label(case, actor=actor, decision=RoutingLabel.Decision.ESCALATED, now=now)
    _tell(_group_by_role([(case, roles)]), subject="Escalated to communications")
    _tell_users(councillors, subject=f"For your information: {case}", body=f"{text}\n\n{_summary([case])}",
                url=case.get_absolute_url())
    return case


def _reply_checks(text: str, channel) -> tuple[str, ...]:
    """The pre-publish checks a reply goes through, with the council's rules of the moment
    (pre-election period, its own contact details); raises on a block, returns the warnings."""
    from publishing import checks
    from publishing.selectors import check_context

    draft = checks.Draft(text=text, is_reply=True,
                         channels=(checks.ChannelTarget(platform=channel.platform, handle=channel.handle,
                                                        kind=channel.kind),))
    results = checks.run_checks(draft, check_context(when=timezone.now()))
    blocks = checks.blocking(results)
    if blocks:
        raise CaseActionError(blocks[0].message)
    return tuple(r.message for r in results)


def case_reply(*, actor, case: Case, text: str, version: int | None = None, client=None) -> CaseEvent:
    """Reply in public to the mention that opened the case, through its channel's platform
    client, after the same checks as a post: only those who may reply on the channel, with the
    policy acknowledged and training current; where the reply rules (or a blocked word) ask
    for approval, the reply waits for it (the timeline says so) instead of going out."""
    from . import replies

    text = text.strip()
    if not text:
        raise CaseActionError("Write the reply.")
    with transaction.atomic():
        locked = _begin(case, version)
        _refuse_closed(locked, "reply")
        channel = locked.mention.channel
        replies.require_may_reply(actor, channel)
        replies.require_gates(actor)
        warnings = _reply_checks(text, channel)
        reasons, approvers = replies.approval_reasons(user=actor, case=locked, channel=channel, text=text)
        # Take the version now: the same form sent twice is refused, not posted twice.
        locked.version += 1
        locked.save(update_fields=["version", "updated_at"])
        if reasons:
            draft = replies.reply_submit(actor=actor, case=locked, text=text, reasons=reasons, approvers=approvers)
            return _record(locked, actor=actor, kind=Kind.NOTE, changes={}, now=timezone.now(),
                           text=f"Reply waiting for approval ({'; '.join(reasons)}): {text}",
                           data={"awaiting_approval": True, "reply_draft": draft.pk})
    return _reply_send(actor=actor, case=case, text=text, client=client, warnings=warnings)


def _reply_send(*, actor, case: Case, text: str, client=None, warnings=(), approved_by=None) -> CaseEvent:
    """Send a reply that may go out through the platform; its id goes on the timeline."""
    from monitoring.clients import client_for

    target = Case.objects.select_related("mention", "mention__channel").get(pk=case.pk).mention
    client = client or client_for(target.channel)
    try:
        published = client.reply(target.external_id, text)
    except PlatformError as exc:
        raise CaseActionError(f"{target.channel.get_platform_display()} did not take the reply, so nothing was "
                              f"posted ({type(exc).__name__}). Try again in a few minutes.") from exc
    with transaction.atomic():
        locked = _begin(case, None)
        now = timezone.now()
        changes = _responded(locked, now)
        data = {"in_reply_to": target.external_id, "mention": target.pk, "warnings": list(warnings)}
        from accounts.services import channel_record_activity

        channel_record_activity(channel_id=target.channel_id, at=now)
        if approved_by is not None:
            data["approved_by"] = str(approved_by)
        return _record(locked, actor=actor, kind=Kind.REPLY, changes=changes, now=now, text=text,
                       external_id=published.external_id, url=published.url, data=data)


def case_private_channel(*, actor, case: Case, note: str, message: str = "", responded: bool = False,
                         version: int | None = None, client=None) -> Case:
    """Take the conversation private. With a message, it is sent as a direct message where the
    platform allows it (X, Mastodon's direct visibility), which is a response and stops the SLA
    clock. Otherwise it is only recorded, and the clock keeps running until a response is
    recorded (`responded`: the resident was answered by phone, email or in person)."""
    from monitoring.clients import client_for

    from . import replies

    note, message = note.strip(), (message or "").strip()
    if not note:
        raise CaseActionError("Say where the conversation went, for example \"direct message\" or \"phone call\".")
    with transaction.atomic():
        locked = _begin(case, version)
        _refuse_closed(locked, "record this")
        mention = locked.mention
        if message:
            replies.require_may_reply(actor, mention.channel)
            replies.require_gates(actor)
            _reply_checks(message, mention.channel)
            locked.version += 1  # the same form sent twice is refused, not sent twice
            locked.save(update_fields=["version", "updated_at"])
    sent = None
    if message:
        client = client or client_for(mention.channel)
        send = getattr(client, "direct_message", None)
        if send is not None:
            recipient = mention.author.handle if mention.platform == "mastodon" else mention.author.external_id
            try:
                sent = send(recipient, message, in_reply_to=mention.external_id)
            except NotSupported:
                sent = None  # not for this item (e.g. no comment to answer privately): recorded only
            except PlatformError as exc:
                raise CaseActionError(f"{mention.channel.get_platform_display()} did not take the direct message, so "
                                      f"nothing was sent ({type(exc).__name__}). Try again in a few minutes.") from exc
    with transaction.atomic():
        locked = _begin(case, None)
        now = timezone.now()
        data = {"sent": sent is not None, "responded": bool(sent is not None or responded)}
        if sent is not None or responded:
            changes = _responded(locked, now)
        else:
            changes = _set(locked, state=State.IN_PROGRESS) if locked.state in (
                State.NEW, State.ACKNOWLEDGED, State.MONITORING) else {}
            if message:
                data["not_sent"] = (f"{mention.channel.get_platform_display()} does not allow direct messages from "
                                    "here: send it yourself, then record the response.")
        text = note + (f"\n\nMessage: {message}" if message else "")
        _record(locked, actor=actor, kind=Kind.PRIVATE_CHANNEL, changes=changes, now=now, text=text, data=data,
                external_id=sent.external_id if sent else "", url=sent.url if sent else "")
    return locked


@transaction.atomic
def case_close(*, actor, case: Case, note: str = "", no_action: bool = False, version: int | None = None) -> Case:
    """Close the case. With no_action (or on the no-action route), staff say that nothing needed
    doing: kept as a label for the classifier."""
    case = _begin(case, version)
    _refuse_closed(case, "close it again")
    foi = FoiRequest.objects.filter(case=case, valid=True, responded_at__isnull=True).first()
    if foi is not None:
        raise CaseActionError("This case holds a valid FOI request that has not been answered. Record the FOI "
                              "response before closing the case.")
    now = timezone.now()
    changes = _set(case, state=State.CLOSED, resolved_at=now)
    _record(case, actor=actor, kind=Kind.CLOSED, changes=changes, now=now,
            text=note.strip() or ("Nothing needed doing (no action)." if no_action else ""))
    if no_action or case.route == Route.NO_ACTION:
        _label(case, actor=actor, decision=RoutingLabel.Decision.CLOSED_NO_ACTION, now=now, route=Route.NO_ACTION)
    return case


@transaction.atomic
def case_reopen(*, actor, case: Case, note: str = "", version: int | None = None) -> Case:
    case = _begin(case, version)
    if case.state != State.CLOSED:
        raise CaseActionError(f"{case} is not closed.")
    now = timezone.now()
    changes = _set(case, state=State.IN_PROGRESS, resolved_at=None)
    _record(case, actor=actor, kind=Kind.REOPENED, changes=changes, now=now, text=note.strip())
    return case


@dataclasses.dataclass
class BulkResult:
    done: list[int] = dataclasses.field(default_factory=list)
    skipped: list[tuple[int, str]] = dataclasses.field(default_factory=list)


BULK_ACTIONS = ("acknowledge", "assign", "close")


@transaction.atomic
def cases_bulk(*, actor, cases: Iterable[Case], action: str, assignee: User | None = None) -> BulkResult:
    """Acknowledge, assign or close many cases at once; a case that cannot be changed is skipped
    with the reason."""
    if action not in BULK_ACTIONS:
        raise CaseActionError(f"Choose one of: {', '.join(BULK_ACTIONS)}.")
    if action == "assign" and assignee is None:
        raise CaseActionError("Choose who to assign the cases to.")
    result = BulkResult()
    for case in cases:
        try:
            with transaction.atomic():
                if action == "acknowledge":
                    case_acknowledge(actor=actor, case=case)
                elif action == "assign":
                    case_assign(actor=actor, case=case, assignee=assignee, tell=False)
                else:
                    case_close(actor=actor, case=case)
        except CaseActionError as exc:
            result.skipped.append((case.pk, str(exc)))
        else:
            result.done.append(case.pk)
    if action == "assign" and result.done and assignee != actor:
        assigned = list(Case.objects.filter(pk__in=result.done).select_related("mention"))
        _tell_users([assignee], subject=f"{len(assigned)} case{'s' if len(assigned) != 1 else ''} assigned to you",
                    body=_summary(assigned), url=f"{reverse('case_list')}?assignee=me")
    return result


# --- FOI ---------------------------------------------------------------------------------------

@transaction.atomic
def foi_validate(*, actor, foi: FoiRequest, requester: str, address: str) -> FoiRequest:
    """The requester gave their name and an address for correspondence (seed 004): the request
    is valid, and its 20 working days run from today."""
    requester, address = requester.strip(), address.strip()
    if not requester or not address:
        raise CaseActionError("Give the requester's name and an address for correspondence (postal or email).")
    foi = FoiRequest.objects.select_for_update(of=("self",)).select_related("case").get(pk=foi.pk)
    if foi.valid:
        raise CaseActionError("This FOI request is already valid.")
    now = timezone.now()
    before = snapshot(foi, ["valid", "requester", "due_date"])
    foi.requester, foi.correspondence_address, foi.valid = requester[:300], address[:500], True
    foi.validity_reason = "a name and an address for correspondence were given"
    foi.clock_start, foi.due_date = timezone.localdate(now), clock.foi_due(now)
    foi.save()
    case = _begin(foi.case, None)
    due = config.current().sla_due(now, case.sla_policy or matrix.ROUTE_DEFAULT_SLA[matrix.FOI])
    changes = _set(case, sla_due_at=due, clock_started_at=clock.next_working_moment(now), sla_warned_at=None,
                   sla_breached_at=None)
    _record(case, actor=actor, kind=Kind.FOI_VALIDATED, changes=changes, now=now,
            text=f"Valid from {foi.clock_start:%d %B %Y}; due by {foi.due_date:%d %B %Y}.",
            data={"changes": {k: [str(a), str(b)] for k, (a, b) in diff(before, snapshot(
                foi, ["valid", "requester", "due_date"])).items()}})
    _label(case, actor=actor, decision=RoutingLabel.Decision.FOI_MARKED, now=now, route=Route.FOI)
    return foi


@transaction.atomic
def foi_respond(*, actor, foi: FoiRequest, kind: str, url: str = "", note: str = "") -> FoiRequest:
    """Record the FOI response: emailed to the requester, or published on a web page linked in a reply."""
    if kind not in FoiRequest.ResponseKind.values:
        raise CaseActionError("Say how the request was answered: by email or on a web page.")
    if kind == FoiRequest.ResponseKind.WEB_PAGE and not url.strip():
        raise CaseActionError("Give the address of the web page with the answer.")
    foi = FoiRequest.objects.select_for_update(of=("self",)).select_related("case").get(pk=foi.pk)
    if foi.responded_at is not None:
        raise CaseActionError("The response to this request is already recorded.")
    now = timezone.now()
    foi.response_kind, foi.response_url, foi.response_note = kind, url.strip(), note.strip()
    foi.responded_at, foi.responded_by = now, actor if getattr(actor, "pk", None) else None
    foi.save()
    case = _begin(foi.case, None)
    changes = _set(case, state=State.RESPONDED, first_response_at=case.first_response_at or now,
                   sla_stopped_at=case.sla_stopped_at or now)
    _record(case, actor=actor, kind=Kind.FOI_RESPONSE, changes=changes, now=now,
            text=note.strip() or FoiRequest.ResponseKind(kind).label, url=url.strip(), data={"kind": kind})
    return foi


def foi_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the assignee (or the web team) of valid, unanswered FOI requests due within the
    reminder window; once per request."""
    now = now or timezone.now()
    cfg = config.current()
    horizon = clock.add_working_days(timezone.localdate(now), cfg.foi_reminder_days)
    with transaction.atomic():
        due = list(FoiRequest.objects.select_for_update(of=("self",)).filter(
            valid=True, responded_at__isnull=True, reminder_sent_at__isnull=True, due_date__lte=horizon)
            .exclude(case__state=State.CLOSED).select_related("case", "case__mention", "case__assignee"))
        if not due:
            return 0
        FoiRequest.objects.filter(pk__in=[f.pk for f in due]).update(reminder_sent_at=now)
        CaseEvent.objects.bulk_create([
            CaseEvent(case=f.case, at=now, actor_name="system", kind=Kind.FOI_REMINDER,
                      text=f"The answer is due by {f.due_date:%A %d %B %Y}.") for f in due])
        unassigned = [f.case for f in due if f.case.assignee is None]
        for f in due:
            if f.case.assignee is not None:
                _tell_users([f.case.assignee], subject=f"FOI answer due by {f.due_date:%d %B}: {f.case}",
                            body=_summary([f.case]), url=f.case.get_absolute_url())
        _tell({(NotifyRole.WEB_TEAM, None): unassigned}, subject="FOI answers due soon")
    return len(due)


# --- the SLA watch -------------------------------------------------------------------------

def sla_watch(*, now: datetime | None = None) -> dict:
    """Warn before a case breaches its SLA (its assignee, or the route's team) and escalate to
    the web team's leads when it breaches. Each case is warned and escalated once."""
    now = now or timezone.now()
    cfg = config.current()
    running = (Case.objects.filter(sla_due_at__isnull=False, sla_stopped_at__isnull=True)
               .exclude(state__in=[State.CLOSED, State.MONITORING]).select_related("mention", "assignee"))
    with transaction.atomic():
        breached = list(running.select_for_update(of=("self",)).filter(sla_breached_at__isnull=True,
                                                                       sla_due_at__lte=now))
        warned = list(running.select_for_update(of=("self",)).filter(
            sla_warned_at__isnull=True, sla_breached_at__isnull=True, sla_due_at__gt=now,
            sla_due_at__lte=now + cfg.sla_warning))
        Case.objects.filter(pk__in=[c.pk for c in breached]).update(sla_breached_at=now)
        Case.objects.filter(pk__in=[c.pk for c in warned]).update(sla_warned_at=now)
        events = [CaseEvent(case=c, at=now, actor_name="system", kind=Kind.SLA_BREACH,
                            text=f"The response was due at {timezone.localtime(c.sla_due_at):%H:%M on %d %B}; "
                                 f"escalated to the web team.") for c in breached]
        events += [CaseEvent(case=c, at=now, actor_name="system", kind=Kind.SLA_WARNING,
                             text=f"The response is due at {timezone.localtime(c.sla_due_at):%H:%M on %d %B}.")
                   for c in warned]
        CaseEvent.objects.bulk_create(events, batch_size=BATCH)

        by_assignee: dict[int, list[Case]] = defaultdict(list)
        team: list[tuple[Case, tuple[str, ...]]] = []
        for case in warned:
            if case.assignee_id:
                by_assignee[case.assignee_id].append(case)
            else:
                team.append((case, (ROUTE_TEAM[case.route],)))
        for cases in by_assignee.values():
            _tell_users([cases[0].assignee], subject="Due soon: respond before the SLA is breached",
                        body=_summary(cases), url=cases[0].get_absolute_url() if len(cases) == 1 else reverse("case_list"))
        _tell(_group_by_role(team), subject="Due soon and not assigned")
        _tell({(NotifyRole.WEB_TEAM, None): breached}, subject="SLA breached")
        breached_by_assignee = defaultdict(list)
        for case in breached:
            if case.assignee_id:
                breached_by_assignee[case.assignee_id].append(case)
        for cases in breached_by_assignee.values():
            _tell_users([cases[0].assignee], subject="SLA breached on your case", body=_summary(cases),
                        url=cases[0].get_absolute_url() if len(cases) == 1 else reverse("case_list"))
    return {"warned": len(warned), "breached": len(breached)}


# --- rules and settings -----------------------------------------------------------------------

RULE_FIELDS = ("name", "order", "enabled", "conditions", "route", "priority", "sla", "notify", "description")


def rule_errors(rule: matrix.Rule) -> list[str]:
    """What is wrong with a rule, against the SLA policies and roles in force."""
    return matrix.validate_rule(rule, sla_policies=set(config.current().sla_policies))


@transaction.atomic
def rule_save(*, actor, rule: Rule | None = None, **fields) -> Rule:
    """Create or change a rule of the matrix. Raises ValidationError with every problem."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be set on a rule")
    created = rule is None
    if created:
        rule = Rule()
        before = {}
    else:
        rule = Rule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
        before = snapshot(rule, RULE_FIELDS)
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.notify = list(rule.notify or [])
    errors = rule_errors(rule.as_matrix_rule())
    clash = Rule.objects.filter(name=rule.name).exclude(pk=rule.pk)
    if clash.exists():
        errors.append(f"There is already a rule called '{rule.name}'.")
    if errors:
        raise ValidationError(errors)
    rule.save()
    config.config_changed()
    audit_record(actor=actor, action="rule.create" if created else "rule.update", obj=rule,
                 changes=diff(before, snapshot(rule, RULE_FIELDS)))
    return rule


@transaction.atomic
def rule_delete(*, actor, rule: Rule) -> None:
    audit_record(actor=actor, action="rule.delete", obj=rule,
                 changes={k: [v, None] for k, v in snapshot(rule, RULE_FIELDS).items()})
    rule.delete()
    config.config_changed()


CANNED_FIELDS = ("title", "text", "url", "route", "service", "active")


@transaction.atomic
def canned_reply_save(*, actor, reply: CannedReply | None = None, **fields) -> CannedReply:
    """Create or change a standard signposting reply."""
    unknown = set(fields) - set(CANNED_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} cannot be set on a standard reply")
    created = reply is None
    reply = CannedReply() if created else CannedReply.objects.select_for_update(of=("self",)).get(pk=reply.pk)
    before = {} if created else snapshot(reply, CANNED_FIELDS)
    for key, value in fields.items():
        setattr(reply, key, value)
    reply.full_clean()
    reply.save()
    audit_record(actor=actor, action="cannedreply.create" if created else "cannedreply.update", obj=reply,
                 changes=diff(before, snapshot(reply, CANNED_FIELDS)), service=reply.service)
    return reply


@transaction.atomic
def config_object_save(*, actor, obj, created: bool, before: dict | None = None) -> None:
    """Save a classifier setting, service topic or SLA policy (admin) and rebuild the configuration."""
    obj.full_clean()
    obj.save()
    config.config_changed()
    audit_record(actor=actor, action=f"{obj._meta.model_name}.{'create' if created else 'update'}", obj=obj,
                 changes=diff(before or {}, snapshot(obj)))


@transaction.atomic
def config_object_delete(*, actor, obj) -> None:
    """Delete a service topic or SLA policy (admin) and rebuild the configuration."""
    audit_record(actor=actor, action=f"{obj._meta.model_name}.delete", obj=obj, changes=diff(snapshot(obj), {}))
    obj.delete()
    config.config_changed()
