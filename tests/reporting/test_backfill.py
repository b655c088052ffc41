"""Metric history for the demo and for newly connected channels: plausible, anchored on the
figures known, and never added twice."""
import itertools
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Channel
from accounts.services import channel_connection_store
from monitoring.models import ChannelMetricSnapshot
from reporting import backfill
from reporting.demo import DAYS, load_demo_metrics
from reporting.services import metrics_backfill

TODAY = date(2026, 5, 18)


def test_history_grows_with_noise_to_the_known_figures():
    made = backfill.history(known={"followers": 10_597, "likes": None, "views": 300_000}, on=TODAY, days=400,
                            platform="x", seed="x:@council")
    days = sorted(made)
    assert len(days) == 400 and days[0] == TODAY - timedelta(days=400) and days[-1] == TODAY - timedelta(days=1)
    followers = [made[d]["followers"] for d in days]
    assert "likes" not in made[days[0]]
    # A year's growth of about 38%: 10,597 / 1.38 ≈ 7,679 a year before.
    year_ago = followers[-365]
    assert 0.30 < 10_597 / year_ago - 1 < 0.46
    assert abs(followers[-1] - 10_597) < 100 and len(set(b - a for a, b in itertools.pairwise(followers))) > 10  # noisy
    views = [made[d]["views"] for d in days]
    assert all(b >= a for a, b in itertools.pairwise(views))  # a running total never falls
    again = backfill.history(known={"followers": 10_597, "views": 300_000}, on=TODAY, days=400, platform="x",
                             seed="x:@council")
    assert again == made


@pytest.mark.django_db
def test_backfill_adds_missing_days_once_and_keeps_stored_figures(channels):
    channel = channels["corporate"]
    assert metrics_backfill(channel=channel, days=400, today=TODAY, known={"followers": 10_597}) == 400
    assert metrics_backfill(channel=channel, days=400, today=TODAY, known={"followers": 10_597}) == 0
    assert ChannelMetricSnapshot.objects.filter(channel=channel).count() == 400
    # A stored snapshot is the anchor: the history goes back from it and it is not changed.
    other = channels["libraries"]
    ChannelMetricSnapshot.objects.create(channel=other, date=TODAY - timedelta(days=10), followers=2_000, posts=900)
    assert metrics_backfill(channel=other, days=30, today=TODAY) == 20
    first = ChannelMetricSnapshot.objects.filter(channel=other).order_by("date").first()
    assert first.date == TODAY - timedelta(days=30) and first.followers < 2_000 and first.posts <= 900
    assert ChannelMetricSnapshot.objects.get(channel=other, date=TODAY - timedelta(days=10)).followers == 2_000


@pytest.mark.django_db
def test_demo_history_is_idempotent(channels, settings):
    settings.USE_SIMULATOR = False
    Channel.objects.filter(pk=channels["libraries"].pk).update(followers=2_380)
    Channel.objects.filter(pk=channels["corporate"].pk).update(followers=10_597)
    first = load_demo_metrics()
    assert first == {"metric_days_added": 2 * DAYS}  # the Leisure page has no follower count to start from
    assert load_demo_metrics() == {"metric_days_added": 0}


@pytest.mark.django_db
def test_backfill_command_reads_todays_figures_from_the_simulator(channels, settings):
    from platforms.simulator.server import run_in_thread

    server, url = run_in_thread(port=0)
    try:
        settings.USE_SIMULATOR, settings.SIMULATOR_URL = True, url
        channel = Channel.objects.create(platform="mastodon", handle="@kingsmere@social.example",
                                         display_name="Kingsmere", service=channels["corporate"].service)
        channel_connection_store(actor=None, channel=channel, account_id="110000000000000001",
                                 access_token="demo-mastodon")
        call_command("backfill_metrics", "--days", "30", "--channel", str(channel.pk))
    finally:
        server.shutdown()
    stored = ChannelMetricSnapshot.objects.filter(channel=channel).order_by("date")
    assert stored.count() == 31  # today's figures, read from the simulator, and 30 days before
    today = stored.last()
    assert today.followers == 3_140 and today.posts is not None
    assert stored.first().followers < today.followers


@pytest.mark.django_db
def test_demo_registry_followers_end_where_the_history_ends(channels, settings, monkeypatch):
    """The demo's history ends with the platforms' figures; the Channels page shows the same."""
    from reporting import demo

    settings.USE_SIMULATOR = True
    corporate = channels["corporate"]
    Channel.objects.filter(pk=corporate.pk).update(followers=10_597)
    monkeypatch.setattr(demo, "_simulator_figures", lambda found: {corporate.pk: {"followers": 48_044}})
    load_demo_metrics()
    corporate.refresh_from_db()
    last = ChannelMetricSnapshot.objects.filter(channel=corporate).order_by("date").last()
    assert corporate.followers == 48_044  # today's figure, where the history (up to yesterday) leads
    assert last.date == timezone.localdate() - timedelta(days=1) and abs(last.followers - 48_044) < 480
