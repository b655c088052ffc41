"""Navigation by job: a few sections in the header (GOV.UK service navigation), the current
section's pages below it (MoJ sub-navigation), and no menu while sign-in is unfinished."""
import re

from accounts.navigation import SECTIONS
from accounts.roles import Role


def header_sections(page: str) -> list[str]:
    menu = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', page, re.S)
    if not menu:
        return []
    return [re.sub(r"<[^>]+>", "", m).strip()
            for m in re.findall(r'class="govuk-service-navigation__link"[^>]*>(.*?)</a>', menu.group(0), re.S)]


def test_the_web_team_sees_a_few_sections_with_sub_navigation(staff, client_for):
    web = client_for(staff[Role.WEB_TEAM])
    sections = header_sections(web.get("/").content.decode())
    assert sections == [s for s in SECTIONS if s in sections] and len(sections) <= 6, sections
    assert {"Inbox", "Publishing", "Channels", "Governance", "Reports", "Admin"} == set(sections)
    cases = web.get("/cases/").content.decode()
    sub = re.search(r'<nav class="moj-sub-navigation[^"]*" aria-label="Inbox">(.*?)</nav>', cases, re.S).group(1)
    assert 'aria-current="page">Cases</a>' in sub and ">Mentions</a>" in sub and ">Dashboard</a>" in sub
    assert 'aria-current="true"' in cases  # the Inbox section is marked current in the header


def test_every_role_has_at_most_six_sections(staff, client_for):
    for role, user in staff.items():
        sections = header_sections(client_for(user).get("/").content.decode())
        assert 1 <= len(sections) <= 6, (role, sections)


def test_no_menu_on_the_sign_in_and_set_up_steps(client, staff):
    from tests.conftest import PASSWORD

    assert "govuk-service-navigation" not in client.get("/sign-in/").content.decode()
    client.post("/sign-in/", {"username": "web", "password": PASSWORD})
    setup = client.get("/", follow=True)
    assert "authenticator" in setup.content.decode().lower()
    assert "govuk-service-navigation__list" not in setup.content.decode()
