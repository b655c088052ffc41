"""Hostile mention text, server side: stored exactly as received (read back raw from the
database, not through the model) and rendered escaped on every page and in every API answer
that shows it. Whether a browser runs anything is the browser tests' part (tests/browser).

tests/monitoring/test_polling.py already shows text surviving a poll through the model; here
the same kinds of text arrive through ingestion with routing, so they reach cases, the
dashboard, the author's page, the subject-access export and the API."""
import csv
import io
import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.roles import Role
from monitoring.fields import decode, encode
from monitoring.models import Mention
from monitoring.services import ingest_items
from platforms.base import Author, Item
from triage import services as triage_services
from triage.models import Case

pytestmark = pytest.mark.django_db

HOSTILE = {
    "script": '<script>alert("mention")</script> Are the libraries open?',
    "handler": '<img src=x onerror="alert(1)"><b onmouseover=alert(2)>bins</b> <svg/onload=alert(3)>',
    "javascript-link": '<a href="javascript:alert(1)">our page</a> javascript:alert(document.cookie)',
    "huge": "Potholes " + "x" * 100_000 + " <script>alert('end')</script>",
    "right-to-left": "Pay the fine at \u202eexe.enifyap\u202c today",
    "zero-width": "bin\u200bday\u200c is\u200d wed\u2060nes\ufeffday",
    "null": "before\x00after <i>and</i> \x00",
    "emoji": "👩🏽‍💻 🏳️‍🌈 🇬🇧 🗑️ bins, again 😡😡",
}


class ActiveMarkup(HTMLParser):
    """The elements of a page that would act: inline scripts, event-handler attributes,
    javascript: addresses, and the elements the hostile texts bring."""

    def __init__(self, page: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.found.append("an inline script")
        if tag in ("img", "svg", "b", "i") and not attributes.get("class"):  # ours all have a class
            self.found.append(f"<{tag}> from the text")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}={value}>")


@pytest.fixture
def hostile(world, staff):
    """Each text as a mention on Libraries' channel, from an author whose name and links are
    hostile too, each on an open case assigned to the web team; and a hostile note on the first."""
    channel, web = world.a.channel, staff[Role.WEB_TEAM]
    items = [Item(platform=channel.platform, external_id=f"hostile-{name}", kind="mention", text=text,
                  posted_at=timezone.now() - timedelta(minutes=n), url="javascript:alert('url')",
                  author=Author(external_id=f"hostile-author-{name}", handle=f'@<b onmouseover=alert("{name}")>',
                                display_name='<script>alert("name")</script>\u202eemanym',
                                profile_url="javascript:alert('profile')", followers=5))
             for n, (name, text) in enumerate(HOSTILE.items())]
    with transaction.atomic():
        ingest_items(channel=channel, items=items, raw=None)
    mentions = {m.external_id.removeprefix("hostile-"): m for m in Mention.objects.filter(
        external_id__startswith="hostile-").select_related("author")}
    cases = {}
    for name, mention in mentions.items():
        case = Case.objects.filter(mention=mention).first() or Case.objects.get(routings__mention=mention)
        Case.objects.filter(pk=case.pk).update(state="new", assignee=web, service=world.a.service)
        cases[name] = case
    triage_services.case_note(actor=web, case=cases["script"], text=HOSTILE["handler"])
    return mentions, cases


def test_hostile_text_is_stored_exactly(hostile):
    mentions, _ = hostile
    with connection.cursor() as cursor:
        for name, text in HOSTILE.items():
            cursor.execute("SELECT text FROM monitoring_mention WHERE external_id = %s", [f"hostile-{name}"])
            (raw,) = cursor.fetchone()
            # Exactly as received. PostgreSQL cannot hold U+0000, so it is escaped reversibly (on
            # every database alike, monitoring.fields): the only text stored otherwise than as given.
            if "\x00" in text:
                assert raw == encode(text) and "\x00" not in raw and decode(raw) == text, name
            else:
                assert raw == text, name
            assert Mention.objects.get(external_id=f"hostile-{name}").text == text
    # Links from a platform are kept only when they are web addresses.
    assert {m.url for m in mentions.values()} == {""}
    assert {m.author.profile_url for m in mentions.values()} == {""}


def pages(hostile, world):
    mentions, cases = hostile
    author = mentions["script"].author
    return [
        "/mentions/", "/mentions/?q=alert", "/cases/", "/cases/?q=script", "/cases/updates/?since=0", "/dashboard/",
        *[f"/cases/{case.pk}/" for case in cases.values()],
        f"/authors/{author.pk}/", f"/authors/?q={author.external_id}",
    ]


def test_every_page_shows_it_escaped(hostile, world, staff, client_for):
    mentions, cases = hostile
    client = client_for(staff[Role.WEB_TEAM])
    shown = set()
    for url in pages(hostile, world):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        active = ActiveMarkup(page).found
        assert not active, f"{url} passes markup through: {active}"
        for name, text in HOSTILE.items():
            first_words = text[:24]
            escaped = first_words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
                '"', "&quot;").replace("'", "&#x27;")
            if escaped in page:
                shown.add(name)
        # Text that could turn the page's own words around is isolated in its own element.
        body = page.split("</title>", 1)[-1]
        isolated = len(re.findall(r'(?:dir="auto"[^>]*>|<bdi>)[^<]*\u202e', body))
        assert isolated == body.count("\u202e"), f"{url}: a right-to-left override is not isolated"
    assert shown == set(HOSTILE), f"never shown: {set(HOSTILE) - shown}"
    case_page = client.get(f"/cases/{cases['huge'].pk}/").content.decode()
    assert ("x" * 100_000) in case_page  # the case page shows the whole mention


def test_the_api_returns_it_exactly_as_json(hostile, world, staff):
    from rest_framework.test import APIClient

    mentions, cases = hostile
    client = APIClient()
    client.force_authenticate(staff[Role.WEB_TEAM])
    listed = client.get("/api/mentions/", {"q": "hostile", "limit": 50})
    responses = [client.get(f"/api/mentions/{m.pk}/") for m in mentions.values()]
    responses += [client.get(f"/api/cases/{c.pk}/") for c in cases.values()]
    for response in [listed, *responses]:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json" and response["X-Content-Type-Options"] == "nosniff"
    texts = {m.pk: m.text for m in mentions.values()}
    for response in responses:
        body = response.json()
        mention = body.get("mention", body)
        assert mention["text"] == texts[mention["id"]]
        assert mention["url"] == ""


def test_the_subject_access_export_has_it_exactly(hostile, staff, client_for):
    mentions, _ = hostile
    author = mentions["script"].author
    client = client_for(staff[Role.WEB_TEAM])
    exported = client.get(f"/authors/{author.pk}/export.json")
    assert exported["Content-Type"].startswith("application/json") and exported["Content-Disposition"].startswith(
        "attachment")
    data = json.loads(b"".join([exported.content]))
    assert {m["text"] for m in data["mentions"]} == {HOSTILE["script"]}
    rows = list(csv.reader(io.StringIO(client.get(f"/authors/{author.pk}/export.csv").content.decode())))
    assert any(HOSTILE["script"] in cell for row in rows for cell in row)
