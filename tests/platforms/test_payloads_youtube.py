"""Every recorded YouTube Data API v3 response in shared/platform-payloads/youtube is
read by YouTubeClient. Expected values are read from each payload itself."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import responses

from platforms.base import AuthError, Credentials, Published
from platforms.youtube import YouTubeClient
from tests.platforms import payloads

PLATFORM = "youtube"
BASE = "https://youtube.test/youtube/v3"

pytestmark = payloads.skip_without(PLATFORM)

# error payloads → the exception send() must raise (a new error file must be added here)
EXPECTED_ERRORS = {
    "error_400_keyInvalid__python-youtube": AuthError,  # reason keyInvalid: credentials refused
    "error_403_permission__python-youtube": AuthError,  # status PERMISSION_DENIED
}


def names() -> list[str]:
    return payloads.names(PLATFORM)


def load(name: str) -> tuple[str, dict, dict]:
    return payloads.load(PLATFORM, name)


def client() -> YouTubeClient:
    return YouTubeClient(base_url=BASE, credentials=Credentials(access_token="token", account_id="UCchannel"))


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_payload_has_meta():
    assert payloads.bodies(PLATFORM) == set(names())


def expected_comment(raw: dict, *, video: str = "", thread: str = "") -> dict:
    s = raw["snippet"]
    video = s.get("videoId") or video
    parent = s.get("parentId", "")
    return {
        "external_id": raw["id"],
        "kind": "reply" if parent else "comment",
        "text": s["textOriginal"] if "textOriginal" in s else s["textDisplay"],
        "posted_at": when(s["publishedAt"]),
        "author_id": s["authorChannelId"]["value"],
        "author_name": s["authorDisplayName"],
        "profile_url": s["authorChannelUrl"],
        "conversation_id": parent or thread or raw["id"],
        "in_reply_to_id": parent,
        "likes": s["likeCount"],
        "url": (
            f"https://www.youtube.com/watch?v={video}&lc={raw['id']}"
            if video
            else (f"https://www.youtube.com/channel/{s['channelId']}" if s.get("channelId") else "")
        ),
    }


def expected_threads(threads: list[dict]) -> list[dict]:
    out = []
    for t in threads:
        video = t["snippet"].get("videoId", "")
        top = expected_comment(t["snippet"]["topLevelComment"], video=video, thread=t["id"])
        top["replies"] = t["snippet"]["totalReplyCount"]
        out.append(top)
        out += [
            expected_comment(r, video=video, thread=t["id"]) for r in t.get("replies", {}).get("comments", [])
        ]
    return out


def expected_videos(body: dict) -> list[dict]:
    out = []
    for v in body["items"]:
        video_id = v["id"]["videoId"] if isinstance(v["id"], dict) else v["id"]
        if isinstance(v["id"], dict) and v["id"]["kind"] != "youtube#video":
            continue
        s = v["snippet"]
        out.append(
            {
                "external_id": video_id,
                "kind": "search_hit",
                "text": s["title"] + ("\n\n" + s["description"] if s.get("description") else ""),
                "posted_at": when(s["publishedAt"]),
                "author_id": s["channelId"],
                "author_name": s["channelTitle"],
                "conversation_id": video_id,
                "in_reply_to_id": "",
                "url": f"https://www.youtube.com/watch?v={video_id}",
            }
        )
    return out


def assert_items(items, expected: list[dict]) -> None:
    assert [i.external_id for i in items] == [e["external_id"] for e in expected]
    for item, exp in zip(items, expected, strict=True):
        assert item.platform == "youtube"
        assert item.posted_at.tzinfo is not None
        assert item.author.external_id == exp.pop("author_id")
        assert item.author.display_name == exp.pop("author_name")
        assert item.author.followers is None  # not in these responses
        if "profile_url" in exp:
            assert item.author.profile_url == exp.pop("profile_url")
        for field, value in exp.items():
            assert getattr(item, field) == value, field


def check_items(c: YouTubeClient, endpoint: str, body: dict) -> None:
    if endpoint.startswith("GET /youtube/v3/commentThreads"):
        expected = expected_threads(body["items"])
        assert_items(c.parse(body), expected)
        # the channel listing is the "comments" endpoint
        assert [i.external_id for i in c.parse(body, endpoint="comments")] == [
            e["external_id"] for e in expected_threads(body["items"])
        ]
    elif endpoint.startswith("GET /youtube/v3/comments"):
        expected = [expected_comment(r) for r in body["items"]]
        assert_items(c.parse(body), expected)
        assert all(i.kind == "reply" and i.in_reply_to_id for i in c.parse(body))
    elif endpoint.startswith("GET /youtube/v3/search") or endpoint.startswith("GET /youtube/v3/videos"):
        assert_items(c.parse(body), expected_videos(body))
    elif endpoint.startswith("POST /youtube/v3/commentThreads"):
        assert_items(c.parse(body), expected_threads([body]))
        published = c.published(body)
        assert isinstance(published, Published)
        assert published.external_id == body["id"]
        assert (
            published.url == f"https://www.youtube.com/watch?v={body['snippet']['videoId']}&lc={body['id']}"
        )
    elif endpoint.startswith("POST /youtube/v3/comments"):
        assert_items(c.parse(body), [expected_comment(body)])
        published = c.published(body)
        assert published.external_id == body["id"]
        assert c.parse(body)[0].in_reply_to_id == body["snippet"]["parentId"]
    else:
        pytest.fail(f"no check for endpoint {endpoint!r}: add one")


@pytest.mark.parametrize("name", names())
def test_payload(name):
    text, body, meta = load(name)
    c = client()
    method = meta["request"]["method"]
    with responses.RequestsMock() as rsps:
        rsps.add(method, BASE + "/replay", body=text, status=meta["status"], headers=meta["headers"])
        if name.startswith("error_"):
            assert name in EXPECTED_ERRORS, f"add the expected exception for {name}"
            with pytest.raises(EXPECTED_ERRORS[name]) as err:
                c.send(method, "/replay")
            assert err.value.status == meta["status"]
            assert err.value.body == text
            with pytest.raises(EXPECTED_ERRORS[name]):
                c.parse(body)  # the body saved on its own (ingest_file): the same clear error
            return
        got, response = c.send(method, "/replay")
    assert got == body
    check_items(c, meta["endpoint"], body)

    # no rate headers on YouTube: the daily quota, reset at midnight Pacific
    limit = c.rate_limit_from(response)
    assert limit.limit == c.daily_quota
    reset = limit.reset_at.astimezone(ZoneInfo("America/Los_Angeles"))
    assert (reset.hour, reset.minute) == (0, 0)
    assert limit.reset_at > datetime.now(UTC)
