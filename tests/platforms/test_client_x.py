"""XClient behaviour at the HTTP layer (responses)."""
import base64
import hashlib
import json
from datetime import UTC, datetime
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
    NotSupported,
    RateLimited,
    TransientError,
    simulator_urls,
)
from platforms.x import XClient, search_query

BASE = "https://api.x.com"
ACCOUNT = "1000"
MENTIONS = f"{BASE}/2/users/{ACCOUNT}/mentions"
SEARCH = f"{BASE}/2/tweets/search/recent"
APP = AppConfig(client_id="client-id", client_secret="client-secret", scopes=("tweet.read", "offline.access"))


def client(**kw) -> XClient:
    creds = Credentials(access_token="token", refresh_token="refresh", account_id=ACCOUNT, handle="council")
    return XClient(credentials=kw.pop("credentials", creds), app=APP, **kw)


def tweet(tweet_id: int, author: str = "2000", **extra) -> dict:
    return {"id": str(tweet_id), "text": f"@council tweet {tweet_id}", "author_id": author,
            "created_at": "2024-05-01T10:00:00.000Z", **extra}


def page_body(ids: list[int], next_token: str | None = None) -> dict:
    meta = {"result_count": len(ids)}
    if ids:
        meta.update(newest_id=str(max(ids)), oldest_id=str(min(ids)))
    if next_token:
        meta["next_token"] = next_token
    users = [{"id": "2000", "username": "resident", "name": "A Resident", "verified": False,
              "public_metrics": {"followers_count": 12}}]
    return {"data": [tweet(i) for i in ids], "includes": {"users": users}, "meta": meta}


def query_of(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


# --- defaults and URLs -----------------------------------------------------------


def test_real_urls_and_simulator_urls():
    assert XClient.default_base_url == "https://api.x.com"
    assert XClient.default_authorize_url == "https://x.com/i/oauth2/authorize"
    assert XClient.default_token_url == "https://api.x.com/2/oauth2/token"
    urls = simulator_urls(XClient, "http://sim:8001")
    assert urls == {
        "base_url": "http://sim:8001/x",
        "authorize_url": "http://sim:8001/x/i/oauth2/authorize",
        "token_url": "http://sim:8001/x/2/oauth2/token",
    }


@responses.activate
def test_requests_go_to_base_url_with_bearer_token():
    responses.add("GET", "http://sim/x/2/users/1000/mentions", json=page_body([5]))
    page = client(base_url="http://sim/x").fetch("mentions", None)
    assert [i.external_id for i in page.items] == ["5"]
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Bearer token"
    query = query_of(responses.calls[0])
    assert query["expansions"] == "author_id"
    assert set(query["tweet.fields"].split(",")) >= {
        "created_at", "author_id", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
        "public_metrics", "entities"}
    assert set(query["user.fields"].split(",")) >= {"username", "name", "public_metrics", "verified"}
    assert page.items[0].author.followers == 12


# --- cursors ---------------------------------------------------------------------


@responses.activate
def test_backlog_pages_then_promotes_since_id():
    x = client()
    responses.add("GET", MENTIONS, json=page_body([30, 29], next_token="t1"))
    responses.add("GET", MENTIONS, json=page_body([28, 27], next_token="t2"))
    responses.add("GET", MENTIONS, json=page_body([26]))
    responses.add("GET", MENTIONS, json={"meta": {"result_count": 0}})

    first = x.fetch("mentions", None)
    assert first.has_more and [i.external_id for i in first.items] == ["30", "29"]
    assert "since_id" not in json.loads(first.next_cursor)

    second = x.fetch("mentions", first.next_cursor)
    assert second.has_more and [i.external_id for i in second.items] == ["28", "27"]
    assert "since_id" not in json.loads(second.next_cursor)  # backlog not drained yet

    third = x.fetch("mentions", second.next_cursor)
    assert not third.has_more and [i.external_id for i in third.items] == ["26"]
    assert json.loads(third.next_cursor)["since_id"] == "30"  # newest of the run

    fourth = x.fetch("mentions", third.next_cursor)
    assert fourth.items == [] and not fourth.has_more
    assert json.loads(fourth.next_cursor)["since_id"] == "30"

    queries = [query_of(c) for c in responses.calls]
    assert "pagination_token" not in queries[0] and "since_id" not in queries[0]
    assert queries[1]["pagination_token"] == "t1"
    assert queries[2]["pagination_token"] == "t2"
    assert queries[3]["since_id"] == "30" and "pagination_token" not in queries[3]


@responses.activate
def test_since_id_stays_until_backlog_drained():
    x = client()
    start = json.dumps({"since_id": "100"})
    responses.add("GET", MENTIONS, json=page_body([150, 149], next_token="a"))
    responses.add("GET", MENTIONS, json=page_body([120], next_token="b"))
    responses.add("GET", MENTIONS, json=page_body([101]))
    cursor = start
    for _ in range(3):
        page = x.fetch("mentions", cursor)
        if page.has_more:
            assert json.loads(page.next_cursor)["since_id"] == "100"
        cursor = page.next_cursor
    assert [query_of(c)["since_id"] for c in responses.calls] == ["100", "100", "100"]
    assert json.loads(cursor) == {"since_id": "150"}


@responses.activate
def test_failed_page_resumes_from_saved_cursor():
    x = client()
    responses.add("GET", MENTIONS, json=page_body([9, 8], next_token="t1"))
    responses.add("GET", MENTIONS, status=503, body="")
    responses.add("GET", MENTIONS, json=page_body([7]))
    first = x.fetch("mentions", None)
    with pytest.raises(TransientError):
        x.fetch("mentions", first.next_cursor)
    x.fetch("mentions", first.next_cursor)  # the caller kept the last stored cursor
    assert query_of(responses.calls[2])["pagination_token"] == "t1"


@responses.activate
def test_search_query_and_next_token():
    x = client()
    responses.add("GET", SEARCH, json=page_body([3], next_token="n1"))
    responses.add("GET", SEARCH, json=page_body([2]))
    terms = ["council", "bin collection"]
    page = x.fetch("search", None, watch_terms=terms)
    assert page.items[0].kind == "search_hit"
    page = x.fetch("search", page.next_cursor, watch_terms=terms)
    assert query_of(responses.calls[0])["query"] == '(council OR "bin collection")'
    assert query_of(responses.calls[1])["next_token"] == "n1"
    assert json.loads(page.next_cursor)["since_id"] == "3"


@responses.activate
def test_changed_search_terms_start_afresh():
    x = client()
    responses.add("GET", SEARCH, json=page_body([3]))
    cursor = json.dumps({"query": "old", "since_id": "1", "token": "t", "pending_newest": "2"})
    x.fetch("search", cursor, watch_terms=["new"])
    query = query_of(responses.calls[0])
    assert query["query"] == "new" and "since_id" not in query and "next_token" not in query


def test_search_without_terms_makes_no_request():
    page = client().fetch("search", "c", watch_terms=[])
    assert page.items == [] and page.next_cursor == "c"


def test_search_query_too_long():
    with pytest.raises(InvalidRequest):
        client().fetch("search", None, watch_terms=[f"term{i}" for i in range(100)])


def test_search_query_quoting():
    assert search_query(["a"]) == "a"
    assert search_query(["a", "", "b c", "OR"]) == '(a OR "b c" OR "OR")'


@responses.activate
def test_own_posts_are_left_out_and_kinds():
    body = page_body([4, 5])
    body["data"][0]["author_id"] = ACCOUNT
    body["data"][1]["in_reply_to_user_id"] = ACCOUNT
    body["data"][1]["referenced_tweets"] = [{"type": "replied_to", "id": "3"}, {"type": "quoted", "id": "2"}]
    responses.add("GET", MENTIONS, json=body)
    page = client().fetch("mentions", None)
    assert [(i.external_id, i.kind, i.in_reply_to_id) for i in page.items] == [("5", "reply", "3")]


# --- errors -------------------------------------------------------------------------


@responses.activate
def test_429_is_rate_limited_until_reset():
    responses.add("GET", MENTIONS, status=429, headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                                                        "x-rate-limit-reset": "1900000000"},
                  json={"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                        "status": 429})
    with pytest.raises(RateLimited) as caught:
        client().fetch("mentions", None)
    assert caught.value.retry_at == datetime.fromtimestamp(1900000000, tz=UTC)


@responses.activate
def test_rate_limit_headers_on_page():
    responses.add("GET", MENTIONS, json=page_body([1]), headers={
        "x-rate-limit-limit": "450", "x-rate-limit-remaining": "449", "x-rate-limit-reset": "1700000000"})
    rate = client().fetch("mentions", None).rate_limit
    assert (rate.limit, rate.remaining) == (450, 449)
    assert rate.reset_at == datetime.fromtimestamp(1700000000, tz=UTC)


@responses.activate
def test_401_is_auth_error():
    responses.add("GET", MENTIONS, status=401,
                  json={"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
    with pytest.raises(AuthError):
        client().fetch("mentions", None)


@responses.activate
def test_403_client_forbidden_is_auth_error_but_other_403_is_invalid():
    responses.add("POST", f"{BASE}/2/tweets", status=403, json={
        "title": "Client Forbidden", "type": "https://api.x.com/2/problems/client-forbidden", "status": 403,
        "detail": "This request must be made using an approved developer account"})
    responses.add("POST", f"{BASE}/2/tweets", status=403, json={
        "detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank",
        "title": "Forbidden", "status": 403})
    with pytest.raises(AuthError):
        client().publish("hello")
    with pytest.raises(InvalidRequest) as caught:
        client().publish("hello")
    assert "duplicate content" in str(caught.value)


@responses.activate
def test_200_with_only_auth_errors_is_auth_error():
    responses.add("GET", MENTIONS, json={"errors": [{
        "title": "Authorization Error", "detail": "Sorry, you are not authorized to see the user.",
        "type": "https://api.twitter.com/2/problems/not-authorized-for-resource"}]})
    with pytest.raises(AuthError):
        client().fetch("mentions", None)


@responses.activate
def test_200_with_only_other_errors_gives_no_items():
    responses.add("GET", MENTIONS, json={"errors": [{
        "detail": "User has been suspended: [1000].", "title": "Forbidden", "resource_type": "user",
        "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
    page = client().fetch("mentions", json.dumps({"since_id": "7"}))
    assert page.items == [] and not page.has_more
    assert json.loads(page.next_cursor) == {"since_id": "7"}


@responses.activate
def test_partial_errors_next_to_data_keep_the_data():
    body = page_body([11])
    body["errors"] = [{"title": "Not Found Error", "type": "https://api.twitter.com/2/problems/resource-not-found"}]
    responses.add("GET", MENTIONS, json=body)
    assert [i.external_id for i in client().fetch("mentions", None).items] == ["11"]


@pytest.mark.parametrize("status", [500, 502, 503])
@responses.activate
def test_5xx_is_transient(status):
    responses.add("GET", MENTIONS, status=status, body="<html>oops</html>")
    with pytest.raises(TransientError):
        client().fetch("mentions", None)


@pytest.mark.parametrize("exc", [requests.Timeout("slow"), requests.ConnectionError("down")])
@responses.activate
def test_timeout_and_connection_errors_are_transient(exc):
    responses.add("GET", MENTIONS, body=exc)
    with pytest.raises(TransientError):
        client().fetch("mentions", None)


@responses.activate
def test_truncated_json_is_malformed_with_body():
    text = json.dumps(page_body([1, 2]))[:-40]
    responses.add("GET", MENTIONS, body=text, content_type="application/json")
    with pytest.raises(MalformedPayload) as caught:
        client().fetch("mentions", None)
    assert caught.value.body == text


@pytest.mark.parametrize("body", [
    {"data": "not a list"},
    {"data": [{"text": "no id"}]},
    {"data": [{"id": "1", "text": None}]},
    {"data": [{"id": "abc", "text": "no time and not a snowflake"}]},
    {"unexpected": True},
    [1, 2, 3],
])
@responses.activate
def test_wrong_structure_is_malformed_with_body(body):
    text = json.dumps(body)
    responses.add("GET", MENTIONS, body=text, content_type="application/json")
    with pytest.raises(MalformedPayload) as caught:
        client().fetch("mentions", None)
    assert caught.value.body == text


def test_parse_keeps_text_exactly():
    text = "  &amp; <b>café</b> \u200b\n🙂  "
    items = client().parse({"data": [{"id": "1578516295611748353", "text": text}]})
    assert items[0].text == text
    assert items[0].posted_at.tzinfo is not None
    assert items[0].author.external_id == ""


def test_parse_guesses_kind_from_account():
    x = client()
    body = {"data": [
        {"id": "1578516295611748353", "text": "hello @Council"},
        {"id": "1578516295611748354", "text": "no mention", "in_reply_to_user_id": ACCOUNT},
        {"id": "1578516295611748355", "text": "about bins"},
    ]}
    assert [i.kind for i in x.parse(body)] == ["mention", "reply", "search_hit"]
    assert [i.kind for i in XClient().parse(body)] == ["mention"] * 3


# --- writing ------------------------------------------------------------------------


@responses.activate
def test_publish_and_reply_bodies():
    created = {"data": {"id": "55", "text": "x"}}
    responses.add("POST", f"{BASE}/2/tweets", json=created, status=201,
                  match=[matchers.json_params_matcher({"text": "Bins today https://council.example/bins"})])
    responses.add("POST", f"{BASE}/2/tweets", json=created, status=201,
                  match=[matchers.json_params_matcher({"text": "Thanks", "reply": {"in_reply_to_tweet_id": "9"}})])
    published = client().publish("Bins today", link="https://council.example/bins")
    assert (published.external_id, published.url) == ("55", "https://x.com/council/status/55")
    assert client().reply("9", "Thanks").external_id == "55"


def test_publish_with_images_is_not_supported():
    with pytest.raises(NotSupported):
        client().publish("photo", images=[("https://example.org/a.jpg", "alt")])


@responses.activate
def test_publish_response_without_id_is_malformed():
    responses.add("POST", f"{BASE}/2/tweets", json={"data": {}}, status=201)
    with pytest.raises(MalformedPayload):
        client().publish("hi")


@responses.activate
def test_hide_delete_and_metrics():
    responses.add("PUT", f"{BASE}/2/tweets/9/hidden", json={"data": {"hidden": True}},
                  match=[matchers.json_params_matcher({"hidden": True})])
    responses.add("DELETE", f"{BASE}/2/tweets/10", json={"data": {"deleted": True}})
    responses.add("GET", f"{BASE}/2/users/{ACCOUNT}", json={"data": {"id": ACCOUNT, "public_metrics": {
        "followers_count": 321, "following_count": 5, "tweet_count": 77, "listed_count": 1}}},
        match=[matchers.query_param_matcher({"user.fields": "public_metrics"})])
    x = client()
    x.hide("9")
    x.delete("10")
    metrics = x.metrics()
    assert (metrics.followers, metrics.posts) == (321, 77)


# --- OAuth 2.0 with PKCE ---------------------------------------------------------------


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def test_authorise_url_has_pkce_challenge_for_state():
    x = client()
    url = x.authorise_url(redirect_uri="https://council.example/cb", state="state-1")
    assert url.startswith("https://x.com/i/oauth2/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "client-id"
    assert query["redirect_uri"] == "https://council.example/cb"
    assert query["scope"] == "tweet.read offline.access"
    assert query["state"] == "state-1"
    assert query["code_challenge_method"] == "S256"
    verifier = x.code_verifier("state-1")
    assert 43 <= len(verifier) <= 128
    assert query["code_challenge"] == challenge(verifier)
    # Reproducible from state alone, different for another state, overridable via extra.
    assert client().code_verifier("state-1") == verifier
    assert x.code_verifier("state-2") != verifier
    kept = client(credentials=Credentials(extra={"code_verifier": "v" * 50}))
    assert kept.code_verifier("state-1") == "v" * 50


@responses.activate
def test_exchange_code_sends_verifier_and_reads_identity():
    x = client(credentials=Credentials())
    responses.add("POST", f"{BASE}/2/oauth2/token", json={
        "token_type": "bearer", "expires_in": 7200, "access_token": "new-access",
        "scope": "tweet.read offline.access", "refresh_token": "new-refresh"})
    responses.add("GET", f"{BASE}/2/users/me", json={"data": {"id": "42", "username": "TheCouncil", "name": "C"}})
    creds = x.exchange_code(code="the-code", redirect_uri="https://council.example/cb", state="state-1")
    token_request = responses.calls[0].request
    form = {k: v[0] for k, v in parse_qs(token_request.body).items()}
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "the-code"
    assert form["redirect_uri"] == "https://council.example/cb"
    assert form["client_id"] == "client-id"
    assert form["code_verifier"] == x.code_verifier("state-1")
    expected_basic = base64.b64encode(b"client-id:client-secret").decode()
    assert token_request.headers["Authorization"] == f"Basic {expected_basic}"
    assert responses.calls[1].request.headers["Authorization"] == "Bearer new-access"
    assert (creds.access_token, creds.refresh_token) == ("new-access", "new-refresh")
    assert (creds.account_id, creds.handle) == ("42", "TheCouncil")
    assert creds.expires_at is not None and creds.expires_at > datetime.now(UTC)


@responses.activate
def test_exchange_code_refused_is_auth_error():
    responses.add("POST", f"{BASE}/2/oauth2/token", status=400, json={
        "error": "invalid_request", "error_description": "Value passed for the authorization code was invalid."})
    with pytest.raises(AuthError):
        client().exchange_code(code="bad", redirect_uri="https://council.example/cb", state="s")


@responses.activate
def test_refresh_rotates_tokens():
    x = client()
    responses.add("POST", f"{BASE}/2/oauth2/token", json={
        "token_type": "bearer", "expires_in": 7200, "access_token": "a2", "refresh_token": "r2",
        "scope": "tweet.read"})
    creds = x.refresh()
    form = {k: v[0] for k, v in parse_qs(responses.calls[0].request.body).items()}
    assert form == {"grant_type": "refresh_token", "refresh_token": "refresh", "client_id": "client-id"}
    assert (creds.access_token, creds.refresh_token, creds.account_id) == ("a2", "r2", ACCOUNT)
    assert x.credentials is creds


@pytest.mark.parametrize("status,error", [(400, AuthError), (401, AuthError), (503, TransientError)])
@responses.activate
def test_refresh_failures(status, error):
    responses.add("POST", f"{BASE}/2/oauth2/token", status=status,
                  json={"error": "invalid_request", "error_description": "Value passed for the token was invalid."})
    with pytest.raises(error):
        client().refresh()


def test_refresh_without_refresh_token():
    with pytest.raises(AuthError):
        client(credentials=Credentials(access_token="a")).refresh()


@responses.activate
def test_token_response_not_json_is_malformed():
    responses.add("POST", f"{BASE}/2/oauth2/token", body="<html>", status=200)
    with pytest.raises(MalformedPayload):
        client().refresh()


@responses.activate
def test_mute_and_direct_message():
    responses.add("POST", f"{BASE}/2/users/{ACCOUNT}/muting", json={"data": {"muting": True}},
                  match=[matchers.json_params_matcher({"target_user_id": "55"})])
    responses.add("POST", f"{BASE}/2/dm_conversations/with/55/messages",
                  json={"data": {"dm_conversation_id": "1-55", "dm_event_id": "777"}},
                  match=[matchers.json_params_matcher({"text": "Please send us your address."})])
    x = client()
    x.mute("55")
    assert x.direct_message("55", "Please send us your address.").external_id == "777"
