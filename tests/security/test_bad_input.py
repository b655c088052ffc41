"""Bad input, to every form and API write: a clear message, and nothing changes (no row
written, so no audit row either). And hostile addresses (null characters, ids that are not
numbers, impossible dates) are answered, never a server error."""
import html
import json
import re
from http.cookies import SimpleCookie

import pytest
from django.db import transaction

from accounts.models import AuditEvent
from accounts.roles import Role

from .test_access_matrix import net_changes

pytestmark = pytest.mark.django_db

WEB, COMMS, HEAD, EDITOR = Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR
CLLR = Role.COUNCILLOR


def case_a(w):
    return w.a.case


# (who, method, URL (or a function of the world), data (or a function of the world), status, what it says)
# Pages answer a form with errors (200 or 400) with the message, an error summary and a title that
# starts "Error:"; or, for a button on another page, redirect back with the message ("kept" below).
FORMS = [
    (WEB, "POST", "/channels/add/", lambda w: {"platform": "x", "handle": "@libs", "display_name": "Dup",
                                               "service": w.a.service.pk, "kind": "service", "status": "active"},
     200, "already has a channel with this handle"),
    (WEB, "POST", "/channels/add/", lambda w: {"platform": "myspace", "handle": "x", "display_name": "x",
                                               "service": w.a.service.pk, "kind": "service", "status": "active"},
     200, "from the list"),
    (WEB, "POST", "/channels/add/", lambda w: {"platform": "x", "handle": "", "display_name": "x",
                                               "service": w.a.service.pk, "kind": "service", "status": "active"},
     200, "Enter "),
    (EDITOR, "POST", lambda w: f"/channels/{w.a.channel.pk}/edit/",
     lambda w: {"platform": "x", "handle": "@Libs", "display_name": "L", "service": w.a.service.pk,
                "kind": "service", "url": "not a web address"}, 200, "like https://www.example.com"),
    (EDITOR, "POST", "/account-requests/new/", {"platform": "instagram", "kind": "service"}, 200,
     "Enter "),
    (EDITOR, "POST", "/account-requests/new/", lambda w: {
        "platform": "x", "kind": "service", "proposed_handle": "@Libs", "proposed_display_name": "L",
        "audience": "a", "objectives": "o", "why_own_account": "w", "content_commitment": "c", "out_of_hours": "o",
        "monitors": [w.a.post.author_id]}, 200, "already has a channel with this name"),
    (HEAD, "POST", lambda w: f"/account-requests/{w.a.account_request.pk}/decide/", {"outcome": "refused"}, 200,
     "Give your reasons"),
    (WEB, "POST", lambda w: f"/housekeeping/channels/{w.b.channel.pk}/status/", {"to_status": "closing"}, 200,
     "Choose the new status"),
    (WEB, "POST", lambda w: f"/housekeeping/channels/{w.b.channel.pk}/status/",
     {"status-to_status": "closing", "status-reason": " "}, 200, "Say why the channel should close"),
    (WEB, "POST", lambda w: f"/housekeeping/channels/{w.b.channel.pk}/reassign/", {"reassign-service": ""}, 200,
     "Choose the service that will own the channel"),
    (WEB, "POST", lambda w: f"/cases/{case_a(w).pk}/note/", {"note-text": "  "}, 400, "Write the note"),
    (WEB, "POST", lambda w: f"/cases/{case_a(w).pk}/reply/", {"reply-version": "1", "reply-text": ""}, 400,
     "Write the reply"),
    (WEB, "POST", lambda w: f"/cases/{case_a(w).pk}/escalate/", {"escalate-version": "1", "escalate-reason": ""},
     400, "Say why the case needs communications"),
    (WEB, "POST", lambda w: f"/cases/{case_a(w).pk}/assign/", {"assign-version": "7", "assign-assignee": ""}, 409,
     "Someone else changed this case"),
    (WEB, "POST", lambda w: f"/cases/{case_a(w).pk}/hand-over/", {"hand-over-version": "1",
                                                                   "hand-over-service": "999999"},
     400, "from the list"),
    (WEB, "POST", lambda w: f"/cases/{w.foi_case.pk}/foi-validate/", {"foi-validate-requester": ""}, 400,
     "Enter "),
    (WEB, "POST", "/cases/bulk/", lambda w: {"bulk-action": "assign", "bulk-cases": [case_a(w).pk]}, "kept",
     "Choose who to assign the cases to"),
    (WEB, "POST", "/rules/add/", {"name": "Bad", "order": "5", "route": "no_action", "priority": "normal",
                                  "conditions": "{not json"}, 400, "JSON"),
    (WEB, "POST", "/rules/add/", {"name": "Bad", "order": "5", "route": "no_action", "priority": "normal",
                                  "conditions": '{"colour": "red"}'}, 400, "Unknown condition"),
    (WEB, "POST", "/rules/add/", {"name": "Bad", "order": "5", "route": "no_action", "priority": "normal",
                                  "conditions": '{"keywords_any": ["a\\u0000b"]}'}, 400, "null character"),
    (WEB, "POST", "/rules/replies/add/", {"title": "", "text": "See", "url": "not a url"}, 400,
     "Enter "),
    (EDITOR, "POST", "/posts/new/", lambda w: {"text": "", "channels": [w.a.channel.pk]}, 200,
     "Enter "),
    (EDITOR, "POST", "/posts/new/", {"text": "Hello"}, 200, "Choose at least one channel"),
    (EDITOR, "POST", "/posts/new/", lambda w: {"text": "Hello", "channels": [w.a.channel.pk],
                                               "image_1_url": "https://www.kingsmere.example/a.png"}, 200,
     "Enter alt text for image 1"),
    (EDITOR, "POST", "/posts/new/", lambda w: {"text": "Hello", "channels": [w.b.channel.pk]}, 200,
     "from the list"),
    # (A submitted post can be changed by its author, which sends it back: a stale save cannot.)
    (EDITOR, "POST", lambda w: f"/posts/{w.a.post.pk}/edit/", lambda w: {
        "text": "Changed", "channels": [w.a.channel.pk], "version": "7"}, 200,
     "Someone else changed this post"),
    (EDITOR, "POST", lambda w: f"/posts/{w.draft.pk}/edit/", lambda w: {
        "text": "Changed", "channels": [w.a.channel.pk], "version": "99"}, 200, "Someone else changed this post"),
    (HEAD, "POST", lambda w: f"/posts/{w.a.post.pk}/decide/", {"decision-decision": "request_changes"}, "kept",
     "Say what needs to change"),
    (HEAD, "POST", "/campaigns/new/", lambda w: {"name": "Backwards", "service": w.a.service.pk,
                                                 "start_date": "2030-06-10", "end_date": "2030-06-01"}, 200,
     "must end on or after"),
    (COMMS, "POST", "/emergency/", {"reason": "", "message": ""}, 200, "Give the reason for the pause"),
    (WEB, "POST", "/policies/social-media-policy/versions/new/", {"body": "", "change_type": "committee"}, 200,
     "Enter the text of the document"),
    (CLLR, "POST", "/policies/members-policy/acknowledge/", {"version": "1"}, 200,
     "Tick the box to confirm you have read it"),
    (HEAD, "POST", "/training/record/", lambda w: {"user": w.a.post.author_id, "module": w.module.pk,
                                                   "completed_on": "2999-01-01"}, 200, "cannot be in the future"),
    (WEB, "POST", lambda w: f"/authors/{w.a.author.pk}/erase/", {"reference": ""}, 400, "Enter "),
    (EDITOR, "POST", "/reports/committee/", {"start": "2026-05-01", "end": "2026-04-01"}, "kept",
     "The report's period was not understood"),
    (None, "POST", "/alerts/", lambda w: {"email": "not an email", "topics": [w.topic.pk]}, 200,
     "Enter an email address in the correct format"),
    (None, "POST", "/alerts/", {"email": "resident@example.org"}, 200, "Choose"),
]

# Looking up a name with a null character in it: PostgreSQL refuses the value, SQLite finds nothing.
NULL_LOOKUP = ("holds a null character", "does not exist")

API = [
    (WEB, "POST", "/api/channels/", {"platform": "x", "handle": "@libs", "display_name": "D", "service": "leisure"},
     400, "already has a channel with this handle"),
    (WEB, "POST", "/api/channels/", {"platform": "myspace", "handle": "x", "display_name": "D",
                                     "service": "leisure"}, 400, "is not a valid choice"),
    (EDITOR, "PATCH", lambda w: f"/api/channels/{w.a.channel.pk}/", {"kind": "nonsense"}, 400,
     "is not a valid choice"),
    (EDITOR, "PATCH", lambda w: f"/api/channels/{w.a.channel.pk}/", {"service": "leisure"}, 400,
     "own service"),
    (WEB, "POST", lambda w: f"/api/cases/{case_a(w).pk}/note/", {"text": ""}, 400, "may not be blank"),
    (WEB, "POST", lambda w: f"/api/cases/{case_a(w).pk}/reply/", {"text": " "}, 400, "Write the reply"),
    (WEB, "POST", lambda w: f"/api/cases/{case_a(w).pk}/escalate/", {}, 400, "This field is required"),
    (WEB, "POST", lambda w: f"/api/cases/{case_a(w).pk}/hand-over/", {"service": "nowhere"}, 400,
     "does not exist"),
    (WEB, "POST", lambda w: f"/api/cases/{case_a(w).pk}/assign/", {"assignee": "nobody"}, 400, "does not exist"),
    (WEB, "POST", lambda w: f"/api/cases/{case_a(w).pk}/acknowledge/", {"version": 9}, 409,
     "Someone else changed this case"),
    (WEB, "POST", lambda w: f"/api/cases/{case_a(w).pk}/note/", {"text": "x" * 5001}, 400,
     "no more than 5000 characters"),
    (WEB, "POST", "/api/rules/", {"name": "R", "order": 5, "route": "nowhere", "conditions": {}}, 400,
     "is not a valid choice"),
    (WEB, "POST", "/api/rules/", {"name": "R", "order": 5, "route": "no_action", "conditions": {"colour": "red"}},
     400, "Unknown condition"),
    (WEB, "POST", "/api/rules/", {"name": "Test rule", "order": 5, "route": "no_action", "conditions": {}}, 400,
     "There is already a rule called"),
    (EDITOR, "POST", "/api/account-requests/", {"platform": "x"}, 400, "This field is required"),
    (EDITOR, "POST", "/api/account-requests/", lambda w: {
        "platform": "x", "proposed_handle": "@Libs", "proposed_display_name": "L", "audience": "a",
        "objectives": "o", "why_own_account": "w", "content_commitment": "c", "out_of_hours": "o",
        "monitors": [w.a.post.author.username]}, 400, "already has a channel with this name"),
    (HEAD, "POST", lambda w: f"/api/account-requests/{w.a.account_request.pk}/decide/",
     {"outcome": "refused", "reasons": ""}, 400, "Give your reasons"),
    (HEAD, "POST", lambda w: f"/api/account-requests/{w.a.account_request.pk}/decide/", {"outcome": "maybe"},
     400, "is not a valid choice"),
    (EDITOR, "POST", "/api/posts/", lambda w: {"text": " ", "channels": [w.a.channel.pk]}, 400,
     "Write the text of the post"),
    (EDITOR, "POST", "/api/posts/", lambda w: {"text": "Hi", "channels": [w.a.channel.pk], "images": [
        {"url": "https://www.kingsmere.example/a.png", "alt_text": ""}]}, 400, "no alt text"),
    (EDITOR, "POST", "/api/posts/", lambda w: {"text": "Hi", "channels": [w.a.channel.pk], "link": "nowhere"},
     400, "Enter a valid URL"),
    (EDITOR, "POST", "/api/posts/", lambda w: {"text": "Hi", "channels": [w.a.channel.pk], "topics": ["ghosts"]},
     400, "does not exist"),
    (EDITOR, "POST", "/api/posts/", lambda w: {"text": "Hi", "channels": [w.a.channel.pk],
                                               "variants": {"myspace": "Hi"}}, 400, "no platform called"),
    (HEAD, "POST", lambda w: f"/api/posts/{w.a.post.pk}/request-changes/", {"comment": ""}, 400,
     "Say what needs to change"),
    (EDITOR, "POST", lambda w: f"/api/posts/{w.a.post.pk}/approve/", {}, 403, "You cannot approve your own post"),
    (WEB, "POST", "/api/campaigns/", {"name": "C", "service": "libraries", "start_date": "2030-06-10",
                                      "end_date": "2030-06-01"}, 400, "must end on or after"),
    (CLLR, "POST", "/api/policies/members-policy/acknowledge/", {"version": 7}, 400, "has no version 7"),
    (EDITOR, "POST", "/api/posts/", lambda w: {"text": "Hi", "channels": [w.a.channel.pk],
                                               "scheduled_at": "0283-03-26T09:46:47Z"}, 400, "in this century"),
    (WEB, "POST", "/api/campaigns/", {"name": "C", "service": "libr\u0000aries", "start_date": "2030-06-01",
                                      "end_date": "2030-06-10"}, 400, NULL_LOOKUP),
    (EDITOR, "POST", "/api/account-requests/", {"platform": "x", "monitors": ["edi\u0000tor"]}, 400, NULL_LOOKUP),
    (EDITOR, "GET", "/api/reports/growth/?start=2026-05-01&end=2026-04-01", None, 400,
     "must be the same as or after its start"),
]


def messages(body: str) -> str:
    """What a page or an API answer says to the person: its error summary, banners and errors."""
    if body.lstrip().startswith(("{", "[")):
        return body[:1000]
    parts = re.findall(r'class="govuk-(?:error-summary|notification-banner|error-message)[^"]*".*?</(?:div|p)>',
                       body, re.S)
    return " | ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", p)).strip() for p in parts)[:1500]


def ask(client, method, url, data):
    if url.startswith("/api/") and method != "GET":
        return client.generic(method, url, json.dumps(data), content_type="application/json")
    return client.get(url) if method == "GET" else client.post(url, data)


def check(client, method, url, data, status, says, world):
    url = url(world) if callable(url) else url
    data = data(world) if callable(data) else data
    audit_rows = AuditEvent.objects.count()
    cookies = SimpleCookie(client.cookies)

    def make_request():
        client.cookies = SimpleCookie(cookies)
        return ask(client, method, url, data)

    response, written = net_changes(make_request)
    shown = response
    if response.status_code == 302:
        shown = client.get(response["Location"])
    body = shown.content.decode()
    got = "kept" if response.status_code == 302 else response.status_code
    wrong = []
    if got != status:
        wrong.append(f"answered {got}, not {status}: {messages(body)}")
    elif not any(s in html.unescape(body) for s in ((says,) if isinstance(says, str) else says)):
        wrong.append(f"does not say '{says}': {messages(body)}")
    elif not url.startswith("/api/") and got != "kept" and not (
            "<title>Error:" in body and "govuk-error-summary" in body):
        wrong.append("the page has no error summary, or its title does not start with 'Error:'")
    if written:
        wrong.append(f"changed {', '.join(sorted(written))}")
    if AuditEvent.objects.count() != audit_rows:
        wrong.append("wrote an audit row")
    return [f"{method} {url}: {w}" for w in wrong]


def run_table(table, world, staff, client_for):
    from django.test import Client

    clients = {}
    wrong = []
    for role, method, url, data, status, says in table:
        if role not in clients:
            clients[role] = client_for(staff[role]) if role else Client()
        wrong += check(clients[role], method, url, data, status, says, world)
    assert not wrong, "\n".join(wrong)


def test_bad_form_input_gets_a_clear_message_and_changes_nothing(world, staff, client_for):
    run_table(FORMS, world, staff, client_for)


def test_bad_api_input_gets_a_clear_message_and_changes_nothing(world, staff, client_for):
    run_table(API, world, staff, client_for)


# Hostile addresses: (URL, status). A null character anywhere but a search is refused (400); a
# search for one finds nothing, or the mentions that hold one.
ADDRESSES = [
    *[(f"/api/{path}?{param}=%00", 400) for path, param in [
        ("channels/", "platform"), ("channels/", "service"), ("channels/", "kind"), ("channels/", "status"),
        ("posts/", "state"), ("posts/", "service"), ("posts/", "channel"), ("campaigns/", "service"),
        ("mentions/", "platform"), ("mentions/", "service"), ("mentions/", "route"), ("mentions/", "kind"),
        ("cases/", "service"), ("account-requests/", "state"), ("reports/growth/", "service")]],
    *[(f"/{path}?{param}=%00", 400) for path, param in [
        ("audit/", "actor"), ("audit/", "action"), ("housekeeping/", "service"), ("housekeeping/", "kind"),
        ("calendar/", "service"), ("calendar/", "year"), ("reports/", "service"), ("foi/", "status"),
        ("posts/", "list"), ("account-requests/", "state"), ("channels/", "platform")]],
    *[(f"{path}?q=%00", 200) for path in ["/api/channels/", "/api/posts/", "/api/mentions/", "/channels/",
                                          "/mentions/", "/cases/", "/authors/"]],
    ("/api/cases/?q=%00", 400),  # the cases API checks its filters with the dashboard's form
    ("/api/policies/%00/", 400), ("/policies/%00/", 400), ("/training/services/%00/", 400),
    ("/api/posts/?channel=abc", 400), ("/api/posts/?campaign=abc", 400), ("/api/mentions/?channel=abc", 400),
    ("/api/mentions/?since=2026-02-30", 400), ("/api/mentions/?until=2026-01-01T10:00:00-20:00", 400),
    ("/api/mentions/?since=not-a-date", 400), ("/api/cases/?since=2026-02-30", 400),
    ("/api/channels/abc/", 404), ("/api/mentions/abc/", 404), ("/api/posts/abc/", 404), ("/api/campaigns/abc/", 404),
    ("/api/rules/abc/", 404), ("/api/account-requests/abc/", 404), ("/api/cases/abc/", 404),
    ("/api/channels/99999999999999999999/", 404), ("/api/posts/99999999999999999999/", 404),
    ("/api/cases/99999999999999999999/", 404), ("/cases/99999999999999999999/", 404),
    ("/channels/99999999999999999999/", 404), ("/posts/99999999999999999999/", 404),
    ("/audit/?from=2026-02-30", "kept"), ("/calendar/?year=99999&month=13", 200),
    ("/cases/?since=2026-02-30&sort=nonsense&size=-1", 200), ("/cases/updates/?since=-5", 200),
    ("/reports/?start=2026-02-30", 200), ("/api/reports/growth/?start=0000-01-01", 400),
    ("/api/campaigns/?limit=36893488147419103231", 200), ("/api/policies/?offset=36893488147419103231", 200),
]


def test_hostile_addresses_are_answered_never_a_server_error(world, staff, client_for):
    client = client_for(staff[WEB])
    wrong = []
    for url, status in ADDRESSES:
        try:
            with transaction.atomic():
                response = client.get(url)
                transaction.set_rollback(True)
        except Exception as exc:  # the test client raises what a server error would hide
            wrong.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        got = "kept" if response.status_code == 302 else response.status_code
        if got != status:
            wrong.append(f"{url}: {got}, expected {status}")
    assert not wrong, "\n".join(wrong)
