"""Threads and Nextdoor posts take the same path as every other: approval, the pre-publish checks,
the schedule, the emergency pause, then the platform (here the simulator)."""
import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from accounts.models import Channel, ChannelConnection
from platforms.simulator.server import run_in_thread
from publishing import publisher
from publishing import services as publishing
from publishing.models import Post, PostTarget

from .conftest import draft, scheduled

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def simulator():
    server, url = run_in_thread(seed=4)
    yield server, url
    server.shutdown()


@pytest.fixture
def sim(simulator, settings):
    server, url = simulator
    server.reset(4)
    settings.SIMULATOR_URL = url
    settings.USE_SIMULATOR = True
    return url


def connected(sim, services, platform, handle, **extra):
    channel = Channel.objects.create(platform=platform, handle=handle, display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    account = requests.get(f"{sim}/_sim/accounts", timeout=5).json()[platform]
    ChannelConnection.objects.create(channel=channel, account_id=account["account_id"],
                                     access_token=account["demo_token"], extra=json.dumps(extra) if extra else "")
    return channel


@pytest.fixture
def threads(sim, services):
    return connected(sim, services, "threads", "kingsmerebc")


@pytest.fixture
def nextdoor(sim, services):
    return connected(sim, services, "nextdoor", "Kingsmere Borough Council")


def created(sim, platform):
    return [e for e in requests.get(f"{sim}/_sim/created", timeout=5).json()["created"] if e["platform"] == platform]


def publish_due(post):
    assert publisher.publish_sweep()["started"] == 1
    return {t.channel.platform: publisher.target_publish(target_id=t.pk) for t in post.targets.all()}


def test_an_approved_scheduled_post_goes_out_on_threads_and_nextdoor(comms, web, threads, nextdoor, sim):
    post = scheduled(comms, web, [threads, nextdoor], when=timezone.now() - timedelta(seconds=1),
                     text="The new library opens on Monday at 9am.")
    assert publish_due(post) == {"threads": "published", "nextdoor": "published"}
    [on_threads] = created(sim, "threads")
    [on_nextdoor] = created(sim, "nextdoor")
    assert on_threads["text"] == on_nextdoor["text"] == post.text
    assert on_nextdoor["audience"] == "agency_boundary"
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert set(post.targets.values_list("state", flat=True)) == {PostTarget.State.PUBLISHED}
    assert publisher.publish_sweep()["started"] == 0  # once only


def test_a_nextdoor_post_to_chosen_neighbourhoods(comms, web, sim, services):
    channel = connected(sim, services, "nextdoor", "Kingsmere NE", neighborhood_ids=["nh-101", "nh-103"])
    post = scheduled(comms, web, [channel], when=timezone.now() - timedelta(seconds=1), text="Road closure.")
    assert publish_due(post) == {"nextdoor": "published"}
    assert created(sim, "nextdoor")[0]["audience"] == ["nh-101", "nh-103"]


def test_an_image_with_alt_text_goes_to_threads(comms, web, threads, sim):
    post = scheduled(comms, web, [threads], when=timezone.now() - timedelta(seconds=1), text="Our new bin lorries.",
                     images=[{"url": "https://cdn.example/lorry.jpg", "alt_text": "A green bin lorry"}])
    assert publish_due(post) == {"threads": "published"}
    entry = created(sim, "threads")[0]
    assert entry["images"] == ["https://cdn.example/lorry.jpg"] and entry["alt_text"] == "A green bin lorry"


def test_nothing_goes_out_without_approval(comms, threads, nextdoor, sim):
    post = draft(comms, [threads, nextdoor], "Not yet approved")
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    assert publisher.publish_sweep()["started"] == 0
    with pytest.raises(publishing.PostRefused):
        publishing.post_schedule(actor=comms, post=post)
    assert created(sim, "threads") == created(sim, "nextdoor") == []


def test_the_checks_apply_threads_length_limit(comms, threads):
    post = draft(comms, [threads], "x" * 501)
    with pytest.raises(publishing.PostRefused) as refused:
        publishing.post_submit(actor=comms, post=post)
    assert any("Threads" in r.message for r in refused.value.results)
    ok = draft(comms, [threads], "y" * 500)
    publishing.post_submit(actor=comms, post=ok)


def test_the_emergency_pause_stops_threads_and_nextdoor(comms, web, threads, nextdoor, sim):
    post = scheduled(comms, web, [threads, nextdoor], when=timezone.now() - timedelta(minutes=1))
    publishing.emergency_start(actor=comms, reason="Major incident in the town centre")
    assert publisher.publish_sweep()["started"] == 0
    for target in PostTarget.objects.filter(post=post):
        assert publisher.target_publish(target_id=target.pk) != "published"
    post.refresh_from_db()
    assert post.state == Post.State.PAUSED
    assert created(sim, "threads") == created(sim, "nextdoor") == []
