"""FacebookClient (and the shared Graph code) behaviour at the HTTP layer (responses)."""
import hashlib
import hmac
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
    NotSupported,
    RateLimited,
    TransientError,
    simulator_urls,
)
from platforms.facebook import FacebookClient
from platforms.graph import usage_rate_limit

BASE = "https://graph.facebook.com/v21.0"
PAGE = "111"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC).timestamp()
APP = AppConfig(client_id="app-id", client_secret="app-secret", scopes=("pages_read_engagement",))


def client(**kw) -> FacebookClient:
    fb = FacebookClient(credentials=Credentials(access_token="page-token", account_id=PAGE), app=APP, **kw)
    fb._now = lambda: NOW
    return fb


def ts(minutes_ago: float) -> str:
    return datetime.fromtimestamp(NOW - minutes_ago * 60, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def post(local: str, minutes_ago: float, *, updated: float | None = None, author: str = PAGE, comments=1) -> dict:
    return {"id": f"{PAGE}_{local}", "message": f"post {local}", "created_time": ts(minutes_ago),
            "updated_time": ts(updated if updated is not None else minutes_ago),
            "from": {"id": author, "name": "someone"},
            "permalink_url": f"https://www.facebook.com/{PAGE}/posts/{local}/",
            "comments": {"data": [], "summary": {"total_count": comments}}}


def comment(cid: str, minutes_ago: float, *, parent: str | None = None, author: str = "900") -> dict:
    body = {"id": cid, "message": f"comment {cid}", "created_time": ts(minutes_ago),
            "from": {"id": author, "name": "Resident"}, "like_count": 2, "comment_count": 0}
    if parent:
        body["parent"] = {"id": parent}
    return body


def next_link(path: str, after: str) -> dict:
    return {"cursors": {"before": "b", "after": after},
            "next": f"https://graph.facebook.com/v21.0{path}?access_token=secret&limit=25&after={after}"}


def query_of(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def drain(fb, endpoint, cursor=None, limit=30):
    items, pages = [], []
    for _ in range(limit):
        page = fb.fetch(endpoint, cursor)
        pages.append(page)
        items += page.items
        cursor = page.next_cursor
        if not page.has_more:
            return items, cursor, pages
    raise AssertionError("run did not finish")


def test_real_urls_and_simulator_urls():
    assert FacebookClient.default_base_url == "https://graph.facebook.com/v21.0"
    assert FacebookClient.default_authorize_url == "https://www.facebook.com/v21.0/dialog/oauth"
    assert FacebookClient.default_token_url == "https://graph.facebook.com/v21.0/oauth/access_token"
    assert simulator_urls(FacebookClient, "http://sim")["base_url"] == "http://sim/facebook/v21.0"


# --- polling -------------------------------------------------------------------------


@responses.activate
def test_feed_run_reads_comments_of_active_posts_then_next_page():
    fb = client()
    feed = f"{BASE}/{PAGE}/feed"
    responses.add("GET", feed, json={"data": [post("1", 10), post("2", 60, author="777", comments=0)],
                                     "paging": next_link(f"/{PAGE}/feed", "A1")})
    responses.add("GET", f"{BASE}/{PAGE}_1/comments", json={
        "data": [comment("1_c2", 5, parent="1_c1"), comment("1_c1", 8), comment("1_own", 7, author=PAGE)],
        "paging": next_link(f"/{PAGE}_1/comments", "C1")})
    responses.add("GET", f"{BASE}/{PAGE}_1/comments", json={"data": [comment("1_c0", 9)]})
    responses.add("GET", feed, json={"data": [post("3", 100, comments=0)]})

    items, cursor, pages = drain(fb, "feed")
    assert [p.has_more for p in pages] == [True, True, True, False]
    by_id = {i.external_id: i for i in items}
    # The visitor post is a mention; the Page's own post and comment are left out.
    assert set(by_id) == {f"{PAGE}_2", "1_c2", "1_c1", "1_c0"}
    assert by_id[f"{PAGE}_2"].kind == "mention"
    assert (by_id["1_c2"].kind, by_id["1_c2"].in_reply_to_id, by_id["1_c2"].conversation_id) == (
        "reply", "1_c1", f"{PAGE}_1")
    assert (by_id["1_c1"].kind, by_id["1_c1"].in_reply_to_id) == ("comment", f"{PAGE}_1")
    assert by_id["1_c1"].author.external_id == "900" and by_id["1_c1"].likes == 2

    calls = [urlsplit(c.request.url).path for c in responses.calls]
    assert calls == [f"/v21.0/{PAGE}/feed", f"/v21.0/{PAGE}_1/comments", f"/v21.0/{PAGE}_1/comments",
                     f"/v21.0/{PAGE}/feed"]
    comments_query = query_of(responses.calls[1])
    assert comments_query["filter"] == "stream" and comments_query["order"] == "reverse_chronological"
    assert query_of(responses.calls[2])["after"] == "C1"
    assert query_of(responses.calls[3])["after"] == "A1"
    for call in responses.calls:  # the access token of the paging link is never reused
        assert query_of(call)["access_token"] == "page-token"

    # The watermark moved only when the run finished: start of the run less the margin.
    for page in pages[:-1]:
        assert "since" not in json.loads(page.next_cursor)
    state = json.loads(cursor)
    assert state["since"] == int(NOW - fb.margin.total_seconds())
    assert set(state["seen"]) == {"1_c2"}  # returned items inside the margin


@responses.activate
def test_second_run_skips_quiet_posts_and_old_comments():
    fb = client()
    since = int(NOW - 3600)
    cursor = json.dumps({"since": since, "seen": {"1_dup": since + 10}})
    responses.add("GET", f"{BASE}/{PAGE}/feed", json={"data": [
        post("1", 600, updated=30), post("2", 700, updated=120)]})
    responses.add("GET", f"{BASE}/{PAGE}_1/comments", json={
        "data": [comment("1_new", 30), comment("1_dup", 50), comment("1_old", 70), comment("1_older", 80)],
        "paging": next_link(f"/{PAGE}_1/comments", "X")})
    items, cursor, _ = drain(fb, "feed", cursor)
    assert [i.external_id for i in items] == ["1_new"]
    # Post 2 had no activity since the watermark; the comments page reaching past the
    # watermark ends that post's scan.
    assert [urlsplit(c.request.url).path for c in responses.calls] == [
        f"/v21.0/{PAGE}/feed", f"/v21.0/{PAGE}_1/comments"]


@responses.activate
def test_feed_stops_paging_at_lookback_window():
    fb = client()
    old = fb.lookback.total_seconds() / 60 + 10
    responses.add("GET", f"{BASE}/{PAGE}/feed", json={"data": [post("1", old, comments=0)],
                                                      "paging": next_link(f"/{PAGE}/feed", "A")})
    items, _, pages = drain(fb, "feed")
    assert items == [] and len(pages) == 1


@responses.activate
def test_tagged_pages_until_watermark():
    fb = client()
    since = int(NOW - 3600)
    tagged = f"{BASE}/{PAGE}/tagged"

    def tag(pid, minutes_ago):
        return {"id": pid, "message": f"tagged {pid}", "created_time": ts(minutes_ago),
                "tagged_time": ts(minutes_ago), "from": {"id": "5", "name": "Neighbour"}}

    responses.add("GET", tagged, json={"data": [tag("t1", 5), tag("t2", 20)],
                                       "paging": next_link(f"/{PAGE}/tagged", "P2")})
    responses.add("GET", tagged, json={"data": [tag("t3", 50), tag("t4", 70)],
                                       "paging": next_link(f"/{PAGE}/tagged", "P3")})
    items, cursor, pages = drain(fb, "tagged", json.dumps({"since": since}))
    assert [i.external_id for i in items] == ["t1", "t2", "t3"]
    assert all(i.kind == "mention" for i in items)
    assert len(responses.calls) == 2 and query_of(responses.calls[1])["after"] == "P2"
    assert [p.has_more for p in pages] == [True, False]


@responses.activate
def test_error_mid_run_keeps_queue():
    fb = client()
    responses.add("GET", f"{BASE}/{PAGE}/feed", json={"data": [post("1", 10)]})
    responses.add("GET", f"{BASE}/{PAGE}_1/comments", status=500, json={"error": {"code": 2, "message": "x"}})
    responses.add("GET", f"{BASE}/{PAGE}_1/comments", json={"data": [comment("1_c", 5)]})
    first = fb.fetch("feed", None)
    with pytest.raises(TransientError):
        fb.fetch("feed", first.next_cursor)
    again = fb.fetch("feed", first.next_cursor)
    assert [i.external_id for i in again.items] == ["1_c"] and not again.has_more


def test_unknown_endpoint_and_missing_account():
    with pytest.raises(InvalidRequest):
        client().fetch("stories", None)
    with pytest.raises(AuthError):
        FacebookClient(credentials=Credentials(access_token="t")).fetch("feed", None)


# --- errors and rate limits -------------------------------------------------------------


def graph_error(code, message="Something", subcode=None, etype="OAuthException"):
    error = {"message": message, "type": etype, "code": code, "fbtrace_id": "A1"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize("code,message,status,expected", [
    (190, "Error validating access token: Session has expired", 400, AuthError),
    (190, "The user has not authorized application", 401, AuthError),
    (102, "Session key invalid", 400, AuthError),
    (10, "Application does not have permission for this action", 403, AuthError),
    (200, "Permissions error", 403, AuthError),
    (230, "Requires pages_manage_engagement", 403, AuthError),
    (100, "(#100) Missing permission: pages_read_user_content", 400, AuthError),
    (100, "(#100) Invalid parameter", 400, InvalidRequest),
    (1, "An unknown error occurred", 500, TransientError),
    (2, "Service temporarily unavailable", 503, TransientError),
    (368, "The action attempted has been deemed abusive", 400, InvalidRequest),
])
@responses.activate
def test_graph_error_codes(code, message, status, expected):
    responses.add("GET", f"{BASE}/{PAGE}/tagged", status=status, json=graph_error(code, message))
    with pytest.raises(expected) as caught:
        client().fetch("tagged", None)
    assert caught.value.status == status
    assert json.loads(caught.value.body)["error"]["code"] == code


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001, 80009])
@responses.activate
def test_throttling_codes_are_rate_limited_with_regain_time(code):
    usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 30,
                     "estimated_time_to_regain_access": 12}]}
    responses.add("GET", f"{BASE}/{PAGE}/tagged", status=400, json=graph_error(code, "(#4) limit reached"),
                  headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        client().fetch("tagged", None)
    wait = caught.value.retry_at - before
    assert timedelta(minutes=11) < wait <= timedelta(minutes=12, seconds=5)


@responses.activate
def test_throttling_without_headers_waits_a_default():
    responses.add("GET", f"{BASE}/{PAGE}/tagged", status=403, json=graph_error(17, "User request limit reached"))
    with pytest.raises(RateLimited) as caught:
        client().fetch("tagged", None)
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(minutes=5)


@responses.activate
def test_429_is_rate_limited():
    responses.add("GET", f"{BASE}/{PAGE}/tagged", status=429, body="", headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as caught:
        client().fetch("tagged", None)
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(seconds=100)


def test_usage_headers_map_to_rate_limit():
    headers = {
        "X-App-Usage": json.dumps({"call_count": 28, "total_time": 25, "total_cputime": 25}),
        "X-Business-Use-Case-Usage": json.dumps({PAGE: [{"type": "pages", "call_count": 67, "total_cputime": 10,
                                                         "total_time": 12, "estimated_time_to_regain_access": 0}]}),
        "X-Page-Usage": json.dumps({"call_count": 40, "total_cputime": 5, "total_time": 5}),
    }
    rate = usage_rate_limit(headers, now=NOW)
    assert (rate.limit, rate.remaining, rate.reset_at) == (100, 33, None)
    headers["X-Business-Use-Case-Usage"] = json.dumps({PAGE: [{"call_count": 100,
                                                               "estimated_time_to_regain_access": 30}]})
    rate = usage_rate_limit(headers, now=NOW)
    assert rate.remaining == 0
    assert rate.reset_at == datetime.fromtimestamp(NOW + 1800, tz=UTC)
    assert usage_rate_limit({}, now=NOW).limit is None
    assert usage_rate_limit({"X-App-Usage": "not json"}, now=NOW).limit is None


@responses.activate
def test_page_carries_usage_rate_limit():
    responses.add("GET", f"{BASE}/{PAGE}/tagged", json={"data": []},
                  headers={"X-App-Usage": json.dumps({"call_count": 10, "total_time": 1, "total_cputime": 1})})
    assert client().fetch("tagged", None).rate_limit.remaining == 90


@pytest.mark.parametrize("exc", [requests.Timeout(), requests.ConnectionError()])
@responses.activate
def test_timeouts_are_transient(exc):
    responses.add("GET", f"{BASE}/{PAGE}/tagged", body=exc)
    with pytest.raises(TransientError):
        client().fetch("tagged", None)


@pytest.mark.parametrize("text", [
    '{"data": [{"id": "1", "message": "cut',
    "<html>Service Unavailable</html>",
    json.dumps({"data": {"id": "1"}}),
    json.dumps({"data": [{"message": "no id and no permalink", "created_time": "2024-01-01T00:00:00+0000"}]}),
    json.dumps({"data": [{"id": "1", "message": 5, "created_time": "2024-01-01T00:00:00+0000"}]}),
    json.dumps({"data": [{"id": "1", "message": "bad time", "created_time": "yesterday"}]}),
    json.dumps(["a"]),
])
@responses.activate
def test_malformed_bodies_carry_the_body(text):
    responses.add("GET", f"{BASE}/{PAGE}/tagged", body=text, content_type="application/json")
    with pytest.raises(MalformedPayload) as caught:
        client().fetch("tagged", None)
    assert caught.value.body == text


def test_parse_keeps_text_exactly_and_guesses_shapes():
    fb = client()
    text = " &lt;spaces&gt;  \n\t émoji 🙂 "
    items = fb.parse({"data": [{"id": "1_2", "message": text, "created_time": "2024-01-01T10:00:00+0000",
                                "parent": {"id": "1_1"}}]})
    assert items[0].text == text and items[0].kind == "reply" and items[0].in_reply_to_id == "1_1"
    nested = fb.parse({"data": [{**post("9", 5), "comments": {"data": [
        {**comment("9_c", 4), "comments": {"data": [comment("9_r", 3)]}}]}}]}, endpoint="feed")
    assert [(i.external_id, i.kind, i.in_reply_to_id) for i in nested] == [
        (f"{PAGE}_9", "mention", ""), ("9_c", "comment", f"{PAGE}_9"), ("9_r", "reply", "9_c")]


# --- writing ------------------------------------------------------------------------


def form_of(call) -> dict:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


@responses.activate
def test_publish_text_with_link():
    responses.add("POST", f"{BASE}/{PAGE}/feed", json={"id": f"{PAGE}_55"})
    responses.add("GET", f"{BASE}/{PAGE}_55", json={"permalink_url": "https://www.facebook.com/p/55"})
    published = client().publish("Hello", link="https://council.example")
    assert (published.external_id, published.url) == (f"{PAGE}_55", "https://www.facebook.com/p/55")
    assert form_of(responses.calls[0]) == {"message": "Hello", "link": "https://council.example"}
    proof = hmac.new(b"app-secret", b"page-token", hashlib.sha256).hexdigest()
    assert query_of(responses.calls[0]) == {"access_token": "page-token", "appsecret_proof": proof}


@responses.activate
def test_publish_survives_failed_permalink_lookup():
    responses.add("POST", f"{BASE}/{PAGE}/feed", json={"id": f"{PAGE}_55"})
    responses.add("GET", f"{BASE}/{PAGE}_55", status=500, json=graph_error(2))
    assert client().publish("Hello").external_id == f"{PAGE}_55"


@responses.activate
def test_publish_one_photo_and_several():
    responses.add("POST", f"{BASE}/{PAGE}/photos", json={"id": "ph1", "post_id": f"{PAGE}_60"})
    responses.add("GET", f"{BASE}/{PAGE}_60", json={"permalink_url": "u"})
    published = client().publish("Look", images=[("https://example.org/a.jpg", "A bin")])
    assert published.external_id == f"{PAGE}_60"
    assert form_of(responses.calls[0]) == {"url": "https://example.org/a.jpg", "caption": "Look",
                                           "alt_text_custom": "A bin"}

    responses.reset()
    responses.add("POST", f"{BASE}/{PAGE}/photos", json={"id": "ph1"})
    responses.add("POST", f"{BASE}/{PAGE}/photos", json={"id": "ph2"})
    responses.add("POST", f"{BASE}/{PAGE}/feed", json={"id": f"{PAGE}_61"})
    responses.add("GET", f"{BASE}/{PAGE}_61", json={"permalink_url": "u"})
    published = client().publish("Two", images=[("https://e.org/1.jpg", ""), ("https://e.org/2.jpg", "")])
    assert published.external_id == f"{PAGE}_61"
    assert form_of(responses.calls[0])["published"] == "false"
    feed_form = form_of(responses.calls[2])
    assert json.loads(feed_form["attached_media[0]"]) == {"media_fbid": "ph1"}
    assert json.loads(feed_form["attached_media[1]"]) == {"media_fbid": "ph2"}


@responses.activate
def test_reply_hide_delete_metrics():
    fb = client()
    responses.add("POST", f"{BASE}/1_c/comments", json={"id": "1_r"},
                  match=[matchers.urlencoded_params_matcher({"message": "Thanks"})])
    responses.add("GET", f"{BASE}/1_r", json={"permalink_url": "https://www.facebook.com/x?comment_id=r"})
    responses.add("POST", f"{BASE}/1_c", json={"success": True},
                  match=[matchers.urlencoded_params_matcher({"is_hidden": "true"})])
    responses.add("DELETE", f"{BASE}/1_c", json={"success": True})
    responses.add("GET", f"{BASE}/{PAGE}", json={"fan_count": 900, "followers_count": 950, "id": PAGE})
    assert fb.reply("1_c", "Thanks").external_id == "1_r"
    fb.hide("1_c")
    fb.delete("1_c")
    metrics = fb.metrics()
    assert (metrics.followers, metrics.likes) == (950, 900)
    assert query_of(responses.calls[-1])["fields"] == "fan_count,followers_count"


@responses.activate
def test_refused_action_is_invalid_request():
    responses.add("DELETE", f"{BASE}/1_c", json={"success": False})
    with pytest.raises(InvalidRequest):
        client().delete("1_c")


# --- OAuth -----------------------------------------------------------------------------


def test_authorise_url():
    url = client().authorise_url(redirect_uri="https://council.example/cb", state="s1")
    assert url.startswith("https://www.facebook.com/v21.0/dialog/oauth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {"response_type": "code", "client_id": "app-id", "redirect_uri": "https://council.example/cb",
                     "scope": "pages_read_engagement", "state": "s1"}


@responses.activate
def test_exchange_code_gets_long_lived_page_token():
    token_url = f"{BASE}/oauth/access_token"
    responses.add("GET", token_url, json={"access_token": "short", "token_type": "bearer", "expires_in": 3600},
                  match=[matchers.query_param_matcher({"code": "c1"}, strict_match=False)])
    responses.add("GET", token_url, json={"access_token": "long", "token_type": "bearer", "expires_in": 5184000},
                  match=[matchers.query_param_matcher({"grant_type": "fb_exchange_token"}, strict_match=False)])
    responses.add("GET", f"{BASE}/me/accounts", json={"data": [
        {"id": "222", "name": "Other", "access_token": "pt-222"},
        {"id": PAGE, "name": "Council", "access_token": "pt-111"}]})
    creds = client().exchange_code(code="c1", redirect_uri="https://council.example/cb", state="s1")
    first = query_of(responses.calls[0])
    assert first["client_id"] == "app-id" and first["client_secret"] == "app-secret"
    assert first["redirect_uri"] == "https://council.example/cb"
    second = query_of(responses.calls[1])
    assert second["fb_exchange_token"] == "short"
    assert query_of(responses.calls[2])["access_token"] == "long"
    assert (creds.access_token, creds.account_id, creds.handle) == ("pt-111", PAGE, "Council")
    assert creds.extra["user_access_token"] == "long"
    assert [p["id"] for p in creds.extra["pages"]] == ["222", PAGE]


@responses.activate
def test_exchange_code_refused_is_auth_error():
    responses.add("GET", f"{BASE}/oauth/access_token", status=400, json=graph_error(
        100, "Error validating verification code.", subcode=36007))
    with pytest.raises(AuthError):
        client().exchange_code(code="bad", redirect_uri="https://council.example/cb")


@responses.activate
def test_refresh_extends_user_token():
    fb = FacebookClient(app=APP, credentials=Credentials(access_token="pt", account_id=PAGE,
                                                         extra={"user_access_token": "long"}))
    responses.add("GET", f"{BASE}/oauth/access_token", json={"access_token": "longer", "expires_in": 5184000})
    responses.add("GET", f"{BASE}/me/accounts", json={"data": [{"id": PAGE, "name": "C", "access_token": "pt2"}]})
    creds = fb.refresh()
    assert query_of(responses.calls[0])["fb_exchange_token"] == "long"
    assert (creds.access_token, creds.extra["user_access_token"]) == ("pt2", "longer")


@responses.activate
def test_refresh_with_revoked_token_is_auth_error():
    responses.add("GET", f"{BASE}/oauth/access_token", status=400, json=graph_error(190, "Session has expired"))
    with pytest.raises(AuthError):
        client().refresh()


@responses.activate
def test_no_pages_granted_is_auth_error():
    responses.add("GET", f"{BASE}/oauth/access_token", json={"access_token": "long"})
    responses.add("GET", f"{BASE}/me/accounts", json={"data": []})
    with pytest.raises(AuthError):
        client().refresh()


@responses.activate
def test_a_private_reply_answers_a_comment_in_the_residents_inbox():
    responses.add("POST", f"{BASE}/{PAGE}/messages", json={"recipient_id": "psid-9", "message_id": "m_1"},
                  match=[matchers.urlencoded_params_matcher({"recipient": '{"comment_id": "1_c"}',
                                                            "message": '{"text": "Please send us your address."}'})])
    assert client().direct_message("someone", "Please send us your address.", in_reply_to="1_c").external_id == "m_1"
    with pytest.raises(NotSupported):
        client().direct_message("someone", "Hello")
