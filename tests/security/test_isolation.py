"""Isolation between services, for every object type a service owns: staff of Libraries (A)
asking for Leisure's (B) objects by id, through the pages and the API, reading and changing.

For every URL: B's object and an id that does not exist give the same answer (404 where the
URL names the object), with the same body once the id itself is blanked out, and nothing in
the database changes. So guessing ids reveals nothing. Libraries' own objects open, so the
404s are about scope, not a broken URL."""
import re

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from accounts.roles import Role
from triage.views import ACTIONS

from .test_access_matrix import watch_writes

pytestmark = pytest.mark.django_db

# (object type, method, URL with {} for the id, data); API URLs send JSON.
CHECKS = [
    ("channel", "GET", "/channels/{}/", None),
    ("channel", "GET", "/channels/{}/edit/", None),
    ("channel", "POST", "/channels/{}/edit/", {"handle": "Taken", "display_name": "Taken", "platform": "x",
                                               "kind": "service"}),
    ("channel", "GET", "/channels/{}/branding/", None),
    ("channel", "POST", "/channels/{}/branding/", {"profile_image": "on", "naming": "on"}),
    ("channel", "POST", "/channels/{}/activate/", {}),
    ("channel", "POST", "/channels/{}/connect/", {}),
    ("channel", "GET", "/channels/{}/connect/app-password/", None),
    ("channel", "POST", "/channels/{}/connect/app-password/", {"handle": "x", "app_password": "y"}),
    ("channel", "GET", "/api/channels/{}/", None),
    ("channel", "PATCH", "/api/channels/{}/", {"display_name": "Taken"}),
    ("channel", "PUT", "/api/channels/{}/", {"platform": "x", "handle": "Taken", "display_name": "Taken",
                                             "service": "libraries"}),
    ("channel", "GET", "/mentions/?channel={}", None),
    ("channel", "GET", "/api/mentions/?channel={}", None),
    ("channel", "GET", "/cases/?channel={}", None),
    ("channel", "GET", "/api/cases/?channel={}", None),
    ("channel", "GET", "/api/posts/?channel={}", None),
    ("channel", "POST", "/api/posts/", lambda i: {"text": "Hello", "channels": [i], "service": "libraries"}),
    ("channel", "POST", "/posts/new/", lambda i: {"text": "Hello", "channels": [i]}),
    ("mention", "GET", "/api/mentions/{}/", None),
    ("case", "GET", "/cases/{}/", None),
    *[("case", "POST", f"/cases/{{}}/{action}/", {f"{action}-version": "1", f"{action}-note": "x",
                                                  f"{action}-text": "x", f"{action}-reason": "x"})
      for action in ACTIONS],
    ("case", "POST", "/cases/bulk/", lambda i: {"bulk-action": "close", "bulk-cases": [i]}),
    ("case", "GET", "/api/cases/{}/", None),
    *[("case", "POST", f"/api/cases/{{}}/{action}/", {"text": "x", "reason": "x", "service": "libraries",
                                                      "assignee": None, "note": "x"})
      for action in ("acknowledge", "assign", "note", "hand-over", "escalate", "reply", "close", "reopen")],
    ("post", "GET", "/posts/{}/", None),
    ("post", "GET", "/posts/{}/edit/", None),
    ("post", "POST", "/posts/{}/edit/", {"text": "Changed", "version": "1"}),
    ("post", "POST", "/posts/{}/submit/", {}),
    ("post", "POST", "/posts/{}/decide/", {"decision-decision": "approve"}),
    ("post", "POST", "/posts/{}/refer/", {}),
    ("post", "POST", "/posts/{}/monitoring-officer/", {"mo-decision": "approve"}),
    ("post", "POST", "/posts/{}/schedule/", {}),
    ("post", "POST", "/posts/{}/cancel/", {"reason": "x"}),
    ("post", "GET", "/api/posts/{}/", None),
    *[("post", "POST", f"/api/posts/{{}}/{action}/", {"comment": "x", "reason": "x"})
      for action in ("submit", "approve", "request-changes", "schedule", "cancel")],
    ("target", "POST", "/posts/{post}/channels/{}/retry/", {}),
    ("target", "POST", "/posts/{post}/channels/{}/found/", {"url": "https://x.com/a/status/1"}),
    ("campaign", "GET", "/campaigns/{}/", None),
    ("campaign", "GET", "/api/campaigns/{}/", None),
    ("campaign", "GET", "/api/posts/?campaign={}", None),
    ("campaign", "POST", "/api/posts/", lambda i: {"text": "Hello", "channels": [], "campaign": i}),
    ("account_request", "GET", "/account-requests/{}/", None),
    ("account_request", "POST", "/account-requests/{}/decide/", {"outcome": "approved"}),
    ("account_request", "GET", "/account-requests/{}/resubmit/", None),
    ("account_request", "POST", "/account-requests/{}/resubmit/", {"proposed_handle": "taken"}),
    ("account_request", "GET", "/api/account-requests/{}/", None),
    ("account_request", "POST", "/api/account-requests/{}/decide/", {"outcome": "approved"}),
    ("account_request", "POST", "/api/account-requests/{}/resubmit/", {"proposed_handle": "taken"}),
    ("report_run", "GET", "/reports/committee/{}/", None),
    ("report_run", "GET", "/reports/committee/{}/status/", None),
    ("report_run", "GET", "/reports/committee/{}/pdf/", None),
    ("report_run", "GET", "/reports/committee/{}/csv/", None),
    ("service", "GET", "/reports/?service={}", None),
    ("service", "GET", "/api/reports/growth/?service={}", None),
    ("service", "GET", "/training/services/{}/", None),
    ("person", "GET", "/training/people/{}/", None),
]

# Libraries' own objects: these open for its head of service and service editor.
OWN = [("channel", "/channels/{}/"), ("channel", "/api/channels/{}/"), ("mention", "/api/mentions/{}/"),
       ("case", "/cases/{}/"), ("case", "/api/cases/{}/"), ("post", "/posts/{}/"), ("post", "/api/posts/{}/"),
       ("campaign", "/campaigns/{}/"), ("campaign", "/api/campaigns/{}/"),
       ("account_request", "/account-requests/{}/"), ("account_request", "/api/account-requests/{}/"),
       ("report_run", "/reports/committee/{}/"), ("report_run", "/reports/committee/{}/pdf/"),
       ("service", "/api/reports/growth/?service={}"), ("person", "/training/people/{}/")]

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"|(csrftoken=)[^;]+')


def ident(side, kind, world):
    """The id (or slug) by which a URL names this side's object of this type."""
    if kind == "target":
        return side.post.targets.get().pk
    if kind == "service":
        return side.service.slug
    if kind == "person":
        return side.post.author_id
    return getattr(side, kind).pk


def missing(value):
    """An id, or slug, that nothing has."""
    return "no-such-service" if isinstance(value, str) else value + 100_000


def ask(client, method, template, data, ident_value, world):
    url = template.replace("{post}", str(world.a.post.pk)).replace("{}", str(ident_value))
    if callable(data):
        data = data(ident_value)
    if url.startswith("/api/") and method != "GET":
        response = client.generic(method, url, __import__("json").dumps(data or {}),
                                  content_type="application/json")
    elif method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data or {})
    followed = client.get(response["Location"]) if response.status_code == 302 else None
    return url, response, followed


def shown(response, ident_value) -> str:
    """What the answer says, with the id asked for and the per-request CSRF token blanked out."""
    if response is None:
        return ""
    body = response.content.decode(errors="replace") if not response.streaming else ""
    body = CSRF.sub(lambda m: (m.group(1) or m.group(2)) + "…", body)
    return re.sub(rf"(?<![0-9a-z-]){re.escape(str(ident_value))}(?![0-9a-z-])", "ID", body)


def difference(theirs, none) -> str:
    import difflib

    lines = [line for a, b in zip(theirs[1:], none[1:], strict=True) for line in difflib.unified_diff(
        a.splitlines(), b.splitlines(), lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    return ("\n    " + "\n    ".join(lines[:6])) if lines else ""


@pytest.fixture
def done_runs(world, settings, tmp_path):
    """Both services' committee reports are ready to download."""
    settings.MEDIA_ROOT = tmp_path
    for side in (world.a, world.b):
        run = side.report_run
        run.state = run.State.DONE
        run.pdf.save("report.pdf", ContentFile(b"%PDF-1.4 report"), save=False)
        run.csv.save("report.csv", ContentFile(b"figure,value\n"), save=False)
        run.save()


@pytest.mark.parametrize("role", [Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR, Role.CUSTOMER_SERVICES])
def test_another_services_objects_are_not_found_like_ids_that_do_not_exist(role, world, done_runs, staff,
                                                                            client_for):
    client = client_for(staff[role])
    wrong = []
    for kind, method, template, data in CHECKS:
        theirs = ident(world.b, kind, world)
        answers = []
        for value in (theirs, missing(theirs)):
            with transaction.atomic():
                with watch_writes() as written:
                    url, response, followed = ask(client, method, template, data, value, world)
                transaction.set_rollback(True)
            if written:
                wrong.append(f"{method} {url}: the database changed ({', '.join(sorted(written))})")
            answers.append((response.status_code, shown(response, value),
                            response.get("Location", "").replace(str(value), "ID"), shown(followed, value)))
        label = f"{method} {template.replace('{}', str(theirs))}"
        if answers[0] != answers[1]:
            wrong.append(f"{label}: answered {answers[0][0]} for Leisure's {kind}, {answers[1][0]} for an id "
                         "that does not exist" + difference(answers[0], answers[1]))
        elif "{}/" in template and "?" not in template and answers[0][0] not in (403, 404):
            wrong.append(f"{label}: {answers[0][0]}, not refused")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", [Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR])
def test_own_services_objects_open(role, world, done_runs, staff, client_for):
    client = client_for(staff[role])
    for kind, template in OWN:
        url = template.format(ident(world.a, kind, world))
        assert client.get(url).status_code == 200, url


LISTS = ["/channels/", "/mentions/", "/cases/?status=all", "/dashboard/", "/foi/?status=all", "/posts/?list=all",
         "/account-requests/", "/calendar/", "/reports/", "/api/channels/", "/api/mentions/", "/api/cases/?status=all",
         "/api/posts/", "/api/campaigns/", "/api/account-requests/"]


def traces(side) -> list[str]:
    """Text by which a page would show this side's objects."""
    return [side.channel.handle, side.mention.text, side.post.text, side.campaign.name,
            side.account_request.proposed_handle]


@pytest.mark.parametrize("role", [Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR])
def test_lists_show_nothing_of_another_service(role, world, staff, client_for):
    client = client_for(staff[role])
    seen_own = set()
    for url in LISTS:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        leaked = [text for text in traces(world.b) if text in body]
        assert not leaked, f"{url} shows Leisure's {leaked}"
        seen_own |= {text for text in traces(world.a) if text in body}
    assert seen_own == set(traces(world.a))  # the lists do show Libraries' own
