"""ThreadsClient against the response shapes in Meta's Threads API documentation (responses)."""
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from platforms.base import AppConfig, AuthError, Credentials, InvalidRequest, MalformedPayload
from platforms.threads import SEARCH_QUERIES_PER_DAY, ThreadsClient

BASE = "https://graph.threads.net/v1.0"
USER = "26120000000000001"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC).timestamp()

# Shapes as Meta documents them (developers.facebook.com/docs/threads: keyword search, mentions,
# conversation, publishing, reply management, webhooks).
MEDIA = {"id": "1234567890", "text": "Kingsmere's new library opens on Monday @kingsmerebc",
         "username": "elm_grove_jo", "permalink": "https://www.threads.net/@elm_grove_jo/post/abc",
         "timestamp": "2026-12-05T11:30:00+0000", "media_type": "TEXT_POST", "is_reply": False,
         "has_replies": False, "hide_status": "NOT_HUSHED"}
REPLY = {"id": "1234567891", "text": "When is the tip open?", "username": "resident_two",
         "permalink": "https://www.threads.net/@resident_two/post/abd", "timestamp": "2026-12-05T11:40:00+0000",
         "media_type": "TEXT_POST", "is_reply": True, "has_replies": False, "root_post": {"id": "999"},
         "replied_to": {"id": "999"}, "hide_status": "NOT_HUSHED"}
WEBHOOK = {"app_id": "123456", "topic": "moderate", "target_id": USER, "time": 1764936000,
           "subscription_id": "654321", "has_uid_field": False,
           "values": {"value": {**REPLY, "shortcode": "abd"}, "field": "replies"}}


def client(scopes=()) -> ThreadsClient:
    c = ThreadsClient(credentials=Credentials(access_token="tok", account_id=USER, handle="kingsmerebc"),
                      app=AppConfig(client_id="app", client_secret="secret", scopes=tuple(scopes)))
    c._now = lambda: NOW
    c._sleep = lambda s: None
    return c


def test_parses_documented_shapes():
    c = client()
    [mention] = c.parse({"data": [MEDIA], "paging": {"cursors": {"before": "b", "after": "a"}}}, endpoint="mentions")
    assert (mention.external_id, mention.kind, mention.author.handle) == ("1234567890", "mention", "elm_grove_jo")
    assert mention.posted_at == datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
    [reply] = c.parse({"data": [REPLY]})
    assert reply.kind == "reply" and reply.in_reply_to_id == "999" and reply.conversation_id == "999"
    [hit] = c.parse({"data": [MEDIA]}, endpoint="search")
    assert hit.kind == "search_hit"
    [pushed] = c.parse(WEBHOOK)
    assert pushed.external_id == "1234567891" and pushed.kind == "reply"
    assert c.parse({"id": "1"}) == [] and c.parse({"data": []}) == []
    with pytest.raises(MalformedPayload):
        c.parse({"unexpected": True})
    with pytest.raises(MalformedPayload):
        c.parse({"data": [{"id": "1", "text": "no time"}]})


def test_hostile_text_is_kept_exactly():
    text = "<script>alert(1)</script>\u202e\x00" + "x" * 5000
    [item] = client().parse({"data": [{**MEDIA, "text": text}]})
    assert item.text == text


@responses.activate
def test_mentions_page_since_the_watermark():
    responses.get(f"{BASE}/{USER}/mentions", json={"data": [MEDIA], "paging": {"cursors": {"after": "A"},
                                                                                "next": f"{BASE}/x?after=A"}})
    responses.get(f"{BASE}/{USER}/mentions", json={"data": []})
    c = client()
    first = c.fetch("mentions", None)
    assert [i.external_id for i in first.items] == ["1234567890"] and first.has_more
    second = c.fetch("mentions", first.next_cursor)
    assert second.items == [] and not second.has_more
    assert parse_qs(urlsplit(responses.calls[1].request.url).query)["after"] == ["A"]
    state = json.loads(second.next_cursor)
    assert state["since"] == int(datetime(2026, 12, 5, 11, 25, tzinfo=UTC).timestamp())


@responses.activate
def test_keyword_search_counts_queries_and_respects_the_daily_limit():
    responses.get(f"{BASE}/keyword_search", json={"data": [MEDIA]})
    c = client()
    page = c.fetch("search", None, watch_terms=["Kingsmere", "library"])
    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert query["q"] == ["Kingsmere"] and query["search_type"] == ["RECENT"]
    assert page.rate_limit.limit == SEARCH_QUERIES_PER_DAY and page.rate_limit.remaining == SEARCH_QUERIES_PER_DAY - 2
    # with the day's queries used, nothing is asked and the page says when it frees up
    hour = int(NOW) // 3600
    spent = json.dumps({"queries": {str(hour - 1): SEARCH_QUERIES_PER_DAY}})
    calls = len(responses.calls)
    capped = c.fetch("search", spent, watch_terms=["Kingsmere"])
    assert len(responses.calls) == calls and capped.items == []
    assert capped.rate_limit.remaining == 0 and capped.rate_limit.reset_at is not None
    assert json.loads(capped.next_cursor)["skipped"] == ["Kingsmere"]
    # queries older than a day no longer count
    old = json.dumps({"queries": {str(hour - 30): SEARCH_QUERIES_PER_DAY}})
    assert c.fetch("search", old, watch_terms=["Kingsmere"]).rate_limit.remaining == SEARCH_QUERIES_PER_DAY - 1


@responses.activate
def test_keyword_search_needs_the_permission():
    page = client(scopes=("threads_basic",)).fetch("search", None, watch_terms=["Kingsmere"])
    assert page.items == [] and not responses.calls


@responses.activate
def test_publishes_an_image_with_alt_text_in_two_steps_and_replies():
    responses.post(f"{BASE}/{USER}/threads", json={"id": "c1"})
    responses.get(f"{BASE}/c1", json={"status": "FINISHED", "id": "c1"})
    responses.post(f"{BASE}/{USER}/threads_publish", json={"id": "m1"})
    responses.get(f"{BASE}/m1", json={"permalink": "https://www.threads.net/@kingsmerebc/post/m1", "id": "m1"})
    published = client().publish("Library opens Monday", images=[("https://cdn.example/lib.jpg", "The new library")])
    assert published.external_id == "m1" and published.url.endswith("/m1")
    create = parse_qs(responses.calls[0].request.body)
    assert create["media_type"] == ["IMAGE"] and create["alt_text"] == ["The new library"]
    assert parse_qs(responses.calls[2].request.body)["creation_id"] == ["c1"]
    client().reply("1234567891", "Thanks, 8am to 6pm")
    assert parse_qs(responses.calls[4].request.body)["reply_to_id"] == ["1234567891"]


@responses.activate
def test_a_container_in_error_is_refused():
    responses.post(f"{BASE}/{USER}/threads", json={"id": "c1"})
    responses.get(f"{BASE}/c1", json={"status": "ERROR", "error_message": "FAILED_DOWNLOADING_VIDEO", "id": "c1"})
    with pytest.raises(InvalidRequest):
        client().publish("x", images=[("https://cdn.example/a.jpg", "")])


@responses.activate
def test_hides_a_reply_and_maps_a_revoked_token():
    responses.post(f"{BASE}/1234567891/manage_reply", json={"success": True})
    client().hide("1234567891")
    assert parse_qs(responses.calls[0].request.body)["hide"] == ["true"]
    responses.get(f"{BASE}/{USER}/mentions", status=400, json={"error": {
        "message": "Error validating access token: The session has been invalidated.", "type": "OAuthException",
        "code": 190, "error_subcode": 460, "fbtrace_id": "A1"}})
    with pytest.raises(AuthError):
        client().fetch("mentions", None)
