"""BlueskyClient behaviour, mocked at the HTTP layer."""

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from platforms.base import (
    AuthError,
    Credentials,
    InvalidRequest,
    MalformedPayload,
    NotSupported,
    RateLimited,
    TransientError,
    decode_cursor,
)
from platforms.bluesky import BlueskyClient, SessionExpired, facets_for

BASE = "https://pds.example"
XRPC = BASE + "/xrpc/"
NOTIFICATIONS = XRPC + "app.bsky.notification.listNotifications"
SEARCH = XRPC + "app.bsky.feed.searchPosts"
ME = "did:plc:council"
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def author(did: str = "did:plc:resident", handle: str = "resident.bsky.social") -> dict:
    return {
        "did": did,
        "handle": handle,
        "displayName": "A Resident",
        "verification": {"verifiedStatus": "valid"},
    }


def uri(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def notification(rkey: str, at: datetime, reason: str = "mention", reply: dict | None = None) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": f"@council.gov.uk post {rkey}", "createdAt": iso(at)}
    if reply:
        record["reply"] = reply
    return {
        "uri": uri("did:plc:resident", rkey),
        "cid": "cid" + rkey,
        "author": author(),
        "reason": reason,
        "record": record,
        "isRead": False,
        "indexedAt": iso(at),
    }


def post_view(rkey: str, at: datetime) -> dict:
    row = notification(rkey, at)
    del row["reason"], row["isRead"]
    row.update(replyCount=1, repostCount=2, likeCount=3, quoteCount=4)
    return row


def client(**kw) -> BlueskyClient:
    creds = Credentials(
        access_token="access.jwt", refresh_token="refresh.jwt", account_id=ME, handle="council.gov.uk"
    )
    c = BlueskyClient(base_url=BASE, credentials=creds, **kw)
    c.first_run_lookback = timedelta(days=30)
    return c


def query(call) -> dict:
    return {k: v if len(v) > 1 else v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def jwt(exp: datetime) -> str:
    payload = (
        base64.urlsafe_b64encode(json.dumps({"exp": int(exp.timestamp())}).encode()).decode().rstrip("=")
    )
    return f"eyJhbGciOiJIUzI1NiJ9.{payload}.sig"


# --- notifications: the cursor pages backwards in time -----------------------------------


@responses.activate
def test_notifications_backlog_is_drained_before_the_marker_moves():
    c = client()
    since = NOW - timedelta(hours=5)
    cursor = json.dumps(
        {"walk": {"since": since.timestamp(), "seen": {uri("did:plc:resident", "old"): since.timestamp()}}}
    )
    t = [NOW - timedelta(hours=h) for h in (4, 3, 2, 1)]
    responses.add(
        "GET",
        NOTIFICATIONS,
        json={"notifications": [notification("d", t[3]), notification("c", t[2])], "cursor": "C1"},
    )
    page = c.fetch("notifications", cursor)
    q = query(responses.calls[0])
    assert q["reasons"] == ["mention", "reply", "quote"] and "cursor" not in q
    assert [i.external_id.rsplit("/", 1)[-1] for i in page.items] == ["d", "c"]
    assert page.has_more is True
    walk = decode_cursor(page.next_cursor)["walk"]
    assert walk["page"] == "C1" and walk["since"] == since.timestamp()  # not promoted yet

    # a new notification arrives while the backlog is read: the walk keeps going back
    responses.replace(
        "GET",
        NOTIFICATIONS,
        json={
            "notifications": [
                notification("b", t[1]),
                notification("a", t[0]),
                notification("old", since),  # seen by the last walk
                notification("older", since - timedelta(hours=1)),
            ],
            "cursor": "C2",
        },
    )
    page = c.fetch("notifications", page.next_cursor)
    assert query(responses.calls[1])["cursor"] == "C1"
    assert [i.external_id.rsplit("/", 1)[-1] for i in page.items] == ["b", "a"]
    assert page.has_more is False  # reached the marker: C2 is not followed
    walk = decode_cursor(page.next_cursor)["walk"]
    assert walk["since"] == t[3].timestamp() and "page" not in walk

    # the next walk starts at the newest page and picks up what arrived meanwhile
    new = notification("e", NOW - timedelta(minutes=30))
    responses.replace(
        "GET", NOTIFICATIONS, json={"notifications": [new, notification("d", t[3])], "cursor": "C3"}
    )
    page = c.fetch("notifications", page.next_cursor)
    assert "cursor" not in query(responses.calls[2])
    assert [i.external_id.rsplit("/", 1)[-1] for i in page.items] == ["e"]
    assert len(responses.calls) == 3


@responses.activate
def test_notification_kinds_and_reply_links():
    root = {"uri": uri(ME, "root"), "cid": "c1"}
    parent = {"uri": uri(ME, "parent"), "cid": "c2"}
    responses.add(
        "GET",
        NOTIFICATIONS,
        json={
            "notifications": [
                notification("r", NOW, "reply", {"root": root, "parent": parent}),
                notification("q", NOW, "quote"),
            ]
        },
    )
    reply, quote = client().fetch("notifications", None).items
    assert reply.kind == "reply" and quote.kind == "mention"
    assert reply.in_reply_to_id == parent["uri"] and reply.conversation_id == root["uri"]
    assert quote.conversation_id == quote.external_id and quote.in_reply_to_id == ""
    assert reply.url == "https://bsky.app/profile/resident.bsky.social/post/r"
    assert reply.author.verified is True


@responses.activate
def test_search_uses_since_and_latest():
    c = client()
    responses.add(
        "GET",
        SEARCH,
        json={"posts": [post_view("p2", NOW), post_view("p1", NOW - timedelta(minutes=1))], "cursor": "25"},
    )
    page = c.fetch("search", None, watch_terms=["Springfield council"])
    q = query(responses.calls[0])
    assert (q["q"], q["sort"], q["limit"]) == ("Springfield council", "latest", "100")
    since = datetime.fromisoformat(q["since"].replace("Z", "+00:00"))
    assert abs(since - (datetime.now(UTC) - timedelta(days=30))) < timedelta(minutes=1)
    assert [(i.kind, i.likes, i.replies, i.reshares) for i in page.items] == [("search_hit", 3, 1, 6)] * 2
    assert page.has_more is True
    responses.replace("GET", SEARCH, json={"posts": []})
    page = c.fetch("search", page.next_cursor, watch_terms=["Springfield council"])
    assert query(responses.calls[1])["cursor"] == "25"
    assert page.has_more is False
    assert decode_cursor(page.next_cursor)["terms"]["Springfield council"]["since"] == NOW.timestamp()


# --- errors -------------------------------------------------------------------------


@responses.activate
def test_429_waits_for_ratelimit_reset():
    reset = int((NOW + timedelta(minutes=3)).timestamp())
    responses.add(
        "GET",
        NOTIFICATIONS,
        status=429,
        json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        headers={
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": "3000;w=300",
        },
    )
    with pytest.raises(RateLimited) as err:
        client().fetch("notifications", None)
    assert err.value.retry_at == datetime.fromtimestamp(reset, tz=UTC)


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"status": 400, "json": {"error": "ExpiredToken", "message": "Token has expired"}}, SessionExpired),
        (
            {"status": 401, "json": {"error": "InvalidToken", "message": "Token could not be verified"}},
            AuthError,
        ),
        ({"status": 401, "json": {"error": "AuthenticationRequired"}}, AuthError),
        ({"status": 400, "json": {"error": "AccountTakedown"}}, AuthError),
        ({"status": 400, "json": {"error": "InvalidRequest", "message": "bad"}}, InvalidRequest),
        ({"status": 502, "json": {"error": "UpstreamFailure"}}, TransientError),
        ({"status": 504, "body": "gateway timeout"}, TransientError),
        ({"body": requests.Timeout()}, TransientError),
    ],
)
@responses.activate
def test_errors(kwargs, error):
    responses.add("GET", NOTIFICATIONS, **kwargs)
    with pytest.raises(error):
        client().fetch("notifications", None)


def test_expired_session_is_an_auth_error():
    assert issubclass(SessionExpired, AuthError)


@pytest.mark.parametrize(
    "body",
    [
        '{"notifications": [{"uri": "at://did:plc:x/app.bsky.feed.post/1", "cid"',
        "upstream connect error",
        '{"notifications": [{"uri": "at://x", "reason": "mention", "record": {"$type": "app.bsky.feed.post"}}]}',
        '{"notifications": "none"}',
        '{"feed": []}',
    ],
)
@responses.activate
def test_malformed_bodies_carry_the_body(body):
    responses.add("GET", NOTIFICATIONS, body=body, status=200)
    with pytest.raises(MalformedPayload) as err:
        client().fetch("notifications", None)
    assert err.value.body == body


# --- writing ------------------------------------------------------------------------


def created(rkey: str) -> dict:
    return {
        "uri": uri(ME, rkey),
        "cid": "bafy" + rkey,
        "commit": {"cid": "x", "rev": "y"},
        "validationStatus": "valid",
    }


@responses.activate
def test_publish_with_link_facet_and_image():
    responses.add(
        "GET",
        "https://cdn.council.example/park.jpg",
        body=b"jpegbytes",
        headers={"Content-Type": "image/jpeg"},
    )
    blob = {"$type": "blob", "ref": {"$link": "bafkrei"}, "mimeType": "image/jpeg", "size": 9}
    responses.add("POST", XRPC + "com.atproto.repo.uploadBlob", json={"blob": blob})
    responses.add("POST", XRPC + "com.atproto.repo.createRecord", json=created("new1"))
    published = client().publish(
        "Park café reopens ☕ #Springfield",
        link="https://council.example/parks",
        images=[("https://cdn.council.example/park.jpg", "The café")],
    )
    upload = responses.calls[1].request
    assert upload.body == b"jpegbytes" and upload.headers["Content-Type"] == "image/jpeg"
    body = json.loads(responses.calls[2].request.body)
    assert (body["repo"], body["collection"]) == (ME, "app.bsky.feed.post")
    record = body["record"]
    text = "Park café reopens ☕ #Springfield\n\nhttps://council.example/parks"
    assert record["text"] == text
    assert abs(
        datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00")) - datetime.now(UTC)
    ) < timedelta(seconds=5)
    assert record["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [{"alt": "The café", "image": blob}],
    }
    encoded = text.encode()
    spans = {
        f["features"][0]["$type"]: encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode()
        for f in record["facets"]
    }
    assert spans == {
        "app.bsky.richtext.facet#tag": "#Springfield",
        "app.bsky.richtext.facet#link": "https://council.example/parks",
    }
    assert responses.calls[2].request.headers["Authorization"] == "Bearer access.jwt"
    assert published.external_id == uri(ME, "new1")
    assert published.url == "https://bsky.app/profile/council.gov.uk/post/new1"


def test_facets_skip_trailing_punctuation_and_numbers():
    facets = facets_for("See https://a.example/x. #2024 #bins")
    assert [f["features"][0].get("uri") or f["features"][0]["tag"] for f in facets] == [
        "https://a.example/x",
        "bins",
    ]


@responses.activate
def test_reply_builds_root_and_parent_refs():
    target = uri("did:plc:resident", "child")
    root = {"uri": uri(ME, "root"), "cid": "rootcid"}
    thread = {
        "thread": {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": {
                "uri": target,
                "cid": "childcid",
                "author": author(),
                "record": {"text": "?", "reply": {"root": root, "parent": root}},
            },
        }
    }
    responses.add("GET", XRPC + "app.bsky.feed.getPostThread", json=thread)
    responses.add("POST", XRPC + "com.atproto.repo.createRecord", json=created("ans"))
    client().reply(target, "We have passed this on")
    assert query(responses.calls[0]) == {"uri": target, "depth": "0", "parentHeight": "0"}
    record = json.loads(responses.calls[1].request.body)["record"]
    assert record["reply"] == {"root": root, "parent": {"uri": target, "cid": "childcid"}}


@responses.activate
def test_reply_to_missing_post():
    responses.add(
        "GET",
        XRPC + "app.bsky.feed.getPostThread",
        json={"thread": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://x"}},
    )
    with pytest.raises(InvalidRequest):
        client().reply(uri("did:plc:x", "gone"), "hi")


@responses.activate
def test_delete_own_posts_only():
    responses.add("POST", XRPC + "com.atproto.repo.deleteRecord", json={})
    client().delete(uri(ME, "mine"))
    assert json.loads(responses.calls[0].request.body) == {
        "repo": ME,
        "collection": "app.bsky.feed.post",
        "rkey": "mine",
    }
    with pytest.raises(NotSupported):
        client().delete(uri("did:plc:resident", "theirs"))


@responses.activate
def test_hide_reply_with_threadgate():
    reply_uri = uri("did:plc:resident", "rude")
    root = {"uri": uri(ME, "announcement"), "cid": "rc"}
    responses.add(
        "GET",
        XRPC + "app.bsky.feed.getPostThread",
        json={
            "thread": {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": {"uri": reply_uri, "cid": "c", "record": {"reply": {"root": root, "parent": root}}},
            }
        },
    )
    responses.add(
        "GET",
        XRPC + "com.atproto.repo.getRecord",
        status=400,
        json={"error": "RecordNotFound", "message": "Could not locate record"},
    )
    responses.add("POST", XRPC + "com.atproto.repo.putRecord", json={"uri": "at://x", "cid": "y"})
    client().hide(reply_uri)
    assert query(responses.calls[1]) == {
        "repo": ME,
        "collection": "app.bsky.feed.threadgate",
        "rkey": "announcement",
    }
    put = json.loads(responses.calls[2].request.body)
    assert (put["repo"], put["collection"], put["rkey"]) == (ME, "app.bsky.feed.threadgate", "announcement")
    assert put["record"]["post"] == root["uri"] and put["record"]["hiddenReplies"] == [reply_uri]
    assert "allow" not in put["record"]  # replies stay open


@responses.activate
def test_metrics():
    responses.add(
        "GET", XRPC + "app.bsky.actor.getProfile", json={"did": ME, "followersCount": 2100, "postsCount": 88}
    )
    m = client().metrics()
    assert (m.followers, m.posts) == (2100, 88)
    assert query(responses.calls[0]) == {"actor": ME}


# --- sessions -----------------------------------------------------------------------


def test_authorise_url_is_not_supported():
    with pytest.raises(NotSupported, match="app password"):
        client().authorise_url(redirect_uri="https://council.example/cb", state="s")


@responses.activate
def test_exchange_code_creates_a_session_from_an_app_password():
    access, refresh = jwt(NOW + timedelta(hours=2)), jwt(NOW + timedelta(days=60))
    responses.add(
        "POST",
        XRPC + "com.atproto.server.createSession",
        json={
            "did": ME,
            "handle": "council.gov.uk",
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
            "didDoc": {
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": "https://morel.us-east.host.bsky.network",
                    }
                ]
            },
        },
    )
    c = BlueskyClient(base_url=BASE, credentials=Credentials(handle="council.gov.uk"))
    creds = c.exchange_code(code="abcd-efgh-ijkl-mnop", redirect_uri="")
    request = responses.calls[0].request
    assert json.loads(request.body) == {"identifier": "council.gov.uk", "password": "abcd-efgh-ijkl-mnop"}
    assert "Authorization" not in request.headers
    assert (creds.access_token, creds.refresh_token, creds.account_id) == (access, refresh, ME)
    assert creds.expires_at == NOW + timedelta(hours=2)
    assert creds.extra["pds"] == "https://morel.us-east.host.bsky.network"


@responses.activate
def test_exchange_code_wrong_password():
    responses.add(
        "POST",
        XRPC + "com.atproto.server.createSession",
        status=401,
        json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
    )
    with pytest.raises(AuthError):
        BlueskyClient(base_url=BASE, credentials=Credentials(handle="council.gov.uk")).exchange_code(
            code="wrong", redirect_uri=""
        )


def test_exchange_code_needs_a_handle():
    with pytest.raises(InvalidRequest):
        BlueskyClient(base_url=BASE).exchange_code(code="pw", redirect_uri="")


@responses.activate
def test_refresh_uses_the_refresh_jwt():
    access = jwt(NOW + timedelta(hours=2))
    responses.add(
        "POST",
        XRPC + "com.atproto.server.refreshSession",
        json={"did": ME, "handle": "council.gov.uk", "accessJwt": access, "refreshJwt": "new.refresh"},
    )
    creds = client().refresh()
    assert responses.calls[0].request.headers["Authorization"] == "Bearer refresh.jwt"
    assert (creds.access_token, creds.refresh_token) == (access, "new.refresh")


@responses.activate
def test_refresh_with_expired_refresh_token():
    responses.add(
        "POST",
        XRPC + "com.atproto.server.refreshSession",
        status=400,
        json={"error": "ExpiredToken", "message": "Token has expired"},
    )
    with pytest.raises(AuthError):
        client().refresh()
