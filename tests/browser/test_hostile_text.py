"""Hostile text in a real browser. Mentions whose text and author carry script tags, event-handler
attributes, javascript: links, 100,000 characters, a right-to-left override, zero-width and NUL
characters and emoji are ingested like any other, then shown on the cases page, each case's page
and the mentions page. The browser proves that nothing ran (the flag every payload would set stays
unset, no dialog opened, no CSP violation, no element made from the text) and that the text
shows exactly as written, escaped."""
import pytest
from django.db import transaction
from django.template.defaultfilters import truncatechars
from django.utils import timezone

from platforms.base import Author, Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RAN = "window.hostileRan"
LONG = ("My bin wasn't collected again on Forty Lane, can you sort it please? " * 1500)[:100_000]
HOSTILE = {
    "script": f"<script>{RAN} = 'script'; alert(1)</script> my bin wasn't collected, can you sort it please?",
    "img": f"<img src=x onerror=\"{RAN} = 'img'; alert(2)\"> the road is flooded, can you help please?",
    "svg": f"<svg onload=\"{RAN}='svg'\"></svg><iframe srcdoc=\"<script>parent.{RAN}='iframe'</script>\">",
    "link": f"<a href=\"javascript:{RAN}='link'\">click for refund</a> javascript:alert(3) please help",
    "long": LONG,
    "rtl": "\u202eexe.gnp\u202c please look at the attachment \u2067\u05e9\u05dc\u05d5\u05dd\u2069 Kingsmere",
    "zero-width": "can\u200byou\u200c sort\u200d it\ufeff please? \u2060my bin was missed",
    "nul": "before\x00after the NUL, can you sort it please?\x00",
    "emoji": "👍🏽 🏳️‍🌈 👨‍👩‍👧‍👦 the new park is great 🎉🇬🇧",
}
HOSTILE_NAME = f"<script>{RAN}='name'</script>\u202e Sam"
HOSTILE_HANDLE = f"@\"><img src=x onerror={RAN}='handle'>"


def shown(text: str) -> str:
    """What the page's DOM holds for the text: the same characters, except that the HTML parser
    drops U+0000 (the specification's rule for a NUL in text)."""
    return text.replace("\x00", "")


@pytest.fixture
def hostile(demo):
    """The mentions, ingested through monitoring's ingestion (routed into cases as in production)."""
    from accounts.models import Channel
    from monitoring.models import Mention
    from monitoring.services import ingest_items

    channel = Channel.objects.get(platform="x", handle="@KingsmereBC")
    now = timezone.now()
    items = [Item(platform="x", external_id=f"hostile-{name}", kind="mention", text=text, posted_at=now,
                  url=f"javascript:{RAN}='url'", author=Author(
                      external_id=f"hostile-author-{name}", handle=HOSTILE_HANDLE, display_name=HOSTILE_NAME,
                      followers=10, profile_url=f"javascript:{RAN}='profile'"))
             for name, text in HOSTILE.items()]
    with transaction.atomic():
        ingest_items(channel=channel, items=items, raw=None)
    mentions = {name: Mention.objects.get(platform="x", external_id=f"hostile-{name}") for name in HOSTILE}
    for name, mention in mentions.items():
        assert mention.text == HOSTILE[name]  # stored exactly (PostgreSQL keeps even the NULs)
    return mentions


def assert_inert(checked) -> None:
    page = checked.page
    assert page.evaluate(f"() => {RAN}") is None, "a payload ran"
    assert checked.dialogs == []
    for selector in ("img[src='x']", "[onerror]", "[onload]", "iframe", "svg[onload]", "a[href^='javascript:']"):
        assert page.locator(selector).count() == 0, selector
    assert page.locator(".app-mention-text *").count() == 0  # the text made no element


def texts(checked) -> list[str]:
    return checked.page.locator(".app-mention-text").evaluate_all("nodes => nodes.map(n => n.textContent)")


def test_hostile_mentions_are_shown_escaped_and_nothing_runs(hostile, signed_in):
    from triage.models import Case

    web = signed_in("webteam")
    web.goto("/cases/?status=all&sort=newest&size=25", check="cases")
    assert_inert(web)
    on_list = texts(web)
    for text in HOSTILE.values():
        assert shown(truncatechars(text, 200)) in on_list
    assert web.page.locator("td", has_text=HOSTILE_HANDLE).count() >= len(HOSTILE)

    for name, mention in hostile.items():
        case = Case.objects.get(mention=mention)
        web.goto(f"/cases/{case.pk}/", check=f"the case of the {name!r} mention")
        assert_inert(web)
        assert web.page.locator(".govuk-inset-text .app-mention-text").text_content() == shown(HOSTILE[name]), name
        card = web.page.locator(".govuk-summary-card", has_text="The author")
        assert card.locator("dd").first.text_content() == HOSTILE_NAME
        assert card.locator("dd").nth(1).text_content() == HOSTILE_HANDLE
        assert web.page.locator("a", has_text="View on X").count() == 0  # its javascript: address was dropped

    web.goto("/mentions/", check="mentions")
    assert_inert(web)
    on_page = texts(web)
    for text in HOSTILE.values():
        assert shown(truncatechars(text, 600)) in on_page
    # The right-to-left override stays inside its own text: the page around it reads left to right.
    rtl = web.page.locator(".app-mention-text", has_text="please look at the attachment").first
    assert rtl.evaluate("n => getComputedStyle(n).unicodeBidi") == "isolate"
    assert web.page.locator("h1").evaluate("n => getComputedStyle(n).direction") == "ltr"
