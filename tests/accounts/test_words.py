"""Words, not internals: codes become words in one place (council_social.words), and no page of
the demo shows a role code, a Python dictionary or an audit event code to any role."""
import html
import io
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts import mfa
from accounts.demo import STAFF
from council_social import words

ROLE_CODES = re.compile(r"\b(web_team|communications_officer|head_of_service|service_editor|customer_services|"
                        r"monitoring_officer|leading_members)\b")
DICT_SYNTAX = re.compile(r"\{'[^']*':|\{\"[^\"]*\": |': (True|False|None|\[|\{|')")
AUDIT_CODE = re.compile(r"\b(" + "|".join(words.NOUNS) + r")\.[a-z_]+\b")
MICROSECONDS = re.compile(r"\d\d:\d\d:\d\d(\.\d{3,6})?([+-]\d\d:\d\d)")
SKIP = ("/accounts/logout", "/admin/", "/api/", "/static/", "/media/", "/oidc/")


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def problems_in(text: str, url: str = "") -> list[str]:
    found = []
    checks = [("role code", ROLE_CODES), ("audit code", AUDIT_CODE), ("microseconds", MICROSECONDS)]
    if not re.match(r"^/rules/(add|\d+)/", url):  # the rule editor's field is JSON, by design
        checks.append(("dictionary", DICT_SYNTAX))
    for name, pattern in checks:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 60)
            found.append(f"{name}: …{text[start:match.end() + 40]!r}…")
    return found


def test_codes_become_words():
    assert words.in_words("communications_officer") == "Communications officer"
    assert words.in_words("comms_escalation", "route") == "Communications escalation"
    assert words.in_words("channel.needs_reauth", "audit") == "Channel needs re-authorising"
    assert words.in_words("widget.frobnicated", "audit") == "Widget frobnicated"
    assert words.in_words(["web_team", "head_of_service"], "notify") == "Web team and Head of the service"
    assert words.when("2026-12-06T01:49:13.123456+00:00") == "6 Dec 2026, 01:49"


def test_a_rule_reads_as_a_sentence():
    from triage.matrix import describe_conditions

    assert describe_conditions({"foi": True}) == "When the mention is a Freedom of Information request"
    assert describe_conditions({"influential": True, "criticality_in": ["high", "critical"]}) == (
        "When the mention is by an influential author and is of high or critical criticality")
    assert describe_conditions({}) == "Every mention"


@pytest.mark.django_db
def test_account_request_history_names_people(make_user, services):
    from accounts.models import AuditEvent

    head = make_user("ann", None, services["libraries"])
    event = AuditEvent(action="account_request.submit", object_type="accounts.accountrequest",
                       changes={"service": [None, services["libraries"].pk], "requester": [None, head.pk],
                                "submitted_at": [None, "2026-12-06T01:49:13.123456+00:00"]})
    lines = words.changes_in_words(event.changes, event.object_type)
    assert lines[0] == "Service: Libraries"
    assert lines[1] == f"Requested by: {head}"
    assert lines[2] == "Sent: 6 Dec 2026, 01:49"


@pytest.fixture
def demo_with_work(simulator, transactional_db, settings, tmp_path):
    """The demo council after one poll of the simulator, with a case escalated and handed over,
    a post sent for approval and a request for an account, so every page has something on it."""
    from monitoring.models import PollState
    from monitoring.services import poll_run

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("demo_council", stdout=io.StringIO())
    for state in PollState.objects.order_by("pk"):
        poll_run(state_id=state.pk)


@pytest.fixture
def simulator(settings):
    from platforms.simulator.server import run_in_thread

    server, base_url = run_in_thread(port=0, seed=7, backlog=4)
    settings.SIMULATOR_URL = base_url
    settings.USE_SIMULATOR = True
    yield server
    server.shutdown()


def crawl(client: Client, limit: int = 120) -> dict[str, str]:
    """GET every page reachable from home by links, one of each path (the first query seen)."""
    seen_paths, pages = set(), {}
    queue = deque(["/"])
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        pages[url] = body
        for href in re.findall(r'href="([^"]+)"', body):
            href = urldefrag(html.unescape(href))[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            key = re.sub(r"\d+", "N", parts.path)
            if key in seen_paths:
                continue
            seen_paths.add(key)
            queue.append(href)
    return pages


def test_no_page_of_any_role_shows_a_code(demo_with_work):
    from accounts.models import User

    failures = []
    for username, *_ in STAFF:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        session = client.session
        session[mfa.SESSION_KEY] = {"user": user.pk, "method": "test"}
        session.save()
        pages = crawl(client)
        assert len(pages) > 3, username
        for url, body in pages.items():
            failures += [f"{username} {url} {p}" for p in problems_in(visible_text(body), url)]
    assert not failures, "\n".join(failures[:60])


@pytest.mark.django_db
def test_the_demo_council_lets_communications_officers_approve_service_posts(settings):
    from accounts.models import Channel, User
    from publishing.selectors import may_approve_channel

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("demo_council", stdout=io.StringIO())
    comms = User.objects.get(username="comms")
    for channel in Channel.objects.exclude(kind=Channel.Kind.CORPORATE):
        assert may_approve_channel(comms, channel), channel


def test_demo_authors_link_to_the_simulator_not_real_sites(settings):
    settings.USE_SIMULATOR, settings.SIMULATOR_URL = True, "http://127.0.0.1:8700"
    assert words.platform_link("https://x.com/JWatsonKM/status/12") == "http://127.0.0.1:8700/_web/x.com/JWatsonKM/status/12"
    assert words.platform_link("https://www.kingsmere.gov.uk/bins") == "https://www.kingsmere.gov.uk/bins"
    settings.USE_SIMULATOR = False
    assert words.platform_link("https://x.com/JWatsonKM") == "https://x.com/JWatsonKM"


def test_the_simulator_serves_a_stand_in_for_a_platform_page():
    from platforms.simulator.server import web_page

    page = web_page("x.com/<b>JWatsonKM</b>")
    assert page.status == 200 and b"Simulated page" in page.body and b"<b>" not in page.body
