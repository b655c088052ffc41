"""The figures of the reports, aggregated in the database: each selector runs a fixed number of
queries whatever the number of channels, mentions or cases. They take a ReportQuery, whose
service is already limited to what the user may see (reporting.filters).

Definitions used throughout:
- A period runs from midnight at the start of its first day to midnight at the end of its
  last, in the council's time zone.
- Audience (followers, page likes) is the figure at the end of a period; activity (views,
  watch time, posts) is how much the platform's running total rose during the period. A
  figure needs a daily snapshot within SNAPSHOT_TOLERANCE_DAYS before the day it is read for.
- A mention's service is the service triage placed it with, or else the service that owns
  the channel it arrived on. A case's is the case's service; a post's is the post's.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Channel
from monitoring.models import ChannelMetricSnapshot, Mention
from publishing.models import PostTarget
from triage.models import Case, FoiRequest, Route
from triage.selectors import sla_filter

from . import figures
from .figures import Growth, Period
from .filters import ReportQuery, can_see_all_services, can_see_reports
from .models import ReportRun

SNAPSHOT_TOLERANCE_DAYS = 7
AUDIENCE = {"followers": "Followers", "likes": "Likes"}
ACTIVITY = {"views": "Views", "watch_time_minutes": "Watch time (minutes)", "posts": "Posts"}
METRICS = {**AUDIENCE, **ACTIVITY}
PLATFORMS = dict(Channel.Platform.choices)
ROUTES = dict(Route.choices)
SENTIMENTS = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}
NOT_ROUTED = "Not routed yet"
NOT_CLASSIFIED = "Not classified"
NO_SERVICE = "No service"


def local_range(period: Period) -> tuple[datetime, datetime]:
    """[start, end) of a period as aware datetimes in the council's time zone."""
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    return start, end


def _bucket(dt: datetime, kind: str) -> date:
    return figures.bucket_start(timezone.localtime(dt).date(), kind)


# --- channel growth --------------------------------------------------------------------------

@dataclasses.dataclass
class ChannelGrowth:
    channel_id: int
    platform: str
    handle: str
    display_name: str
    service: str
    figures: dict[str, Growth]  # metric → comparison period → period

    @property
    def platform_label(self) -> str:
        return PLATFORMS.get(self.platform, self.platform)


@dataclasses.dataclass
class PlatformGrowth:
    platform: str
    channels: int
    figures: dict[str, Growth]

    @property
    def platform_label(self) -> str:
        return PLATFORMS.get(self.platform, self.platform)


@dataclasses.dataclass
class GrowthReport:
    channels: list[ChannelGrowth]
    platforms: list[PlatformGrowth]
    buckets: list[date]
    followers: dict[str, list[int | None]]  # platform → followers at the end of each bucket
    estimated: dict[str, str] = dataclasses.field(default_factory=dict)  # platform → "estimated" / "demo data"
    # The followers on the Channels page today, channel by channel (followers_today); None when not read.
    today: list[ChannelToday] | None = None


@dataclasses.dataclass
class ChannelToday:
    handle: str
    platform: str
    followers: int | None

    @property
    def platform_label(self) -> str:
        return PLATFORMS.get(self.platform, self.platform)


def followers_today(*, query: ReportQuery, user) -> list[ChannelToday]:
    """Each channel's followers as the Channels page shows them: the same selector
    (accounts.selectors.channel_list) and the same figure (the registry's, which each measured
    daily snapshot updates), limited to the report's service. One query."""
    from accounts.selectors import channel_list

    channels = channel_list(user=user, filters={"service": query.service.slug} if query.service else {})
    return [ChannelToday(handle, platform, followers) for handle, platform, followers
            in channels.order_by("platform", "handle").values_list("handle", "platform", "followers")]


def _reading(metric: str, day: date, *, measured_only: bool = False, field: str | None = None) -> Subquery:
    """The channel's last figure for `metric` on or shortly before `day` (or that row's `field`,
    e.g. its source); only measured figures when `measured_only`."""
    snapshots = ChannelMetricSnapshot.objects.filter(
        channel=OuterRef("pk"), date__lte=day, date__gte=day - timedelta(days=SNAPSHOT_TOLERANCE_DAYS),
        **{f"{metric}__isnull": False},
    )
    if measured_only:
        snapshots = snapshots.filter(estimated=False)
    return Subquery(snapshots.order_by("-date").values(field or metric)[:1])


def _source_label(*sources) -> str:
    return figures.estimate_label(ChannelMetricSnapshot.SOURCE_LABELS.get(s, "estimated") for s in sources
                                  if s and s != "platform")


def _activity(total_at_end: int | None, total_before_start: int | None) -> int | None:
    """How much a running total rose; None if unknown or if it fell (the platform reset it)."""
    if total_at_end is None or total_before_start is None or total_at_end < total_before_start:
        return None
    return total_at_end - total_before_start


def _channels(query: ReportQuery) -> QuerySet[Channel]:
    qs = Channel.objects.all()
    return qs.filter(service=query.service) if query.service else qs


def channel_growth(*, query: ReportQuery, user=None) -> GrowthReport:
    """Audience and activity per channel and per platform, the comparison period against the
    period. Two queries; with a user, a third: the followers the Channels page shows them today."""
    p, c = query.period, query.comparison
    one_day = timedelta(days=1)
    # _c: at the end of the comparison period, _c0: the day before it starts; _p and _p0 the same for the period.
    readings = {}
    measured = not query.include_estimates
    days = {}
    for metric in AUDIENCE:
        days[f"{metric}_c"], days[f"{metric}_p"] = (metric, c.end), (metric, p.end)
    for metric in ACTIVITY:
        days[f"{metric}_c0"], days[f"{metric}_c"] = (metric, c.start - one_day), (metric, c.end)
        days[f"{metric}_p0"], days[f"{metric}_p"] = (metric, p.start - one_day), (metric, p.end)
    for key, (metric, day) in days.items():
        readings[key] = _reading(metric, day, measured_only=measured)
        readings[f"{key}_src"] = _reading(metric, day, measured_only=measured, field="source")
    rows = (_channels(query).annotate(**readings).order_by("platform", "handle")
            .values("pk", "platform", "handle", "display_name", "service__name", *readings))
    channels = []
    for row in rows:
        found = {m: Growth(row[f"{m}_c"], row[f"{m}_p"], _source_label(row[f"{m}_c_src"], row[f"{m}_p_src"]))
                 for m in AUDIENCE}
        found.update({m: Growth(_activity(row[f"{m}_c"], row[f"{m}_c0"]), _activity(row[f"{m}_p"], row[f"{m}_p0"]),
                                _source_label(*(row[f"{m}_{k}_src"] for k in ("c0", "c", "p0", "p"))))
                      for m in ACTIVITY})
        if any(g.before is not None or g.after is not None for g in found.values()):
            channels.append(ChannelGrowth(row["pk"], row["platform"], row["handle"], row["display_name"],
                                          row["service__name"], found))
    by_platform: dict[str, list[ChannelGrowth]] = defaultdict(list)
    for channel in channels:
        by_platform[channel.platform].append(channel)
    platforms = [PlatformGrowth(platform, len(members),
                                {m: figures.growth_total(ch.figures[m] for ch in members) for m in METRICS})
                 for platform, members in sorted(by_platform.items(), key=lambda kv: PLATFORMS.get(kv[0], kv[0]))]
    buckets, followers, estimated = _followers_over_time(query)
    today = followers_today(query=query, user=user) if user is not None else None
    return GrowthReport(channels, platforms, buckets, followers, estimated, today)


def _followers_over_time(query: ReportQuery) -> tuple[list[date], dict[str, list[int | None]], dict[str, str]]:
    """Followers per platform at the last day with figures in each bucket of the period, and for
    each platform whether any of its points was estimated (or demo data)."""
    snapshots = ChannelMetricSnapshot.objects.filter(channel__in=_channels(query), date__gte=query.period.start,
                                                     date__lte=query.period.end, followers__isnull=False)
    if not query.include_estimates:
        snapshots = snapshots.filter(estimated=False)
    # One query: totals per day, platform and source (measured, backfill, demo), added up here.
    days = (snapshots.values("date", "channel__platform", "source").annotate(total=Sum("followers"))
            .order_by("date", "channel__platform", "source"))
    buckets = figures.bucket_starts(query.period, query.bucket)
    index = {b: i for i, b in enumerate(buckets)}
    out: dict[str, list[int | None]] = {}
    estimated: dict[str, str] = {}
    previous = None
    for row in days:  # in date order, so the last day of a bucket wins
        platform = row["channel__platform"]
        series = out.setdefault(platform, [None] * len(buckets))
        at = index[figures.bucket_start(row["date"], query.bucket)]
        same_day = previous == (row["date"], platform)
        series[at] = (series[at] or 0) + row["total"] if same_day else row["total"]
        previous = (row["date"], platform)
        if row["source"] != "platform":
            estimated[platform] = figures.estimate_label([estimated.get(platform, ""), _source_label(row["source"])])
    return buckets, dict(sorted(out.items(), key=lambda kv: PLATFORMS.get(kv[0], kv[0]))), estimated


# --- mention volume --------------------------------------------------------------------------

@dataclasses.dataclass
class VolumeReport:
    buckets: list[date]
    bucket: str
    # breakdown ("platform", "route", "service", "sentiment") → category label → count per bucket
    series: dict[str, dict[str, list[int]]]
    total: int
    comparison_total: int

    def totals(self, breakdown: str) -> dict[str, int]:
        return {label: sum(counts) for label, counts in self.series[breakdown].items()}


_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def _mentions(query: ReportQuery, period: Period) -> QuerySet[Mention]:
    start, end = local_range(period)
    qs = Mention.objects.filter(posted_at__gte=start, posted_at__lt=end)
    if query.service:
        qs = qs.alias(service_id=Coalesce("routing__service_id", "channel__service_id")).filter(
            service_id=query.service.pk)
    return qs


def mention_volume(*, query: ReportQuery) -> VolumeReport:
    """Mentions per bucket by platform, route, service and sentiment: one grouped query over
    every breakdown at once, so the breakdowns add up to the same total; and one count for the
    comparison period."""
    rows = (_mentions(query, query.period)
            .annotate(at=_TRUNC[query.bucket]("posted_at"),
                      service_name=Coalesce("routing__service__name", "channel__service__name"),
                      sentiment=KeyTextTransform("sentiment_label", "routing__classification"))
            .values("at", "platform", "routing__route", "service_name", "sentiment")
            .annotate(n=Count("pk")).order_by())
    buckets = figures.bucket_starts(query.period, query.bucket)
    index = {b: i for i, b in enumerate(buckets)}
    series: dict[str, dict[str, list[int]]] = {k: {} for k in ("platform", "route", "service", "sentiment")}
    total = 0
    for row in rows:
        at = row["at"]
        i = index[figures.bucket_start(timezone.localtime(at).date() if isinstance(at, datetime) else at,
                                       query.bucket)]
        labels = {
            "platform": PLATFORMS.get(row["platform"], row["platform"]),
            "route": ROUTES.get(row["routing__route"], NOT_ROUTED),
            "service": row["service_name"] or NO_SERVICE,
            "sentiment": SENTIMENTS.get(row["sentiment"], NOT_CLASSIFIED),
        }
        for breakdown, label in labels.items():
            series[breakdown].setdefault(label, [0] * len(buckets))[i] += row["n"]
        total += row["n"]
    fixed_order = {"route": [*ROUTES.values(), NOT_ROUTED], "sentiment": [*SENTIMENTS.values(), NOT_CLASSIFIED]}
    for breakdown, found in series.items():
        if breakdown in fixed_order:
            labels = [label for label in fixed_order[breakdown] if label in found]
        else:  # largest first
            labels = sorted(found, key=lambda label, found=found: (-sum(found[label]), label))
        series[breakdown] = {label: found[label] for label in labels}
    return VolumeReport(buckets, query.bucket, series, total, _mentions(query, query.comparison).count())


# --- response times and SLAs -----------------------------------------------------------------

@dataclasses.dataclass
class ResponseStats:
    """Cases opened in the period, how fast they were answered and resolved, and their SLAs."""

    cases: int = 0
    first_response: list[float] = dataclasses.field(default_factory=list, repr=False)  # seconds
    resolution: list[float] = dataclasses.field(default_factory=list, repr=False)
    met: int = 0
    missed: int = 0  # answered after the deadline
    breached: int = 0  # not answered, deadline passed
    pending: int = 0  # not answered, deadline still ahead
    no_target: int = 0

    @property
    def answered(self) -> int:
        return len(self.first_response)

    @property
    def resolved(self) -> int:
        return len(self.resolution)

    @property
    def first_median(self) -> float | None:
        return figures.median(self.first_response)

    @property
    def first_p90(self) -> float | None:
        return figures.percentile(self.first_response, 90)

    @property
    def resolution_median(self) -> float | None:
        return figures.median(self.resolution)

    @property
    def resolution_p90(self) -> float | None:
        return figures.percentile(self.resolution, 90)

    @property
    def late(self) -> int:
        return self.missed + self.breached

    @property
    def compliance(self) -> float | None:
        """Answered in time, out of the cases whose SLA is decided (met, missed or breached)."""
        return figures.sla_compliance(self.met, self.late)


@dataclasses.dataclass
class ResponseReport:
    by_route: dict[str, ResponseStats]  # route label → stats, in the matrix's order
    by_service: dict[str, ResponseStats]
    overall: ResponseStats


def _cases(query: ReportQuery) -> QuerySet[Case]:
    start, end = local_range(query.period)
    qs = Case.objects.filter(opened_at__gte=start, opened_at__lt=end)
    return qs.filter(service=query.service) if query.service else qs


def response_times(*, query: ReportQuery, now: datetime) -> ResponseReport:
    """First response and resolution times (median, 90th percentile) and SLA compliance per
    route and per service, for cases opened in the period. Two queries: the times of each case
    (percentiles need every value), and the SLA outcomes counted per route and service."""
    def took(field: str) -> ExpressionWrapper:
        return ExpressionWrapper(F(field) - F("opened_at"), output_field=DurationField())

    cases = _cases(query)
    times = (cases.annotate(first=took("first_response_at"), resolved=took("resolved_at"))
             .values_list("route", "service__name", "first", "resolved").order_by())
    not_yet_due = sla_filter("on_track", now, timedelta(0))  # running, deadline ahead
    outcomes = (cases.values("route", "service__name").order_by()
                .annotate(n=Count("pk"), met=Count("pk", filter=sla_filter("met", now, timedelta(0))),
                          missed=Count("pk", filter=sla_filter("missed", now, timedelta(0))),
                          breached=Count("pk", filter=sla_filter("breached", now, timedelta(0))),
                          pending=Count("pk", filter=not_yet_due),
                          no_target=Count("pk", filter=Q(sla_due_at__isnull=True))))
    by_route = {label: ResponseStats() for label in ROUTES.values()}
    by_service: dict[str, ResponseStats] = {}
    overall = ResponseStats()

    def groups(route, service):
        return (by_route.setdefault(ROUTES.get(route, route), ResponseStats()),
                by_service.setdefault(service or NO_SERVICE, ResponseStats()), overall)

    for route, service, first, resolved in times:
        for stats in groups(route, service):
            if first is not None:
                stats.first_response.append(max(first.total_seconds(), 0))
            if resolved is not None:
                stats.resolution.append(max(resolved.total_seconds(), 0))
    for row in outcomes:
        for stats in groups(row["route"], row["service__name"]):
            stats.cases += row["n"]
            for field in ("met", "missed", "breached", "pending", "no_target"):
                setattr(stats, field, getattr(stats, field) + row[field])
    return ResponseReport(by_route, dict(sorted(by_service.items())), overall)


# --- FOI -------------------------------------------------------------------------------------

@dataclasses.dataclass
class FoiStats:
    """Valid FOI requests whose clock started in the period."""

    received: int = 0
    on_time: int = 0
    late: int = 0  # answered after the due date
    overdue: int = 0  # not answered, due date passed
    open: int = 0  # not answered, not yet due

    @property
    def share(self) -> float | None:
        return figures.on_time_share(self.on_time, self.late + self.overdue)


@dataclasses.dataclass
class FoiReport:
    by_service: dict[str, FoiStats]
    overall: FoiStats


def foi_on_time(*, query: ReportQuery, today: date) -> FoiReport:
    """FOI requests answered by their due date (20 working days), per service. One query."""
    qs = FoiRequest.objects.filter(valid=True, clock_start__gte=query.period.start, clock_start__lte=query.period.end)
    if query.service:
        qs = qs.filter(case__service=query.service)
    answered = Q(responded_at__isnull=False)
    waiting = Q(responded_at__isnull=True)
    rows = (qs.values("case__service__name").order_by()
            .annotate(received=Count("pk"),
                      on_time=Count("pk", filter=answered & Q(responded_at__date__lte=F("due_date"))),
                      late=Count("pk", filter=answered & Q(responded_at__date__gt=F("due_date"))),
                      overdue=Count("pk", filter=waiting & Q(due_date__lt=today)),
                      open=Count("pk", filter=waiting & Q(due_date__gte=today))))
    by_service: dict[str, FoiStats] = {}
    overall = FoiStats()
    for row in rows:
        name = row["case__service__name"] or NO_SERVICE
        for stats in (by_service.setdefault(name, FoiStats()), overall):
            for field in ("received", "on_time", "late", "overdue", "open"):
                setattr(stats, field, getattr(stats, field) + row[field])
    return FoiReport(dict(sorted(by_service.items())), overall)


# --- publishing ------------------------------------------------------------------------------

@dataclasses.dataclass
class PublishingStats:
    post_ids: set[int] = dataclasses.field(default_factory=set, repr=False)
    items: int = 0  # posts on channels (a post on three channels counts three times)
    responses: int = 0  # comments and replies collected in the posts' conversations

    @property
    def posts(self) -> int:
        """Posts published (a post on three channels counts once)."""
        return len(self.post_ids)

    @property
    def responses_per_item(self) -> float | None:
        return self.responses / self.items if self.items else None


@dataclasses.dataclass
class PublishingReport:
    buckets: list[date]
    bucket: str
    over_time: list[PublishingStats]
    by_platform: dict[str, PublishingStats]  # platform label → stats
    overall: PublishingStats


def publishing_report(*, query: ReportQuery) -> PublishingReport:
    """Posts published in the period on each platform and the responses they drew: the
    comments and replies that monitoring collected in each post's conversation. One query."""
    start, end = local_range(query.period)
    responses = (Mention.objects.filter(platform=OuterRef("channel__platform"), conversation_id=OuterRef("external_id"))
                 .exclude(conversation_id="").exclude(external_id=OuterRef("external_id"))
                 .order_by().values("platform").annotate(n=Count("pk")).values("n")[:1])
    qs = PostTarget.objects.filter(state=PostTarget.State.PUBLISHED, published_at__gte=start, published_at__lt=end)
    if query.service:
        qs = qs.filter(post__service=query.service)
    rows = (qs.annotate(responses=Coalesce(Subquery(responses, output_field=IntegerField()), 0))
            .values_list("post_id", "channel__platform", "published_at", "responses").order_by())
    buckets = figures.bucket_starts(query.period, query.bucket)
    index = {b: i for i, b in enumerate(buckets)}
    over_time = [PublishingStats() for _ in buckets]
    by_platform: dict[str, PublishingStats] = {}
    overall = PublishingStats()
    for post_id, platform, published_at, n in rows:
        label = PLATFORMS.get(platform, platform)
        for stats in (over_time[index[_bucket(published_at, query.bucket)]],
                      by_platform.setdefault(label, PublishingStats()), overall):
            stats.post_ids.add(post_id)
            stats.items += 1
            stats.responses += n
    return PublishingReport(buckets, query.bucket, over_time, dict(sorted(by_platform.items())), overall)


def report_figures(*, query: ReportQuery, now: datetime, user=None) -> dict:
    """Every report's figures, as reporting.sections.report() takes them."""
    return {"growth": channel_growth(query=query, user=user), "volume": mention_volume(query=query),
            "responses": response_times(query=query, now=now),
            "foi": foi_on_time(query=query, today=timezone.localdate(now)), "publishing": publishing_report(query=query)}


# --- committee report runs -------------------------------------------------------------------

def report_run_list(*, user) -> QuerySet[ReportRun]:
    """The runs a user may see: every run for those who see every service; their own
    service's runs for service staff; none for anyone else."""
    if can_see_all_services(user):
        return ReportRun.objects.select_related("service")
    if can_see_reports(user):
        return ReportRun.objects.filter(service_id=user.service_id).select_related("service")
    return ReportRun.objects.none()


def report_run_get(*, user, pk: int) -> ReportRun:
    """A run the user may see; 404 otherwise, so ids reveal nothing."""
    return get_object_or_404(report_run_list(user=user), pk=pk)
