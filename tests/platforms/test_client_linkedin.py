"""LinkedInClient behaviour, mocked at the HTTP layer (no recorded LinkedIn payloads
exist; shapes follow LinkedIn's Community Management API documentation)."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import responses

from platforms.base import (
    AppConfig,
    AuthError,
    Credentials,
    InvalidRequest,
    MalformedPayload,
    NotSupported,
    RateLimited,
    TransientError,
    decode_cursor,
)
from platforms.linkedin import LinkedInClient, escape_little_text

BASE = "https://api.linkedin.com/rest"
ORG = "urn:li:organization:2414183"
NOW = datetime.now(UTC).replace(microsecond=0)
POST_A = "urn:li:share:7001"
POST_B = "urn:li:ugcPost:7002"


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def post(urn: str, at: datetime, state: str = "PUBLISHED") -> dict:
    return {
        "id": urn,
        "author": ORG,
        "commentary": "News",
        "createdAt": ms(at),
        "publishedAt": ms(at),
        "lifecycleState": state,
    }


def comment(
    cid: str, at: datetime, *, on: str = "urn:li:activity:7001", parent: str = "", nested: int = 0
) -> dict:
    urn = f"urn:li:comment:({on},{cid})"
    body = {
        "actor": "urn:li:person:abc123",
        "commentUrn": urn,
        "$URN": urn,
        "id": cid,
        "created": {"actor": "urn:li:person:abc123", "time": ms(at)},
        "lastModified": {"actor": "urn:li:person:abc123", "time": ms(at)},
        "message": {"text": f"Comment {cid} (with brackets)", "attributes": []},
        "object": on,
        "likesSummary": {"totalLikes": 2, "likedByCurrentUser": False},
        "commentsSummary": {"aggregatedTotalComments": nested, "totalFirstLevelComments": nested},
    }
    if parent:
        body["parentComment"] = parent
    return body


def comments_url(urn: str) -> str:
    return f"{BASE}/socialActions/{quote(urn, safe='')}/comments"


def page(elements: list, total: int, start: int = 0) -> dict:
    return {
        "elements": elements,
        "paging": {"start": start, "count": len(elements), "total": total, "links": []},
    }


def client(**kw) -> LinkedInClient:
    c = LinkedInClient(
        credentials=Credentials(access_token="li-tok", refresh_token="li-ref", account_id="2414183"), **kw
    )
    c.first_run_lookback = timedelta(days=30)
    return c


def query(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


# --- comments: a sweep over recent posts ------------------------------------------------


@responses.activate
def test_sweep_reads_comments_of_recent_posts_then_nested_replies():
    c = client()
    c.page_size = 2
    t = [NOW - timedelta(hours=h) for h in (5, 4, 3, 2)]
    responses.add(
        "GET",
        BASE + "/posts",
        json=page(
            [
                post(POST_A, NOW - timedelta(days=1)),
                post(POST_B, NOW - timedelta(days=2)),
                post("urn:li:share:old", NOW - timedelta(days=90)),
                post("urn:li:share:draft", NOW, "DRAFT"),
            ],
            4,
        ),
    )
    first = c.fetch("comments", None)
    call = responses.calls[0].request
    assert query(responses.calls[0]) == {
        "author": ORG,
        "q": "author",
        "count": "20",
        "sortBy": "LAST_MODIFIED",
    }
    assert call.headers["LinkedIn-Version"] == c.api_version
    assert call.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert call.headers["X-RestLi-Method"] == "FINDER"
    assert call.headers["Authorization"] == "Bearer li-tok"
    assert first.items == [] and first.has_more is True
    assert [q[0] for q in decode_cursor(first.next_cursor)["queue"]] == [POST_A, POST_B]

    responses.add("GET", comments_url(POST_A), json=page([comment("1", t[0]), comment("2", t[1])], 3))
    second = c.fetch("comments", first.next_cursor)
    assert query(responses.calls[1]) == {"start": "0", "count": "2"}
    assert [i.text for i in second.items] == ["Comment 1 (with brackets)", "Comment 2 (with brackets)"]
    assert decode_cursor(second.next_cursor)["walk"].get("since") is None  # sweep not done

    responses.replace("GET", comments_url(POST_A), json=page([comment("3", t[2], nested=1)], 3, start=2))
    third = c.fetch("comments", second.next_cursor)
    assert query(responses.calls[2]) == {"start": "2", "count": "2"}
    top = third.items[0]
    assert top.kind == "comment" and top.replies == 1
    assert top.external_id == "urn:li:comment:(urn:li:activity:7001,3)"
    assert top.conversation_id == "urn:li:activity:7001" and top.in_reply_to_id == ""
    assert top.url == "https://www.linkedin.com/feed/update/urn:li:activity:7001/?commentUrn=" + quote(
        top.external_id, safe=""
    )
    assert top.posted_at == t[2] and top.likes == 2

    responses.add("GET", comments_url(POST_B), json=page([], 0))
    fourth = c.fetch("comments", third.next_cursor)
    assert fourth.items == [] and fourth.has_more is True  # the nested replies are next

    responses.add(
        "GET", comments_url(top.external_id), json=page([comment("4", t[3], parent=top.external_id)], 1)
    )
    fifth = c.fetch("comments", fourth.next_cursor)
    reply = fifth.items[0]
    assert reply.kind == "reply" and reply.in_reply_to_id == top.external_id
    assert fifth.has_more is False
    state = decode_cursor(fifth.next_cursor)
    assert state["walk"]["since"] == t[3].timestamp()  # promoted once the sweep is done
    assert state["counts"] == {top.external_id: 1}

    # next sweep: only the new comment; the nested count did not change, so no re-read
    responses.replace("GET", BASE + "/posts", json=page([post(POST_A, NOW - timedelta(days=1))], 1))
    responses.replace(
        "GET", comments_url(POST_A), json=page([comment("3", t[2], nested=1), comment("5", NOW)], 2)
    )
    sweep = c.fetch("comments", fifth.next_cursor)
    sweep = c.fetch("comments", sweep.next_cursor)
    assert [i.external_id for i in sweep.items] == ["urn:li:comment:(urn:li:activity:7001,5)"]
    assert sweep.has_more is False


# --- errors -------------------------------------------------------------------------


@responses.activate
def test_429_waits_until_utc_midnight():
    responses.add(
        "GET",
        BASE + "/posts",
        status=429,
        json={
            "status": 429,
            "serviceErrorCode": 101,
            "code": "TOO_MANY_REQUESTS",
            "message": "Resource level throttle APPLICATION DAY limit",
        },
    )
    with pytest.raises(RateLimited) as err:
        client().fetch("comments", None)
    expected = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert err.value.retry_at == expected


@pytest.mark.parametrize(
    "kwargs,error",
    [
        (
            {
                "status": 401,
                "json": {
                    "status": 401,
                    "serviceErrorCode": 65601,
                    "code": "REVOKED_ACCESS_TOKEN",
                    "message": "revoked",
                },
            },
            AuthError,
        ),
        (
            {
                "status": 403,
                "json": {
                    "status": 403,
                    "serviceErrorCode": 100,
                    "code": "ACCESS_DENIED",
                    "message": "Not enough permissions",
                },
            },
            AuthError,
        ),
        (
            {
                "status": 426,
                "json": {
                    "status": 426,
                    "code": "NONEXISTENT_VERSION",
                    "message": "Requested version 202001 is not active",
                },
            },
            InvalidRequest,
        ),
        ({"status": 500, "json": {"status": 500, "message": "Internal Server Error"}}, TransientError),
        ({"status": 504, "body": "<html>gateway</html>"}, TransientError),
        ({"body": requests.Timeout()}, TransientError),
    ],
)
@responses.activate
def test_errors(kwargs, error):
    responses.add("GET", BASE + "/posts", **kwargs)
    with pytest.raises(error):
        client().fetch("comments", None)


@pytest.mark.parametrize(
    "body", ['{"elements": [{"id": "urn:li:share:1", "crea', "<html>nope</html>", '{"paging": {}}']
)
@responses.activate
def test_malformed_posts_listing_carries_the_body(body):
    responses.add("GET", BASE + "/posts", body=body, status=200)
    with pytest.raises(MalformedPayload) as err:
        client().fetch("comments", None)
    assert err.value.body == body


@responses.activate
def test_malformed_comments_page_carries_the_body():
    body = '{"elements": [{"message": {"text": "hi"}, "created": {}}]}'
    responses.add("GET", comments_url(POST_A), body=body)
    cursor = json.dumps({"walk": {"page": "sweep"}, "queue": [[POST_A, 0]]})
    with pytest.raises(MalformedPayload) as err:
        client().fetch("comments", cursor)
    assert err.value.body == body


# --- writing ------------------------------------------------------------------------


def test_little_text_escaping():
    assert escape_little_text("Fees (2026) for #parking @ 50% off_peak") == (
        "Fees \\(2026\\) for {hashtag|\\#|parking} \\@ 50% off\\_peak"
    )


@responses.activate
def test_publish_post_as_the_organisation():
    responses.add("POST", BASE + "/posts", status=201, body="", headers={"x-restli-id": "urn:li:share:7100"})
    published = client().publish("Roadworks on [High St] #roads", link="https://council.example/roadworks")
    body = json.loads(responses.calls[0].request.body)
    assert body == {
        "author": ORG,
        "commentary": "Roadworks on \\[High St\\] {hashtag|\\#|roads}\n\nhttps://council.example/roadworks",
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    assert (published.external_id, published.url) == (
        "urn:li:share:7100",
        "https://www.linkedin.com/feed/update/urn:li:share:7100/",
    )


@responses.activate
def test_publish_with_image():
    upload = "https://www.linkedin.com/dms-uploads/sp/C4E/upload?token=t"
    responses.add(
        "GET", "https://cdn.council.example/map.png", body=b"png", headers={"Content-Type": "image/png"}
    )
    responses.add(
        "POST",
        BASE + "/images",
        json={"value": {"uploadUrlExpiresAt": 1, "uploadUrl": upload, "image": "urn:li:image:C4E"}},
    )
    responses.add("PUT", upload, status=201, body="")
    responses.add("POST", BASE + "/posts", status=201, body="", headers={"x-restli-id": "urn:li:share:7101"})
    client().publish("Map", images=[("https://cdn.council.example/map.png", "Route map")])
    assert query(responses.calls[1]) == {"action": "initializeUpload"}
    assert json.loads(responses.calls[1].request.body) == {"initializeUploadRequest": {"owner": ORG}}
    assert responses.calls[2].request.body == b"png"
    assert json.loads(responses.calls[3].request.body)["content"] == {
        "media": {"id": "urn:li:image:C4E", "altText": "Route map"}
    }


@responses.activate
def test_reply_to_a_comment_is_a_nested_comment():
    parent = "urn:li:comment:(urn:li:activity:7001,3)"
    responses.add("POST", comments_url(parent), status=201, json=comment("9", NOW, parent=parent))
    published = client().reply(parent, "Thanks, we will look into it")
    assert json.loads(responses.calls[0].request.body) == {
        "actor": ORG,
        "object": "urn:li:activity:7001",
        "message": {"text": "Thanks, we will look into it"},
        "parentComment": parent,
    }
    assert published.external_id == "urn:li:comment:(urn:li:activity:7001,9)"


@responses.activate
def test_comment_on_a_post():
    responses.add("POST", comments_url(POST_A), status=201, json=comment("10", NOW, on=POST_A))
    client().reply(POST_A, "More details on our website")
    assert json.loads(responses.calls[0].request.body)["object"] == POST_A


def test_reply_needs_an_urn():
    with pytest.raises(InvalidRequest):
        client().reply("12345", "hi")


@responses.activate
def test_delete_comment_and_post():
    responses.add(
        "DELETE", f"{BASE}/socialActions/{quote('urn:li:activity:7001', safe='')}/comments/9", status=204
    )
    responses.add("DELETE", f"{BASE}/posts/{quote(POST_A, safe='')}", status=204)
    c = client()
    c.delete("urn:li:comment:(urn:li:activity:7001,9)")
    c.delete(POST_A)
    assert query(responses.calls[0]) == {"actor": ORG}
    assert responses.calls[1].request.headers["X-RestLi-Method"] == "DELETE"


def test_hide_is_not_supported():
    with pytest.raises(NotSupported):
        client().hide("urn:li:comment:(urn:li:activity:1,2)")


@responses.activate
def test_metrics():
    responses.add("GET", f"{BASE}/networkSizes/{quote(ORG, safe='')}", json={"firstDegreeSize": 5400})
    responses.add(
        "GET",
        BASE + "/organizationalEntityShareStatistics",
        json={
            "elements": [
                {"totalShareStatistics": {"likeCount": 310, "impressionCount": 88000, "commentCount": 40}}
            ]
        },
    )
    m = client().metrics()
    assert (m.followers, m.likes, m.views) == (5400, 310, 88000)
    assert query(responses.calls[0]) == {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"}


# --- OAuth --------------------------------------------------------------------------

APP = AppConfig(client_id="li-cid", client_secret="li-secret")
TOKEN = "https://www.linkedin.com/oauth/v2/accessToken"


def test_authorise_url():
    url = LinkedInClient(app=APP).authorise_url(
        redirect_uri="https://council.example/oauth/linkedin", state="st"
    )
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.linkedin.com/oauth/v2/authorization"
    assert (q["response_type"], q["client_id"], q["state"]) == ("code", "li-cid", "st")
    assert "w_organization_social" in q["scope"].split(" ")


@responses.activate
def test_exchange_code_finds_the_organisation():
    responses.add(
        "POST",
        TOKEN,
        json={
            "access_token": "AQV",
            "expires_in": 5184000,
            "refresh_token": "AQX",
            "refresh_token_expires_in": 31536000,
            "scope": "r_organization_social,w_organization_social",
        },
    )
    responses.add(
        "GET",
        BASE + "/organizationAcls",
        json={"elements": [{"organization": ORG, "role": "ADMINISTRATOR", "state": "APPROVED"}]},
    )
    creds = LinkedInClient(app=APP).exchange_code(
        code="c0de", redirect_uri="https://council.example/oauth/linkedin"
    )
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["authorization_code"] and form["client_secret"] == ["li-secret"]
    assert (creds.access_token, creds.refresh_token, creds.account_id) == ("AQV", "AQX", ORG)
    assert timedelta(days=59) < creds.expires_at - datetime.now(UTC) <= timedelta(days=60, seconds=2)
    assert "refresh_expires_at" in creds.extra
    assert query(responses.calls[1]) == {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}


@responses.activate
def test_refresh():
    responses.add(
        "POST",
        TOKEN,
        json={
            "access_token": "AQV2",
            "expires_in": 5184000,
            "refresh_token": "AQX",
            "refresh_token_expires_in": 30000000,
        },
    )
    creds = LinkedInClient(app=APP, credentials=Credentials(refresh_token="AQX", account_id=ORG)).refresh()
    form = parse_qs(responses.calls[0].request.body)
    assert (
        form["grant_type"] == ["refresh_token"]
        and form["client_id"] == ["li-cid"]
        and form["client_secret"] == ["li-secret"]
    )
    assert (creds.access_token, creds.account_id) == ("AQV2", ORG)


@responses.activate
def test_refresh_refused():
    responses.add(
        "POST",
        TOKEN,
        status=400,
        json={"error": "invalid_request", "error_description": "The provided refresh token is invalid"},
    )
    with pytest.raises(AuthError):
        LinkedInClient(app=APP, credentials=Credentials(refresh_token="bad")).refresh()
