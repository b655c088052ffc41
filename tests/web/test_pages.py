"""The web sources and watch list pages: who may see and change them, and bad input."""
import html

import pytest

from accounts.models import AuditEvent, Channel
from accounts.roles import Role
from monitoring.models import WatchedAccount, WebSource

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_web_team_adds_a_source_and_a_private_address_is_refused(staff, client_for, services):
    web = client_for(staff[Role.WEB_TEAM])
    assert web.get("/sources/").status_code == 200
    refused = web.post("/sources/add/", {"url": "http://10.1.2.3/feed", "kind": "feed", "mode": "watched",
                                         "handle": "inside", "display_name": "Inside",
                                         "service": services["communications"].pk})
    assert refused.status_code == 400
    assert "cannot be listened to" in text(refused) and "private address" in text(refused)
    assert text(refused).count("<title>Error: ") == 1
    assert not Channel.objects.filter(platform="web").exists()


def test_a_source_is_added_audited_and_listed(staff, client_for, services, monkeypatch):
    from platforms import fetch

    monkeypatch.setattr(fetch, "resolve", lambda host, port: ["93.184.215.14"])
    web = client_for(staff[Role.WEB_TEAM])
    response = web.post("/sources/add/", {"url": "https://kingsmere-eye.example/feed", "kind": "feed",
                                          "mode": "searched", "handle": "kingsmere-eye", "display_name": "Kingsmere Eye",
                                          "service": services["communications"].pk, "purpose": "<b>local blog</b>"})
    assert response.status_code == 302
    source = WebSource.objects.get()
    assert (source.mode, source.channel.platform, source.channel.url) == ("searched", "web",
                                                                          "https://kingsmere-eye.example/feed")
    assert AuditEvent.objects.filter(action="web_source.create", actor=staff[Role.WEB_TEAM]).exists()
    listing = text(web.get("/sources/"))
    assert "Kingsmere Eye" in listing and "Entries matching the watch terms" in listing
    # Service staff see only their own service's sources; a councillor may not add one.
    editor = client_for(staff[Role.SERVICE_EDITOR])
    assert "Kingsmere Eye" not in text(editor.get("/sources/"))
    assert editor.get("/sources/add/").status_code == 403


def test_the_watch_list_pages(staff, client_for):
    web = client_for(staff[Role.WEB_TEAM])
    empty = web.post("/watch-list/add/", {"platform": "x", "handle": "@jo_gazette", "name": "Jo Reed",
                                          "kind": "journalist", "reason": ""})
    assert empty.status_code == 400 and "Error: " in text(empty)
    added = web.post("/watch-list/add/", {"platform": "x", "handle": "@jo_gazette", "name": "Jo <Reed>",
                                          "kind": "journalist", "reason": "Covers the council"})
    assert added.status_code == 302
    entry = WatchedAccount.objects.get()
    assert entry.handle == "jo_gazette" and entry.added_by == staff[Role.WEB_TEAM]
    page = web.get("/watch-list/").content.decode()
    assert "Jo &lt;Reed&gt;" in page and "Covers the council" in page
    assert web.post(f"/watch-list/{entry.pk}/", {"name": "Jo Reed", "kind": "journalist",
                                                  "reason": "Political editor"}).status_code == 302
    assert web.post(f"/watch-list/{entry.pk}/remove/").status_code == 302
    assert not WatchedAccount.objects.exists()
    assert list(AuditEvent.objects.filter(object_type="monitoring.watchedaccount").values_list(
        "action", flat=True).order_by("at", "id")) == ["watchlist.add", "watchlist.update", "watchlist.remove"]
    comms = client_for(staff[Role.COMMUNICATIONS_OFFICER])
    assert comms.get("/watch-list/").status_code == 200
    assert comms.get("/watch-list/add/").status_code == 403
    assert client_for(staff[Role.SERVICE_EDITOR]).get("/watch-list/").status_code == 403


def test_housekeeping_does_not_ask_for_the_branding_of_someone_elses_blog(services):
    from datetime import timedelta

    from django.utils import timezone

    from accounts import housekeeping

    facts = housekeeping.ChannelFacts(
        id=1, status="active", last_activity_at=timezone.now(), created_at=timezone.now() - timedelta(days=3),
        manager_count=1, service_name="Communications", service_has_head=True, web_team_has_access=True,
        branding_missing=None, connection=None)
    assert "branding" in housekeeping.channel_issues(facts, now=timezone.now(), dormant_after_days=90)
    web = housekeeping.ChannelFacts(**{**facts.__dict__, "platform": "web"})
    assert "branding" not in housekeeping.channel_issues(web, now=timezone.now(), dormant_after_days=90)
