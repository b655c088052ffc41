"""Health that tells the truth: a verdict per part from heartbeats with ages and thresholds; a
worker that stops is down on system status within a minute; housekeeping runs by beat."""
import os
import time
from datetime import timedelta

import time_machine
from django.utils import timezone

from accounts import health
from accounts.roles import Role
from accounts.services import heartbeat_record


def verdicts(**kwargs) -> dict[str, str]:
    return {p.name: p.verdict for p in health.system_health(**kwargs)}


def test_a_stopped_worker_is_down_on_system_status_within_a_minute(staff, client_for, tmp_path):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        heartbeat_record(component="worker")
        heartbeat_record(component="beat")
        found = verdicts(var_dir=tmp_path)
        assert found["Web"] == found["Database"] == found["Worker"] == found["Beat"] == health.WORKING
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        assert verdicts(var_dir=tmp_path)["Worker"] == health.LATE
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert verdicts(var_dir=tmp_path)["Worker"] == health.DOWN
        page = client_for(staff[Role.WEB_TEAM]).get("/status/")
        html = page.content.decode()
        assert "Down: Worker, Beat." in html or "Down: Worker" in html, html
        assert "61 s ago" in html and "down after 60 s" in html
        live = client_for(staff[Role.WEB_TEAM]).get("/status/", HTTP_HX_REQUEST="true").content.decode()
        assert live.startswith('<div id="health"') and "Down" in live


def test_beat_s_own_heartbeat_file_tells_it_apart_from_the_worker(db, tmp_path):
    from council_social import liveness

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        heartbeat_record(component="worker")
        heartbeat_record(component="beat")
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        liveness.touch("beat", tmp_path)  # beat ticks on; the worker records nothing
        now = time.time()
        os.utime(liveness.run_dir(tmp_path) / "beat.alive", (now, now))
        found = verdicts(var_dir=tmp_path)
    assert found["Worker"] == health.DOWN and found["Beat"] == health.WORKING


def test_a_platform_client_whose_polls_fail_is_down(channels, db, tmp_path):
    from monitoring.models import PollState

    now = timezone.now()
    PollState.objects.create(channel=channels["libraries"], endpoint="mentions", last_success_at=now - timedelta(minutes=30),
                             last_error_at=now, consecutive_failures=5, last_error="503")
    PollState.objects.create(channel=channels["leisure"], endpoint="feed", last_success_at=now)
    found = verdicts(var_dir=tmp_path)
    assert found["X (Twitter) client"] == health.DOWN
    assert found["Facebook client"] == health.WORKING


def test_housekeeping_runs_daily_by_beat_and_after_a_registry_change(staff, services):
    from accounts.models import Channel, HousekeepingFlag
    from accounts.services import channel_create
    from council_social.schedules import SCHEDULES

    task, seconds, _ = SCHEDULES["Channel housekeeping audit (daily)"]
    assert (task, seconds) == ("accounts.housekeeping_audit", 86400)
    channel = channel_create(actor=staff[Role.WEB_TEAM], platform="x", handle="@NoOwner", display_name="No owner",
                             service=services["libraries"], kind=Channel.Kind.SERVICE)
    assert HousekeepingFlag.objects.filter(channel=channel).exists()  # found at once, not at the next audit


def test_a_channel_that_needs_re_authorising_says_so_on_every_page(staff, channels, client_for):
    from accounts.models import ChannelConnection

    ChannelConnection.objects.create(channel=channels["libraries"], needs_reauth=True)
    web = client_for(staff[Role.WEB_TEAM])
    listing = web.get("/channels/").content.decode()
    row = listing[listing.index("@Libs"):][:1500]
    assert "Needs re-authorising" in row and ">Active<" not in row
    assert "Needs re-authorising" in web.get(channels["libraries"].get_absolute_url()).content.decode()
    assert "need" in web.get("/").content.decode() and "re-authorising" in web.get("/").content.decode()


def test_the_summary_never_says_all_is_well_when_a_part_is_not_known():
    parts = [health.Part("Web", health.WORKING, 0, ""), health.Part("Worker", health.UNKNOWN, None, "")]
    assert health.summary(parts) == "Not known yet: Worker."
    assert health.summary(parts[:1]) == "Every part is working."
