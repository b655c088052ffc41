"""Figures that are true: estimated metric points are marked as such on the growth report, in
its CSV and in the committee PDF (left out of the committee report unless chosen); the demo's
history is demo data; the dormant check counts only the council's own posts and replies."""
import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.housekeeping import housekeeping_audit
from accounts.models import HousekeepingFlag
from accounts.roles import Role
from monitoring.models import ChannelMetricSnapshot
from reporting import services as reporting
from reporting import tasks
from reporting.models import ReportRun
from tests.reporting.data import NOW, PERIOD_PARAMS

pytestmark = pytest.mark.django_db

REQUEST = {"start": "2016-04-01", "end": "2016-04-30", "compare_start": "2015-04-01", "compare_end": "2015-04-30"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def estimated(snapshots, channels):
    """The corporate X channel's April 2015 figure was worked back by the backfill, not measured."""
    ChannelMetricSnapshot.objects.filter(channel=channels["corporate"], date=date(2015, 4, 28)).update(
        estimated=True, source="backfill")


def test_the_backfill_marks_every_day_it_makes_up_as_estimated_and_the_demo_as_demo_data(channels):
    added = reporting.metrics_backfill(channel=channels["libraries"], days=30, today=date(2026, 1, 31),
                                       known={"followers": 1200})
    assert added == 30
    assert set(ChannelMetricSnapshot.objects.values_list("estimated", "source")) == {(True, "backfill")}
    reporting.metrics_backfill(channel=channels["leisure"], days=10, today=date(2026, 1, 31),
                               known={"followers": 50}, source="demo")
    assert set(ChannelMetricSnapshot.objects.filter(channel=channels["leisure"]).values_list(
        "estimated", "source")) == {(True, "demo")}


def test_an_estimated_metric_is_marked_on_the_growth_report(estimated, staff, client_for):
    html = client_for(staff[Role.COMMUNICATIONS_OFFICER]).get("/reports/growth/", PERIOD_PARAMS).content.decode()
    assert "X (Twitter) (estimated)" in html and "@Council (X (Twitter)) (estimated)" in html
    assert "Leisure (Facebook) (estimated)" not in html  # measured figures are not marked
    assert "were worked out, not measured" in html


def _generate(client, monkeypatch, **extra):
    client.post("/reports/committee/", {**REQUEST, **extra})
    run = ReportRun.objects.order_by("-pk").first()
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    assert tasks.committee_report(run.pk) == ReportRun.State.DONE
    run.refresh_from_db()
    with run.pdf.open("rb") as f:
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages).split())
    rows = list(csv.DictReader(io.StringIO(run.csv.open("rb").read().decode("utf-8-sig"))))
    return run, text, rows


def test_the_committee_report_leaves_estimates_out_unless_chosen_and_then_labels_them(
        estimated, staff, client_for, monkeypatch):
    client = client_for(staff[Role.COMMUNICATIONS_OFFICER])
    run, text, rows = _generate(client, monkeypatch)
    assert not run.include_estimates
    assert "estimated" not in text.replace("Only measured figures: estimated figures are left out", "")
    assert "Only measured figures: estimated figures are left out" in text
    x = {r["column"]: r for r in rows if r["table"] == "Followers by channel" and r["row"] == "'@Council (X (Twitter))"}
    assert x["Followers, April 2015"]["value"] == "" and x["Followers, April 2016"]["value"] == "10597"

    run, text, rows = _generate(client, monkeypatch, include_estimates="on")
    assert run.include_estimates
    assert "X (Twitter) (estimated)" in text
    assert "X (Twitter) followers increased 38% between April 2015 and April 2016 (estimated)" in text
    x = {r["column"]: r for r in rows
         if r["table"] == "Followers by channel" and r["row"] == "'@Council (X (Twitter)) (estimated)"}
    assert x["Followers, April 2015"]["value"] == "7680"


def test_a_channel_with_only_strangers_mentions_for_400_days_is_flagged_dormant(channels, settings):
    from monitoring.models import PollState
    from monitoring.services import ingest_page
    from platforms.base import Author, Item, Page, RateLimit

    channel = channels["libraries"]
    type(channel).objects.filter(pk=channel.pk).update(created_at=timezone.now() - timedelta(days=800))
    state = PollState.objects.create(channel=channel, endpoint="mentions")
    for days_ago in (400, 200, 1):
        item = Item(platform="x", external_id=f"s{days_ago}", kind="search_hit", text="Libraries are great",
                    posted_at=timezone.now() - timedelta(days=days_ago),
                    author=Author(external_id="stranger", handle="@stranger"))
        state.refresh_from_db()
        ingest_page(state=state, page=Page(items=[item], next_cursor=f"c{days_ago}", raw_body="{}",
                                           rate_limit=RateLimit()), expected_cursor=state.cursor)
    channel.refresh_from_db()
    assert channel.last_activity_at is None
    housekeeping_audit()
    assert HousekeepingFlag.objects.filter(channel=channel, kind="dormant", status="open").exists()

    own = Item(platform="x", external_id="own-1", kind="mention", text="Story time today",
               posted_at=timezone.now() - timedelta(days=2), author=Author(external_id="me", handle="@Libs"))
    state.refresh_from_db()
    ingest_page(state=state, page=Page(items=[own], next_cursor="c-own", raw_body="{}", rate_limit=RateLimit()),
                expected_cursor=state.cursor)
    housekeeping_audit()
    assert not HousekeepingFlag.objects.filter(channel=channel, kind="dormant", status="open").exists()
