"""Against the platform simulator: a post injected while the dashboard is open appears on it
through the live fragment the page polls, and a reply from the case page is posted to the
simulator with its id on the timeline."""
import json
import re
import urllib.request

import pytest

from accounts.models import Channel
from accounts.roles import Role
from accounts.services import channel_connection_store
from monitoring.models import Mention, PollState
from monitoring.services import poll_run, poll_states_sync
from triage.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

X_ACCOUNT = "1300000000000000001"  # the simulator's demo council account on X


@pytest.fixture(scope="module")
def simulator():
    from platforms.simulator.server import run_in_thread

    server, base_url = run_in_thread(port=0, seed=7)
    yield server, base_url
    server.shutdown()


@pytest.fixture
def sim(simulator, settings):
    server, base_url = simulator
    server.reset(7)
    settings.SIMULATOR_URL = base_url
    settings.USE_SIMULATOR = True
    return base_url


def control(base_url, path, body=None):
    request = urllib.request.Request(f"{base_url}/_sim/{path}", method="POST" if body is not None else "GET",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def council_x(sim, services):
    channel = Channel.objects.create(platform="x", handle="@KingsmereBC", display_name="Kingsmere Borough Council",
                                     service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=channel, account_id=X_ACCOUNT, access_token="demo-x")
    poll_states_sync(channel=channel)
    return channel


def poll(channel):
    state = PollState.objects.get(channel=channel, endpoint="mentions")
    return poll_run(state_id=state.pk)


def test_an_injected_post_appears_on_the_open_dashboard_without_a_reload(sim, council_x, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    poll(council_x)  # whatever the simulator already holds
    page = client.get("/cases/?route=customer_service").content.decode()
    updates_url = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert 'hx-trigger="every 5s"' in page and 'aria-live="polite"' in page

    before = client.get(updates_url, HTTP_HX_REQUEST="true").content.decode()
    assert "case-row-" not in before

    control(sim, "inject", {"platform": "x", "text": "@KingsmereBC my bin wasn't collected on Forty Lane again, "
                                                      "can you sort it please?",
                            "author": {"handle": "forty_lane_fran", "followers": 90}})
    assert poll(council_x)["created"] == 1

    fragment = client.get(updates_url, HTTP_HX_REQUEST="true").content.decode()
    case = Case.objects.get(mention__author__handle__icontains="forty_lane_fran")
    assert f'id="case-row-{case.pk}"' in fragment and "Forty Lane" in fragment
    assert 'hx-swap-oob="afterbegin:#case-rows"' in fragment
    assert "1 new case: Customer services, high priority." in fragment
    # The next poll starts after this case: nothing is added twice.
    next_url = re.search(r'hx-get="([^"]+)"', fragment).group(1).replace("&amp;", "&")
    assert "case-row-" not in client.get(next_url, HTTP_HX_REQUEST="true").content.decode()


def test_a_reply_from_the_case_page_is_posted_and_its_id_is_on_the_timeline(sim, council_x, staff, client_for):
    control(sim, "inject", {"platform": "x", "text": "@KingsmereBC what are the opening times for Kilburn library "
                                                      "on Saturday?", "author": {"handle": "reader_rav"}})
    poll(council_x)
    mention = Mention.objects.get(author__handle__icontains="reader_rav")
    case = Case.objects.get(mention=mention)
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post(f"/cases/{case.pk}/reply/", {
        "reply-version": case.version,
        "reply-text": "Hi, Kilburn library is open 10:00 to 16:00 on Saturdays: "
                      "https://www.demo-council.example/libraries/opening-hours"})
    assert response.status_code == 302

    created = control(sim, "created?platform=x&action=reply")["created"]
    posted = [c for c in created if c["text"].startswith("Hi, Kilburn library is open")]
    assert len(posted) == 1 and posted[0]["in_reply_to"] == mention.external_id
    event = CaseEvent.objects.get(case=case, kind="reply")
    assert event.external_id == posted[0]["id"] and event.actor == staff[Role.WEB_TEAM]
    case.refresh_from_db()
    assert case.state == "responded" and case.first_response_at is not None
    page = client.get(case.get_absolute_url()).content.decode()
    assert f"Posted as {event.external_id}" in page


def test_a_reply_the_checks_block_is_not_posted(sim, council_x, staff, client_for):
    control(sim, "inject", {"platform": "x", "text": "@KingsmereBC can you sort out the pothole on Station Road "
                                                      "please?", "author": {"handle": "driver_dee"}})
    poll(council_x)
    case = Case.objects.get(mention__author__handle__icontains="driver_dee")
    response = client_for(staff[Role.WEB_TEAM]).post(f"/cases/{case.pk}/reply/", {
        "reply-version": case.version, "reply-text": "x" * 400})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not CaseEvent.objects.filter(case=case, kind="reply").exists()
    assert control(sim, "created?platform=x&action=reply")["created"] == []
