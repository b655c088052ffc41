"""Polling the platform simulator through the real clients, tasks' services and database."""
import collections
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from accounts.models import Channel, ChannelConnection
from accounts.services import channel_connection_store
from monitoring.models import Mention, PollState, Quarantine, WatchTerm
from monitoring.services import poll_run, poll_states_sync
from platforms.simulator.server import run_in_thread

pytestmark = pytest.mark.django_db(transaction=True)
SIX = ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky")


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=7)
    yield server, url
    server.shutdown()


@pytest.fixture
def simulated(sim, settings, services):
    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    WatchTerm.objects.create(term="Kingsmere")
    accounts = ctl(url, "GET", "accounts")
    channels = {}
    for platform in SIX:
        account = accounts[platform]
        channel = Channel.objects.create(platform=platform, handle=account["handle"], display_name="Kingsmere",
                                         service=services["communications"], kind="corporate")
        channel_connection_store(actor=None, channel=channel, account_id=account["account_id"],
                                 access_token=account["demo_token"])
        channel.refresh_from_db()
        poll_states_sync(channel=channel)
        channels[platform] = channel
    return url, channels


def ctl(url, method, path, body=None):
    response = requests.request(method, f"{url}/_sim/{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def poll_until_quiet(rounds=400, ignore_backoff=True):
    """Poll every endpoint until a full round stores nothing new and no poll failed."""
    for _ in range(rounds):
        progress = failed = False
        for state_id in PollState.objects.filter(enabled=True).values_list("pk", flat=True):
            if ignore_backoff:  # the schedule would wait; the test does not need to
                PollState.objects.filter(pk=state_id).update(not_before=None)
            result = poll_run(state_id=state_id)
            progress |= result.get("created", 0) > 0
            failed |= "error" in result
        if not progress and not failed:
            return
    pytest.fail("polling did not settle")


def stored_ids(platform):
    return set(Mention.objects.filter(platform=platform).values_list("external_id", flat=True))


def test_faults_of_every_kind_lose_nothing_and_store_each_mention_once(simulated, settings):
    url, channels = simulated
    generated = ctl(url, "POST", "generate", {"platform": list(SIX), "count": 10_000 // len(SIX) + 1,
                                              "spread_seconds": 6 * 3600})
    expected = {p: {i["id"] for i in generated[p]["items"]} for p in SIX}
    assert sum(len(v) for v in expected.values()) >= 10_000
    ctl(url, "POST", "faults", {"rate": 0.2, "seed": 3, "delay": 2.5,
                                "kinds": ["429", "500", "502", "503", "timeout", "drop", "malformed", "truncated",
                                          "duplicate", "out_of_order"]})
    with settings_timeout(2):
        for _ in range(150):
            poll_round()
            if all(expected[p] <= stored_ids(p) for p in SIX):
                break
    served = ctl(url, "GET", "stats")["faults"]
    ctl(url, "DELETE", "faults")
    poll_until_quiet()
    for platform in SIX:
        stored = collections.Counter(Mention.objects.filter(platform=platform).values_list("external_id", flat=True))
        assert expected[platform] <= set(stored), f"{platform}: {len(expected[platform] - set(stored))} lost"
        assert max(stored.values()) == 1
    kinds = collections.Counter()
    for per_platform in served.values():
        kinds.update(per_platform)
    assert all(kinds[k] for k in ("429", "timeout", "malformed", "truncated", "duplicate")), kinds
    # Every malformed or truncated body that reached a poll is in quarantine, counted once per arrival.
    assert sum(Quarantine.objects.values_list("seen_count", flat=True)) == kinds["malformed"] + kinds["truncated"]


def poll_round():
    for state_id in PollState.objects.filter(enabled=True).values_list("pk", flat=True):
        PollState.objects.filter(pk=state_id).update(not_before=None)
        poll_run(state_id=state_id)


class settings_timeout:
    """Clients time out after `seconds` (the simulator's slow faults take longer)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        from monitoring import clients

        self.original = clients.client_for
        clients.client_for = lambda channel, **kw: self.original(channel, **{"timeout": self.seconds, **kw})

    def __exit__(self, *exc):
        from monitoring import clients

        clients.client_for = self.original


def test_after_a_429_no_request_is_made_before_the_reset(simulated):
    url, channels = simulated
    ctl(url, "POST", "ratelimits", {"limits": {"x": {"mentions": 2}}})
    ctl(url, "POST", "generate", {"platform": "x", "count": 450, "spread_seconds": 3600})
    state = PollState.objects.get(channel=channels["x"], endpoint="mentions")
    for _ in range(5):
        poll_run(state_id=state.pk)
    state.refresh_from_db()
    assert state.not_before and state.not_before > timezone.now()
    stats = ctl(url, "GET", "stats")
    assert stats["totals"]["early_requests"] == 0
    assert sum(n for p, c in stats["requests"].items() for e, n in c.items() if p == "x" and "mentions" in e) <= 3


def test_an_injected_post_is_stored_and_shown(simulated, staff, client_for):
    url, channels = simulated
    poll_until_quiet()
    ctl(url, "POST", "inject", {"platform": "mastodon", "text": "@kingsmere Is the Harbourside library open on Sunday?",
                                "kind": "mention"})
    poll_until_quiet()
    from accounts.roles import Role

    page = client_for(staff[Role.WEB_TEAM]).get("/mentions/?q=Harbourside+library").content.decode()
    assert "Is the Harbourside library open on Sunday?" in page


def test_a_revoked_token_marks_the_channel_and_pauses_polling(simulated, staff):
    url, channels = simulated
    ctl(url, "POST", "revoke", {"platform": "bluesky", "account": ChannelConnection.objects.get(
        channel=channels["bluesky"]).account_id})
    state = PollState.objects.filter(channel=channels["bluesky"]).first()
    assert poll_run(state_id=state.pk)["error"] == "auth"
    assert ChannelConnection.objects.get(channel=channels["bluesky"]).needs_reauth
    before = ctl(url, "GET", "stats")["totals"]
    assert poll_run(state_id=state.pk)["skipped"]
    assert ctl(url, "GET", "stats")["totals"] == before


def test_cursor_is_consistent_after_polling(simulated):
    url, channels = simulated
    ctl(url, "POST", "generate", {"platform": "x", "count": 250, "spread_seconds": 3600})
    poll_until_quiet()
    state = PollState.objects.get(channel=channels["x"], endpoint="mentions")
    assert state.cursor and state.last_success_at and state.consecutive_failures == 0
    assert state.last_success_at > timezone.now() - timedelta(minutes=1)
