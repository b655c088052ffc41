"""YouTubeClient behaviour, mocked at the HTTP layer."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

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
from platforms.youtube import YouTubeClient

BASE = "https://www.googleapis.com/youtube/v3"
THREADS = BASE + "/commentThreads"
COMMENTS = BASE + "/comments"
SEARCH = BASE + "/search"
VIDEOS = BASE + "/videos"
TOKEN = "https://oauth2.googleapis.com/token"
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def comment(
    cid: str, at: datetime, *, text: str = "hello", parent: str = "", video: str = "vid00000001"
) -> dict:
    snippet = {
        "authorDisplayName": "@resident",
        "authorChannelUrl": "http://www.youtube.com/@resident",
        "authorChannelId": {"value": "UCresident"},
        "videoId": video,
        "textDisplay": text,
        "textOriginal": text,
        "likeCount": 2,
        "publishedAt": iso(at),
        "updatedAt": iso(at),
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "id": cid, "snippet": snippet}


def thread(tid: str, at: datetime, *, total: int = 0, replies: list | None = None) -> dict:
    body = {
        "kind": "youtube#commentThread",
        "id": tid,
        "snippet": {"videoId": "vid00000001", "topLevelComment": comment(tid, at), "totalReplyCount": total},
    }
    if replies:
        body["replies"] = {"comments": replies}
    return body


def listing(items: list, token: str | None = None, kind: str = "youtube#commentThreadListResponse") -> dict:
    body = {"kind": kind, "items": items}
    if token:
        body["nextPageToken"] = token
    return body


def client(**kw) -> YouTubeClient:
    c = YouTubeClient(
        credentials=Credentials(access_token="tok", refresh_token="ref", account_id="UCcouncil"), **kw
    )
    c.first_run_lookback = timedelta(days=30)
    return c


def query(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def google_error(status: int, reason: str) -> dict:
    return {"error": {"code": status, "message": reason, "errors": [{"domain": "youtube", "reason": reason}]}}


# --- comments: pagination, cursors, newest-seen ----------------------------------


@responses.activate
def test_comments_walk_pages_back_and_promotes_newest_only_when_drained():
    c = client()
    t1, t2, t3 = NOW - timedelta(hours=3), NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    responses.add("GET", THREADS, json=listing([thread("T3", t3), thread("T2", t2)], "P2"))
    page = c.fetch("comments", None)
    call = query(responses.calls[0])
    assert call["allThreadsRelatedToChannelId"] == "UCcouncil"
    assert (call["part"], call["order"], call["textFormat"]) == ("snippet,replies", "time", "plainText")
    assert "pageToken" not in call
    assert [i.external_id for i in page.items] == ["T3", "T2"]
    assert page.has_more is True
    walk = decode_cursor(page.next_cursor)["walk"]
    assert walk["page"] == "P2"
    assert "since" not in walk  # not promoted while the backlog is being read

    responses.replace("GET", THREADS, json=listing([thread("T1", t1)]))
    page2 = c.fetch("comments", page.next_cursor)
    assert query(responses.calls[1])["pageToken"] == "P2"
    assert [i.external_id for i in page2.items] == ["T1"]
    assert page2.has_more is False
    walk = decode_cursor(page2.next_cursor)["walk"]
    assert walk["since"] == t3.timestamp() and "page" not in walk

    # next poll: only the new thread; already-seen ones are not returned again
    responses.replace("GET", THREADS, json=listing([thread("T4", NOW), thread("T3", t3), thread("T2", t2)]))
    page3 = c.fetch("comments", page2.next_cursor)
    assert [i.external_id for i in page3.items] == ["T4"]
    assert decode_cursor(page3.next_cursor)["walk"]["since"] == NOW.timestamp()


@responses.activate
def test_interrupted_walk_resumes_without_skipping():
    c = client()
    t1, t2 = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    cursor = json.dumps({"walk": {"since": (NOW - timedelta(hours=5)).timestamp()}})
    responses.add("GET", THREADS, json=listing([thread("T2", t2)], "P2"))
    page = c.fetch("comments", cursor)
    responses.replace("GET", THREADS, status=503, body="unavailable")
    with pytest.raises(TransientError):
        c.fetch("comments", page.next_cursor)
    responses.replace("GET", THREADS, json=listing([thread("T1", t1)]))
    retry = c.fetch("comments", page.next_cursor)  # same cursor: continue at P2
    assert query(responses.calls[-1])["pageToken"] == "P2"
    assert [i.external_id for i in retry.items] == ["T1"]
    assert decode_cursor(retry.next_cursor)["walk"]["since"] == t2.timestamp()


@responses.activate
def test_expired_page_token_restarts_the_walk_without_repeats():
    c = client()
    t1, t2 = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    cursor = json.dumps({"walk": {"page": "OLD", "top": t2.timestamp(), "fresh": {"T2": t2.timestamp()}}})
    responses.add("GET", THREADS, status=400, json=google_error(400, "invalidPageToken"))
    responses.add("GET", THREADS, json=listing([thread("T2", t2), thread("T1", t1)]))
    page = c.fetch("comments", cursor)
    assert query(responses.calls[0])["pageToken"] == "OLD"
    assert "pageToken" not in query(responses.calls[1])
    assert [i.external_id for i in page.items] == ["T1"]
    assert page.has_more is False


@responses.activate
def test_walk_stops_at_the_marker():
    c = client()
    c.reply_window = timedelta(0)  # no re-reading of older threads for replies
    since = NOW - timedelta(hours=2)
    cursor = json.dumps({"walk": {"since": since.timestamp()}})
    responses.add(
        "GET",
        THREADS,
        json=listing([thread("NEW", NOW), thread("OLD", since - timedelta(hours=1))], "P2"),
    )
    page = c.fetch("comments", cursor)
    assert [i.external_id for i in page.items] == ["NEW"]
    assert page.has_more is False  # reached the newest-seen time: no need for P2
    assert len(responses.calls) == 1


@responses.activate
def test_new_replies_on_a_known_thread_are_fetched_once():
    c = client()
    at = NOW - timedelta(hours=3)
    seen_at = at + timedelta(minutes=5)
    # the last poll saw the thread and its first reply
    walk = {"since": seen_at.timestamp(), "seen": {"T1": at.timestamp(), "T1.r1": seen_at.timestamp()}}
    cursor = json.dumps({"walk": walk, "threads": {"T1": [1, at.timestamp()]}})
    r1 = comment("T1.r1", seen_at, parent="T1")
    r2 = comment("T1.r2", NOW - timedelta(minutes=30), parent="T1", text="me too")
    r3 = comment("T1.r3", NOW - timedelta(minutes=10), parent="T1", text="and me")
    # the thread listing includes only some replies; comments.list has them all
    responses.add("GET", THREADS, json=listing([thread("T1", at, total=3, replies=[r1])]))
    responses.add("GET", COMMENTS, json=listing([r3, r2, r1], kind="youtube#commentListResponse"))
    page = c.fetch("comments", cursor)
    assert query(responses.calls[1]) == {
        "part": "snippet",
        "parentId": "T1",
        "maxResults": "100",
        "textFormat": "plainText",
    }
    assert [i.external_id for i in page.items] == ["T1.r3", "T1.r2"]
    assert all(
        i.kind == "reply" and i.in_reply_to_id == "T1" and i.conversation_id == "T1" for i in page.items
    )
    assert page.items[0].url == "https://www.youtube.com/watch?v=vid00000001&lc=T1.r3"
    assert decode_cursor(page.next_cursor)["threads"]["T1"][0] == 3

    # unchanged count: no comments.list call
    responses.replace("GET", THREADS, json=listing([thread("T1", at, total=3, replies=[r1])]))
    again = c.fetch("comments", page.next_cursor)
    assert again.items == []
    assert len(responses.calls) == 3


@responses.activate
def test_quota_is_tracked_per_pacific_day():
    c = client()
    responses.add("GET", THREADS, json=listing([]))
    page = c.fetch("comments", None)
    assert page.rate_limit.limit == 10000
    assert page.rate_limit.remaining == 9999
    page = c.fetch("comments", page.next_cursor)
    assert page.rate_limit.remaining == 9998
    reset = page.rate_limit.reset_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (reset.hour, reset.minute) == (0, 0) and page.rate_limit.reset_at > datetime.now(UTC)


# --- search -----------------------------------------------------------------------


def search_hit(video: str, at: datetime) -> dict:
    return {
        "kind": "youtube#searchResult",
        "id": {"kind": "youtube#video", "videoId": video},
        "snippet": {
            "publishedAt": iso(at),
            "channelId": "UCother",
            "title": "Council meeting",
            "description": "",
            "channelTitle": "Local news",
        },
    }


@responses.activate
def test_search_polls_each_term_in_turn_with_published_after():
    c = client()
    responses.add(
        "GET", SEARCH, json=listing([search_hit("aaaaaaaaaaa", NOW)], kind="youtube#searchListResponse")
    )
    responses.add(
        "GET",
        VIDEOS,
        json={"items": [{"id": "aaaaaaaaaaa", "statistics": {"likeCount": "7", "commentCount": "3"}}]},
    )
    page = c.fetch("search", None, watch_terms=["Springfield council", "bin strike"])
    q = query(responses.calls[0])
    assert (q["q"], q["type"], q["order"], q["part"]) == ("Springfield council", "video", "date", "snippet")
    floor = datetime.fromisoformat(q["publishedAfter"].replace("Z", "+00:00"))
    assert abs(floor - (datetime.now(UTC) - timedelta(days=30))) < timedelta(minutes=1)
    assert [(i.external_id, i.kind, i.likes, i.replies) for i in page.items] == [
        ("aaaaaaaaaaa", "search_hit", 7, 3)
    ]
    assert page.items[0].url == "https://www.youtube.com/watch?v=aaaaaaaaaaa"
    assert page.has_more is True  # the next term is due
    assert page.rate_limit.remaining == 10000 - 101  # search 100 + videos.list 1

    responses.replace("GET", SEARCH, json=listing([], kind="youtube#searchListResponse"))
    page = c.fetch("search", page.next_cursor, watch_terms=["Springfield council", "bin strike"])
    assert query(responses.calls[-1])["q"] == "bin strike"
    assert page.has_more is False
    state = decode_cursor(page.next_cursor)
    assert state["terms"]["Springfield council"]["since"] == NOW.timestamp()


@responses.activate
def test_search_without_terms_makes_no_request():
    page = client().fetch("search", None, watch_terms=[])
    assert page.items == [] and page.has_more is False
    assert len(responses.calls) == 0


# --- errors -----------------------------------------------------------------------


@responses.activate
def test_quota_exceeded_waits_until_midnight_pacific():
    responses.add("GET", THREADS, status=403, json=google_error(403, "quotaExceeded"))
    with pytest.raises(RateLimited) as err:
        client().fetch("comments", None)
    reset = err.value.retry_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (reset.hour, reset.minute, reset.second) == (0, 0, 0)
    assert timedelta(0) < err.value.retry_at - datetime.now(UTC) <= timedelta(hours=25)


@responses.activate
def test_rate_limit_exceeded_is_short():
    responses.add("GET", THREADS, status=403, json=google_error(403, "rateLimitExceeded"))
    with pytest.raises(RateLimited) as err:
        client().fetch("comments", None)
    assert err.value.retry_at - datetime.now(UTC) <= timedelta(minutes=2)


@responses.activate
def test_429_uses_retry_after():
    responses.add(
        "GET", THREADS, status=429, headers={"Retry-After": "30"}, json=google_error(429, "rateLimitExceeded")
    )
    with pytest.raises(RateLimited) as err:
        client().fetch("comments", None)
    assert timedelta(seconds=25) < err.value.retry_at - datetime.now(UTC) <= timedelta(seconds=31)


@pytest.mark.parametrize(
    "status,reason",
    [(401, "authError"), (401, "invalidCredentials"), (403, "insufficientPermissions"), (403, "forbidden")],
)
@responses.activate
def test_auth_errors(status, reason):
    responses.add("GET", THREADS, status=status, json=google_error(status, reason))
    with pytest.raises(AuthError):
        client().fetch("comments", None)


@responses.activate
def test_comments_disabled_is_not_an_auth_error():
    body = google_error(403, "commentsDisabled")
    body["error"]["status"] = "PERMISSION_DENIED"
    responses.add("POST", THREADS, status=403, json=body)
    with pytest.raises(InvalidRequest):
        client().reply("vid00000001", "hello")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": 500, "json": google_error(500, "backendError")},
        {"status": 503, "body": "<html>unavailable</html>"},
        {"body": requests.Timeout()},
        {"body": requests.ConnectionError()},
        {"body": requests.exceptions.ChunkedEncodingError()},
    ],
)
@responses.activate
def test_transient_errors(kwargs):
    responses.add("GET", THREADS, **kwargs)
    with pytest.raises(TransientError):
        client().fetch("comments", None)


@pytest.mark.parametrize(
    "body",
    [
        '{"kind": "youtube#commentThreadListResponse", "items": [{"id": "T1", "snip',  # truncated
        "<html>Service Unavailable</html>",
        '{"kind": "youtube#commentThreadListResponse", "items": [{"id": "T1"}]}',  # no snippet
        '{"kind": "youtube#commentThreadListResponse", "items": {"id": "T1"}}',
    ],
)
@responses.activate
def test_malformed_bodies_are_quarantined_with_the_body(body):
    responses.add("GET", THREADS, body=body, status=200)
    with pytest.raises(MalformedPayload) as err:
        client().fetch("comments", None)
    assert err.value.body == body


def test_parse_rejects_unknown_shapes():
    with pytest.raises(MalformedPayload):
        client().parse({"kind": "youtube#playlistListResponse", "items": [{}]})
    with pytest.raises(MalformedPayload):
        client().parse([1, 2])


# --- writing ----------------------------------------------------------------------


def test_publish_is_not_supported():
    with pytest.raises(NotSupported, match="video"):
        client().publish("Bins are collected as normal")


@responses.activate
def test_reply_to_a_reply_goes_to_the_thread():
    responses.add("POST", COMMENTS, json=comment("T1.new", NOW, parent="T1", text="Thanks"))
    published = client().reply("T1.r2", "Thanks")
    request = responses.calls[0].request
    assert query(responses.calls[0])["part"] == "snippet"
    assert json.loads(request.body) == {"snippet": {"parentId": "T1", "textOriginal": "Thanks"}}
    assert request.headers["Authorization"] == "Bearer tok"
    assert published.external_id == "T1.new"


@responses.activate
def test_comment_on_a_video_uses_comment_threads_insert():
    responses.add("POST", THREADS, json=thread("Tnew", NOW))
    published = client().reply("vid00000001", "Our statement is here")
    body = json.loads(responses.calls[0].request.body)
    assert body["snippet"]["videoId"] == "vid00000001"
    assert body["snippet"]["topLevelComment"]["snippet"]["textOriginal"] == "Our statement is here"
    assert published.url == "https://www.youtube.com/watch?v=vid00000001&lc=Tnew"


@responses.activate
def test_hide_delete_and_their_quota_cost():
    c = client()
    responses.add("POST", COMMENTS + "/setModerationStatus", status=204)
    responses.add("DELETE", COMMENTS, status=204)
    c.hide("T1")
    c.hide("T1", hidden=False)
    c.delete("T9")
    assert [query(call) for call in responses.calls] == [
        {"id": "T1", "moderationStatus": "heldForReview"},
        {"id": "T1", "moderationStatus": "published"},
        {"id": "T9"},
    ]
    assert c.units_spent == 150


@responses.activate
def test_metrics():
    responses.add(
        "GET",
        BASE + "/channels",
        json={
            "items": [
                {
                    "id": "UCcouncil",
                    "statistics": {
                        "viewCount": "1200",
                        "subscriberCount": "340",
                        "hiddenSubscriberCount": False,
                        "videoCount": "12",
                    },
                }
            ]
        },
    )
    m = client().metrics()
    assert (m.followers, m.views, m.posts) == (340, 1200, 12)
    assert query(responses.calls[0]) == {"part": "statistics", "id": "UCcouncil"}


@responses.activate
def test_metrics_hidden_subscribers():
    responses.add(
        "GET",
        BASE + "/channels",
        json={
            "items": [
                {
                    "statistics": {
                        "viewCount": "5",
                        "subscriberCount": "0",
                        "hiddenSubscriberCount": True,
                        "videoCount": "1",
                    }
                }
            ]
        },
    )
    assert client().metrics().followers is None


# --- OAuth ------------------------------------------------------------------------

APP = AppConfig(client_id="cid.apps.googleusercontent.com", client_secret="secret")


def test_authorise_url_asks_for_offline_access():
    c = YouTubeClient(app=APP)
    url = c.authorise_url(redirect_uri="https://council.example/oauth/youtube", state="xyz")
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://accounts.google.com/o/oauth2/v2/auth"
    assert q["response_type"] == "code"
    assert q["client_id"] == APP.client_id
    assert q["redirect_uri"] == "https://council.example/oauth/youtube"
    assert q["state"] == "xyz"
    assert q["access_type"] == "offline" and q["prompt"] == "consent"
    assert q["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"


@responses.activate
def test_exchange_code_then_finds_the_channel():
    responses.add(
        "POST",
        TOKEN,
        json={
            "access_token": "ya29.new",
            "expires_in": 3599,
            "refresh_token": "1//ref",
            "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
            "token_type": "Bearer",
        },
    )
    responses.add(
        "GET",
        BASE + "/channels",
        json={"items": [{"id": "UCmine", "snippet": {"customUrl": "@springfieldcouncil"}}]},
    )
    c = YouTubeClient(app=APP)
    creds = c.exchange_code(code="4/abc", redirect_uri="https://council.example/oauth/youtube")
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["4/abc"]
    assert form["client_id"] == [APP.client_id] and form["client_secret"] == ["secret"]
    assert form["redirect_uri"] == ["https://council.example/oauth/youtube"]
    assert (creds.access_token, creds.refresh_token) == ("ya29.new", "1//ref")
    assert timedelta(minutes=55) < creds.expires_at - datetime.now(UTC) < timedelta(minutes=61)
    assert (creds.account_id, creds.handle) == ("UCmine", "@springfieldcouncil")
    assert responses.calls[1].request.headers["Authorization"] == "Bearer ya29.new"
    assert query(responses.calls[1])["mine"] == "true"


@responses.activate
def test_refresh_keeps_the_refresh_token():
    responses.add(
        "POST", TOKEN, json={"access_token": "ya29.fresh", "expires_in": 3599, "token_type": "Bearer"}
    )
    c = YouTubeClient(
        app=APP, credentials=Credentials(access_token="old", refresh_token="1//ref", account_id="UCx")
    )
    creds = c.refresh()
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["1//ref"]
    assert (creds.access_token, creds.refresh_token, creds.account_id) == ("ya29.fresh", "1//ref", "UCx")


@pytest.mark.parametrize(
    "kwargs,error",
    [
        (
            {
                "status": 400,
                "json": {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            },
            AuthError,
        ),
        ({"status": 401, "json": {"error": "invalid_client"}}, AuthError),
        ({"status": 503, "body": "unavailable"}, TransientError),
        ({"body": requests.Timeout()}, TransientError),
        ({"status": 200, "body": "<html>oops</html>"}, MalformedPayload),
    ],
)
@responses.activate
def test_refresh_failures(kwargs, error):
    responses.add("POST", TOKEN, **kwargs)
    c = YouTubeClient(app=APP, credentials=Credentials(refresh_token="1//ref"))
    with pytest.raises(error):
        c.refresh()


def test_refresh_without_refresh_token():
    with pytest.raises(AuthError):
        YouTubeClient(app=APP).refresh()
