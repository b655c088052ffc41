"""Bluesky's live stream (Jetstream) against the simulator's stream: matching posts stored through
the ingest path exactly once across a killed consumer and dropped connections; the cursor; the
fallback to polling and the channel's health."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Channel
from accounts.services import channel_connection_store
from monitoring import jetstream
from monitoring.jetstream import Consumer, Filters, stream_live, stream_mark
from monitoring.models import Mention, PollState, StreamState, WatchTerm
from monitoring.selectors import channel_health
from monitoring.services import poll_run, poll_states_sync
from platforms.simulator.server import run_in_thread
from tests.monitoring.test_against_simulator import ctl

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    """The consumer's process died (SIGKILL) in the middle of storing a batch."""


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=9)
    yield server, url
    server.shutdown()


@pytest.fixture
def streaming(sim, settings, services):
    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    settings.JETSTREAM_URL = ""
    account = ctl(url, "GET", "accounts")["bluesky"]
    channel = Channel.objects.create(platform="bluesky", handle=account["handle"], display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=channel, account_id=account["account_id"],
                             access_token=account["demo_token"])
    channel.refresh_from_db()
    WatchTerm.objects.create(term="Kingsmere")
    now = server.sim.state.now()
    # Replay from before everything generated below (a first run otherwise starts live, from now).
    StreamState.objects.create(name="jetstream", cursor=int((now - 8 * 3600) * 1e6))
    ctl(url, "POST", "generate", {"platform": "bluesky", "count": 400, "spread_seconds": 6 * 3600})
    for n in range(20):  # posts that do not concern the council
        ctl(url, "POST", "inject", {"platform": "bluesky", "kind": "mention", "text": f"Sunny in Leeds today {n}",
                                    "author": {"handle": f"leeds{n}.bsky.social"}})
    own = next(p for p in server.sim.state.posts.values() if p.platform == "bluesky" and p.own)
    for n in range(5):  # replies to the council's post that do not name it
        ctl(url, "POST", "inject", {"platform": "bluesky", "kind": "reply", "in_reply_to": own.id,
                                    "text": f"When does the tip open? ({n})", "author": {"handle": f"r{n}.bsky.social"}})
    return server, url, channel, account


def expected(server, account) -> set[str]:
    """Every post of the simulated network that mentions or answers the council or has the watch term."""
    out = set()
    for post in server.sim.state.posts.values():
        if post.platform != "bluesky" or post.author.id == account["account_id"]:
            continue
        record = post.extra["record"]
        reply = record.get("reply") or {}
        answers = any(account["account_id"] in (reply.get(k) or {}).get("uri", "") for k in ("parent", "root"))
        if answers or "kingsmere" in post.text.lower():
            out.add(post.id)
    return out


def consumer(url, **kw):
    return Consumer(url.replace("http://", "ws://") + "/bluesky/subscribe", until_idle=True, idle_seconds=1.0,
                    flush_seconds=0.2, batch_size=50, backoff_base=0.05, max_failures=5, **kw)


def test_a_consumer_killed_mid_stream_and_restarted_stores_every_matching_post_once(streaming, monkeypatch):
    server, url, channel, account = streaming
    want = expected(server, account)
    assert len(want) > 100 and any("Leeds" in p.text for p in server.sim.state.posts.values())
    real = jetstream.ingest_items
    calls = []

    def dies_on_the_fourth_batch(**kw):
        calls.append(1)
        result = real(**kw)  # written, but the transaction never commits
        if len(calls) == 4:
            raise Killed
        return result

    monkeypatch.setattr(jetstream, "ingest_items", dies_on_the_fourth_batch)
    with pytest.raises(Killed):
        consumer(url).run()
    stored_before = set(Mention.objects.values_list("external_id", flat=True))
    cursor = StreamState.objects.get(name="jetstream").cursor
    assert 0 < len(stored_before) < len(want)  # it died part way through
    monkeypatch.setattr(jetstream, "ingest_items", real)

    consumer(url).run()  # the restart resumes from the cursor (a little before it)
    stored = list(Mention.objects.filter(platform="bluesky").values_list("external_id", flat=True))
    assert len(stored) == len(set(stored))
    assert set(stored) == want
    assert StreamState.objects.get(name="jetstream").cursor > cursor
    assert not Mention.objects.filter(text__contains="Leeds").exists()
    assert set(Mention.objects.values_list("channel_id", flat=True)) == {channel.pk}
    kinds = set(Mention.objects.values_list("kind", flat=True))
    assert {"mention", "reply"} <= kinds


def test_dropped_connections_are_resumed_without_loss_or_repeat(streaming):
    server, url, channel, account = streaming
    ctl(url, "POST", "jetstream", {"cut_after": 60})
    run = consumer(url)
    run.run()
    assert run.received > 400  # several connections, each replaying a little
    stored = list(Mention.objects.filter(platform="bluesky").values_list("external_id", flat=True))
    assert len(stored) == len(set(stored)) and set(stored) == expected(server, account)
    assert StreamState.objects.get(name="jetstream").last_error  # the drops were recorded


def test_the_filters(streaming):
    server, url, channel, account = streaming
    filters = Filters()
    did = account["account_id"]

    def post(text="", **record):
        return {"did": "did:plc:someone", "time_us": 1, "kind": "commit",
                "commit": {"operation": "create", "collection": "app.bsky.feed.post", "rkey": "3k",
                           "record": {"text": text, "createdAt": "2026-12-05T10:00:00Z", **record}}}

    assert filters.match(post("nice day")) is None
    assert filters.match(post("kingsmere bins")) == ("search_hit", None)
    assert filters.match(post(f"hi @{account['handle']}")) == ("mention", channel.pk)
    assert filters.match(post("x", facets=[{"features": [{"did": did}]}])) == ("mention", channel.pk)
    assert filters.match(post("x", reply={"parent": {"uri": f"at://{did}/app.bsky.feed.post/1"},
                                          "root": {"uri": f"at://{did}/app.bsky.feed.post/1"}})) == ("reply", channel.pk)
    assert filters.match({**post("kingsmere"), "did": did}) is None  # the council's own
    assert filters.match({**post("kingsmere"), "kind": "identity"}) is None
    assert filters.match({"kind": "commit", "commit": {"operation": "delete"}}) is None


def test_polling_search_is_the_fallback_and_the_health_says_which_is_in_use(streaming):
    server, url, channel, account = streaming
    poll_states_sync(channel=channel)
    search = PollState.objects.get(channel=channel, endpoint="search")
    stream_mark(connected=True)
    assert stream_live() and channel_health(channel)["live"]["mode"] == "stream"
    assert poll_run(state_id=search.pk) == {"skipped": "the live stream is in use"}
    stream_mark(connected=False, error="ConnectionClosedError: no close frame received or sent")
    health = channel_health(channel)["live"]
    assert health["mode"] == "polling" and "ConnectionClosedError" in health["stream_last_error"]
    assert "skipped" not in poll_run(state_id=search.pk)
    # a consumer that stopped without saying so counts as down
    stream_mark(connected=True)
    StreamState.objects.update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert not stream_live()
    assert channel_health(Channel.objects.create(platform="x", handle="@x", display_name="X",
                                                 service=channel.service))["live"] is None


@pytest.mark.django_db(transaction=True)
def test_the_jetstream_process_killed_with_sigkill_and_restarted_stores_each_post_once(sim, settings, services):
    """`manage.py jetstream` as run.py and docker-compose run it, killed (SIGKILL) while it reads."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    account = ctl(url, "GET", "accounts")["bluesky"]
    channel = Channel.objects.create(platform="bluesky", handle=account["handle"], display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=channel, account_id=account["account_id"],
                             access_token=account["demo_token"])
    WatchTerm.objects.create(term="Kingsmere")
    now = server.sim.state.now()
    StreamState.objects.create(name="jetstream", cursor=int((now - 8 * 3600) * 1e6))
    ctl(url, "POST", "generate", {"platform": "bluesky", "count": 1500, "spread_seconds": 6 * 3600})
    want = expected(server, account)

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the process shares the test database through PostgreSQL")
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
                                         f"{db['PORT'] or 5432}/{db['NAME']}",
           "USE_SIMULATOR": "true", "SIMULATOR_URL": url}
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "manage.py", "jetstream", "--batch-size", "5"]
    first = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not Mention.objects.filter(platform="bluesky").exists():
            assert first.poll() is None and time.monotonic() < deadline, "the consumer stored nothing"
            time.sleep(0.02)  # waiting on another process, not on time
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    stored_before = Mention.objects.count()
    assert 0 < stored_before < len(want)  # killed part way through

    again = subprocess.run([*command, "--until-idle"], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    stored = list(Mention.objects.filter(platform="bluesky").values_list("external_id", flat=True))
    assert len(stored) == len(set(stored)) and set(stored) == want
