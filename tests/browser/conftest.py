"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, a live server loaded
with the demo council and its mentions from the platform simulator, and pages whose every visit
is checked (tests/browser/harness.py).

Without Chromium these tests are skipped on a developer's machine and fail under CI (CI=true):
scripts/setup_test_browser.py installs it from Debian when it runs as root."""
import io
import os

import pytest
from django.core.management import call_command

from tests.browser.harness import CHROMIUM, VIEWPORT, Checked


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: under CI the browser tests must run (scripts/setup_test_browser.py installs "
                    f"Chromium from Debian)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module. Playwright's sync API keeps an event loop in this thread,
    which Django would take for async code: the ORM calls of these tests are synchronous, so
    that check is off while the browser runs, and back on for the modules after."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed")
    if CHROMIUM is None:
        _missing("Chromium is not installed (apt-get install chromium)")
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def simulator(settings):
    from platforms.simulator.server import run_in_thread

    server, base_url = run_in_thread(port=0, seed=7, backlog=6)
    settings.SIMULATOR_URL = base_url
    settings.USE_SIMULATOR = True
    # The web sources (feeds and pages) are fetched from the simulator on its own port.
    settings.FETCH_ALLOWED_HOSTS = settings.FETCH_ALLOWED_HOSTS | {base_url.split("://", 1)[1]}
    yield server
    server.shutdown()


@pytest.fixture
def demo(simulator, transactional_db, settings, tmp_path):
    """The demo council (`manage.py demo_council`), its channels connected to the simulator."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("demo_council", stdout=io.StringIO())
    return simulator


@pytest.fixture
def demo_mentions(demo):
    """The demo council after one poll of every channel's endpoints on the simulator: the queues
    hold the simulator's mentions, routed by the matrix."""
    from monitoring.models import PollState
    from monitoring.services import poll_run

    for state in PollState.objects.order_by("pk"):
        poll_run(state_id=state.pk)
    return demo


@pytest.fixture
def browser_page(chromium, live_server):
    """open() → a new browser (its own cookies) with a checked page on the live server. At the
    end, every page each one visited must have been checked."""
    opened = []

    def open_page(**context_options) -> Checked:
        options = {"viewport": VIEWPORT, "locale": "en-GB", "timezone_id": "Europe/London", **context_options}
        context = chromium.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        checked = Checked.open(context, live_server.url)
        opened.append((context, checked))
        return checked

    yield open_page
    failures = []
    for context, checked in opened:
        try:
            checked.finish()
        except AssertionError as exc:
            failures.append(str(exc))
        context.close()
    assert not failures, failures


@pytest.fixture
def sim_control(demo):
    """sim_control(path, body=None) → the simulator's control API (/_sim/...), as JSON."""
    import json
    import urllib.request

    base_url = demo.base_url

    def control(path: str, body: dict | None = None):
        request = urllib.request.Request(
            f"{base_url}/_sim/{path}", method="POST" if body is not None else "GET",
            data=json.dumps(body).encode() if body is not None else None, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    return control


@pytest.fixture
def signed_in(demo, browser_page):
    """signed_in(username) → a checked page signed in through the real sign-in pages as that demo
    user (the web team and administrators set up their authenticator app on the way)."""
    from accounts.demo import STAFF
    from tests.browser.harness import sign_in

    passwords = {username: password for username, *_, password in STAFF}

    def open_signed_in(username: str, **context_options) -> Checked:
        checked = browser_page(**context_options)
        checked.learnt = sign_in(checked, username, passwords[username])
        return checked

    return open_signed_in
