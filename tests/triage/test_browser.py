"""In a real browser (Playwright with Debian's Chromium): a post injected into the platform
simulator while the dashboard is open appears on it without a reload, is announced in the
live region, and the page breaks no rule of the Content-Security-Policy."""
import os
import shutil

import pytest

from accounts.models import Channel
from accounts.roles import Role
from accounts.services import channel_connection_store
from monitoring.models import PollState
from monitoring.services import poll_run, poll_states_sync
from triage.models import Case

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Under CI a missing Chromium fails the test (as in tests/browser) instead of skipping it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI", "").lower() != "true",
                                 reason="needs Chromium")]


@pytest.fixture
def simulator(settings):
    from platforms.simulator.server import run_in_thread

    server, base_url = run_in_thread(port=0, seed=11)
    settings.SIMULATOR_URL = base_url
    settings.USE_SIMULATOR = True
    yield base_url
    server.shutdown()


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections

    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()
        # Django keeps a connection per context, and the test's queries ran in Playwright's: close
        # it here, or it is still open when the test database is dropped.
        connections.close_all()


def test_an_injected_post_appears_on_the_open_dashboard(simulator, browser, live_server, services, staff,
                                                        client_for):
    import json
    import urllib.request

    from triage.demo import load_demo_triage

    load_demo_triage()  # a transactional test starts from empty tables, without the migrations' rules
    channel = Channel.objects.create(platform="x", handle="@KingsmereBC", display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=channel, account_id="1300000000000000001", access_token="demo-x")
    poll_states_sync(channel=channel)
    state = PollState.objects.get(channel=channel, endpoint="mentions")
    poll_run(state_id=state.pk)

    session = client_for(staff[Role.WEB_TEAM]).cookies["sessionid"].value
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    problems, navigations = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.goto(f"{live_server.url}/cases/?route=customer_service")
    assert page.title().startswith("Cases")
    opened = len(navigations)

    request = urllib.request.Request(f"{simulator}/_sim/inject", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({
            "platform": "x", "text": "@KingsmereBC our recycling wasn't collected again, can you sort it please?",
            "author": {"handle": "harbour_hal", "followers": 75}}).encode())
    urllib.request.urlopen(request, timeout=10).read()
    assert poll_run(state_id=state.pk)["created"] == 1
    case = Case.objects.get(mention__author__handle__icontains="harbour_hal")

    page.wait_for_selector(f"#case-row-{case.pk}", timeout=15_000)
    assert "our recycling wasn't collected again" in page.inner_text(f"#case-row-{case.pk}")
    assert "1 new case: Customer services, high priority." in page.inner_text("#case-announcer")
    assert len(navigations) == opened, "the page was not reloaded"
    assert not problems, problems

    # The new row works like the others: tick it and acknowledge it with the keyboard.
    page.focus(f"#pick-{case.pk}")
    page.keyboard.press("Space")
    page.select_option("#id_bulk-action", "acknowledge")
    page.focus("#bulk-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=1 case acknowledged.")
    case.refresh_from_db()
    assert case.state == "acknowledged"
    context.close()
