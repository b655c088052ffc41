"""Every page a role can reach uses GOV.UK Frontend and has no inline script or style."""
import re

import pytest

from accounts.roles import Role

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)
HANDLERS = re.compile(r"\son[a-z]+\s*=", re.I)


def pages(channels):
    return ["/", "/channels/", f"/channels/{channels['libraries'].pk}/", f"/channels/{channels['libraries'].pk}/edit/",
            "/channels/add/", "/audit/", "/status/"]


def assert_clean(html: str, url: str):
    assert 'class="govuk-template"' in html and "govuk/council-social" in html, url
    assert not INLINE_SCRIPT.search(html), f"inline script on {url}"
    assert not INLINE_STYLE.search(html), f"inline style on {url}"
    assert not HANDLERS.search(html), f"event handler attribute on {url}"
    assert "GDS Transport" not in html and "govuk-logo" not in html


@pytest.mark.parametrize("role", list(Role))
def test_every_page_is_govuk_without_inline_script(role, staff, channels, client_for):
    client = client_for(staff[role])
    seen = 0
    for url in pages(channels):
        response = client.get(url)
        if response.status_code == 200:
            assert_clean(response.content.decode(), url)
            seen += 1
        else:
            assert response.status_code in (403, 404), (url, response.status_code)
            assert_clean(response.content.decode(), url)
    assert seen >= 1


def test_sign_in_page_is_clean(client):
    html = client.get("/sign-in/").content.decode()
    assert_clean(html, "/sign-in/")
    assert 'autocomplete="current-password"' in html


def test_failed_sign_in_says_what_is_wrong(client, staff):
    response = client.post("/sign-in/", {"username": "web", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200 and "<title>Error:" in html and "govuk-error-summary" in html


def test_sign_in_is_throttled(client, staff):
    for _ in range(5):
        client.post("/sign-in/", {"username": "web", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    response = client.post("/sign-in/", {"username": "web", "password": "correct-horse-battery-staple"},
                           REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_home_page_links_to_what_the_role_does(role, staff, client_for):
    html = client_for(staff[role]).get("/").content.decode()
    assert Role(role).label in html
    assert ("/channels/" in html) == (role not in (Role.COUNCILLOR, Role.MONITORING_OFFICER))
    assert ("/audit/" in html) == (role in (Role.WEB_TEAM, Role.ADMINISTRATOR))


def test_csp_header_forbids_inline_script(client):
    csp = client.get("/sign-in/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_api_schema_and_docs(staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/channels/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(docs)
