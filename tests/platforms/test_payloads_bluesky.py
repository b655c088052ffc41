"""Every recorded Bluesky XRPC response in shared/platform-payloads/bluesky is read by
BlueskyClient. Expected values are read from each payload itself."""

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from platforms.base import AuthError, Credentials, InvalidRequest, Published, decode_cursor
from platforms.bluesky import BlueskyClient
from tests.platforms import payloads

PLATFORM = "bluesky"
BASE = "https://bsky.social"

pytestmark = payloads.skip_without(PLATFORM)

EXPECTED_ERRORS = {
    "error_400_createRecord_too_long__bskyr": InvalidRequest,  # XRPC InvalidRequest
    "error_401_createSession__bskyr": AuthError,  # AuthenticationRequired
}
KINDS = {"mention": "mention", "reply": "reply", "quote": "mention"}


def names() -> list[str]:
    return payloads.names(PLATFORM)


def load(name: str) -> tuple[str, dict, dict]:
    return payloads.load(PLATFORM, name)


def client() -> BlueskyClient:
    creds = Credentials(
        access_token="jwt", account_id="did:plc:5c2r73erhng4bszmxlfdtscf", handle="bskyr.bsky.social"
    )
    c = BlueskyClient(base_url=BASE, credentials=creds)
    c.first_run_lookback = None  # recordings are old: read everything
    return c


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_payload_has_meta():
    assert payloads.bodies(PLATFORM) == set(names())


def assert_posts(items, rows: list[dict], kinds: list[str]) -> None:
    assert [i.external_id for i in items] == [r["uri"] for r in rows]
    for item, row, kind in zip(items, rows, kinds, strict=True):
        record, author = row["record"], row["author"]
        rkey = row["uri"].split("/")[-1]
        assert item.platform == "bluesky"
        assert item.kind == kind
        assert item.text == record["text"]
        assert item.posted_at == when(record["createdAt"])
        assert item.author.external_id == author["did"]
        assert item.author.handle == author["handle"]
        assert item.author.display_name == author.get("displayName", "")
        assert item.author.followers is None
        assert item.author.profile_url == f"https://bsky.app/profile/{author['handle']}"
        assert item.url == f"https://bsky.app/profile/{author['handle']}/post/{rkey}"
        reply = record.get("reply")
        assert item.in_reply_to_id == (reply["parent"]["uri"] if reply else "")
        assert item.conversation_id == (reply["root"]["uri"] if reply else row["uri"])
        assert item.likes == row.get("likeCount", 0)
        assert item.replies == row.get("replyCount", 0)
        assert item.reshares == row.get("repostCount", 0) + row.get("quoteCount", 0)


def expected_refs(uri: str, cid: str, record: dict) -> dict:
    parent = {"uri": uri, "cid": cid}
    root = record.get("reply", {}).get("root")
    return {"parent": parent, "root": {"uri": root["uri"], "cid": root["cid"]} if root else parent}


def thread_replies(thread: dict) -> list[dict]:
    """Every reply below a post, depth first, as the thread shows them."""
    out = []
    for reply in thread.get("replies", []):
        out.append(reply["post"])
        out += thread_replies(reply)
    return out


def check(c: BlueskyClient, meta: dict, body: dict, text: str) -> None:
    endpoint = meta["endpoint"]
    if "app.bsky.notification.listNotifications" in endpoint:
        rows = [
            n
            for n in body["notifications"]
            if n["reason"] in KINDS and n["record"]["$type"] == "app.bsky.feed.post"
        ]
        assert_posts(c.parse(body), rows, [KINDS[n["reason"]] for n in rows])
        with responses.RequestsMock() as rsps:
            rsps.add("GET", payloads.request_url(meta, BASE), body=text, status=200, headers=meta["headers"])
            page = c.fetch("notifications", None)
            query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
        assert query["reasons"] == ["mention", "reply", "quote"]
        assert [i.external_id for i in page.items] == [r["uri"] for r in rows]
        # the cursor leads to older notifications: the walk continues there
        assert page.has_more is True
        assert decode_cursor(page.next_cursor)["walk"]["page"] == body["cursor"]
        assert page.rate_limit.remaining == int(payloads.header(meta, "RateLimit-Remaining"))
    elif "app.bsky.feed.searchPosts" in endpoint:
        assert_posts(c.parse(body), body["posts"], ["search_hit"] * len(body["posts"]))
        term = parse_qs(urlsplit(meta["request"]["url"]).query)["q"][0]
        with responses.RequestsMock() as rsps:
            rsps.add(
                "GET", payloads.request_url(meta, BASE).split("?")[0], body=text, status=200,
                headers=meta["headers"],
            )
            page = c.fetch("search", None, watch_terms=[term])
            query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
        assert (query["q"], query["sort"]) == ([term], ["latest"])
        assert [i.external_id for i in page.items] == [p["uri"] for p in body["posts"]]
        # the cursor leads on to older posts; no cursor (the last page) ends the walk
        assert decode_cursor(page.next_cursor)["terms"][term].get("page") == body.get("cursor")
        assert page.has_more is ("cursor" in body)
    elif "app.bsky.feed.getPostThread" in endpoint:
        post = body["thread"]["post"]
        replies = thread_replies(body["thread"])
        assert_posts(c.parse(body), replies, ["reply"] * len(replies))
        assert c.reply_refs(body) == expected_refs(post["uri"], post["cid"], post["record"])
    elif "app.bsky.feed.getTimeline" in endpoint:
        # FeedViewPost wrappers {post, reply?, reason?}: the posts, a reposted one once
        firsts = {}
        for row in body["feed"]:
            firsts.setdefault(row["post"]["uri"], row["post"])
        assert_posts(c.parse(body), list(firsts.values()), ["search_hit"] * len(firsts))
    elif "com.atproto.repo.getRecord" in endpoint:
        assert c.parse(body) == []
        assert c.reply_refs(body) == expected_refs(body["uri"], body["cid"], body["value"])
    elif "com.atproto.repo.createRecord" in endpoint:
        assert c.parse(body) == []
        published = c.published(body)
        assert isinstance(published, Published)
        assert published.external_id == body["uri"]
        assert (
            published.url == f"https://bsky.app/profile/bskyr.bsky.social/post/{body['uri'].split('/')[-1]}"
        )
    else:
        pytest.fail(f"no check for endpoint {endpoint!r}: add one")


@pytest.mark.parametrize("name", names())
def test_payload(name):
    text, body, meta = load(name)
    c = client()
    method, url = meta["request"]["method"], payloads.request_url(meta, BASE)
    status = meta["status"] or 200
    with responses.RequestsMock() as rsps:
        rsps.add(method, url.split("?")[0], body=text, status=status, headers=meta["headers"])
        if name.startswith("error_"):
            assert name in EXPECTED_ERRORS, f"add the expected exception for {name}"
            with pytest.raises(EXPECTED_ERRORS[name]) as err:
                c.send(method, url)
            assert err.value.status == status
            assert err.value.body == text
            # the body alone (ingest_file) is the same clear error, not a traceback
            with pytest.raises(EXPECTED_ERRORS[name], match="error response"):
                c.parse(body)
            ok = False
        else:
            got, _ = c.send(method, url)
            assert got == body
            ok = True
    if ok:
        check(c, meta, body, text)

    # RateLimit-* headers where they were recorded; Reset is epoch seconds
    response = requests.Response()
    response.status_code = status
    response.headers.update(meta["headers"])
    limit = c.rate_limit_from(response)
    if payloads.header(meta, "RateLimit-Limit") is None:
        assert (limit.limit, limit.remaining, limit.reset_at) == (None, None, None)
        return
    assert limit.limit == int(payloads.header(meta, "RateLimit-Limit"))
    assert limit.remaining == int(payloads.header(meta, "RateLimit-Remaining"))
    assert limit.reset_at == datetime.fromtimestamp(int(payloads.header(meta, "RateLimit-Reset")), tz=UTC)
