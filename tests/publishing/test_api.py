"""/api/posts/ and /api/campaigns/: the same rules as the pages, scoped the same way."""
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from publishing.models import Campaign, Post

from .conftest import draft

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_create_submit_approve_schedule_through_the_api(editor, head, channels):
    created = api(editor).post("/api/posts/", {
        "text": "Story time is back on Tuesdays.", "channels": [channels["libraries"].pk],
        "variants": {"x": "Story time: Tuesdays!"}, "topics": ["events"],
        "images": [{"url": "https://www.demo-council.gov.uk/story.jpg", "alt_text": "A librarian reading aloud"}],
    }, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "draft" and body["service"] == "libraries" and body["topics"] == ["events"]
    assert body["targets"][0]["handle"] == "@Libs" and body["images"][0]["alt_text"] == "A librarian reading aloud"
    pk = body["id"]
    assert api(editor).post(f"/api/posts/{pk}/submit/").json()["state"] == "submitted"
    approved = api(head).post(f"/api/posts/{pk}/approve/", {"comment": "Lovely"}, format="json").json()
    assert approved["state"] == "approved" and approved["approvals"][0]["comment"] == "Lovely"
    when = (timezone.now() + timedelta(days=1)).isoformat()
    assert api(editor).post(f"/api/posts/{pk}/schedule/", {"scheduled_at": when}, format="json").json()[
        "state"] == "scheduled"
    assert api(editor).post(f"/api/posts/{pk}/cancel/", {"reason": "Moved"}, format="json").json()[
        "state"] == "cancelled"


def test_a_blocking_check_is_a_400_that_names_the_check(editor, channels):
    post = draft(editor, [channels["libraries"]], text="Our officer's mobile is 07700 900123.")
    response = api(editor).post(f"/api/posts/{post.pk}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "phone_number" and body["checks"][0]["code"] == "phone_number"
    assert "mobile number" in body["detail"]
    assert Post.objects.get(pk=post.pk).state == Post.State.DRAFT


def test_approving_your_own_post_is_forbidden(web, channels):
    post = draft(web, [channels["corporate"]])
    api(web).post(f"/api/posts/{post.pk}/submit/")
    response = api(web).post(f"/api/posts/{post.pk}/approve/")
    assert response.status_code == 403 and "your own post" in response.json()["detail"]


def test_request_changes_needs_a_comment(editor, head, channels):
    post = draft(editor, [channels["libraries"]])
    api(editor).post(f"/api/posts/{post.pk}/submit/")
    assert api(head).post(f"/api/posts/{post.pk}/request-changes/").status_code == 400
    response = api(head).post(f"/api/posts/{post.pk}/request-changes/", {"comment": "Shorter"}, format="json")
    assert response.json()["state"] == "changes_requested"


def test_service_staff_see_their_services_posts_and_the_central_team_sees_all(staff, make_user, services,
                                                                             channels):
    mine = draft(staff[Role.SERVICE_EDITOR], [channels["libraries"]])
    theirs = draft(make_user("leisure", Role.SERVICE_EDITOR, services["leisure"]), [channels["leisure"]])
    editor = api(staff[Role.SERVICE_EDITOR])
    assert [p["id"] for p in editor.get("/api/posts/").json()["results"]] == [mine.pk]
    assert editor.get(f"/api/posts/{theirs.pk}/").status_code == 404
    assert editor.post(f"/api/posts/{theirs.pk}/submit/").status_code == 404
    everyone = {p["id"] for p in api(staff[Role.COMMUNICATIONS_OFFICER]).get("/api/posts/").json()["results"]}
    assert everyone == {mine.pk, theirs.pk}


def test_bad_input_is_refused_and_changes_nothing(editor, channels):
    client = api(editor)
    assert client.post("/api/posts/", {"text": "Hi", "channels": [999]}, format="json").status_code == 400
    # Another service's channel is "does not exist", like an unknown id: ids reveal nothing.
    refused = client.post("/api/posts/", {"text": "Hi", "channels": [channels["leisure"].pk]}, format="json")
    assert refused.status_code == 400 and "does not exist" in refused.json()["channels"][0]
    no_alt = client.post("/api/posts/", {"text": "Hi", "channels": [channels["libraries"].pk],
                                         "images": [{"url": "https://a.gov.uk/x.png", "alt_text": ""}]},
                         format="json")
    assert no_alt.status_code == 400 and no_alt.json()["code"] == "alt_text_missing"
    assert not Post.objects.exists()


def test_campaigns_are_created_and_scoped(staff, services):
    head = api(staff[Role.HEAD_OF_SERVICE])
    created = head.post("/api/campaigns/", {"name": "Summer reading", "start_date": "2026-07-01",
                                            "end_date": "2026-08-31"}, format="json")
    assert created.status_code == 201 and created.json()["service"] == "libraries"
    bad = head.post("/api/campaigns/", {"name": "Backwards", "start_date": "2026-07-01", "end_date": "2026-06-01"},
                    format="json")
    assert bad.status_code == 400
    other = head.post("/api/campaigns/", {"name": "Not mine", "service": "leisure", "start_date": "2026-07-01",
                                          "end_date": "2026-07-02"}, format="json")
    assert other.status_code == 403
    Campaign.objects.create(name="Leisure offers", service=services["leisure"], start_date="2026-01-01",
                            end_date="2026-01-31")
    assert [c["name"] for c in head.get("/api/campaigns/").json()["results"]] == ["Summer reading"]
    assert len(api(staff[Role.WEB_TEAM]).get("/api/campaigns/").json()["results"]) == 2
    assert api(staff[Role.SERVICE_EDITOR]).post("/api/campaigns/", {
        "name": "x", "start_date": "2026-07-01", "end_date": "2026-07-02"}, format="json").status_code == 403
