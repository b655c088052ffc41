"""Every recorded Bluesky XRPC response in shared/platform-payloads/bluesky is read by
BlueskyClient. Expected values are read from each payload itself."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from platforms.base import AuthError, Credentials, InvalidRequest, Published, decode_cursor
from platforms.bluesky import BlueskyClient

PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "platform-payloads" / "bluesky"
BASE = "https://bsky.social"

pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason=f"recorded payloads not found at {PAYLOADS}")

EXPECTED_ERRORS = {
    "error_400_createRecord_too_long__bskyr": InvalidRequest,  # XRPC InvalidRequest
    "error_401_createSession__bskyr": AuthError,  # AuthenticationRequired
}
KINDS = {"mention": "mention", "reply": "reply", "quote": "mention"}


def names() -> list[str]:
    if not PAYLOADS.is_dir():
        return []
    return sorted(p.name[: -len(".meta.json")] for p in PAYLOADS.glob("*.meta.json"))


def load(name: str) -> tuple[str, dict, dict]:
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    meta = json.loads((PAYLOADS / f"{name}.meta.json").read_text(encoding="utf-8"))
    return text, json.loads(text), meta


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
    bodies = {p.name[: -len(".json")] for p in PAYLOADS.glob("*.json") if not p.name.endswith(".meta.json")}
    assert bodies == set(names())


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
            rsps.add("GET", meta["request"]["url"], body=text, status=200, headers=meta["headers"])
            page = c.fetch("notifications", None)
            query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
        assert query["reasons"] == ["mention", "reply", "quote"]
        assert [i.external_id for i in page.items] == [r["uri"] for r in rows]
        # the cursor leads to older notifications: the walk continues there
        assert page.has_more is True
        assert decode_cursor(page.next_cursor)["walk"]["page"] == body["cursor"]
        assert page.rate_limit.remaining == int(meta["headers"]["RateLimit-Remaining"])
    elif "app.bsky.feed.searchPosts" in endpoint:
        assert_posts(c.parse(body), body["posts"], ["search_hit"] * len(body["posts"]))
        term = parse_qs(urlsplit(meta["request"]["url"]).query)["q"][0]
        with responses.RequestsMock() as rsps:
            rsps.add(
                "GET", meta["request"]["url"].split("?")[0], body=text, status=200, headers=meta["headers"]
            )
            page = c.fetch("search", None, watch_terms=[term])
            query = parse_qs(urlsplit(rsps.calls[0].request.url).query)
        assert (query["q"], query["sort"]) == ([term], ["latest"])
        assert [i.external_id for i in page.items] == [p["uri"] for p in body["posts"]]
        assert decode_cursor(page.next_cursor)["terms"][term]["page"] == body["cursor"]
    elif "app.bsky.feed.getPostThread" in endpoint:
        post = body["thread"]["post"]
        replies = [r["post"] for r in body["thread"].get("replies", [])]
        assert_posts(c.parse(body), replies, ["reply"] * len(replies))
        assert c.reply_refs(body) == expected_refs(post["uri"], post["cid"], post["record"])
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
    method = meta["request"]["method"]
    url = meta["request"]["url"]
    with responses.RequestsMock() as rsps:
        rsps.add(method, url, body=text, status=meta["status"], headers=meta["headers"])
        if name.startswith("error_"):
            assert name in EXPECTED_ERRORS, f"add the expected exception for {name}"
            with pytest.raises(EXPECTED_ERRORS[name]) as err:
                c.send(method, url)
            assert err.value.status == meta["status"]
            assert err.value.body == text
            ok = False
        else:
            got, _ = c.send(method, url)
            assert got == body
            ok = True
    if ok:
        check(c, meta, body, text)

    # RateLimit-* headers; Reset is epoch seconds
    response = requests.Response()
    response.status_code = meta["status"]
    response.headers.update(meta["headers"])
    limit = c.rate_limit_from(response)
    assert limit.limit == int(meta["headers"]["RateLimit-Limit"])
    assert limit.remaining == int(meta["headers"]["RateLimit-Remaining"])
    assert limit.reset_at == datetime.fromtimestamp(int(meta["headers"]["RateLimit-Reset"]), tz=UTC)
