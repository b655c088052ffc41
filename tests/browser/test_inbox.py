"""The inbox with the keyboard alone: the list and its preview pane, and the shortcuts (next,
previous, acknowledge, assign to me, reply, escalate, close), which never act while typing and
can be turned off (WCAG 2.1.4). Every page and state is checked with axe."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chosen(checked) -> str | None:
    return checked.page.evaluate("() => document.getElementById('case-preview-body')?.dataset.case || null")


def wait_for_case(checked, pk) -> None:
    """Until the case is in the preview pane and marked as chosen in the list."""
    checked.page.wait_for_selector(f'#case-preview-body[data-case="{pk}"]')
    checked.page.wait_for_selector(f"#case-row-{pk}.app-inbox__row--selected")


def test_triage_in_the_inbox_with_the_keyboard_alone(demo_mentions, signed_in):
    from accounts.models import User
    from triage.models import Case

    comms = signed_in("comms")
    me = User.objects.get(username="comms")
    comms.goto("/cases/?status=new&sort=newest", check="inbox")
    rows = comms.page.eval_on_selector_all("#case-rows tr[data-case]", "rows => rows.map(r => r.dataset.case)")
    assert len(rows) >= 3
    assert chosen(comms) is None

    comms.press("j")
    wait_for_case(comms, rows[0])
    comms.press("j")
    wait_for_case(comms, rows[1])
    comms.press("k")
    wait_for_case(comms, rows[0])
    assert comms.page.evaluate("() => document.activeElement.closest('tr').dataset.case") == rows[0]
    assert comms.page.locator(f"#case-row-{rows[0]}").get_attribute("class").count("app-inbox__row--selected") == 1
    comms.check("inbox: a case previewed")

    # Acknowledge, then assign to me: each comes back to the list with the same case chosen.
    comms.press("a", navigates=True)
    comms.check("inbox: acknowledged")
    html = comms.page.content()
    assert chosen(comms) == rows[0], html[html.find('id="case-preview"'):][:1500]
    assert Case.objects.get(pk=rows[0]).state == "acknowledged"
    comms.press("m", navigates=True)
    comms.check("inbox: assigned to me")
    assert Case.objects.get(pk=rows[0]).assignee == me

    # Reply: the box opens with the focus in it, and typing there is typing, not shortcuts.
    comms.press("r")
    assert comms.page.evaluate("() => document.activeElement.id") == "id_reply-text"
    comms.type("jkamc")
    assert comms.page.input_value("#id_reply-text") == "jkamc"
    assert chosen(comms) == rows[0]
    comms.check("inbox: reply box open, with its count")
    assert comms.tab()["text"] == "Post the reply"  # out of the box: keys are shortcuts again

    # Turned off, a key is only a key.
    comms.press("?")
    assert comms.page.locator("#shortcuts").get_attribute("open") is not None
    toggle = comms.tab_to(lambda s: s["id"] == "shortcuts-on")
    comms.press("Space")
    assert not comms.page.locator("#shortcuts-on").is_checked()
    comms.check("inbox: shortcuts listed and off")
    comms.page.keyboard.press("Shift+Tab")
    comms.press("j")
    assert chosen(comms) == rows[0]
    comms.tab_to(lambda s: s["id"] == toggle["id"])
    comms.press("Space")

    # Escalate: the reason box takes the focus; Tab to the button, Enter sends it.
    comms.page.keyboard.press("Shift+Tab")
    comms.press("e")
    assert comms.page.evaluate("() => document.activeElement.id") == "id_escalate-reason"
    comms.type("The local paper has asked about it.")
    comms.tab_to_text("Escalate")
    comms.press("Enter", navigates=True)
    comms.check("inbox: escalated")
    assert Case.objects.get(pk=rows[0]).route == "comms_escalation"

    # Next case, then close it.
    comms.press("j")
    wait_for_case(comms, rows[1])
    comms.press("c")
    assert comms.page.evaluate("() => document.activeElement.id") == "id_close-note"
    comms.type("Nothing for us to answer.")
    comms.tab_to_text("Close the case")
    comms.press("Enter", navigates=True)
    comms.check("inbox: closed")
    assert Case.objects.get(pk=rows[1]).state == "closed"


def _new_mentions(count: int) -> None:
    """Mentions heard while the inbox is open, through the real ingestion (routed as in production)."""
    from django.db import transaction
    from django.utils import timezone

    from monitoring.models import Channel
    from monitoring.services import ingest_items
    from platforms.base import Author, Item

    channel = Channel.objects.filter(platform="x").order_by("pk").first()
    items = [Item(platform="x", external_id=f"live-{i}", kind="mention", posted_at=timezone.now(),
                  text=f"@{channel.handle.lstrip('@')} my bin on Quarry Road {i} was missed again, can someone come?",
                  url=f"https://x.example/live/{i}",
                  author=Author(external_id=f"live-author-{i}", handle=f"@quarry{i}", display_name="", followers=40))
             for i in range(count)]
    with transaction.atomic():
        ingest_items(channel=channel, items=items, raw=None)


def test_live_updates_keep_the_chosen_case_and_the_place_in_the_list(demo_mentions, signed_in):
    """New cases arrive at the top while a case further down is chosen and the list is scrolled:
    the case stays chosen, in the preview pane and in the list, and stays where it was on the
    screen. The browser's own scroll anchoring is turned off, so the inbox's script must do it."""
    comms = signed_in("comms", bypass_csp=True)
    comms.goto("/cases/?status=all&sort=newest&size=100", check="inbox")
    comms.page.add_style_tag(content="* { overflow-anchor: none !important; }")
    rows = comms.page.eval_on_selector_all("#case-rows tr[data-case]", "rows => rows.map(r => r.dataset.case)")
    assert len(rows) >= 20, len(rows)
    for _ in range(12):
        comms.press("j")
    pk = rows[11]
    wait_for_case(comms, pk)
    comms.page.evaluate(f"() => document.getElementById('case-row-{pk}').scrollIntoView({{block: 'center'}})")
    scrolled = comms.page.evaluate("() => window.scrollY")
    assert scrolled > 0
    top = comms.page.evaluate(f"() => document.getElementById('case-row-{pk}').getBoundingClientRect().top")

    _new_mentions(3)
    comms.page.wait_for_function(
        "n => document.querySelectorAll('#case-rows tr[data-case]').length >= n", arg=len(rows) + 3, timeout=20_000)
    comms.page.wait_for_timeout(300)  # the settle step, where the place is kept
    assert comms.page.eval_on_selector_all("#case-rows tr[data-case]", "rows => rows.map(r => r.dataset.case)")[3:] \
        == rows
    assert chosen(comms) == pk
    row = comms.page.locator(f"#case-row-{pk}")
    assert "app-inbox__row--selected" in row.get_attribute("class")
    assert row.locator(".app-inbox__open").get_attribute("aria-current") == "true"
    assert comms.page.evaluate("() => window.scrollY") > scrolled  # the page moved with the rows
    now = comms.page.evaluate(f"() => document.getElementById('case-row-{pk}').getBoundingClientRect().top")
    assert abs(now - top) <= 2, (top, now)
    assert "new case" in comms.page.locator("#case-announcer").inner_text()
    comms.check("inbox: new cases arrived above the chosen one")
    comms.press("j")  # the shortcuts carry on from the chosen case
    wait_for_case(comms, rows[12])
