"""Object-level access to the channel registry, through the UI and the API."""
import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent, Channel
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(client, channels):
    for url in ["/", "/channels/", f"/channels/{channels['libraries'].pk}/", "/channels/add/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/?next=")


def test_anonymous_api_is_refused(channels):
    assert APIClient().get("/api/channels/").status_code in (401, 403)


def test_service_staff_see_only_their_services_channels(client_for, staff, channels):
    client = client_for(staff[Role.SERVICE_EDITOR])
    page = client.get("/channels/").content.decode()
    assert "@Libs" in page and "Leisure" not in page.split("<table")[1] and "@Council" not in page
    assert client.get(f"/channels/{channels['libraries'].pk}/").status_code == 200
    assert client.get(f"/channels/{channels['leisure'].pk}/").status_code == 404
    assert client.get(f"/channels/{channels['leisure'].pk}/edit/").status_code == 404


def test_service_staff_cannot_change_another_services_channel(client_for, staff, channels):
    client = client_for(staff[Role.HEAD_OF_SERVICE])
    leisure = channels["leisure"]
    response = client.post(f"/channels/{leisure.pk}/edit/", {
        "platform": "facebook", "handle": "Hijacked", "display_name": "x", "service": leisure.service_id,
        "kind": "service", "status": "active"})
    assert response.status_code == 404
    leisure.refresh_from_db()
    assert leisure.handle == "Leisure"


def test_service_editor_can_change_own_channel_and_it_is_audited(client_for, staff, channels, services):
    client = client_for(staff[Role.SERVICE_EDITOR])
    libs = channels["libraries"]
    response = client.post(f"/channels/{libs.pk}/edit/", {
        "platform": "x", "handle": "@Libs", "display_name": "Our libraries", "service": services["libraries"].pk,
        "kind": "service", "status": "active", "purpose": "Events"})
    assert response.status_code == 302
    libs.refresh_from_db()
    assert libs.display_name == "Our libraries"
    event = AuditEvent.objects.get(action="channel.update", object_id=str(libs.pk))
    assert event.actor == staff[Role.SERVICE_EDITOR]
    assert event.changes["display_name"] == ["Libraries", "Our libraries"]
    assert "Our libraries" in client.get(f"/channels/{libs.pk}/").content.decode()


def test_service_staff_cannot_move_a_channel_to_another_service(client_for, staff, channels, services):
    client = client_for(staff[Role.SERVICE_EDITOR])
    libs = channels["libraries"]
    response = client.post(f"/channels/{libs.pk}/edit/", {
        "platform": "x", "handle": "@Libs", "display_name": "L", "service": services["leisure"].pk,
        "kind": "service", "status": "active"})
    assert response.status_code == 200 and "Select service from the list" in response.content.decode()
    libs.refresh_from_db()
    assert libs.service == services["libraries"]


def test_web_team_and_comms_see_every_channel(client_for, staff, channels):
    for role in (Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER):
        page = client_for(staff[role]).get("/channels/").content.decode()
        assert all(c.handle in page for c in channels.values())


def test_only_web_team_adds_channels(client_for, staff, services):
    data = {"platform": "x", "handle": "@New", "display_name": "New", "service": services["leisure"].pk,
            "kind": "service", "status": "setting_up"}
    assert client_for(staff[Role.SERVICE_EDITOR]).post("/channels/add/", data).status_code == 403
    assert client_for(staff[Role.COMMUNICATIONS_OFFICER]).post("/channels/add/", data).status_code == 403
    response = client_for(staff[Role.WEB_TEAM]).post("/channels/add/", data)
    assert response.status_code == 302
    channel = Channel.objects.get(handle="@New")
    assert AuditEvent.objects.filter(action="channel.create", object_id=str(channel.pk)).exists()


def test_duplicate_handle_gets_a_clear_message_and_changes_nothing(client_for, staff, channels, services):
    before = Channel.objects.count()
    response = client_for(staff[Role.WEB_TEAM]).post("/channels/add/", {
        "platform": "x", "handle": "@libs", "display_name": "Dup", "service": services["libraries"].pk,
        "kind": "service", "status": "active"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "already has a channel with this handle" in page
    assert "<title>Error:" in page and 'class="govuk-error-summary"' in page
    assert Channel.objects.count() == before


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_lists_only_visible_channels(staff, channels):
    ids = {c["id"] for c in api(staff[Role.SERVICE_EDITOR]).get("/api/channels/").json()["results"]}
    assert ids == {channels["libraries"].pk}
    ids = {c["id"] for c in api(staff[Role.WEB_TEAM]).get("/api/channels/").json()["results"]}
    assert ids == {c.pk for c in channels.values()}
    assert api(staff[Role.COUNCILLOR]).get("/api/channels/").json()["results"] == []


def test_api_hides_and_protects_other_services_channels(staff, channels):
    client = api(staff[Role.SERVICE_EDITOR])
    leisure = channels["leisure"]
    assert client.get(f"/api/channels/{leisure.pk}/").status_code == 404
    assert client.patch(f"/api/channels/{leisure.pk}/", {"display_name": "x"}, format="json").status_code == 404
    leisure.refresh_from_db()
    assert leisure.display_name == "Leisure"


def test_api_customer_services_can_read_but_not_change(staff, services, channels):
    cs_channel = Channel.objects.create(platform="x", handle="@Help", display_name="Help",
                                        service=services["customer-services"])
    client = api(staff[Role.CUSTOMER_SERVICES])
    assert client.get(f"/api/channels/{cs_channel.pk}/").status_code == 200
    assert client.patch(f"/api/channels/{cs_channel.pk}/", {"display_name": "x"}, format="json").status_code == 403


def test_api_update_own_channel_audited_and_bad_input_changes_nothing(staff, channels):
    client = api(staff[Role.SERVICE_EDITOR])
    libs = channels["libraries"]
    response = client.patch(f"/api/channels/{libs.pk}/", {"display_name": "Libraries team"}, format="json")
    assert response.status_code == 200 and response.json()["display_name"] == "Libraries team"
    assert AuditEvent.objects.filter(action="channel.update", object_id=str(libs.pk)).count() == 1
    response = client.patch(f"/api/channels/{libs.pk}/", {"service": "leisure"}, format="json")
    assert response.status_code == 400 and "own service" in str(response.json())
    response = client.patch(f"/api/channels/{libs.pk}/", {"kind": "nonsense"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()
    libs.refresh_from_db()
    assert (libs.service.slug, libs.kind) == ("libraries", "service")


def test_api_create_needs_web_team(staff, channels):
    data = {"platform": "bluesky", "handle": "libs.bsky.social", "display_name": "L", "service": "libraries"}
    assert api(staff[Role.HEAD_OF_SERVICE]).post("/api/channels/", data, format="json").status_code == 403
    response = api(staff[Role.WEB_TEAM]).post("/api/channels/", data, format="json")
    assert response.status_code == 201
    assert "access_token" not in response.content.decode()


def test_status_follows_the_lifecycle_not_the_edit_form(client_for, staff, channels, services):
    libs = channels["libraries"]
    client = client_for(staff[Role.WEB_TEAM])
    assert 'name="status"' not in client.get(f"/channels/{libs.pk}/edit/").content.decode()
    client.post(f"/channels/{libs.pk}/edit/", {
        "platform": "x", "handle": "@Libs", "display_name": "Libraries", "service": services["libraries"].pk,
        "kind": "service", "status": "closed"})
    response = api(staff[Role.WEB_TEAM]).patch(f"/api/channels/{libs.pk}/", {"status": "closed"}, format="json")
    assert response.status_code == 200
    libs.refresh_from_db()
    assert libs.status == "active"


def test_a_non_superuser_administrator_can_manage_the_models_in_admin(make_user, services):
    admin = make_user("admin2", Role.ADMINISTRATOR, services["communications"], is_staff=True)
    for perm in ("accounts.change_channel", "monitoring.view_mention", "accounts.change_user",
                 "django_celery_beat.change_periodictask"):
        assert admin.has_perm(perm), perm
