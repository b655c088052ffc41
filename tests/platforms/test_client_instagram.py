"""InstagramClient behaviour at the HTTP layer (responses)."""
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from platforms.base import (
    AppConfig,
    AuthError,
    Credentials,
    InvalidRequest,
    MalformedPayload,
    RateLimited,
    TransientError,
    simulator_urls,
)
from platforms.instagram import InstagramClient

BASE = "https://graph.facebook.com/v21.0"
IG = "178400"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC).timestamp()
APP = AppConfig(client_id="app-id", client_secret="app-secret")


def client(**kw) -> InstagramClient:
    ig = InstagramClient(credentials=Credentials(access_token="page-token", account_id=IG, handle="thecouncil"),
                         app=APP, **kw)
    ig._now = lambda: NOW
    ig._sleep = lambda seconds: None
    return ig


def ts(minutes_ago: float) -> str:
    return datetime.fromtimestamp(NOW - minutes_ago * 60, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def media(mid: str, minutes_ago: float, comments: int) -> dict:
    return {"id": mid, "caption": f"media {mid}", "timestamp": ts(minutes_ago), "comments_count": comments,
            "like_count": 1, "media_type": "IMAGE", "permalink": f"https://www.instagram.com/p/{mid}/",
            "username": "thecouncil"}


def comment(cid: str, minutes_ago: float, *, user="resident", replies=None, media_id=None) -> dict:
    body = {"id": cid, "text": f"comment {cid}", "timestamp": ts(minutes_ago), "username": user,
            "from": {"id": f"u-{user}", "username": user}, "like_count": 3}
    if media_id:
        body["media"] = {"id": media_id}
    if replies is not None:
        body["replies"] = replies
    return body


def next_link(path: str, after: str) -> dict:
    return {"cursors": {"before": "b", "after": after},
            "next": f"https://graph.facebook.com/v21.0{path}?access_token=t&limit=50&after={after}"}


def query_of(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def drain(ig, endpoint, cursor=None):
    items, pages = [], []
    for _ in range(30):
        page = ig.fetch(endpoint, cursor)
        pages.append(page)
        items += page.items
        cursor = page.next_cursor
        if not page.has_more:
            return items, cursor, pages
    raise AssertionError("run did not finish")


def test_real_urls_and_endpoints():
    assert InstagramClient.default_base_url == "https://graph.facebook.com/v21.0"
    assert InstagramClient.endpoints == ("comments", "tags", "hashtags")
    assert simulator_urls(InstagramClient, "http://sim")["token_url"] == "http://sim/instagram/v21.0/oauth/access_token"


# --- polling -------------------------------------------------------------------------


@responses.activate
def test_comments_run_reads_changed_media_with_replies():
    ig = client()
    responses.add("GET", f"{BASE}/{IG}/media", json={"data": [media("m1", 30, 3), media("m2", 60, 0)],
                                                     "paging": next_link(f"/{IG}/media", "M2")})
    replies = {"data": [comment("r1", 5, user="someone")], "paging": next_link("/c1/replies", "R2")}
    responses.add("GET", f"{BASE}/m1/comments", json={
        "data": [comment("c1", 10, replies=replies, media_id="m1"), comment("own", 9, user="thecouncil")],
        "paging": next_link("/m1/comments", "C2")})
    responses.add("GET", f"{BASE}/c1/replies", json={"data": [comment("r2", 4)]})
    responses.add("GET", f"{BASE}/m1/comments", json={"data": [comment("c0", 20, media_id="m1")]})
    responses.add("GET", f"{BASE}/{IG}/media", json={"data": [media("m3", 90, 1)]})
    responses.add("GET", f"{BASE}/m3/comments", json={"data": [comment("c3", 80, media_id="m3")]})

    items, cursor, pages = drain(ig, "comments")
    by_id = {i.external_id: i for i in items}
    assert set(by_id) == {"c1", "r1", "r2", "c0", "c3"}  # the account's own comment is left out
    assert (by_id["c1"].kind, by_id["c1"].in_reply_to_id, by_id["c1"].conversation_id) == ("comment", "m1", "m1")
    assert (by_id["r1"].kind, by_id["r1"].in_reply_to_id, by_id["r1"].conversation_id) == ("reply", "c1", "m1")
    assert (by_id["r2"].kind, by_id["r2"].in_reply_to_id) == ("reply", "c1")
    assert by_id["c1"].author.handle == "resident" and by_id["c1"].author.external_id == "u-resident"
    paths = [urlsplit(c.request.url).path.replace("/v21.0", "") for c in responses.calls]
    assert paths == [f"/{IG}/media", "/m1/comments", "/c1/replies", "/m1/comments", f"/{IG}/media", "/m3/comments"]
    assert query_of(responses.calls[2])["after"] == "R2"
    assert query_of(responses.calls[3])["after"] == "C2"
    assert query_of(responses.calls[4])["after"] == "M2"
    assert all(p.has_more for p in pages[:-1]) and not pages[-1].has_more
    assert "since" not in json.loads(pages[-2].next_cursor)
    state = json.loads(cursor)
    assert state["counts"] == {"m1": 3, "m2": 0, "m3": 1}
    assert state["since"] == int(NOW - ig.margin.total_seconds())

    # Next run: nothing changed, so only the media list is read.
    responses.reset()
    responses.add("GET", f"{BASE}/{IG}/media", json={"data": [media("m1", 30, 3), media("m2", 60, 0),
                                                              media("m3", 90, 1)]})
    items, cursor, _ = drain(ig, "comments", cursor)
    assert items == [] and len(responses.calls) == 1

    # A new comment changes the count: that media is read again, old comments filtered.
    responses.reset()
    responses.add("GET", f"{BASE}/{IG}/media", json={"data": [media("m1", 30, 4)]})
    responses.add("GET", f"{BASE}/m1/comments", json={"data": [comment("c9", -1), comment("c1", 10)]})
    items, cursor, _ = drain(ig, "comments", cursor)
    assert [i.external_id for i in items] == ["c9"]


@responses.activate
def test_tags_newest_first_until_watermark():
    ig = client()
    since = int(NOW - 3600)
    responses.add("GET", f"{BASE}/{IG}/tags", json={"data": [media("t1", 10, 0), media("t2", 50, 0)],
                                                    "paging": next_link(f"/{IG}/tags", "T2")})
    responses.add("GET", f"{BASE}/{IG}/tags", json={"data": [media("t3", 59, 0), media("t4", 90, 0)],
                                                    "paging": next_link(f"/{IG}/tags", "T3")})
    ig.credentials.handle = "other"  # tagged media are by other accounts
    items, cursor, _ = drain(ig, "tags", json.dumps({"since": since}))
    assert [i.external_id for i in items] == ["t1", "t2", "t3"]
    assert all(i.kind == "mention" for i in items)
    assert len(responses.calls) == 2


@responses.activate
def test_mentioned_media_and_comment_requests():
    ig = client()
    responses.add("GET", f"{BASE}/{IG}", json={"mentioned_media": {**media("mm", 5, 0), "username": "neighbour"},
                                               "id": IG})
    responses.add("GET", f"{BASE}/{IG}", json={"mentioned_comment": comment("mc", 5), "id": IG})
    items = ig.mentioned_media("mm")
    assert items[0].external_id == "mm" and items[0].kind == "mention"
    assert query_of(responses.calls[0])["fields"].startswith("mentioned_media.media_id(mm){")
    items = ig.mentioned_comment("mc")
    assert items[0].external_id == "mc" and items[0].kind == "mention"
    assert query_of(responses.calls[1])["fields"].startswith("mentioned_comment.comment_id(mc){")


# --- errors ---------------------------------------------------------------------------


@responses.activate
def test_instagram_throttling_is_rate_limited():
    usage = {IG: [{"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 3}]}
    responses.add("GET", f"{BASE}/{IG}/tags", status=400, headers={"X-Business-Use-Case-Usage": json.dumps(usage)},
                  json={"error": {"message": "(#80002) There have been too many calls to this Instagram account.",
                                  "type": "OAuthException", "code": 80002}})
    with pytest.raises(RateLimited) as caught:
        client().fetch("tags", None)
    assert caught.value.retry_at <= datetime.now(UTC) + timedelta(minutes=3, seconds=5)


@responses.activate
def test_expired_token_is_auth_error():
    responses.add("GET", f"{BASE}/{IG}/media", status=400, json={"error": {
        "message": "Error validating access token", "type": "OAuthException", "code": 190, "error_subcode": 463}})
    with pytest.raises(AuthError):
        client().fetch("comments", None)


@pytest.mark.parametrize("exc", [requests.Timeout(), requests.ConnectionError()])
@responses.activate
def test_timeouts_are_transient(exc):
    responses.add("GET", f"{BASE}/{IG}/tags", body=exc)
    with pytest.raises(TransientError):
        client().fetch("tags", None)


@pytest.mark.parametrize("text", [
    '{"data": [{"id": "1", "text": "cut off',
    json.dumps({"data": [{"text": "no id", "timestamp": "2024-01-01T00:00:00+0000"}]}),
    json.dumps({"data": [{"id": "1", "caption": "no time"}]}),
    json.dumps({"items": []}),
])
@responses.activate
def test_malformed_bodies_carry_the_body(text):
    responses.add("GET", f"{BASE}/{IG}/tags", body=text, content_type="application/json")
    with pytest.raises(MalformedPayload) as caught:
        client().fetch("tags", None)
    assert caught.value.body == text


def test_parse_keeps_text_exactly():
    text = "  @thecouncil   <3 &amp; \n "
    items = client().parse({"data": [{"id": "1", "text": text, "timestamp": "2024-01-01T10:00:00+0000"}]})
    assert items[0].text == text and items[0].author.external_id == ""


# --- writing ----------------------------------------------------------------------------


def form_of(call) -> dict:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


@responses.activate
def test_publish_waits_for_container_then_publishes():
    ig = client()
    slept = []
    ig._sleep = slept.append
    responses.add("POST", f"{BASE}/{IG}/media", json={"id": "cont"})
    responses.add("GET", f"{BASE}/cont", json={"status_code": "IN_PROGRESS", "id": "cont"})
    responses.add("GET", f"{BASE}/cont", json={"status_code": "FINISHED", "id": "cont"})
    responses.add("POST", f"{BASE}/{IG}/media_publish", json={"id": "media9"},
                  match=[matchers.urlencoded_params_matcher({"creation_id": "cont"})])
    responses.add("GET", f"{BASE}/media9", json={"permalink": "https://www.instagram.com/p/abc/", "id": "media9"})
    published = ig.publish("Hello", link="https://council.example", images=[("https://e.org/a.jpg", "A park")])
    assert (published.external_id, published.url) == ("media9", "https://www.instagram.com/p/abc/")
    assert form_of(responses.calls[0]) == {"image_url": "https://e.org/a.jpg",
                                           "caption": "Hello\n\nhttps://council.example", "alt_text": "A park"}
    assert query_of(responses.calls[1])["fields"] == "status_code"
    assert slept == [ig.publish_poll_interval]


@responses.activate
def test_publish_carousel():
    ig = client()
    responses.add("POST", f"{BASE}/{IG}/media", json={"id": "k1"})
    responses.add("POST", f"{BASE}/{IG}/media", json={"id": "k2"})
    responses.add("POST", f"{BASE}/{IG}/media", json={"id": "car"})
    responses.add("GET", f"{BASE}/car", json={"status_code": "FINISHED"})
    responses.add("POST", f"{BASE}/{IG}/media_publish", json={"id": "m"})
    responses.add("GET", f"{BASE}/m", status=500, json={"error": {"code": 2, "message": "later"}})
    published = ig.publish("Two", images=[("https://e.org/1.jpg", ""), ("https://e.org/2.jpg", "")])
    assert published.external_id == "m" and published.url == ""
    assert form_of(responses.calls[0])["is_carousel_item"] == "true"
    assert form_of(responses.calls[2]) == {"media_type": "CAROUSEL", "children": "k1,k2", "caption": "Two"}


def test_publish_needs_an_image():
    with pytest.raises(InvalidRequest):
        client().publish("text only")
    with pytest.raises(InvalidRequest):
        client().publish("too many", images=[("https://e.org/x.jpg", "")] * 11)


@responses.activate
def test_container_error_and_timeout():
    ig = client()
    responses.add("POST", f"{BASE}/{IG}/media", json={"id": "cont"})
    responses.add("GET", f"{BASE}/cont", json={"status_code": "ERROR"})
    with pytest.raises(InvalidRequest):
        ig.publish("x", images=[("https://e.org/a.jpg", "")])
    responses.reset()
    ig.publish_poll_attempts = 3
    responses.add("POST", f"{BASE}/{IG}/media", json={"id": "cont"})
    responses.add("GET", f"{BASE}/cont", json={"status_code": "IN_PROGRESS"})
    with pytest.raises(TransientError):
        ig.publish("x", images=[("https://e.org/a.jpg", "")])
    assert not any(c.request.url.split("?")[0].endswith("media_publish") for c in responses.calls)


@responses.activate
def test_reply_hide_delete_metrics():
    ig = client()
    responses.add("POST", f"{BASE}/c1/replies", json={"id": "r1"},
                  match=[matchers.urlencoded_params_matcher({"message": "Thanks"})])
    responses.add("POST", f"{BASE}/c1", json={"success": True},
                  match=[matchers.query_param_matcher({"hide": "true"}, strict_match=False)])
    responses.add("DELETE", f"{BASE}/c1", json={"success": True})
    responses.add("GET", f"{BASE}/{IG}", json={"followers_count": 1200, "media_count": 88, "id": IG})
    assert ig.reply("c1", "Thanks").external_id == "r1"
    ig.hide("c1")
    ig.delete("c1")
    metrics = ig.metrics()
    assert (metrics.followers, metrics.posts) == (1200, 88)
    assert query_of(responses.calls[-1])["fields"] == "followers_count,media_count"


# --- OAuth -------------------------------------------------------------------------------


@responses.activate
def test_exchange_code_picks_linked_instagram_account():
    responses.add("GET", f"{BASE}/oauth/access_token", json={"access_token": "short", "expires_in": 3600},
                  match=[matchers.query_param_matcher({"code": "c"}, strict_match=False)])
    responses.add("GET", f"{BASE}/oauth/access_token", json={"access_token": "long", "expires_in": 5184000})
    responses.add("GET", f"{BASE}/me/accounts", json={"data": [
        {"id": "p1", "name": "No IG", "access_token": "pt1"},
        {"id": "p2", "name": "Council", "access_token": "pt2",
         "instagram_business_account": {"id": "ig2", "username": "thecouncil"}}]})
    ig = InstagramClient(app=APP)
    creds = ig.exchange_code(code="c", redirect_uri="https://council.example/cb", state="s")
    assert (creds.access_token, creds.account_id, creds.handle) == ("pt2", "ig2", "thecouncil")
    assert creds.extra["page_id"] == "p2"
    url = ig.authorise_url(redirect_uri="https://council.example/cb", state="s")
    scope = parse_qs(urlsplit(url).query)["scope"][0].split()
    assert "instagram_manage_comments" in scope and "instagram_content_publish" in scope


@responses.activate
def test_no_linked_account_is_auth_error():
    responses.add("GET", f"{BASE}/oauth/access_token", json={"access_token": "long"})
    responses.add("GET", f"{BASE}/me/accounts", json={"data": [{"id": "p1", "name": "x", "access_token": "t"}]})
    with pytest.raises(AuthError):
        client().refresh()
