import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Channel
from accounts.roles import Role
from monitoring.clients import client_for
from monitoring.models import Author, Mention, Quarantine, RawPayload
from monitoring.services import ingest_items
from tests.monitoring.scripted import item
from tests.platforms import payloads as recorded

pytestmark = pytest.mark.django_db
PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "platform-payloads"


def run(*args):
    out = StringIO()
    call_command("ingest_file", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def x_payload():
    path = PAYLOADS / "x" / "users_mentions_expanded__academictwitter.json"
    if not path.exists():
        pytest.skip("shared/platform-payloads is not beside the project")
    return path


def test_ingest_file_twice_creates_nothing_the_second_time(channels, x_payload):
    expected = len(json.loads(x_payload.read_text())["data"])
    first = run("--platform", "x", "--channel", "@libs", str(x_payload))
    assert first == {"created": expected, "duplicates": 0, "quarantined": 0}
    second = run("--platform", "x", "--channel", "@Libs", str(x_payload))
    assert second == {"created": 0, "duplicates": expected, "quarantined": 0}
    assert Mention.objects.count() == expected


def test_ingest_file_quarantines_a_truncated_body(channels, x_payload, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text(x_payload.read_text()[:500])
    assert run("--platform", "x", "--channel", "@Libs", str(broken)) == {
        "created": 0, "duplicates": 0, "quarantined": 1}
    assert Quarantine.objects.get().body == x_payload.read_text()[:500]


# Every recorded body of every platform with a client (web feeds are read elsewhere).
RECORDED = [(platform, name) for platform in ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky",
                                              "linkedin") for name in recorded.names(platform)]


def is_error_body(name: str) -> bool:
    return name.startswith("error_") or "_error_" in name


@pytest.mark.parametrize(("platform", "name"), RECORDED, ids=[f"{p}/{n}" for p, n in RECORDED])
def test_ingest_file_on_every_recorded_payload(services, platform, name):
    """Each recording is a clean error or a stored set of mentions, and the same file again
    stores nothing at all."""
    channel = Channel.objects.create(platform=platform, handle="council", display_name="Council",
                                     service=services["communications"])
    path = recorded.folder(platform) / f"{name}.json"
    if is_error_body(name):
        with pytest.raises(CommandError, match="is an error response, not items"):
            run("--platform", platform, "--channel", "council", str(path))
        assert (Mention.objects.count(), RawPayload.objects.count(), Quarantine.objects.count()) == (0, 0, 0)
        return
    ids = [i.external_id for i in client_for(channel).parse(json.loads(path.read_text(encoding="utf-8")))]
    first = run("--platform", platform, "--channel", "council", str(path))
    assert first == {"created": len(set(ids)), "duplicates": len(ids) - len(set(ids)), "quarantined": 0}
    assert set(Mention.objects.filter(channel=channel).values_list("external_id", flat=True)) == set(ids)
    stored = (Mention.objects.count(), RawPayload.objects.count(), Author.objects.count())
    assert RawPayload.objects.count() == (1 if ids else 0)
    second = run("--platform", platform, "--channel", "council", str(path))
    assert second == {"created": 0, "duplicates": len(ids), "quarantined": 0}
    assert (Mention.objects.count(), RawPayload.objects.count(), Author.objects.count()) == stored
    assert Quarantine.objects.count() == 0


def test_ingest_file_unknown_channel_is_a_clear_error(channels, x_payload):
    with pytest.raises(CommandError, match="No x channel with the handle"):
        run("--platform", "x", "--channel", "@nobody", str(x_payload))


def store(channel, *items):
    return ingest_items(channel=channel, items=list(items), raw=None)


def test_mentions_api_is_scoped_and_filterable(staff, channels):
    store(channels["libraries"], item(1, text="Library opening hours?"), item(2, text="bins"))
    leisure_item = item(3, text="Pool closed")
    store(channels["leisure"], leisure_item)
    client = APIClient()
    client.force_authenticate(staff[Role.SERVICE_EDITOR])
    data = client.get("/api/mentions/").json()
    assert {m["external_id"] for m in data["results"]} == {"1", "2"}
    first = data["results"][-1]
    for key in ("id", "platform", "external_id", "channel", "author", "text", "posted_at", "url", "route",
                "service"):
        assert key in first
    assert first["service"] == "libraries"
    assert [m["external_id"] for m in client.get("/api/mentions/?q=opening").json()["results"]] == ["1"]
    hidden = Mention.objects.get(external_id="3").pk
    assert client.get(f"/api/mentions/{hidden}/").status_code == 404
    assert client.get("/api/mentions/?since=yesterday").status_code == 400
    client.force_authenticate(staff[Role.WEB_TEAM])
    assert client.get("/api/mentions/").json()["count"] == 3
    assert client.get(f"/api/mentions/?channel={channels['leisure'].pk}").json()["count"] == 1


def test_channel_health_is_in_the_api(staff, channels, polled):
    client = APIClient()
    client.force_authenticate(staff[Role.WEB_TEAM])
    health = client.get(f"/api/channels/{polled.channel_id}/").json()["health"]
    assert health["connected"] is True and health["needs_reauth"] is False
    assert health["endpoints"][0]["endpoint"] == "mentions"


def test_mentions_view_escapes_hostile_text(staff, channels, client_for):
    store(channels["libraries"], item(1, text='<script>alert("x")</script><img src=x onerror=alert(1)>'))
    page = client_for(staff[Role.SERVICE_EDITOR]).get("/mentions/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_mentions_view_is_scoped(staff, channels, client_for):
    store(channels["leisure"], item(5, text="Leisure only text"))
    assert "Leisure only text" not in client_for(staff[Role.SERVICE_EDITOR]).get("/mentions/").content.decode()
    assert "Leisure only text" in client_for(staff[Role.WEB_TEAM]).get("/mentions/").content.decode()
    assert client_for(staff[Role.COUNCILLOR]).get("/mentions/").status_code == 200


def test_channel_page_shows_health(staff, channels, polled, client_for):
    page = client_for(staff[Role.WEB_TEAM]).get(f"/channels/{polled.channel_id}/").content.decode()
    assert "Polling health" in page and "mentions" in page


def test_registry_channels_without_a_client_have_no_connect_button(staff, services, client_for):
    flickr = Channel.objects.create(platform="flickr", handle="photos", display_name="Photos",
                                    service=services["communications"])
    page = client_for(staff[Role.WEB_TEAM]).get(f"/channels/{flickr.pk}/").content.decode()
    assert "/connect/" not in page


def test_the_mentions_page_and_api_use_a_fixed_number_of_queries(staff, channels, client_for,
                                                                 django_assert_max_num_queries):
    client = client_for(staff[Role.WEB_TEAM])
    api = APIClient()
    api.force_authenticate(staff[Role.WEB_TEAM])
    store(channels["libraries"], *[item(n, author=f"a{n}") for n in range(3)])
    with django_assert_max_num_queries(40) as few:
        client.get("/mentions/")
    with django_assert_max_num_queries(40) as few_api:
        api.get("/api/mentions/")
    store(channels["libraries"], *[item(n, author=f"a{n}") for n in range(3, 40)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/mentions/")
    with django_assert_max_num_queries(len(few_api.captured_queries)):
        api.get("/api/mentions/")


def test_a_nul_in_a_search_is_answered_not_an_error(staff, channels):
    store(channels["libraries"], item(1, text="before\x00after"))
    client = APIClient()
    client.force_authenticate(staff[Role.WEB_TEAM])
    response = client.get("/api/mentions/", {"q": "e\x00a"})
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["results"]] == ["before\x00after"]
