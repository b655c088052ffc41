"""Every recorded Facebook Graph response in shared/platform-payloads/facebook is read by
FacebookClient. Expected values are read from each payload itself."""
import json
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import responses

from platforms.base import AuthError, Credentials, parse_time
from platforms.facebook import FacebookClient
from platforms.graph import paging_params

PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "platform-payloads" / "facebook"
BASE = "https://graph.facebook.test/v21.0"

pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason=f"recorded payloads not found at {PAYLOADS}")


def names() -> list[str]:
    if not PAYLOADS.is_dir():
        return []
    return sorted(p.name[: -len(".meta.json")] for p in PAYLOADS.glob("*.meta.json"))


def load(name: str) -> tuple[str, dict, dict]:
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    meta = json.loads((PAYLOADS / f"{name}.meta.json").read_text(encoding="utf-8"))
    return text, json.loads(text), meta


def client(account_id: str = "") -> FacebookClient:
    return FacebookClient(base_url=BASE, credentials=Credentials(access_token="token", account_id=account_id))


def test_every_payload_has_meta():
    bodies = {p.name[: -len(".json")] for p in PAYLOADS.glob("*.json") if not p.name.endswith(".meta.json")}
    assert bodies == set(names())


def check_posts(items, elements: list[dict]) -> None:
    posts = [i for i in items if i.kind == "mention"]
    assert [p.external_id for p in posts] == [e["id"] for e in elements]
    for item, element in zip(posts, elements, strict=True):
        assert item.text == element.get("message", "")
        when = element.get("created_time") or element.get("tagged_time")
        assert item.posted_at == parse_time(when)
        assert item.url == element.get("permalink_url", "")
        assert item.conversation_id == element["id"]
        assert item.in_reply_to_id == ""
        assert item.author.external_id == element.get("from", {}).get("id", "")
        assert item.likes == element.get("reactions", {}).get("summary", {}).get("total_count", 0)
        assert item.replies == element.get("comments", {}).get("summary", {}).get("total_count", 0)
        assert item.reshares == element.get("shares", {}).get("count", 0)


def check_comments(items, elements: list[dict]) -> None:
    assert len(items) == len(elements)
    for item, element in zip(items, elements, strict=True):
        link = urlsplit(element["permalink_url"])
        page, _, post = link.path.strip("/").split("/")[:3]
        query = {k: v[0] for k, v in parse_qs(link.query).items()}
        expected_id = element.get("id") or f"{post}_{query.get('reply_comment_id') or query['comment_id']}"
        assert item.external_id == expected_id
        assert item.text == element["message"]
        assert item.posted_at == parse_time(element["created_time"])
        assert item.url == element["permalink_url"]
        assert item.conversation_id == f"{page}_{post}"
        if "reply_comment_id" in query:
            assert (item.kind, item.in_reply_to_id) == ("reply", f"{post}_{query['comment_id']}")
        else:
            assert (item.kind, item.in_reply_to_id) == ("comment", f"{page}_{post}")
        assert item.likes == element.get("like_count", 0)
        assert item.replies == element.get("comment_count", 0)
        assert item.author.external_id == element.get("from", {}).get("id", "")


def check_paging(body: dict) -> None:
    paging = body.get("paging", {})
    params = paging_params(body)
    if "next" not in paging:
        assert params is None
        return
    expected = {k: v for k, v in parse_qsl(urlsplit(paging["next"]).query, keep_blank_values=True)}
    for key in ("access_token", "pretty"):
        expected.pop(key, None)
    assert params == expected
    if "after" in paging.get("cursors", {}):
        assert params["after"] == paging["cursors"]["after"]


def replay_feed(text: str, body: dict, meta: dict) -> None:
    """Poll the feed with this payload as the first page: the comments of every post
    with comments are read, then the next page the payload points to."""
    page_id = urlsplit(meta["request"]["url"]).path.split("/")[2]
    fb = client(page_id)
    newest = max(parse_time(e["created_time"]).timestamp() for e in body["data"])
    fb._now = lambda: newest
    responses.add("GET", f"{BASE}/{page_id}/feed", body=text)
    responses.add("GET", f"{BASE}/{page_id}/feed", json={"data": []})  # the page after
    for element in body["data"]:
        responses.add("GET", f"{BASE}/{element['id']}/comments", json={"data": []})
    cursor, pages = None, []
    for _ in range(50):
        page = fb.fetch("feed", cursor)
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            break
    check_posts(pages[0].items, body["data"])
    requested = [urlsplit(c.request.url) for c in responses.calls]
    scanned = [u.path.split("/")[-2] for u in requested if u.path.endswith("/comments")]
    with_comments = [e["id"] for e in body["data"] if e["comments"]["summary"]["total_count"] > 0]
    assert scanned == with_comments
    feed_calls = [u for u in requested if u.path.endswith("/feed")]
    if "next" in body.get("paging", {}):
        assert len(feed_calls) == 2
        assert parse_qs(feed_calls[1].query)["after"] == [body["paging"]["cursors"]["after"]]
    else:
        assert len(feed_calls) == 1
    assert "since" in json.loads(cursor)  # watermark set once the run finished


ERRORS = {"error_oauth_100__python-facebook": AuthError}


@pytest.mark.parametrize("name", names())
@responses.activate
def test_payload(name):
    text, body, meta = load(name)
    fb = client()
    endpoint = meta["endpoint"]

    if name.startswith("error_"):
        expected = ERRORS.get(name)
        assert expected, f"no expected exception for {name}: add it to ERRORS"
        # Graph sends its error envelope with HTTP 400 unless the recording says otherwise.
        responses.add("GET", f"{BASE}/me", body=text, status=meta["status"] or 400)
        with pytest.raises(expected) as caught:
            fb.send("GET", "/me")
        assert caught.value.body == text
        with pytest.raises(expected):
            fb.parse(body)
        return

    if endpoint.startswith("GET /{page-id}/feed") or endpoint.startswith("GET /{user-or-page-id}/posts"):
        check_posts(fb.parse(body, endpoint="feed"), body["data"])
        check_posts(fb.parse(body), body["data"])
        check_paging(body)
        if "/feed" in endpoint and "next page" not in endpoint:
            replay_feed(text, body, meta)
    elif endpoint.startswith("GET /{post-id}/comments"):
        check_comments(fb.parse(body, endpoint="comments"), body["data"])
        check_comments(fb.parse(body), body["data"])
        check_paging(body)
    elif endpoint.startswith("GET /{page-id}/tagged"):
        elements = body["data"] if "data" in body else [body]
        check_posts(fb.parse(body, endpoint="tagged"), elements)
        check_posts(fb.parse(body), elements)
    elif endpoint.startswith("POST /{object-id}/comments"):
        responses.add("POST", f"{BASE}/{body['id'].split('_')[0]}/comments", body=text, status=meta["status"])
        published = fb.reply(body["id"].split("_")[0], body["message"])
        assert published.external_id == body["id"]
        assert published.url == body["permalink_url"]
        check_comments(fb.parse(body), [body])
    elif endpoint.startswith("Webhook: page field \"mention\""):
        items = fb.parse(body)
        changes = [c["value"] for e in body["entry"] for c in e["changes"] if c["field"] == "mention"]
        assert [i.external_id for i in items] == [v["post_id"] for v in changes]
        for item, value in zip(items, changes, strict=True):
            assert item.kind == "mention"
            assert item.text == value["message"]
            assert item.posted_at == parse_time(value["created_time"])
            assert item.conversation_id == value["post_id"]
    else:
        pytest.fail(f"no check for endpoint {endpoint!r} ({name}): add one")
