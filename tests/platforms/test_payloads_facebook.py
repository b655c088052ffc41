"""Every recorded Facebook Graph response in shared/platform-payloads/facebook is read by
FacebookClient. Expected values are read from each payload itself."""
import json
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import responses

from platforms.base import AuthError, Credentials, parse_time
from platforms.facebook import FacebookClient
from platforms.graph import paging_params
from tests.platforms import payloads

PLATFORM = "facebook"
BASE = "https://graph.facebook.test/v21.0"

pytestmark = payloads.skip_without(PLATFORM)


def names() -> list[str]:
    return payloads.names(PLATFORM)


def load(name: str) -> tuple[str, dict, dict]:
    return payloads.load(PLATFORM, name)


def client(account_id: str = "") -> FacebookClient:
    return FacebookClient(base_url=BASE, credentials=Credentials(access_token="token", account_id=account_id))


def test_every_payload_has_meta():
    assert payloads.bodies(PLATFORM) == set(names())


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
        # reactions since Graph v2.6; before that (2014) the likes edge with its summary
        liked = element.get("reactions") or element.get("likes") or {}
        assert item.likes == liked.get("summary", {}).get("total_count", 0)
        assert item.replies == element.get("comments", {}).get("summary", {}).get("total_count", 0)
        assert item.reshares == element.get("shares", {}).get("count", 0)


def check_nested_comments(items, elements: list[dict]) -> None:
    """Comments that came nested in the posts (comments{...} or the 2014 comments edge) are
    items too, each under its post."""
    expected = [(c["id"], e["id"]) for e in elements for c in e.get("comments", {}).get("data", [])]
    got = [(i.external_id, i.conversation_id) for i in items if i.kind in ("comment", "reply")]
    assert got == expected
    for item in (i for i in items if i.kind == "comment"):
        assert item.in_reply_to_id == item.conversation_id


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
    page_id = urlsplit(meta["request"]["url"]).path.split("/")[-2]
    if page_id.startswith("{"):  # the URL was not recorded: a post id starts with its Page's
        page_id = body["data"][0]["id"].split("_")[0]
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
    # a post without a comment count (not asked for) may have comments: it is read too
    with_comments = [
        e["id"] for e in body["data"] if "comments" not in e or e["comments"].get("summary", {}).get("total_count")
    ]
    assert scanned == with_comments
    feed_calls = [u for u in requested if u.path.endswith("/feed")]
    if "next" in body.get("paging", {}):
        assert len(feed_calls) == 2
        # the next page's cursor or time window, sent to our base URL without the recorded token
        sent = parse_qs(feed_calls[1].query)
        for key, value in paging_params(body).items():
            assert sent[key] == [value]
        assert sent["access_token"] == ["token"]
    else:
        assert len(feed_calls) == 1
    assert "since" in json.loads(cursor)  # watermark set once the run finished


ERRORS = {
    "error_oauth_100__python-facebook": AuthError,  # missing permission
    "error_oauth_190_docs_example__restfb": AuthError,  # expired or invalid token
}


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
        check_nested_comments(fb.parse(body), body["data"])
        check_paging(body)
        if "/feed" in endpoint and "next page" not in endpoint:
            replay_feed(text, body, meta)
    elif endpoint.startswith("GET /{group-id}/feed"):
        # not polled (a group is not the council's Page); posts without "from" by design
        check_posts(fb.parse(body, endpoint="feed"), body["data"])
        check_posts(fb.parse(body), body["data"])
        check_paging(body)
    elif endpoint.startswith("GET /?ids="):
        # a multiple-id lookup: one object per id, keyed by it, no data envelope
        check_comments(fb.parse(body), list(body.values()))
        check_comments(fb.parse(body, endpoint="comments"), list(body.values()))
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
