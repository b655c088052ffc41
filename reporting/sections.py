"""The selectors' figures laid out as a report: sections of figures, each a table and usually a
chart drawn from the same numbers with the same formatting, and summary sentences. The pages,
the committee PDF and the CSV all use these, so they always agree."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from . import charts, figures
from .figures import Growth, fmt_change, fmt_number, fmt_percent, fmt_signed_percent, marked
from .filters import ReportQuery
from .selectors import (
    ACTIVITY,
    PLATFORMS,
    FoiReport,
    FoiStats,
    GrowthReport,
    PublishingReport,
    ResponseReport,
    ResponseStats,
    VolumeReport,
)

MAX_LINES = len(charts.PALETTE)
OTHERS = "Others"


@dataclasses.dataclass
class Cell:
    text: str
    value: Any = None  # the raw number, for the CSV

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, int | float) and not isinstance(self.value, bool)


@dataclasses.dataclass
class Table:
    caption: str
    head: list[str]
    rows: list[list[Cell]]


@dataclasses.dataclass
class Figure:
    """A table, and the chart of (some of) its columns. A chart never comes without its table."""

    id: str
    title: str
    table: Table
    chart: charts.Chart | None = None


@dataclasses.dataclass
class Section:
    title: str
    intro: str
    figures: list[Figure]


def hours_text(seconds: float | None) -> str:
    return fmt_number(figures.hours(seconds), 1)


def _hours(value: float | None) -> str:
    return fmt_number(value, 1)


Column = tuple[str, Sequence[Any], Callable[[Any], str]]


def _table(caption: str, row_head: str, rows: Sequence[str], columns: Sequence[Column]) -> Table:
    """Rows of figures; none when there are no columns of figures (e.g. no mentions at all)."""
    return Table(caption, [row_head, *(name for name, _, _ in columns)],
                 [[Cell(label), *(Cell(fmt(values[i]), values[i]) for _, values, fmt in columns)]
                  for i, label in enumerate(rows)] if columns else [])


def figure(*, id: str, title: str, description: str, kind: str, row_head: str, rows: Sequence[str],
           series: Sequence[tuple[str, Sequence[float | None]]], fmt: Callable, extra: Sequence[Column] = (),
           short_rows: Sequence[str] | None = None) -> Figure:
    """A figure whose chart draws `series` over `rows`, with a table of the same series (same
    formatting) and any `extra` columns."""
    table = _table(title, row_head, rows, [*((name, values, fmt) for name, values in series), *extra])
    chart = None
    if rows and any(v is not None for _, values in series for v in values):
        make = charts.bar_chart if kind == "bar" else charts.line_chart
        options = {"categories": rows} if kind == "bar" else {"labels": rows, "short_labels": short_rows}
        chart = make(id=id, title=title, description=f"{description} The figures are in the table that follows.",
                     series=series, fmt=fmt, **options)
    return Figure(id, title, table, chart)


def _growth_columns(growths: Sequence[Growth], query: ReportQuery, what: str) -> tuple[list, list[Column]]:
    series = [(f"{what}, {query.comparison.label}", [g.before for g in growths]),
              (f"{what}, {query.period.label}", [g.after for g in growths])]
    extra = [("Change", [g.change for g in growths], fmt_change),
             ("Change (%)", [g.percent for g in growths], fmt_signed_percent)]
    return series, extra


def _series_limited(series: dict[str, list]) -> dict[str, list]:
    """At most MAX_LINES lines: the largest, then the rest added up as "Others"."""
    if len(series) <= MAX_LINES:
        return series
    names = list(series)
    kept = {name: series[name] for name in names[: MAX_LINES - 1]}
    rest = [series[name] for name in names[MAX_LINES - 1:]]
    kept[OTHERS] = [sum(values) for values in zip(*rest, strict=True)]
    return kept


# --- sections ------------------------------------------------------------------------------------

def growth_section(report: GrowthReport, query: ReportQuery) -> Section:
    platforms = report.platforms
    followers = [p.figures["followers"] for p in platforms]
    # A figure not measured on the platform says so wherever it appears: table, chart and CSV.
    names = [marked(p.platform_label, g.estimated) for p, g in zip(platforms, followers, strict=True)]
    out = []
    series, extra = _growth_columns(followers, query, "Followers")
    out.append(figure(
        id="chart-followers", title="Followers by platform", kind="bar", row_head="Platform", rows=names,
        series=series, extra=extra, fmt=fmt_number,
        description=f"Bar chart of the followers of the council's channels on each platform at the end of "
                    f"{query.comparison.label} and at the end of {query.period.label}."))
    liked = [p for p in platforms if p.figures["likes"].before is not None or p.figures["likes"].after is not None]
    if liked:
        series, extra = _growth_columns([p.figures["likes"] for p in liked], query, "Likes")
        out.append(figure(
            id="chart-likes", title="Likes by platform", kind="bar", row_head="Platform",
            rows=[marked(p.platform_label, p.figures["likes"].estimated) for p in liked], series=series, extra=extra,
            fmt=fmt_number,
            description=f"Bar chart of likes (Facebook: page likes) at the end of {query.comparison.label} and at the end of "
                        f"{query.period.label}."))
    activity = [(marked(f"{p.platform_label} {label.lower()}", p.figures[metric].estimated), p.figures[metric])
                for p in platforms
                for metric, label in ACTIVITY.items()
                if p.figures[metric].before is not None or p.figures[metric].after is not None]
    if activity:
        growths = [g for _, g in activity]
        out.append(figure(
            id="chart-activity", title=f"Activity: {query.period.label} compared with {query.comparison.label}",
            kind="bar",
            row_head="Platform and measure", rows=[name for name, _ in activity],
            series=[("Change (%)", [g.percent for g in growths])], fmt=fmt_signed_percent,
            extra=[(query.comparison.label, [g.before for g in growths], fmt_number),
                   (query.period.label, [g.after for g in growths], fmt_number),
                   ("Change", [g.change for g in growths], fmt_change)],
            description=f"Bar chart of the percentage change in views, watch time and posts on each platform in "
                        f"{query.period.label} compared with {query.comparison.label}."))
    labels = [figures.bucket_label(b, query.bucket) for b in report.buckets]
    out.append(figure(
        id="chart-followers-over-time", title="Followers over time", kind="line",
        row_head=figures.BUCKETS[query.bucket], rows=labels,
        short_rows=[figures.bucket_label(b, query.bucket, short=True) for b in report.buckets],
        series=[(marked(PLATFORMS.get(key, key), report.estimated.get(key, "")), values)
                for key, values in report.followers.items()], fmt=fmt_number,
        description=f"Line chart of the followers on each platform at the end of each "
                    f"{query.bucket} of {query.period.label}, one line a platform."))
    channels = report.channels
    series, extra = _growth_columns([c.figures["followers"] for c in channels], query, "Followers")
    out.append(Figure("table-channels", "Followers by channel", _table(
        "Followers by channel", "Channel",
        [marked(f"{c.handle} ({c.platform_label})", c.figures["followers"].estimated) for c in channels],
        [*((name, values, fmt_number) for name, values in series), *extra])))
    if report.today is not None:
        known = [c.followers for c in report.today if c.followers is not None]
        out.append(Figure("table-followers-today", "Followers today, as on the Channels page", _table(
            "Followers today, as on the Channels page", "Channel",
            [*(f"{c.handle} ({c.platform_label})" for c in report.today), "All channels"],
            [("Followers today", [*(c.followers for c in report.today), sum(known) if known else None],
              fmt_number)])))
    labels = {g.estimated for p in platforms for g in p.figures.values()} | set(report.estimated.values())
    if not query.include_estimates:
        note = " Only measured figures: estimated figures are left out."
    elif labels - {""}:
        note = (" Figures marked \u201cestimated\u201d were worked out, not measured on the platform; \u201cdemo "
                "data\u201d marks the demo council's made-up history.")
    else:
        note = ""
    return Section("Channel growth",
                   f"Audience at the end of {query.period.label} compared with the end of {query.comparison.label}; "
                   "activity during each period. Views, watch time and posts are where the platform gives them."
                   + note, out)


def volume_section(report: VolumeReport, query: ReportQuery) -> Section:
    labels = [figures.bucket_label(b, report.bucket) for b in report.buckets]
    short = [figures.bucket_label(b, report.bucket, short=True) for b in report.buckets]
    out = []
    for breakdown, title in (("platform", "platform"), ("route", "route"), ("service", "service"),
                             ("sentiment", "sentiment")):
        series = _series_limited(report.series[breakdown])
        fig = figure(
            id=f"chart-mentions-{breakdown}", title=f"Mentions by {title}", kind="line",
            row_head=figures.BUCKETS[report.bucket], rows=labels, short_rows=short, series=list(series.items()),
            fmt=fmt_number,
            description=f"Line chart of the mentions received each {report.bucket} of {query.period.label}, "
                        f"one line a {title}.")
        if series:
            fig.table.rows.append([Cell("Total"),
                                   *(Cell(fmt_number(sum(v)), sum(v)) for v in series.values())])
        out.append(fig)
    return Section("Mention volume",
                   f"{fmt_number(report.total)} mentions in {query.period.label}; "
                   f"{fmt_number(report.comparison_total)} in {query.comparison.label}.", out)


def _time_columns(stats: Sequence[ResponseStats]) -> list[Column]:
    return [("Cases", [s.cases for s in stats], fmt_number),
            ("Answered", [s.answered for s in stats], fmt_number),
            ("Resolved", [s.resolved for s in stats], fmt_number),
            ("Median resolution (hours)", [figures.hours(s.resolution_median) for s in stats], _hours),
            ("90th percentile resolution (hours)", [figures.hours(s.resolution_p90) for s in stats], _hours)]


def _sla_columns(stats: Sequence[ResponseStats]) -> list[Column]:
    return [("In time", [s.met for s in stats], fmt_number),
            ("Answered late", [s.missed for s in stats], fmt_number),
            ("Unanswered past deadline", [s.breached for s in stats], fmt_number),
            ("Not yet due", [s.pending for s in stats], fmt_number),
            ("No deadline", [s.no_target for s in stats], fmt_number)]


def triage_section(report: ResponseReport, foi: FoiReport, query: ReportQuery) -> Section:
    out = []
    for key, groups in (("route", report.by_route), ("service", report.by_service)):
        names = [*groups, "All cases"]
        stats = [*groups.values(), report.overall]
        out.append(figure(
            id=f"chart-response-{key}", title=f"First response times by {key}", kind="bar",
            row_head=key.capitalize(), rows=names, fmt=_hours,
            series=[("Median first response (hours)", [figures.hours(s.first_median) for s in stats]),
                    ("90th percentile first response (hours)", [figures.hours(s.first_p90) for s in stats])],
            extra=_time_columns(stats),
            description=f"Bar chart of how long cases opened in {query.period.label} waited for a first "
                        f"response, by {key}: the median and the 90th percentile, in hours."))
    for key, groups in (("route", report.by_route), ("service", report.by_service)):
        names = [*groups, "All cases"]
        stats = [*groups.values(), report.overall]
        out.append(figure(
            id=f"chart-sla-{key}", title=f"Response targets met by {key}", kind="bar",
            row_head=key.capitalize(), rows=names, fmt=fmt_percent,
            series=[("Answered in time (%)", [s.compliance for s in stats])], extra=_sla_columns(stats),
            description=f"Bar chart of the share of cases opened in {query.period.label} answered within their "
                        f"response target, by {key}."))
    names = [*foi.by_service, "All services"]
    stats: list[FoiStats] = [*foi.by_service.values(), foi.overall]
    out.append(figure(
        id="chart-foi", title="FOI requests answered on time", kind="bar", row_head="Service", rows=names,
        fmt=fmt_percent, series=[("Answered on time (%)", [s.share for s in stats])],
        extra=[("Received", [s.received for s in stats], fmt_number),
               ("On time", [s.on_time for s in stats], fmt_number),
               ("Late", [s.late for s in stats], fmt_number),
               ("Overdue", [s.overdue for s in stats], fmt_number),
               ("Not yet due", [s.open for s in stats], fmt_number)],
        description=f"Bar chart of the share of valid FOI requests received in {query.period.label} that were "
                    "answered within 20 working days, by service."))
    return Section(
        "Triage performance",
        f"Cases opened in {query.period.label}. A first response is the first reply or answer recorded on the case; "
        "resolution is when it was closed. The median is the middle time; the 90th percentile is the time "
        "within which 9 in 10 cases were answered (linear interpolation, as Excel's PERCENTILE.INC). Answered "
        "in time is out of the cases whose deadline was met, missed or has passed.", out)


def publishing_section(report: PublishingReport, query: ReportQuery) -> Section:
    labels = [figures.bucket_label(b, report.bucket) for b in report.buckets]
    out = [figure(
        id="chart-posts-over-time", title="Posts published over time", kind="line",
        row_head=figures.BUCKETS[report.bucket], rows=labels,
        short_rows=[figures.bucket_label(b, report.bucket, short=True) for b in report.buckets],
        series=[("Posts", [s.posts for s in report.over_time])], fmt=fmt_number,
        extra=[("Posts on channels", [s.items for s in report.over_time], fmt_number),
               ("Comments and replies", [s.responses for s in report.over_time], fmt_number)],
        description=f"Line chart of the posts published each {report.bucket} of {query.period.label}.")]
    names = [*report.by_platform, "All platforms"]
    stats = [*report.by_platform.values(), report.overall]
    out.append(figure(
        id="chart-posts-platform", title="Posts and responses by platform", kind="bar", row_head="Platform",
        rows=names, fmt=fmt_number,
        series=[("Posts on channels", [s.items for s in stats]), ("Comments and replies", [s.responses for s in stats])],
        extra=[("Posts", [s.posts for s in stats], fmt_number),
               ("Comments and replies a post", [s.responses_per_item for s in stats], lambda v: fmt_number(v, 1))],
        description=f"Bar chart of the posts published on each platform in {query.period.label} and the "
                    "comments and replies they drew."))
    return Section(
        "Publishing",
        f"{fmt_number(report.overall.posts)} posts published in {query.period.label}. A post on three channels "
        "counts once as a post and three times as posts on channels. Comments and replies are those monitoring "
        "collected in the post's conversation.", out)


# --- summary -------------------------------------------------------------------------------------

def headlines(*, growth: GrowthReport, volume: VolumeReport, responses: ResponseReport, foi: FoiReport,
              publishing: PublishingReport, query: ReportQuery) -> list[str]:
    """The report's findings in words, as seed 000 puts them to the committee."""
    p, c = query.period, query.comparison
    out = []
    for platform in growth.platforms:
        name = platform.platform_label
        # Seed 000 counts a Facebook page's audience in page likes.
        metric, subject = ("likes", f"{name} page likes") if platform.platform == "facebook" and \
            platform.figures["likes"].change is not None else ("followers", f"{name} followers")
        sentence = figures.growth_sentence(subject, platform.figures[metric], between=(c.label, p.label))
        if sentence:
            out.append(marked(sentence, platform.figures[metric].estimated))
        for metric, label in (("views", "views"), ("watch_time_minutes", "watch time")):
            sentence = figures.growth_sentence(f"{name} {label}", platform.figures[metric],
                                               compared_with=f"in {p.label} compared with {c.label}")
            if sentence:
                out.append(marked(sentence, platform.figures[metric].estimated))
    mentions = figures.growth_sentence("Mentions of the council", Growth(volume.comparison_total, volume.total),
                                       compared_with=f"compared with {c.label}")
    out.append(f"{fmt_number(volume.total)} mentions were received in {p.label}"
               + (f"; {mentions[0].lower()}{mentions[1:]}" if mentions else ""))
    overall = responses.overall
    if overall.answered:
        out.append(f"Half of the {fmt_number(overall.answered)} cases answered had a first response within "
                   f"{hours_text(overall.first_median)} hours, and 9 in 10 within {hours_text(overall.first_p90)} hours")
    if overall.compliance is not None:
        out.append(f"{fmt_percent(overall.compliance)} of cases with a response target were answered in time "
                   f"({fmt_number(overall.met)} of {fmt_number(overall.met + overall.late)})")
    if foi.overall.share is not None:
        decided = foi.overall.on_time + foi.overall.late + foi.overall.overdue
        out.append(f"{fmt_number(foi.overall.on_time)} of {fmt_number(decided)} FOI requests "
                   f"({fmt_percent(foi.overall.share)}) were answered within 20 working days")
    out.append(f"{fmt_number(publishing.overall.posts)} posts were published, drawing "
               f"{fmt_number(publishing.overall.responses)} comments and replies")
    return out


@dataclasses.dataclass
class Report:
    query: ReportQuery
    headlines: list[str]
    sections: list[Section]


def report(*, query: ReportQuery, growth: GrowthReport, volume: VolumeReport, responses: ResponseReport,
           foi: FoiReport, publishing: PublishingReport) -> Report:
    """The whole report: the summary in words, then every section."""
    return Report(query, headlines(growth=growth, volume=volume, responses=responses, foi=foi, publishing=publishing,
                                   query=query),
                  [growth_section(growth, query), volume_section(volume, query), triage_section(responses, foi, query),
                   publishing_section(publishing, query)])
