import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent, ChannelConnection
from accounts.roles import Role
from accounts.services import channel_connection_store, user_set_roles

pytestmark = pytest.mark.django_db
SECRET = "ya29.a0-very-secret-access-token"


def test_tokens_are_encrypted_at_rest_and_never_shown(staff, channels, client_for):
    channel = channels["libraries"]
    channel_connection_store(actor=staff[Role.WEB_TEAM], channel=channel, account_id="123",
                             access_token=SECRET, refresh_token="refresh-secret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM accounts_channelconnection")
        raw_access, raw_refresh = cursor.fetchone()
    assert SECRET not in raw_access and "refresh-secret" not in raw_refresh
    assert ChannelConnection.objects.get().access_token == SECRET
    admin = client_for(staff[Role.ADMINISTRATOR])
    pages = [
        admin.get(reverse("admin:accounts_channel_change", args=[channel.pk])),
        admin.get(f"/channels/{channel.pk}/"),
    ]
    api = APIClient()
    api.force_authenticate(staff[Role.WEB_TEAM])
    pages.append(api.get(f"/api/channels/{channel.pk}/"))
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert SECRET not in body and "refresh-secret" not in body
    event = AuditEvent.objects.get(action="channel.connect")
    assert SECRET not in str(event.changes)
    assert SECRET not in repr(ChannelConnection.objects.get().channel)


def test_role_changes_are_audited(staff):
    editor = staff[Role.SERVICE_EDITOR]
    user_set_roles(actor=staff[Role.ADMINISTRATOR], user=editor, roles=[Role.HEAD_OF_SERVICE])
    event = AuditEvent.objects.filter(action="user.roles", object_id=str(editor.pk)).latest("at")
    assert event.changes == {"roles": [["service_editor"], ["head_of_service"]]}
    assert event.actor == staff[Role.ADMINISTRATOR]


def test_admin_changes_are_audited(staff, services, client_for):
    admin = client_for(staff[Role.ADMINISTRATOR])
    service = services["leisure"]
    response = admin.post(reverse("admin:accounts_service_change", args=[service.pk]), {
        "name": "Leisure and Culture", "slug": "leisure", "email": "", "web_url": ""})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="service.update")
    assert event.changes["name"] == ["Leisure", "Leisure and Culture"] and event.actor_name == str(
        staff[Role.ADMINISTRATOR])
    history = admin.get(reverse("admin:accounts_service_history", args=[service.pk])).content.decode()
    assert "Leisure and Culture" in history


def test_admin_membership_changes_are_audited(staff, client_for):
    from django.contrib.auth.models import Group

    admin = client_for(staff[Role.ADMINISTRATOR])
    cllr = staff[Role.COUNCILLOR]
    group = Group.objects.get(name=Role.COMMUNICATIONS_OFFICER)
    page = admin.get(reverse("admin:accounts_user_change", args=[cllr.pk]))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions")}
    data.update({"groups": [group.pk], "date_joined_0": "2026-01-01", "date_joined_1": "09:00:00",
                 "password": form.initial["password"], "username": cllr.username})
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = admin.post(reverse("admin:accounts_user_change", args=[cllr.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.filter(action="user.roles", object_id=str(cllr.pk)).latest("at")
    assert event.changes["roles"][1] == ["communications_officer"]


def test_audit_view_filters_and_csv(staff, channels, client_for):
    channel_connection_store(actor=staff[Role.WEB_TEAM], channel=channels["libraries"], account_id="1",
                             access_token="t")
    client = client_for(staff[Role.WEB_TEAM])
    page = client.get("/audit/?action=channel.connect").content.decode()
    assert "channel.connect" in page
    csv = b"".join(client.get("/audit/?format=csv").streaming_content).decode()
    assert csv.splitlines()[0].startswith("at,actor,action")
    assert "channel.connect" in csv
    assert client_for(staff[Role.SERVICE_EDITOR]).get("/audit/").status_code == 403
    assert client.get("/audit/?from=not-a-date").status_code == 302
