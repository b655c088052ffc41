"""MastodonClient behaviour, mocked at the HTTP layer."""

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
    decode_cursor,
)
from platforms.mastodon import MastodonClient

BASE = "https://social.council.example"
NOTIFICATIONS = BASE + "/api/v1/notifications"
STATUSES = BASE + "/api/v1/statuses"
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def account(aid: str = "77", acct: str = "resident@other.example") -> dict:
    return {
        "id": aid,
        "acct": acct,
        "display_name": "A Resident",
        "url": f"https://other.example/@{acct.split('@')[0]}",
        "followers_count": 12,
        "fields": [{"name": "web", "value": "x", "verified_at": iso(NOW)}],
    }


def status(sid: str, at: datetime, *, reply_to: str | None = None, reply_account: str | None = None) -> dict:
    return {
        "id": sid,
        "created_at": iso(at),
        "in_reply_to_id": reply_to,
        "in_reply_to_account_id": reply_account,
        "url": f"https://other.example/@resident/{sid}",
        "uri": f"https://other.example/users/resident/statuses/{sid}",
        "content": f"<p>@council hello {sid} &amp; bye</p>",
        "account": account(),
        "replies_count": 1,
        "reblogs_count": 2,
        "favourites_count": 3,
        "reblog": None,
    }


def mention(nid: str, at: datetime, **kw) -> dict:
    return {
        "id": nid,
        "type": "mention",
        "created_at": iso(at),
        "account": account(),
        "status": status("S" + nid, at, **kw),
    }


def link(path: str, max_id: str) -> dict:
    return {
        "Link": f'<{BASE}{path}?max_id={max_id}&types%5B%5D=mention>; rel="next", <{BASE}{path}?min_id=999>; rel="prev"'
    }


def client(**kw) -> MastodonClient:
    c = MastodonClient(base_url=BASE, credentials=Credentials(access_token="tok", account_id="1"), **kw)
    c.first_run_lookback = timedelta(days=30)
    c.sleep = lambda s: None
    return c


def query(call) -> dict:
    return {k: v if len(v) > 1 else v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


# --- mentions -----------------------------------------------------------------------


@responses.activate
def test_mentions_walk_back_with_link_header_and_promote_when_drained():
    c = client()
    t = [NOW - timedelta(minutes=m) for m in (30, 20, 10)]
    responses.add(
        "GET",
        NOTIFICATIONS,
        json=[mention("3", t[2]), mention("2", t[1])],
        headers=link("/api/v1/notifications", "2"),
    )
    page = c.fetch("mentions", None)
    q = query(responses.calls[0])
    assert q["types[]"] == "mention" and q["limit"] == "80" and "max_id" not in q
    assert [i.external_id for i in page.items] == ["S3", "S2"]
    assert page.has_more is True
    state = decode_cursor(page.next_cursor)["walk"]
    assert state["page"] == "2" and "since" not in state

    responses.replace("GET", NOTIFICATIONS, json=[mention("1", t[0])], headers={})
    page = c.fetch("mentions", page.next_cursor)
    assert query(responses.calls[1])["max_id"] == "2"
    assert [i.external_id for i in page.items] == ["S1"]
    assert page.has_more is False
    assert decode_cursor(page.next_cursor)["walk"]["since"] == t[2].timestamp()

    # next poll stops at what it has seen, though the Link header offers more
    responses.replace(
        "GET",
        NOTIFICATIONS,
        json=[mention("4", NOW), mention("3", t[2]), mention("2", t[1])],
        headers=link("/api/v1/notifications", "2"),
    )
    page = c.fetch("mentions", page.next_cursor)
    assert [i.external_id for i in page.items] == ["S4"]
    assert page.has_more is False
    assert len(responses.calls) == 3


def test_mention_fields():
    c = client()
    items = c.parse(
        [
            mention("9", NOW, reply_to="500", reply_account="1"),
            mention("8", NOW, reply_to="600", reply_account="55"),
        ]
    )
    reply, other = items
    assert reply.kind == "reply"  # answers one of our posts
    assert other.kind == "mention"  # a reply to someone else that mentions us
    assert reply.text == "@council hello S9 & bye"  # as shown; the HTML stays in raw
    assert reply.raw["status"]["content"] == "<p>@council hello S9 &amp; bye</p>"
    assert reply.in_reply_to_id == "500" and reply.conversation_id == "500"
    assert reply.author.handle == "resident@other.example"
    assert reply.author.followers == 12 and reply.author.verified is True
    assert (reply.likes, reply.replies, reply.reshares) == (3, 1, 2)
    assert reply.posted_at == NOW


# --- watch terms ----------------------------------------------------------------------


@responses.activate
def test_hashtags_use_the_tag_timeline_and_other_terms_search():
    c = client()
    responses.add("GET", BASE + "/api/v1/timelines/tag/bindays", json=[status("11", NOW)])
    page = c.fetch("hashtag", None, watch_terms=["#bindays", "bin collection"])
    assert query(responses.calls[0]) == {"limit": "40"}
    assert [(i.external_id, i.kind) for i in page.items] == [("11", "search_hit")]
    assert page.has_more is True  # "bin collection" is due

    responses.add(
        "GET", BASE + "/api/v2/search", json={"accounts": [], "statuses": [status("12", NOW)], "hashtags": []}
    )
    page = c.fetch("hashtag", page.next_cursor, watch_terms=["#bindays", "bin collection"])
    q = query(responses.calls[1])
    assert (q["q"], q["type"], q["resolve"]) == ("bin collection", "statuses", "false")
    assert [i.external_id for i in page.items] == ["12"]
    assert page.has_more is False


@responses.activate
def test_search_pages_by_offset_while_pages_are_full():
    c = client()
    c.page_size = {**c.page_size, "search": 2}
    t = [NOW - timedelta(minutes=m) for m in (3, 2, 1)]
    responses.add(
        "GET",
        BASE + "/api/v2/search",
        json={"statuses": [status("3", t[2]), status("2", t[1])], "accounts": []},
    )
    page = c.fetch("hashtag", None, watch_terms=["potholes"])
    assert page.has_more is True
    responses.replace("GET", BASE + "/api/v2/search", json={"statuses": [status("1", t[0])], "accounts": []})
    page = c.fetch("hashtag", page.next_cursor, watch_terms=["potholes"])
    assert query(responses.calls[1])["offset"] == "2"
    assert [i.external_id for i in page.items] == ["1"]
    assert page.has_more is False


# --- errors -------------------------------------------------------------------------


@responses.activate
def test_429_waits_for_the_iso_reset_time():
    reset = NOW + timedelta(minutes=4)
    responses.add(
        "GET",
        NOTIFICATIONS,
        status=429,
        json={"error": "Too many requests"},
        headers={
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.isoformat().replace("+00:00", ".000Z"),
        },
    )
    with pytest.raises(RateLimited) as err:
        client().fetch("mentions", None)
    assert err.value.retry_at == reset


@responses.activate
def test_rate_limit_headers_on_pages():
    reset = NOW + timedelta(minutes=5)
    responses.add(
        "GET",
        NOTIFICATIONS,
        json=[],
        headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299", "X-RateLimit-Reset": iso(reset)},
    )
    limit = client().fetch("mentions", None).rate_limit
    assert (limit.limit, limit.remaining, limit.reset_at) == (300, 299, reset)


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"status": 401, "json": {"error": "The access token is invalid"}}, AuthError),
        (
            {
                "status": 403,
                "json": {"error": "This action is outside the authorized scopes"},
                "headers": {"WWW-Authenticate": 'Bearer realm="Doorkeeper", error="insufficient_scope"'},
            },
            AuthError,
        ),
        ({"status": 404, "json": {"error": "Record not found"}}, InvalidRequest),
        ({"status": 502, "body": "<html>Bad gateway</html>"}, TransientError),
        ({"body": requests.Timeout()}, TransientError),
        ({"body": requests.ConnectionError()}, TransientError),
    ],
)
@responses.activate
def test_errors(kwargs, error):
    responses.add("GET", NOTIFICATIONS, **kwargs)
    with pytest.raises(error):
        client().fetch("mentions", None)


@pytest.mark.parametrize(
    "body",
    [
        '[{"id": "1", "type": "mention", "created_at": "2026-',
        "<!DOCTYPE html><html>maintenance</html>",
        '[{"id": "1", "type": "mention", "account": {}, "status": {"id": "5"}}]',
        '{"error_page": true}',
    ],
)
@responses.activate
def test_malformed_bodies_carry_the_body(body):
    responses.add("GET", NOTIFICATIONS, body=body, status=200)
    with pytest.raises(MalformedPayload) as err:
        client().fetch("mentions", None)
    assert err.value.body == body


# --- writing ------------------------------------------------------------------------


@responses.activate
def test_publish_with_link_and_image():
    responses.add(
        "GET",
        "https://cdn.council.example/img/bins.png",
        body=b"\x89PNG...",
        headers={"Content-Type": "image/png"},
    )
    responses.add("POST", BASE + "/api/v2/media", status=202, json={"id": "m1", "url": None})
    responses.add("GET", BASE + "/api/v1/media/m1", status=206, json={"id": "m1", "url": None})
    responses.add(
        "GET", BASE + "/api/v1/media/m1", status=200, json={"id": "m1", "url": "https://files/x.png"}
    )
    responses.add("POST", STATUSES, json=status("900", NOW))
    published = client().publish(
        "Bin collections change next week",
        link="https://council.example/bins",
        images=[("https://cdn.council.example/img/bins.png", "A bin lorry")],
    )
    upload = responses.calls[1].request
    assert b'name="description"' in upload.body and b"A bin lorry" in upload.body
    assert b'filename="bins.png"' in upload.body
    post = responses.calls[4].request
    body = json.loads(post.body)
    assert body == {
        "status": "Bin collections change next week\n\nhttps://council.example/bins",
        "visibility": "public",
        "media_ids": ["m1"],
    }
    assert post.headers["Authorization"] == "Bearer tok"
    assert len(post.headers["Idempotency-Key"]) == 64
    assert (published.external_id, published.url) == ("900", "https://other.example/@resident/900")


@responses.activate
def test_media_that_never_finishes_is_transient():
    responses.add(
        "GET", "https://cdn.council.example/a.jpg", body=b"jpeg", headers={"Content-Type": "image/jpeg"}
    )
    responses.add("POST", BASE + "/api/v2/media", status=202, json={"id": "m2", "url": None})
    responses.add("GET", BASE + "/api/v1/media/m2", status=206, json={"id": "m2", "url": None})
    c = client()
    c.media_wait = 2
    with pytest.raises(TransientError):
        c.publish("x", images=[("https://cdn.council.example/a.jpg", "")])


@responses.activate
def test_reply_and_delete():
    responses.add(
        "POST",
        STATUSES,
        json=status("901", NOW, reply_to="S9"),
        match=[
            matchers.json_params_matcher(
                {"status": "@resident thanks", "visibility": "public", "in_reply_to_id": "S9"}
            )
        ],
    )
    responses.add("DELETE", STATUSES + "/901", json=status("901", NOW))
    c = client()
    assert c.reply("S9", "@resident thanks").external_id == "901"
    c.delete("901")
    assert responses.calls[1].request.method == "DELETE"


@responses.activate
def test_validation_error_is_invalid_request():
    responses.add("POST", STATUSES, status=422, json={"error": "Validation failed: Text can't be blank"})
    with pytest.raises(InvalidRequest):
        client().publish("")


@responses.activate
def test_metrics():
    responses.add(
        "GET", BASE + "/api/v1/accounts/1", json={"id": "1", "followers_count": 1500, "statuses_count": 320}
    )
    m = client().metrics()
    assert (m.followers, m.posts) == (1500, 320)


# --- OAuth --------------------------------------------------------------------------

APP = AppConfig(client_id="mastodon-cid", client_secret="mastodon-secret", scopes=("read", "write"))


def test_oauth_urls_follow_the_instance():
    c = MastodonClient(base_url=BASE, app=APP)
    assert c.token_url == BASE + "/oauth/token"
    url = c.authorise_url(redirect_uri="https://council.example/oauth/mastodon", state="s1")
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE + "/oauth/authorize"
    assert q == {
        "response_type": "code",
        "client_id": "mastodon-cid",
        "redirect_uri": "https://council.example/oauth/mastodon",
        "scope": "read write",
        "state": "s1",
    }
    default = MastodonClient()
    assert (default.authorize_url, default.token_url) == (
        "https://mastodon.social/oauth/authorize",
        "https://mastodon.social/oauth/token",
    )


@responses.activate
def test_exchange_code_and_no_refresh():
    responses.add(
        "POST",
        BASE + "/oauth/token",
        json={
            "access_token": "mtok",
            "token_type": "Bearer",
            "scope": "read write",
            "created_at": 1700000000,
        },
    )
    responses.add(
        "GET", BASE + "/api/v1/accounts/verify_credentials", json={"id": "42", "acct": "springfield"}
    )
    c = MastodonClient(base_url=BASE, app=APP)
    creds = c.exchange_code(code="abc", redirect_uri="https://council.example/oauth/mastodon")
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["abc"]
    assert form["client_id"] == ["mastodon-cid"] and form["client_secret"] == ["mastodon-secret"]
    assert form["scope"] == ["read write"]
    assert (creds.access_token, creds.account_id, creds.handle, creds.expires_at) == (
        "mtok",
        "42",
        "springfield",
        None,
    )
    assert responses.calls[1].request.headers["Authorization"] == "Bearer mtok"
    with pytest.raises(AuthError):
        c.refresh()


@responses.activate
def test_exchange_code_refused():
    responses.add(
        "POST",
        BASE + "/oauth/token",
        status=400,
        json={"error": "invalid_grant", "error_description": "expired"},
    )
    with pytest.raises(AuthError):
        MastodonClient(base_url=BASE, app=APP).exchange_code(
            code="old", redirect_uri="https://council.example/cb"
        )


@responses.activate
def test_a_direct_message_is_a_status_with_direct_visibility_mentioning_the_resident():
    responses.add("POST", STATUSES, json=status("902", NOW, reply_to="S9"), match=[matchers.json_params_matcher(
        {"status": "@resident@other.example Please send us your address.", "visibility": "direct",
         "in_reply_to_id": "S9"})])
    sent = client().direct_message("resident@other.example", "Please send us your address.", in_reply_to="S9")
    assert sent.external_id == "902"


@responses.activate
def test_block_and_mute_an_account():
    responses.add("POST", BASE + "/api/v1/accounts/77/block", json={"id": "77", "blocking": True})
    responses.add("POST", BASE + "/api/v1/accounts/77/mute", json={"id": "77", "muting": True})
    c = client()
    c.block("77")
    c.mute("77")
    assert [call.request.url for call in responses.calls] == [BASE + "/api/v1/accounts/77/block",
                                                               BASE + "/api/v1/accounts/77/mute"]
