"""Every recorded X API v2 response in shared/platform-payloads/x is read by XClient.

Expected values are read from each payload itself, never copied into the test."""
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from platforms.base import (
    AuthError,
    Credentials,
    InvalidRequest,
    RateLimited,
    TransientError,
    parse_time,
)
from platforms.x import XClient
from tests.platforms import payloads
from tests.platforms.payloads import request_path

PLATFORM = "x"
BASE = "https://api.x.test"

pytestmark = payloads.skip_without(PLATFORM)


def names() -> list[str]:
    return payloads.names(PLATFORM)


def load(name: str) -> tuple[str, dict, dict]:
    return payloads.load(PLATFORM, name)


def client(**credentials) -> XClient:
    creds = Credentials(access_token="token", **credentials)
    return XClient(base_url=BASE, credentials=creds)


def add(rsps, method: str, url: str, text: str, meta: dict) -> None:
    rsps.add(method, url, body=text, status=meta["status"], headers=meta["headers"])


def test_every_payload_has_meta():
    assert payloads.bodies(PLATFORM) == set(names())


def snowflake(tweet_id: str) -> datetime:
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + 1288834974657) / 1000, tz=UTC)


def check_tweets(items, body: dict, endpoint: str | None) -> None:
    data = body.get("data", [])
    tweets = [data] if isinstance(data, dict) else data
    users = {u["id"]: u for u in body.get("includes", {}).get("users", [])}
    assert [i.external_id for i in items] == [t["id"] for t in tweets]
    for item, tweet in zip(items, tweets, strict=True):
        assert item.platform == "x"
        assert item.text == tweet["text"]
        expected_time = parse_time(tweet["created_at"]) if "created_at" in tweet else snowflake(tweet["id"])
        assert item.posted_at == expected_time
        assert item.posted_at.tzinfo is not None
        user = users.get(tweet.get("author_id"))
        assert item.author.external_id == tweet.get("author_id", "")
        if user:
            assert item.author.handle == user["username"]
            assert item.author.display_name == user["name"]
            assert item.author.followers == user["public_metrics"]["followers_count"]
            assert item.author.verified == user["verified"]
            assert item.url == f"https://x.com/{user['username']}/status/{tweet['id']}"
        else:
            assert (item.author.handle, item.author.display_name, item.author.followers) == ("", "", None)
            assert item.url == f"https://x.com/i/web/status/{tweet['id']}"
        replied = [r["id"] for r in tweet.get("referenced_tweets", []) if r["type"] == "replied_to"]
        assert item.in_reply_to_id == (replied[0] if replied else "")
        assert item.conversation_id == tweet.get("conversation_id", "")
        metrics = tweet.get("public_metrics", {})
        assert item.likes == metrics.get("like_count", 0)
        assert item.replies == metrics.get("reply_count", 0)
        assert item.reshares == metrics.get("retweet_count", 0) + metrics.get("quote_count", 0)
        if endpoint == "search":
            assert item.kind == "search_hit"
        elif endpoint == "mentions":
            assert item.kind == "mention"


# What each recorded endpoint is to the client ("mentions", "search" or None for the
# endpoints it does not poll). A payload for an endpoint not listed here fails.
ENDPOINTS = {
    "GET /2/users/:id/mentions": "mentions",
    "GET /2/tweets/search/recent": "search",
    "GET /2/tweets/search/all": None,
    "GET /2/tweets/:id": None,
    "GET /2/tweets": None,  # lookup by ids
    "GET /2/users/:id/tweets": None,  # a user's timeline: the same tweet schema
    "POST /2/tweets": "publish",
}
ERRORS_BY_STATUS = {400: InvalidRequest, 401: AuthError, 403: AuthError, 429: RateLimited, 503: TransientError}


def endpoint_of(meta: dict) -> str | None:
    """The method and path of the recorded endpoint, without its query or notes."""
    method, path = meta["endpoint"].split()[:2]
    key = f"{method} {path.split('?')[0]}"
    if key in ENDPOINTS:
        return ENDPOINTS[key]
    pytest.fail(f"no expectation for endpoint {meta['endpoint']!r}: add one to ENDPOINTS")


@pytest.mark.parametrize("name", names())
@responses.activate
def test_payload(name):
    text, body, meta = load(name)
    x = client()
    path = request_path(meta)

    if name.startswith("error_"):
        expected = ERRORS_BY_STATUS[meta["status"]]
        add(responses, meta["request"]["method"], BASE + path, text, meta)
        with pytest.raises(expected) as caught:
            x.send(meta["request"]["method"], path)
        assert caught.value.status == meta["status"]
        assert caught.value.body == text
        # parse() of the same body raises the same kind of error.
        with pytest.raises(expected):
            x.parse(body)
        return

    endpoint = endpoint_of(meta)
    if endpoint == "publish":
        add(responses, "POST", BASE + path, text, meta)
        published = client(handle="council").publish(json.loads(meta["request"]["body"])["text"])
        assert published.external_id == body["data"]["id"]
        assert published.url == f"https://x.com/council/status/{body['data']['id']}"
        assert json.loads(responses.calls[0].request.body) == json.loads(meta["request"]["body"])
        assert x.published_from(body).external_id == body["data"]["id"]
        return

    if "data" not in body and "errors" in body:
        # Partial-error shape with HTTP 200: no items, no exception.
        assert x.parse(body, endpoint=endpoint) == []
    check_tweets(x.parse(body, endpoint=endpoint), body, endpoint)
    check_tweets(x.parse(body), body, None)  # shape guessing (ingest_file) gives the same items

    if endpoint in ("mentions", "search"):
        # Replay through fetch(): same items, rate limit from the recorded headers.
        add(responses, "GET", BASE + path, text, meta)
        query = parse_qs(urlsplit(meta["request"]["url"]).query)
        if endpoint == "mentions":
            account = path.split("/")[3]
            page = client(account_id=account).fetch("mentions", None)
        else:
            page = client().fetch("search", None, watch_terms=query["query"])
        check_tweets(page.items, body, endpoint)
        meta_block = body.get("meta", {})
        assert page.has_more == bool(meta_block.get("next_token") and body.get("data"))
        state = json.loads(page.next_cursor) if page.next_cursor else {}
        if page.has_more:
            assert state["token"] == meta_block["next_token"]
            assert state["pending_newest"] == meta_block["newest_id"]
            assert "since_id" not in state  # not promoted before the backlog is read
        else:
            assert state.get("since_id") == meta_block.get("newest_id")


@pytest.mark.parametrize("name", [n for n in names() if "x-rate-limit-limit" in load(n)[2]["headers"]])
@responses.activate
def test_rate_limit_headers(name):
    text, _, meta = load(name)
    headers = meta["headers"]
    x = client()
    add(responses, meta["request"]["method"], BASE + request_path(meta), text, meta)
    response = x.session.request(meta["request"]["method"], BASE + request_path(meta))
    rate = x.rate_limit_from(response)
    assert rate.limit == int(headers["x-rate-limit-limit"])
    assert rate.remaining == int(headers["x-rate-limit-remaining"])
    assert rate.reset_at == datetime.fromtimestamp(int(headers["x-rate-limit-reset"]), tz=UTC)

