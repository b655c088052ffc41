"""The selectors on fixed data: hand-checked figures, a fixed number of queries, scoping."""
from datetime import date

import pytest

from reporting import figures, selectors
from tests.reporting.data import NOW, at

pytestmark = pytest.mark.django_db


def test_channel_growth_per_channel_and_platform(snapshots, query, channels, django_assert_num_queries):
    with django_assert_num_queries(2):
        report = selectors.channel_growth(query=query())
    by_handle = {c.handle: c for c in report.channels}
    # Facebook page likes: 2,256 → 3,294 = +1,038, +46.0%
    likes = by_handle["Leisure"].figures["likes"]
    assert (likes.before, likes.after, likes.change) == (2256, 3294, 1038)
    assert figures.fmt_percent(likes.percent) == "46.0%"
    # Corporate X: 7,680 (28 April 2015, within 7 days of the 30th) → 10,597 = +2,917; 2,917 / 7,680 = 37.98%
    corporate = by_handle["@Council"].figures["followers"]
    assert (corporate.before, corporate.after) == (7680, 10597)
    assert figures.fmt_percent(corporate.percent) == "38.0%"
    # Libraries X: the 2015 figure is 10 days old, so there is no growth to show.
    assert by_handle["@Libs"].figures["followers"].before is None
    assert by_handle["@Libs"].figures["followers"].percent is None
    platforms = {p.platform: p for p in report.platforms}
    # X as a platform adds only the channel known at both ends: 7,680 → 10,597.
    assert platforms["x"].channels == 2
    assert (platforms["x"].figures["followers"].before, platforms["x"].figures["followers"].after) == (7680, 10597)
    # YouTube activity: views 125,000 − 100,000 = 25,000 → 234,000 − 200,000 = 34,000: +9,000, +36%;
    # watch time 50,000 → 69,000 minutes: +19,000, +38%.
    views, watch = platforms["youtube"].figures["views"], platforms["youtube"].figures["watch_time_minutes"]
    assert (views.before, views.after, views.percent) == (25000, 34000, 36.0)
    assert (watch.before, watch.after, watch.percent) == (50000, 69000, 38.0)


def test_followers_over_time_takes_the_last_day_of_each_bucket(snapshots, query, channels):
    from monitoring.models import ChannelMetricSnapshot

    ChannelMetricSnapshot.objects.create(channel=channels["corporate"], date=date(2016, 4, 10), followers=10_000)
    ChannelMetricSnapshot.objects.create(channel=channels["libraries"], date=date(2016, 4, 10), followers=1_400)
    report = selectors.channel_growth(query=query(bucket="month"))
    assert report.buckets == [date(2016, 4, 1)]
    # The last day with figures in April is the 30th: 10,597 + 1,500 on X.
    assert report.followers["x"] == [12097]
    weekly = selectors.channel_growth(query=query(bucket="week"))
    # Week from 4 April holds the 10th: 10,000 + 1,400.
    assert weekly.followers["x"][weekly.buckets.index(date(2016, 4, 4))] == 11400


def test_growth_is_limited_to_the_service(snapshots, query, services):
    report = selectors.channel_growth(query=query(service=services["leisure"]))
    assert [c.handle for c in report.channels] == ["Leisure"]


def test_response_times_and_slas(triage_data, query, django_assert_num_queries):
    with django_assert_num_queries(2):
        report = selectors.response_times(query=query(), now=NOW)
    cs = report.by_route["Customer services"]
    hours = figures.hours
    # 7 cases in April, answered after 1, 2, 3, 4, 10 hours: median 3; p90 4 + 0.6 × 6 = 7.6
    assert (cs.cases, cs.answered) == (7, 5)
    assert hours(cs.first_median) == pytest.approx(3)
    assert hours(cs.first_p90) == pytest.approx(7.6)
    # Resolved after 20, 30, 40, 50 hours: median h = 1.5 → 30 + 0.5 × 10 = 35; p90 h = 2.7 → 40 + 0.7 × 10 = 47
    assert hours(cs.resolution_median) == pytest.approx(35)
    assert hours(cs.resolution_p90) == pytest.approx(47)
    # Target 5 hours: met 1, 2, 3, 4 → 4; missed 10 → 1; breached 1; pending 1. 4 / (4 + 1 + 1) = 66.7%
    assert (cs.met, cs.missed, cs.breached, cs.pending) == (4, 1, 1, 1)
    assert figures.fmt_percent(cs.compliance) == "66.7%"
    web = report.by_route["Web team response"]
    # 0.5 and 1.5 hours: median 1.0, p90 1.4; no targets, so no compliance figure.
    assert hours(web.first_median) == pytest.approx(1.0) and hours(web.first_p90) == pytest.approx(1.4)
    assert web.no_target == 2 and web.compliance is None
    # Everything: 0.5, 1, 1.5, 2, 3, 4, 10: median x[3] = 2; p90 h = 5.4 → 4 + 0.4 × 6 = 6.4
    assert hours(report.overall.first_median) == pytest.approx(2)
    assert hours(report.overall.first_p90) == pytest.approx(6.4)
    assert report.overall.cases == 9
    assert set(report.by_service) == {"Libraries", "Waste and Recycling"}
    assert report.by_service["Libraries"].answered == 2


def test_response_times_for_one_service(triage_data, query, services):
    report = selectors.response_times(query=query(service=services["libraries"]), now=NOW)
    assert report.overall.cases == 2 and report.by_route["Customer services"].cases == 0


def test_foi_on_time(foi_data, query, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = selectors.foi_on_time(query=query(), today=NOW.date())
    s = report.overall
    # 6 valid: 3 on time (one on its due day), 1 late, 1 overdue, 1 not yet due; 3 / (3 + 1 + 1) = 60%
    assert (s.received, s.on_time, s.late, s.overdue, s.open) == (6, 3, 1, 1, 1)
    assert s.share == 60.0
    assert list(report.by_service) == ["Libraries"]


def test_mention_volume_by_every_breakdown(mention_of, query, services, django_assert_num_queries):
    libraries = services["libraries"]
    mention_of("corporate", at(date(2016, 4, 4)), "web_team_response", libraries, "negative")
    mention_of("corporate", at(date(2016, 4, 5)), "web_team_response", libraries, "positive")
    mention_of("leisure", at(date(2016, 4, 12)), "no_action", None, "neutral")
    mention_of("libraries", at(date(2016, 4, 13)))  # not routed yet
    mention_of("corporate", at(date(2015, 4, 13)))  # in the comparison period
    mention_of("corporate", at(date(2016, 5, 1)))  # after the period
    with django_assert_num_queries(2):
        report = selectors.mention_volume(query=query(bucket="week"))
    assert report.total == 4 and report.comparison_total == 1
    i = report.buckets.index(date(2016, 4, 4))
    assert report.series["platform"]["X (Twitter)"][i] == 2
    assert report.totals("platform") == {"X (Twitter)": 3, "Facebook": 1}
    assert report.totals("route") == {"No action (monitoring)": 1, "Web team response": 2, "Not routed yet": 1}
    # Service: triage's service, or else the channel's (Leisure's page; the Libraries channel).
    assert report.totals("service") == {"Libraries": 3, "Leisure": 1}
    assert report.totals("sentiment") == {"Positive": 1, "Neutral": 1, "Negative": 1, "Not classified": 1}
    only = selectors.mention_volume(query=query(service=services["libraries"]))
    assert only.total == 3


def test_publishing_counts_posts_and_their_responses(publishing_data, query, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = selectors.publishing_report(query=query(bucket="month"))
    # 2 posts in April on 3 channels; replies 3 + 1 on X, 2 on Facebook (the post itself is not a reply).
    assert (report.overall.posts, report.overall.items, report.overall.responses) == (2, 3, 6)
    x = report.by_platform["X (Twitter)"]
    assert (x.posts, x.items, x.responses) == (1, 2, 4) and x.responses_per_item == 2.0
    assert report.over_time[0].posts == 2


def test_report_runs_are_scoped(staff, services):
    from accounts.roles import Role
    from reporting.models import ReportRun

    def run(service):
        return ReportRun.objects.create(requested_by_name="x", service=service, period_start=date(2016, 4, 1),
                                        period_end=date(2016, 4, 30), compare_start=date(2015, 4, 1),
                                        compare_end=date(2015, 4, 30))

    libraries, leisure, everyone = run(services["libraries"]), run(services["leisure"]), run(None)
    assert set(selectors.report_run_list(user=staff[Role.WEB_TEAM])) == {libraries, leisure, everyone}
    assert set(selectors.report_run_list(user=staff[Role.SERVICE_EDITOR])) == {libraries}
    assert not selectors.report_run_list(user=staff[Role.COUNCILLOR]).exists()
