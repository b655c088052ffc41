"""Secrets and hardening.

Platform tokens: connected through the real OAuth flow against the platform simulator, polled
and refreshed through the real clients, with every logger at DEBUG: no token, refresh token or
app secret in any log record, and none in the database's own bytes, the audit trail, the pages,
admin or the API. Then the headers every page carries (a strict Content-Security-Policy without
'unsafe-inline'), and sign-in throttling at the configured limit.

Elsewhere, not repeated here: `check --deploy` with the production settings (secure cookies,
HSTS, SSL redirect) in tests/accounts/test_demo_and_settings.py; multi-factor sign-in in
tests/accounts/test_mfa.py and single sign-on against a local OpenID Connect provider in
tests/accounts/test_oidc.py."""
import copy
import logging
import logging.config
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Channel, ChannelConnection
from accounts.roles import Role
from accounts.services import channel_connection_store
from monitoring.models import PollState
from monitoring.services import poll_run, poll_states_sync, refresh_connection
from platforms.simulator.server import run_in_thread

from .matrix import ANON, ENTRIES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=11)
    yield server, url
    server.shutdown()


@pytest.fixture
def simulator(sim, settings):
    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    settings.SITE_URL = "http://testserver"
    return url


@pytest.fixture
def debug_logging(settings, caplog):
    """The project's logging as configured with LOG_LEVEL=DEBUG, every record captured."""
    configured = copy.deepcopy(settings.LOGGING)
    configured["root"]["level"] = "DEBUG"
    logging.config.dictConfig(configured)
    caplog.set_level(logging.DEBUG)
    yield caplog
    logging.config.dictConfig(settings.LOGGING)


def logged(caplog) -> str:
    """Everything Council Social's side logged; the simulator's own request log stands for the
    platforms' servers, and is left out."""
    return "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
                     if not r.name.startswith("platforms.simulator"))


def connect_through_oauth(client, channel) -> None:
    """The web team's connect button, the platform's consent (approved), and the callback."""
    response = client.post(f"/channels/{channel.pk}/connect/")
    assert response.status_code == 302
    consent = requests.get(response["Location"] + "&auto_approve=1", allow_redirects=False, timeout=30)
    assert consent.status_code in (302, 303), consent.text
    back = urlsplit(consent.headers["Location"])
    assert back.path == "/channels/oauth/callback/"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    response = client.get("/channels/oauth/callback/", query)
    assert response.status_code == 302 and response["Location"] == channel.get_absolute_url()


def test_tokens_are_never_logged_stored_in_clear_or_shown(simulator, debug_logging, staff, services, client_for):
    accounts = requests.get(f"{simulator}/_sim/accounts", timeout=30).json()
    web = client_for(staff[Role.WEB_TEAM])
    x = Channel.objects.create(platform="x", handle=accounts["x"]["handle"], display_name="Kingsmere",
                               service=services["communications"], kind="corporate")
    connect_through_oauth(web, x)
    first = ChannelConnection.objects.get(channel=x)
    assert first.access_token and first.refresh_token and first.is_connected
    # Facebook's Graph API takes the token in the query string of every request.
    facebook = Channel.objects.create(platform="facebook", handle=accounts["facebook"]["handle"],
                                      display_name="Kingsmere", service=services["communications"], kind="corporate")
    channel_connection_store(actor=staff[Role.WEB_TEAM], channel=facebook,
                             account_id=accounts["facebook"]["account_id"],
                             access_token=accounts["facebook"]["demo_token"])
    poll_states_sync(channel=facebook)
    polls = [poll_run(state_id=state.pk) for state in PollState.objects.filter(enabled=True)]
    assert polls and not [p for p in polls if "error" in p], polls
    assert refresh_connection(connection=first)
    second = ChannelConnection.objects.get(channel=x)
    assert second.access_token != first.access_token

    secrets = {first.access_token, first.refresh_token, second.access_token, second.refresh_token,
               accounts["facebook"]["demo_token"], "simulator-secret"} - {""}
    assert len(secrets) >= 5
    records = logged(debug_logging)
    assert not [s for s in secrets if s in records], "a secret was logged"

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token, extra FROM accounts_channelconnection")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert not [s for s in secrets if s in stored], "a token is stored in clear"
    assert stored.count("gAAAA") >= 3  # Fernet tokens

    audit = " ".join(f"{e.changes} {e.note} {e.object_repr}" for e in AuditEvent.objects.all())
    # Both connections by the web team, and the refresh by the system, are on the audit trail.
    assert sorted(AuditEvent.objects.filter(action="channel.connect").values_list("actor_name", flat=True)) == [
        "Web", "Web", "system"]
    pages = [web.get(url) for url in (f"/channels/{x.pk}/", f"/channels/{facebook.pk}/", "/channels/", "/audit/",
                                      f"/housekeeping/channels/{x.pk}/")]
    pages.append(web.get("/audit/?format=csv"))
    admin = client_for(staff[Role.ADMINISTRATOR])
    pages += [admin.get(url) for url in (f"/admin/accounts/channel/{x.pk}/change/", "/admin/accounts/channel/",
                                         f"/admin/accounts/channel/{x.pk}/history/")]
    api = APIClient()
    api.force_authenticate(staff[Role.WEB_TEAM])
    pages += [api.get("/api/channels/"), api.get(f"/api/channels/{x.pk}/")]
    shown = audit + " ".join(
        b"".join(p.streaming_content).decode() if p.streaming else p.content.decode() for p in pages)
    assert all(p.status_code == 200 for p in pages)
    assert not [s for s in secrets if s in shown], "a token is shown"


def test_without_the_guards_urllib3_would_log_the_token(simulator, debug_logging, staff, services):
    """The control for the test above: the project's logging keeps urllib3 at INFO because at
    DEBUG it logs every URL, Facebook's tokens in their query strings included."""
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    accounts = requests.get(f"{simulator}/_sim/accounts", timeout=30).json()
    facebook = Channel.objects.create(platform="facebook", handle=accounts["facebook"]["handle"],
                                      display_name="Kingsmere", service=services["communications"], kind="corporate")
    channel_connection_store(actor=None, channel=facebook, account_id=accounts["facebook"]["account_id"],
                             access_token=accounts["facebook"]["demo_token"])
    poll_states_sync(channel=facebook)
    for state in PollState.objects.filter(enabled=True):
        poll_run(state_id=state.pk)
    assert accounts["facebook"]["demo_token"] in logged(debug_logging)


# --- headers on every page ---------------------------------------------------------------------

STRICT = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "object-src": "'none'",
          "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'"}


def csp(response) -> dict:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("role", [Role.WEB_TEAM, ANON])
def test_every_page_has_a_strict_content_security_policy(role, world, staff, client_for):
    """Every page of the access matrix that answers (any status), as the web team and as
    someone not signed in: the policy allows our own scripts and styles only."""
    from django.test import Client

    from .test_access_matrix import run

    client = client_for(staff[role]) if role != ANON else Client()
    wrong = []
    for entry in ENTRIES:
        if entry.method != "GET":
            continue
        _, _, response = run(client, entry, world)
        policy = csp(response)
        if "unsafe-inline" in response.get("Content-Security-Policy", "") or any(
                policy.get(k) != v for k, v in STRICT.items()):
            wrong.append(f"{entry.url(world)} ({response.status_code}): {response.get('Content-Security-Policy')}")
        if response.get("X-Frame-Options") != "DENY" or response.get("X-Content-Type-Options") != "nosniff":
            wrong.append(f"{entry.url(world)}: framing or sniffing allowed")
        if response.get("Referrer-Policy") != "same-origin":
            wrong.append(f"{entry.url(world)}: referrer policy {response.get('Referrer-Policy')}")
    assert not wrong, "\n".join(wrong)


def test_the_session_cookie_is_not_readable_by_scripts(staff, client):
    response = client.post("/sign-in/", {"username": "editor", "password": "correct-horse-battery-staple"})
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


# --- sign-in throttling ----------------------------------------------------------------------------

@pytest.mark.parametrize("limit", [3, 5])
def test_sign_in_is_locked_after_the_configured_number_of_failures(limit, settings, staff, client):
    """AXES_FAILURE_LIMIT failures lock the username from that address: even the right password
    is then refused, with the lock-out page. The same username from another address, and
    another username from this one, are not locked."""
    settings.AXES_FAILURE_LIMIT = limit
    here = {"REMOTE_ADDR": "198.51.100.7"}
    for attempt in range(limit - 1):
        response = client.post("/sign-in/", {"username": "editor", "password": f"wrong-{attempt}"}, **here)
        assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()
    response = client.post("/sign-in/", {"username": "editor", "password": "wrong-last"}, **here)
    assert response.status_code == 429
    locked = client.post("/sign-in/", {"username": "editor", "password": "correct-horse-battery-staple"}, **here)
    assert locked.status_code == 429 and "Too many sign-in attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    admin_site = client.post("/admin/login/", {"username": "editor", "password": "correct-horse-battery-staple"},
                             **here)
    assert admin_site.status_code == 429  # admin's own sign-in page is throttled the same way
    elsewhere = client.post("/sign-in/", {"username": "editor", "password": "correct-horse-battery-staple"},
                            REMOTE_ADDR="203.0.113.9")
    assert elsewhere.status_code == 302
    client.logout()
    other = client.post("/sign-in/", {"username": "head", "password": "correct-horse-battery-staple"}, **here)
    assert other.status_code == 302
