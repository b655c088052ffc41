"""The API: web sources through /api/channels/, the watch list at /api/watchlist/, spikes at
/api/spikes/, each scoped by role and described in the OpenAPI schema."""
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.roles import Role
from monitoring.models import SpikeAlert, WatchedAccount, WebSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(staff):
    def as_(role):
        client = APIClient()
        client.force_authenticate(staff[role])
        return client
    return as_


def test_a_web_source_is_added_and_read_through_the_channels_api(api, monkeypatch):
    from platforms import fetch

    monkeypatch.setattr(fetch, "resolve", lambda host, port: ["93.184.215.14"])
    body = {"platform": "web", "handle": "kingsmere-eye", "display_name": "Kingsmere Eye", "service": "communications",
            "url": "https://kingsmere-eye.example/feed", "source": {"kind": "feed", "mode": "searched"}}
    created = api(Role.WEB_TEAM).post("/api/channels/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["source"] == {"kind": "feed", "mode": "searched"}
    assert WebSource.objects.get().mode == "searched"
    listed = api(Role.COMMUNICATIONS_OFFICER).get("/api/channels/?platform=web").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["handle"], r["source"]) for r in rows] == [("kingsmere-eye", {"kind": "feed", "mode": "searched"})]


def test_a_private_address_is_refused_through_the_api(api):
    body = {"platform": "web", "handle": "inside", "display_name": "Inside", "service": "communications",
            "url": "http://192.168.1.10/feed"}
    refused = api(Role.WEB_TEAM).post("/api/channels/", body, format="json")
    assert refused.status_code == 400 and "private address" in refused.json()["url"][0]
    assert not WebSource.objects.exists()


def test_the_watch_list_api_is_scoped_and_audited(api):
    web = api(Role.WEB_TEAM)
    created = web.post("/api/watchlist/", {"platform": "x", "handle": "@jo_gazette", "name": "Jo Reed",
                                           "kind": "journalist", "reason": "Covers the council"}, format="json")
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    assert created.json()["added_by"] and created.json()["review_due_on"]
    assert api(Role.COMMUNICATIONS_OFFICER).get("/api/watchlist/").status_code == 200
    assert api(Role.COMMUNICATIONS_OFFICER).post("/api/watchlist/", {}, format="json").status_code == 403
    assert api(Role.SERVICE_EDITOR).get("/api/watchlist/").status_code == 403
    changed = web.patch(f"/api/watchlist/{entry_id}/", {"reason": "Political editor", "handle": "other"},
                        format="json")
    assert changed.status_code == 200 and changed.json()["handle"] == "jo_gazette"
    assert web.delete(f"/api/watchlist/{entry_id}/").status_code == 204
    assert not WatchedAccount.objects.exists()
    assert AuditEvent.objects.filter(object_type="monitoring.watchedaccount").count() == 3


def test_spikes_api(api):
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    SpikeAlert.objects.create(kind="hashtag", topic="#kingsmerefloods", started_at=hour, last_rising_at=hour, count=10,
                              peak=10, baseline_mean=1, baseline_sd=1, threshold=5, explanation="Rising.")
    rows = api(Role.COMMUNICATIONS_OFFICER).get("/api/spikes/?open=true").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [r["topic"] for r in rows] == ["#kingsmerefloods"]
    assert api(Role.HEAD_OF_SERVICE).get("/api/spikes/").status_code == 403


def test_the_schema_documents_the_new_endpoints(api):
    schema = api(Role.WEB_TEAM).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/watchlist/", "/api/spikes/", "/api/spikes/{id}/"):
        assert path in schema
