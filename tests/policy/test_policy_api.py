"""/api/policies/: list, current version, acknowledge; bad input is a 400 that changes nothing."""
import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from policy.models import Acknowledgement

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_shows_what_the_caller_must_acknowledge(staff, staff_policy, members_policy, publish):
    publish(staff_policy)
    publish(members_policy)
    body = api(staff[Role.SERVICE_EDITOR]).get("/api/policies/").json()
    rows = {r["slug"]: r for r in body["results"]}
    assert rows["social-media-policy"]["must_acknowledge"] is True
    assert rows["social-media-policy"]["current_version"]["number"] == 1
    assert rows["members-policy"]["must_acknowledge"] is False
    councillor = {r["slug"]: r for r in api(staff[Role.COUNCILLOR]).get("/api/policies/").json()["results"]}
    assert councillor["members-policy"]["must_acknowledge"] is True
    assert APIClient().get("/api/policies/").status_code in (401, 403)


def test_current_version_is_rendered_safely(staff, staff_policy, publish):
    publish(staff_policy, body="## Do\n\n<script>alert(1)</script>engage <a href='#' onclick='x()'>x</a>")
    body = api(staff[Role.SERVICE_EDITOR]).get("/api/policies/social-media-policy/current/").json()
    assert body["number"] == 1 and body["document"] == "social-media-policy"
    assert "<script" not in body["body_html"] and "onclick" not in body["body_html"]
    assert api(staff[Role.SERVICE_EDITOR]).get("/api/policies/nothing/current/").status_code == 404


def test_acknowledge_through_the_api(staff, staff_policy, publish, today):
    first = publish(staff_policy)
    editor = api(staff[Role.SERVICE_EDITOR])
    done = editor.post("/api/policies/social-media-policy/acknowledge/", {"version": 1}, format="json")
    assert done.status_code == 201 and done.json()["version"] == 1
    assert Acknowledgement.objects.get().version == first
    publish(staff_policy, days_ago=0, change_type="delegated_minor", approved_by="Corporate Officer",
            committee_reference="")
    assert editor.get("/api/policies/social-media-policy/").json()["must_acknowledge"] is True
    assert editor.post("/api/policies/social-media-policy/acknowledge/", {}, format="json").status_code == 201
    assert editor.get("/api/policies/social-media-policy/").json()["must_acknowledge"] is False


def test_bad_acknowledgements_are_400_and_change_nothing(staff, staff_policy, members_policy, publish):
    publish(staff_policy)
    publish(staff_policy, days_ago=1, change_type="delegated_minor", approved_by="CO", committee_reference="")
    editor = api(staff[Role.SERVICE_EDITOR])
    stale = editor.post("/api/policies/social-media-policy/acknowledge/", {"version": 1}, format="json")
    assert stale.status_code == 400 and "not the current one" in stale.json()["detail"]
    missing = editor.post("/api/policies/social-media-policy/acknowledge/", {"version": 9}, format="json")
    assert missing.status_code == 400 and "no version 9" in missing.json()["version"]
    junk = editor.post("/api/policies/social-media-policy/acknowledge/", {"version": "two"}, format="json")
    assert junk.status_code == 400 and "version" in junk.json()
    not_mine = editor.post("/api/policies/members-policy/acknowledge/", {}, format="json")
    assert not_mine.status_code == 400  # no version in effect, and it is for councillors anyway
    publish(members_policy)
    not_mine = editor.post("/api/policies/members-policy/acknowledge/", {}, format="json")
    assert not_mine.status_code == 400 and "for councillors" in not_mine.json()["detail"]
    assert not Acknowledgement.objects.exists()


def test_schema_lists_the_governance_endpoints(staff):
    schema = api(staff[Role.WEB_TEAM]).get("/api/schema/").content
    assert b"/api/policies/{slug}/acknowledge/" in schema and b"/api/account-requests/{id}/decide/" in schema
