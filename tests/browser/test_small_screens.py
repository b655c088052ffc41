"""The main pages on a small screen (320 CSS pixels wide: a phone, or a desktop zoomed to 400%),
with the same checks as the journeys: axe-core then also judges touch target sizes (WCAG 2.5.8)
at the width where links and buttons wrap. The menu folds behind its button and opens with the
keyboard."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SMALL = {"width": 320, "height": 640}


def test_the_main_pages_pass_the_checks_on_a_small_screen(demo_mentions, signed_in):
    from triage.models import Case

    comms = signed_in("comms", viewport=SMALL)
    case = Case.objects.exclude(route="no_action").order_by("pk").first()
    for path in ("/dashboard/", "/cases/", case.get_absolute_url(), "/mentions/", "/channels/", "/posts/",
                 "/posts/new/", "/calendar/", "/reports/", "/reports/growth/", "/policies/"):
        comms.goto(path, check=f"{path} at 320 pixels")
    # The web team's own pages: the Triage quality page (its tables) and a case's classification.
    web = signed_in("webteam", viewport=SMALL)
    for path in ("/triage/quality/", case.get_absolute_url()):
        web.goto(path, check=f"{path} at 320 pixels, web team")

    # The menu is behind its button; Enter opens it, and its links are the next Tab stops.
    comms.goto("/", check="home at 320 pixels")
    menu = comms.tab_to_text("Menu")
    assert menu["tag"] == "button"
    toggle = comms.page.locator(".govuk-service-navigation__toggle")
    assert toggle.get_attribute("aria-expanded") == "false" and not comms.page.locator("#navigation").is_visible()
    comms.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and comms.page.locator("#navigation").is_visible()
    assert comms.tab()["text"] == "Inbox"  # the sections; the council's name is the way home
    comms.press("Enter", navigates=True)
    comms.check("dashboard at 320 pixels, reached through the menu")
    comms.tab_to_text("Cases")  # the Inbox section's sub-navigation
    comms.press("Enter", navigates=True)
    comms.check("cases at 320 pixels, reached through the sub-navigation")
