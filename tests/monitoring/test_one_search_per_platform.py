"""A watch term is searched once per platform app, not once per channel: five X channels with the
same watch terms make one search per poll, and each result is attached to the channel it concerns."""
import pytest

from accounts.models import Channel
from accounts.services import channel_connection_store
from monitoring.models import Mention, PollState, WatchTerm
from monitoring.services import poll_run, poll_states_sync, search_channel, watch_terms_for_platform
from platforms.simulator.server import run_in_thread
from tests.monitoring.test_against_simulator import ctl

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=3)
    yield server, url
    server.shutdown()


@pytest.fixture
def five_x(sim, settings, services):
    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    WatchTerm.objects.create(term="Kingsmere")
    WatchTerm.objects.create(term="library", service=services["libraries"])
    channels = []
    for n in range(5):
        token = ctl(url, "POST", "tokens", {"platform": "x", "account": f"1500000000000000{n:03d}"})
        channel = Channel.objects.create(
            platform="x", handle=f"@Kingsmere{n}", display_name=f"Kingsmere {n}",
            service=services["libraries" if n == 4 else "communications"], kind="corporate" if n == 2 else "service")
        channel_connection_store(actor=None, channel=channel, account_id=token["account_id"],
                                 access_token=token["access_token"])
        channel.refresh_from_db()
        poll_states_sync(channel=channel)
        channels.append(channel)
    return server, url, channels


def searches(server) -> int:
    return sum(n for name, n in server.sim.state.stats.requests["x"].items() if "search" in name)


def test_five_x_channels_make_one_search_per_poll(five_x):
    server, url, channels = five_x
    assert search_channel(platform="x") == channels[2]  # the corporate account
    assert watch_terms_for_platform("x") == ["Kingsmere", "library"]
    before = searches(server)
    for _ in range(3):  # three polls of every channel's search
        PollState.objects.update(not_before=None)
        results = [poll_run(state_id=s.pk) for s in PollState.objects.filter(endpoint="search")]
        assert sum("skipped" in r for r in results) == 4
    assert searches(server) - before == 3


def test_results_go_to_the_channel_they_mention_else_the_main_account(five_x):
    server, url, channels = five_x
    state = PollState.objects.get(channel=channels[2], endpoint="search")
    from monitoring.services import ingest_page
    from platforms.base import Page
    from tests.monitoring.scripted import item

    page = Page(items=[item(1, text="@kingsmere0 the library is shut"), item(2, text="Kingsmere bins @someone"),
                       item(3, text="cc @Kingsmere4.")], next_cursor="c1")
    ingest_page(state=state, page=page, expected_cursor=state.cursor)
    got = dict(Mention.objects.values_list("external_id", "channel_id"))
    assert got == {"1": channels[0].pk, "2": channels[2].pk, "3": channels[4].pk}


def test_the_search_moves_to_another_channel_when_the_main_one_is_disconnected(five_x):
    server, url, channels = five_x
    from monitoring.services import connection_mark_revoked

    connection_mark_revoked(connection=channels[2].connection, reason="revoked")
    assert search_channel(platform="x") == channels[0]
