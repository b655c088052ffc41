import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from monitoring import privacy
from monitoring.models import Author, Erasure, Mention, RawPayload
from monitoring.services import ingest_items
from tests.monitoring.scripted import item

pytestmark = pytest.mark.django_db


def store(channel, *items, raw=True):
    body = RawPayload.objects.create(channel=channel, endpoint="mentions", body="{}") if raw else None
    return ingest_items(channel=channel, items=list(items), raw=body)


def test_retention_purges_old_mentions_but_keeps_held_ones(channels, settings, monkeypatch):
    settings.MENTION_RETENTION_DAYS = 30
    with time_machine.travel(timezone.now() - timedelta(days=60)):
        store(channels["libraries"], item(1, author="old"), item(2, author="held"))
    store(channels["libraries"], item(3, author="new"))
    held = Mention.objects.get(external_id="2").pk
    monkeypatch.setattr(privacy, "RETENTION_HOLDS", [lambda: Mention.objects.filter(pk=held).values("pk")])
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        result = privacy.retention_purge()
    assert result["mentions"] == 1 and result["authors"] == 1
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["2", "3"]
    assert not Author.objects.filter(external_id="old").exists()
    assert AuditEvent.objects.filter(action="retention.purge").exists()


def test_subject_access_export_has_everything_held(staff, channels, client_for):
    store(channels["libraries"], item(1, author="res", text="My bin 🗑️ was missed"), item(2, author="res"))
    author = Author.objects.get(external_id="res")
    client = client_for(staff[Role.WEB_TEAM])
    data = json.loads(client.get(f"/authors/{author.pk}/export.json").content)
    assert data["author"]["external_id"] == "res"
    assert [m["text"] for m in data["mentions"]][0] == "My bin 🗑️ was missed"
    csv = client.get(f"/authors/{author.pk}/export.csv").content.decode()
    assert "My bin 🗑️ was missed" in csv and csv.startswith("section,field,value")
    assert AuditEvent.objects.filter(action="author.subject_access").count() == 2  # one per export
    assert client_for(staff[Role.SERVICE_EDITOR]).get(f"/authors/{author.pk}/export.json").status_code == 403


def test_erasure_deletes_the_author_and_is_recorded(staff, channels, client_for):
    store(channels["libraries"], item(1, author="res"), item(2, author="other"))
    author = Author.objects.get(external_id="res")
    client = client_for(staff[Role.WEB_TEAM])
    refused = client.post(f"/authors/{author.pk}/erase/", {"reference": "DPO-1"})
    assert refused.status_code == 400 and "Confirm that you want to erase" in refused.content.decode()
    assert Author.objects.filter(pk=author.pk).exists()
    response = client.post(f"/authors/{author.pk}/erase/", {"reference": "DPO-1", "confirm": "on"})
    assert response.status_code == 302
    assert not Author.objects.filter(external_id="res").exists()
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["2"]
    erasure = Erasure.objects.get()
    assert erasure.reference == "DPO-1" and erasure.counts["mentions"] == 1 and erasure.requested_by
    assert "res" not in json.dumps(erasure.counts) and len(erasure.author_ref) == 64
    assert AuditEvent.objects.filter(action="author.erase", actor=staff[Role.WEB_TEAM]).exists()
