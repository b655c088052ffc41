"""Every governance page a role can reach is GOV.UK Frontend with no inline script, style
or event handler; the others answer 403 or 404 in the same layout."""
import re

import pytest

from accounts import housekeeping, requests
from accounts.roles import Role

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)
HANDLERS = re.compile(r"\son[a-z]+\s*=", re.I)


@pytest.fixture
def world(staff, services, channels, staff_policy, members_policy, publish):
    services["libraries"].head = staff[Role.HEAD_OF_SERVICE]
    services["libraries"].save()
    editor = staff[Role.SERVICE_EDITOR]
    request = requests.account_request_submit(
        actor=editor, monitors=[editor], platform="x", kind="service", proposed_handle="@New",
        proposed_display_name="New", audience="a", objectives="b", why_own_account="c", content_commitment="d",
        out_of_hours="e")
    publish(staff_policy)
    publish(members_policy)
    housekeeping.housekeeping_audit()
    return {"request": request, "channel": channels["libraries"], "editor": editor}


def urls(world):
    r, c, e = world["request"].pk, world["channel"].pk, world["editor"].pk
    return ["/", "/account-requests/", "/account-requests/new/", f"/account-requests/{r}/",
            f"/channels/{c}/", f"/channels/{c}/branding/", "/housekeeping/", f"/housekeeping/channels/{c}/",
            "/policies/", "/policies/social-media-policy/", "/policies/members-policy/",
            "/policies/social-media-policy/versions/1/", "/policies/social-media-policy/versions/new/",
            "/policies/compliance/", "/guidance/", "/training/", f"/training/people/{e}/", "/training/services/",
            "/training/services/libraries/", "/training/record/"]


@pytest.mark.parametrize("role", list(Role))
def test_governance_pages_are_govuk_without_inline_script(role, staff, world, client_for):
    client = client_for(staff[role])
    seen = 0
    for url in urls(world):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        html = response.content.decode()
        assert 'class="govuk-template"' in html, url
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_STYLE.search(html), url
        assert not HANDLERS.search(html), url
        seen += response.status_code == 200
    assert seen >= 5


@pytest.mark.parametrize("role", list(Role))
def test_navigation_offers_the_governance_pages_by_role(role, staff, client_for):
    html = client_for(staff[role]).get("/").content.decode()
    assert 'href="/policies/"' in html and 'href="/training/"' in html
    assert ('href="/account-requests/"' in html) == (role != Role.COUNCILLOR)
    assert ('href="/housekeeping/"' in html) == (role in (Role.WEB_TEAM, Role.ADMINISTRATOR))


def test_admin_lists_every_governance_model(staff, world, client_for):
    client = client_for(staff[Role.ADMINISTRATOR])
    for model in ("accounts/accountrequest", "accounts/accountrequestdecision", "accounts/brandingchecklist",
                  "accounts/housekeepingflag", "policy/policydocument", "policy/policyversion",
                  "policy/acknowledgement", "policy/trainingmodule", "policy/trainingcompletion"):
        assert client.get(f"/admin/{model}/").status_code == 200, model
        assert client.get(f"/admin/{model}/?q=x").status_code == 200, model
    assert client.get(f"/admin/accounts/accountrequest/{world['request'].pk}/change/").status_code == 200


def test_request_list_has_a_fixed_number_of_queries(staff, world, client_for, make_user, services,
                                                    django_assert_max_num_queries):
    from accounts import requests as account_requests

    for i in range(15):
        person = make_user(f"asker{i}", Role.SERVICE_EDITOR, services["libraries"])
        account_requests.account_request_submit(
            actor=person, monitors=[person], platform="x", kind="service", proposed_handle=f"@Ask{i}",
            proposed_display_name="Ask", audience="a", objectives="b", why_own_account="c", content_commitment="d",
            out_of_hours="e")
    client = client_for(staff[Role.WEB_TEAM])
    with django_assert_max_num_queries(20):
        assert client.get("/account-requests/").status_code == 200
