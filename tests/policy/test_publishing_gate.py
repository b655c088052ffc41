"""Done when (issue 6): a staff member who has not acknowledged the current policy is refused
when submitting a post, through the UI and the API, with a message that links to the policy."""
import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from policy import services as policy_services

pytestmark = pytest.mark.django_db

publishing = pytest.importorskip("publishing.services")


@pytest.fixture
def post(staff, channels):
    return publishing.post_create(actor=staff[Role.SERVICE_EDITOR], text="Library opening hours change next week.",
                                  channels=[channels["libraries"]])


def test_an_unacknowledged_policy_stops_submitting_a_post_on_the_page(staff, post, staff_policy, publish,
                                                                       client_for):
    version = publish(staff_policy)
    editor = staff[Role.SERVICE_EDITOR]
    client = client_for(editor)
    refused = client.post(f"/posts/{post.pk}/submit/", follow=True)
    html = refused.content.decode()
    assert "read and acknowledge the Social media policy (version 1)" in html
    assert "/policies/social-media-policy/" in html
    post.refresh_from_db()
    assert post.state == "draft"

    policy_services.policy_acknowledge(actor=editor, version=version)
    client.post(f"/posts/{post.pk}/submit/")
    post.refresh_from_db()
    assert post.state == "submitted"


def test_an_unacknowledged_policy_stops_submitting_a_post_through_the_api(staff, post, staff_policy, publish):
    version = publish(staff_policy)
    editor = staff[Role.SERVICE_EDITOR]
    client = APIClient()
    client.force_authenticate(editor)
    refused = client.post(f"/api/posts/{post.pk}/submit/", format="json")
    assert refused.status_code == 403
    body = refused.json()
    assert "read and acknowledge the Social media policy (version 1)" in body["detail"]
    assert body["link"] == "/policies/social-media-policy/"
    post.refresh_from_db()
    assert post.state == "draft"

    policy_services.policy_acknowledge(actor=editor, version=version)
    assert client.post(f"/api/posts/{post.pk}/submit/", format="json").status_code == 200
