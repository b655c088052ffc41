"""Reads, already limited to what the user may see.

Who sees which cases: the web team, communications officers and administrators see all;
customer services officers see the customer-service queue; a head of service or service
editor sees their service's cases; a councillor sees only the cases communications shared
with them; anyone sees the cases assigned to them.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from monitoring.models import Mention

from . import classify, config, learned, matrix
from .models import (
    PRIORITY_RANK,
    WORKING_STATES,
    CannedReply,
    Case,
    CaseEvent,
    FoiRequest,
    MentionRouting,
    Route,
    Rule,
)

SEE_ALL_CASES = {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR}
SERVICE_STAFF = {Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR}
EDIT_RULES = {Role.WEB_TEAM, Role.ADMINISTRATOR}
TELL_COUNCILLORS = {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR}
# WORKING_STATES (models): shown by default, open and waiting for, or answered by, someone.
SLA_STATES = {
    "breached": "Breached", "due_soon": "Due soon", "on_track": "On track", "met": "Met", "missed": "Missed",
    "none": "No deadline",
}
# What a row of the dashboard shows of a case.
CASE_ROW_RELATED = ("mention", "mention__author", "mention__channel", "service", "assignee")
SORTS = {
    "sla": "SLA due, soonest first", "-sla": "SLA due, latest first", "newest": "Newest first",
    "oldest": "Oldest first", "priority": "Priority, highest first",
}


# --- permissions --------------------------------------------------------------------------

def can_see_all_cases(user: User) -> bool:
    return user.is_authenticated and user.has_role(*SEE_ALL_CASES)


def can_work_on_cases(user: User) -> bool:
    """Staff act on the cases they see; a councillor only reads what was shared."""
    return user.is_authenticated and bool(user.roles - {Role.COUNCILLOR})


def can_edit_rules(user: User) -> bool:
    return user.is_authenticated and user.has_role(*EDIT_RULES)


def can_tell_councillors(user: User) -> bool:
    return user.is_authenticated and user.has_role(*TELL_COUNCILLORS)


def case_scope(user: User) -> Q | None:
    """The cases a user may see, as a filter; None when they may see every case."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if can_see_all_cases(user):
        return None
    scope = Q(assignee=user)
    if user.has_role(Role.CUSTOMER_SERVICES):
        scope |= Q(route=Route.CUSTOMER_SERVICE)
    if user.has_role(*SERVICE_STAFF) and user.service_id:
        scope |= Q(service_id=user.service_id)
    # Councillors communications chose to tell, and the safeguarding contacts of a safeguarding case.
    scope |= Q(pk__in=Case.shared_with.through.objects.filter(user=user).values("case_id"))
    return scope


# --- cases --------------------------------------------------------------------------------

def _scoped(user: User) -> QuerySet[Case]:
    scope = case_scope(user)
    qs = Case.objects.all()
    return qs if scope is None else qs.filter(scope)


def sla_filter(state: str, now: datetime, warning: timedelta) -> Q:
    running = Q(sla_due_at__isnull=False, sla_stopped_at__isnull=True) & ~Q(
        state__in=[Case.State.CLOSED, Case.State.MONITORING])
    return {
        "breached": running & Q(sla_due_at__lte=now),
        "due_soon": running & Q(sla_due_at__gt=now, sla_due_at__lte=now + warning),
        "on_track": running & Q(sla_due_at__gt=now + warning),
        "met": Q(sla_stopped_at__isnull=False, sla_stopped_at__lte=F("sla_due_at")),
        "missed": Q(sla_stopped_at__isnull=False, sla_stopped_at__gt=F("sla_due_at")),
        "none": Q(sla_due_at__isnull=True) | (Q(sla_stopped_at__isnull=True) & Q(
            state__in=[Case.State.CLOSED, Case.State.MONITORING])),
    }[state]


def sla_state(case: Case, now: datetime, warning: timedelta) -> str:
    """The case's SLA as one of SLA_STATES (the same rules as sla_filter)."""
    if case.sla_due_at is None:
        return "none"
    if case.sla_stopped_at is not None:
        return "met" if case.sla_stopped_at <= case.sla_due_at else "missed"
    if case.state in (Case.State.CLOSED, Case.State.MONITORING):
        return "none"
    if case.sla_due_at <= now:
        return "breached"
    return "due_soon" if case.sla_due_at <= now + warning else "on_track"


def case_list(*, user: User, filters: dict | None = None, now: datetime | None = None) -> QuerySet[Case]:
    """Cases the user may see, filtered and sorted. Filters: platform, channel (id), service (slug),
    route, priority, status ("open" by default, "all", or a state), sla (a key of SLA_STATES),
    since/until (dates opened), q (text or author), assignee ("me", "none"), sort (a key of SORTS)."""
    f = filters or {}
    qs = _scoped(user).select_related(*CASE_ROW_RELATED)
    if f.get("platform"):
        qs = qs.filter(platform=f["platform"])
    if f.get("channel"):
        qs = qs.filter(mention__channel_id=f["channel"])
    if f.get("service"):
        qs = qs.filter(service__slug=f["service"])
    if f.get("route"):
        qs = qs.filter(route=f["route"])
    if f.get("priority"):
        qs = qs.filter(priority=f["priority"])
    status = f.get("status") or "open"
    if status == "open":
        qs = qs.filter(state__in=WORKING_STATES)
    elif status != "all":
        qs = qs.filter(state=status)
    if f.get("sla"):
        qs = qs.filter(sla_filter(f["sla"], now or timezone.now(), config.current().sla_warning))
    if f.get("since"):
        qs = qs.filter(opened_at__date__gte=f["since"])
    if f.get("until"):
        qs = qs.filter(opened_at__date__lte=f["until"])
    if f.get("q"):
        # The case's own search column and its trigram index (Case.search_text).
        qs = qs.filter(search_text__contains=f["q"].casefold())
    if f.get("assignee") == "me":
        qs = qs.filter(assignee=user)
    elif f.get("assignee") == "none":
        qs = qs.filter(assignee__isnull=True)
    sort = f.get("sort") or "sla"
    if sort == "sla":
        return qs.order_by(F("sla_due_at").asc(nulls_last=True), "-opened_at", "-pk")
    if sort == "-sla":
        return qs.order_by(F("sla_due_at").desc(nulls_last=True), "-opened_at", "-pk")
    if sort == "oldest":
        return qs.order_by("opened_at", "pk")
    if sort == "priority":
        return qs.alias(rank=PRIORITY_RANK).order_by("-rank", F("sla_due_at").asc(nulls_last=True), "-pk")
    return qs.order_by("-opened_at", "-pk")


def cases_by_id(ids: list[int]) -> list[Case]:
    """The cases with these ids (found by case_list, so within the user's scope), in this order,
    with what a row of the dashboard shows. The dashboard pages through case_list's ids and then
    loads the page's rows here: the sort and the count read cases alone, and only the rows shown
    are joined to their mentions, authors and channels, however many cases match."""
    found = Case.objects.select_related(*CASE_ROW_RELATED).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def case_get(*, user: User, pk: int, for_action: bool = False) -> Case:
    """A case the user may see; 404 otherwise, so guessing ids reveals nothing. With
    for_action, 403 for those who may only read (councillors)."""
    qs = _scoped(user).select_related("mention", "mention__author", "mention__channel", "mention__channel__service",
                                      "service", "assignee")
    case = get_object_or_404(qs, pk=pk)
    if for_action and not can_work_on_cases(user):
        raise PermissionDenied("You can read this case but not change it.")
    return case


def case_latest_id() -> int:
    """The newest case id, the watermark from which the dashboard asks for new cases."""
    return Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def case_route_counts(*, user: User) -> list[dict]:
    """Open cases per route within the user's scope; monitored items count on the no-action queue."""
    scoped = _scoped(user)
    by_route = Counter(dict(scoped.filter(state__in=WORKING_STATES).order_by().values("route")
                            .annotate(n=Count("pk")).values_list("route", "n")))
    by_route[Route.NO_ACTION] = scoped.filter(state=Case.State.MONITORING).count()
    return [{"route": value, "label": label, "count": by_route.get(value, 0)} for value, label in Route.choices]


def case_queue_counts(*, user: User) -> dict:
    """The queues: open cases per route and per service, within the user's scope."""
    services = (_scoped(user).filter(state__in=WORKING_STATES, service__isnull=False).order_by()
                .values("service__slug", "service__name").annotate(n=Count("pk")).order_by("service__name")
                .values_list("service__slug", "service__name", "n"))
    return {
        "routes": case_route_counts(user=user),
        "services": [{"slug": slug, "name": name, "count": n} for slug, name, n in services],
    }


def case_summary(*, user: User, now: datetime | None = None, mine: int = 10) -> dict:
    """The user's open cases and the SLA position of every open case they may see."""
    now = now or timezone.now()
    warning = config.current().sla_warning
    scoped = _scoped(user).filter(state__in=WORKING_STATES)
    counts = scoped.aggregate(
        new=Count("pk", filter=Q(state=Case.State.NEW)),
        breached=Count("pk", filter=sla_filter("breached", now, warning)),
        due_soon=Count("pk", filter=sla_filter("due_soon", now, warning)),
        assigned=Count("pk", filter=Q(assignee=user)),
    )
    assigned = list(case_list(user=user, filters={"assignee": "me"}, now=now)[:mine])
    for case in assigned:
        case.sla_state = sla_state(case, now, warning)
    return {**counts, "mine": assigned}


def case_events(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor")


def case_mentions(case: Case) -> QuerySet[Mention]:
    """The mentions that belong to the case, oldest first."""
    # A union of ids rather than an OR across the join, which would scan every mention.
    ids = (MentionRouting.objects.filter(case=case).values("mention_id")
           .union(Mention.objects.filter(pk=case.mention_id).values("pk")))
    return Mention.objects.filter(pk__in=ids).select_related("author", "routing").order_by("posted_at", "pk")


def case_thread(case: Case, *, limit: int = 50) -> list[Mention]:
    """The conversation the case is part of, as heard, oldest first."""
    if not case.conversation_id:
        return []
    return list(Mention.objects.filter(platform=case.platform, conversation_id=case.conversation_id)
                .select_related("author").order_by("posted_at", "pk")[:limit])


def author_card(case: Case, *, limit: int = 5) -> dict:
    """The author of the case's mention: followers, influence and what else they said."""
    author = case.mention.author
    earlier = Mention.objects.filter(author=author, posted_at__lt=case.mention.posted_at)
    return {
        "author": author,
        "earlier_count": earlier.count(),
        "earlier": list(earlier.select_related("routing").order_by("-posted_at")[:limit]),
    }


def canned_replies_for(case: Case) -> list[CannedReply]:
    """Active canned replies, those for the case's route and service first."""
    replies = CannedReply.objects.filter(active=True).filter(Q(service__isnull=True) | Q(service_id=case.service_id))
    return sorted(replies, key=lambda r: (r.route != case.route, r.service_id != case.service_id, r.title))


def canned_reply_list() -> QuerySet[CannedReply]:
    return CannedReply.objects.select_related("service").order_by("-active", "title")


def assignable_users() -> QuerySet[User]:
    """Staff who can be given a case (not councillors)."""
    return (User.objects.filter(is_active=True, groups__name__in=set(Role.values) - {Role.COUNCILLOR})
            .distinct().order_by("first_name", "last_name", "username"))


def safeguarding_contacts() -> list[User]:
    """The council's named safeguarding contact (TriageSettings): the named users, everyone with
    the role (within the service, if one is chosen) or the service's staff; the web team when
    none is named."""
    from accounts.selectors import staff_with_role

    row = config.settings_get()
    users = {u.pk: u for u in row.safeguarding_users.filter(is_active=True)}
    if row.safeguarding_role:
        users.update({u.pk: u for u in staff_with_role(row.safeguarding_role,
                                                       service_id=row.safeguarding_service_id)})
    elif row.safeguarding_service_id:
        service_staff = User.objects.filter(is_active=True).filter(
            Q(service_id=row.safeguarding_service_id) | Q(headed_services=row.safeguarding_service_id)).distinct()
        users.update({u.pk: u for u in service_staff})
    if not users:
        users = {u.pk: u for u in staff_with_role(Role.WEB_TEAM)}
    return list(users.values())


def councillors() -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=Role.COUNCILLOR).distinct().order_by(
        "last_name", "first_name")


# --- data protection ---------------------------------------------------------------------

def mentions_held() -> QuerySet:
    """Ids of mentions that open work still needs (cases being worked on, not merely monitored):
    kept past the retention period until the case closes."""
    working = list(WORKING_STATES)
    return Mention.objects.filter(Q(cases__state__in=working) | Q(routing__case__state__in=working)).values("pk")


def author_case_records(author) -> dict:
    """What triage holds about one author, for a subject-access export."""
    cases = (Case.objects.filter(Q(mention__author=author) | Q(routings__mention__author=author)).distinct()
             .select_related("service", "assignee").prefetch_related("events").order_by("opened_at"))
    fois = FoiRequest.objects.filter(case__mention__author=author).order_by("received_at")
    return {
        "cases": [{"case": c.pk, "route": c.route, "state": c.state, "service": c.service.name if c.service else "",
                   "opened_at": c.opened_at.isoformat(), "explanation": c.explanation} for c in cases],
        "case_events": [{"case": c.pk, "at": e.at.isoformat(), "kind": e.kind, "by": e.actor_name, "text": e.text}
                        for c in cases for e in c.events.all()],
        "foi_requests": [{"case": f.case_id, "requester": f.requester, "address": f.correspondence_address,
                          "request": f.request_text, "received_at": f.received_at.isoformat(),
                          "due_date": f.due_date.isoformat(),
                          "responded_at": f.responded_at.isoformat() if f.responded_at else ""} for f in fois],
    }


# --- FOI -----------------------------------------------------------------------------------

def foi_list(*, user: User, status: str = "open") -> QuerySet[FoiRequest]:
    """The FOI register within the user's case scope: "open" (unanswered), "answered", "overdue"
    or "all"; soonest due first."""
    scope = case_scope(user)
    qs = FoiRequest.objects.select_related("case", "case__mention", "case__mention__author", "case__assignee",
                                           "responded_by")
    if scope is not None:
        qs = qs.filter(case__in=Case.objects.filter(scope))
    today = timezone.localdate()
    if status == "open":
        qs = qs.filter(responded_at__isnull=True).exclude(case__state=Case.State.CLOSED)
    elif status == "answered":
        qs = qs.filter(responded_at__isnull=False)
    elif status == "overdue":
        qs = qs.filter(responded_at__isnull=True, due_date__lt=today).exclude(case__state=Case.State.CLOSED)
    return qs.order_by("due_date", "pk")


# --- rules and their preview -----------------------------------------------------------

def rule_list() -> QuerySet[Rule]:
    return Rule.objects.order_by("order", "pk")


def mention_inputs(mentions: Sequence[Mention]) -> list[classify.MentionInput]:
    """mention_input of each, with the watch list looked up once for them all."""
    from monitoring.watchlist import watch_reasons, watched_label

    watched = watch_reasons(mentions)
    return [mention_input(m, watched=watched_label(watched[m.pk]) if m.pk in watched else "") for m in mentions]


def mention_input(mention: Mention, *, watched: str = "") -> classify.MentionInput:
    """What the classifier needs from a stored mention (its author and channel loaded)."""
    author, channel = mention.author, mention.channel
    on_channel = mention.kind != Mention.Kind.SEARCH_HIT
    followers = author.followers
    engagement = (mention.likes + mention.replies + mention.reshares) / followers if followers else None
    return classify.MentionInput(
        text=mention.text, platform=mention.platform, kind=mention.kind,
        channel_kind=channel.kind if on_channel else "",
        channel_service=channel.service.slug if on_channel else "",
        author_followers=followers, author_verified=author.verified, author_engagement=engagement,
        author_real_name_visible=classify.looks_like_real_name(author.display_name),
        replies=mention.replies, reshares=mention.reshares, watched=watched,
    )


def labelled_input(item) -> classify.MentionInput:
    """A labelled item (text; optionally followers, name, verified, platform) as a polled mention
    found by a search would be: its author's followers and display name count, no channel."""
    return classify.MentionInput(
        text=item["text"], platform=item.get("platform") or "", kind="mention",
        author_followers=item.get("followers"), author_verified=bool(item.get("verified")),
        author_real_name_visible=classify.looks_like_real_name(item.get("name") or ""),
    )


@dataclasses.dataclass
class Evaluation:
    figures: dict  # triage.learned.scores
    rules: Counter  # rule name -> how many items it routed
    misrouted: list  # (item, matrix.Decision)
    model_version: int | None


def labelled_evaluate(items) -> Evaluation:
    """Route labelled items with the configuration in force (the live model and the matrix), as
    polled mentions are, and compare the routes, services and safeguarding flags with the labels."""
    items = list(items)
    cfg = config.current()
    inputs = [labelled_input(item) for item in items]
    classifications = classify.classify_many(inputs, cfg.classifier, cfg.predictor)
    decisions = matrix.route_many(cfg.matrix, classifications, inputs)
    figures = learned.scores(items, [d.route for d in decisions], [c.service for c in classifications],
                             [c.safeguarding for c in classifications])
    return Evaluation(
        figures=figures, rules=Counter(d.rule for d in decisions),
        misrouted=[(item, d) for item, d in zip(items, decisions, strict=True) if d.route != item["route"]],
        model_version=getattr(cfg.predictor, "version", None))


@dataclasses.dataclass
class Preview:
    sample: int
    counts: list[dict]  # route, label, before, after, change
    changed: list[dict]  # mention, before, after, explanation
    changed_total: int


def rule_preview(*, proposed: matrix.Rule, replaces: str | None = None, limit: int = 1000,
                 examples: int = 10) -> Preview:
    """What the rules would do to the last `limit` mentions with `proposed` in place of the
    rule named `replaces` (or added): counts per route before and after, and examples."""
    cfg = config.current()
    mentions = list(Mention.objects.select_related("author", "channel", "channel__service")
                    .order_by("-posted_at", "-pk")[:limit])
    inputs = mention_inputs(mentions)
    classifications = classify.classify_many(inputs, cfg.classifier, cfg.predictor)
    before = matrix.route_many(cfg.matrix, classifications, inputs)
    rules = [r for r in cfg.rules if r.name not in (replaces, proposed.name)] + [proposed]
    after = matrix.route_many(rules, classifications, inputs)
    count_before = Counter(d.route for d in before)
    count_after = Counter(d.route for d in after)
    changed = [{"mention": m, "before": Route(b.route).label, "after": Route(a.route).label,
                "rule": a.rule, "explanation": a.explanation}
               for m, b, a in zip(mentions, before, after, strict=True) if (b.route, b.rule) != (a.route, a.rule)]
    return Preview(
        sample=len(mentions),
        counts=[{"route": value, "label": label, "before": count_before[value], "after": count_after[value],
                 "change": count_after[value] - count_before[value]} for value, label in Route.choices],
        changed=changed[:examples], changed_total=len(changed),
    )



# --- the learned classifier ----------------------------------------------------------------

def classifier_live():
    """The live classifier version, or None."""
    from .models import ClassifierVersion

    return ClassifierVersion.objects.filter(status=ClassifierVersion.Status.LIVE).defer("params").first()


def classifier_versions():
    """Every classifier version, newest first, without its parameters."""
    from .models import ClassifierVersion

    return ClassifierVersion.objects.defer("params").order_by("-version")


def retrain_latest():
    from .models import RetrainRun

    return RetrainRun.objects.order_by("-created_at", "-pk").first()
