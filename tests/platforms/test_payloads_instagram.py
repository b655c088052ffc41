"""Every recorded Instagram Graph response in shared/platform-payloads/instagram is read by
InstagramClient. Expected values are read from each payload itself."""
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import responses

from platforms.base import Credentials, parse_time
from platforms.graph import paging_params
from platforms.instagram import InstagramClient
from tests.platforms import payloads

PLATFORM = "instagram"
BASE = "https://graph.facebook.test/v21.0"
ACCOUNT = "17841400000000001"

pytestmark = payloads.skip_without(PLATFORM)


def names() -> list[str]:
    return payloads.names(PLATFORM)


def load(name: str) -> tuple[str, dict, dict]:
    return payloads.load(PLATFORM, name)


def client(account_id: str = ACCOUNT) -> InstagramClient:
    ig = InstagramClient(base_url=BASE, credentials=Credentials(access_token="token", account_id=account_id))
    ig._sleep = lambda seconds: None
    return ig


def test_every_payload_has_meta():
    assert payloads.bodies(PLATFORM) == set(names())


def check_comments(items, elements: list[dict], kind: str) -> None:
    assert [i.external_id for i in items] == [e["id"] for e in elements]
    for item, element in zip(items, elements, strict=True):
        assert item.kind == kind
        assert item.text == element["text"]
        assert item.posted_at == parse_time(element["timestamp"])
        assert item.author.handle == element.get("username", "")
        assert item.author.external_id == element.get("from", {}).get("id", "")
        assert item.likes == element.get("like_count", 0)
        assert item.in_reply_to_id == element.get("parent_id", element.get("media", {}).get("id", ""))


def check_thread(items, comment: dict) -> None:
    """A comment read with its nested replies: the comment, then each reply under it."""
    replies = comment.get("replies", {}).get("data", [])
    media = comment.get("media", {}).get("id", "")
    assert [i.external_id for i in items] == [comment["id"]] + [r["id"] for r in replies]
    assert [(i.kind, i.in_reply_to_id) for i in items] == [("comment", media)] + [("reply", comment["id"])] * len(
        replies
    )
    for item, element in zip(items, [comment, *replies], strict=True):
        assert item.text == element["text"]
        assert item.posted_at == parse_time(element["timestamp"])
        assert item.conversation_id == media
        assert item.likes == element.get("like_count", 0)
    assert items[0].replies == len(replies)


def check_media(items, elements: list[dict], read_at: datetime | None = None) -> None:
    """Media as mentions; one listed without its timestamp is dated `read_at`, when it was read."""
    assert [i.external_id for i in items] == [e["id"] for e in elements]
    for item, element in zip(items, elements, strict=True):
        assert item.kind == "mention"
        assert item.text == element.get("caption", "")
        assert item.posted_at == (parse_time(element["timestamp"]) if "timestamp" in element else read_at)
        assert item.url == element.get("permalink", "")
        assert item.author.handle == element.get("username", "")
        assert item.likes == element.get("like_count", 0)
        assert item.replies == element.get("comments_count", 0)
        assert item.conversation_id == element["id"]


def check_paging(body: dict) -> None:
    paging = body.get("paging")
    if not paging or "next" not in paging:
        assert paging_params(body) is None
        return
    expected = dict(parse_qsl(urlsplit(paging["next"]).query, keep_blank_values=True))
    expected.pop("access_token", None)
    expected.pop("pretty", None)
    assert paging_params(body) == expected
    assert paging_params(body)["after"] == paging["cursors"]["after"]


def publish_flow() -> dict:
    """Serve the recorded publish sequence: create container, status, media_publish."""
    bodies = {}
    for step in ("publish_create_container", "publish_container_status", "publish_media_publish"):
        name = next(n for n in names() if n.startswith(step + "__"))
        bodies[step] = load(name)
    container = bodies["publish_create_container"][1]["id"]
    published = bodies["publish_media_publish"][1]["id"]
    responses.add("POST", f"{BASE}/{ACCOUNT}/media", body=bodies["publish_create_container"][0])
    responses.add("GET", f"{BASE}/{container}", body=bodies["publish_container_status"][0])
    responses.add("POST", f"{BASE}/{ACCOUNT}/media_publish", body=bodies["publish_media_publish"][0])
    responses.add("GET", f"{BASE}/{published}", json={"permalink": "https://www.instagram.com/p/x/"})
    return {step: value[1] for step, value in bodies.items()}


@pytest.mark.parametrize("name", names())
@responses.activate
def test_payload(name):
    text, body, meta = load(name)
    ig = client()
    endpoint = meta["endpoint"]

    if endpoint.startswith("GET /{ig-media-id}/comments"):
        check_comments(ig.parse(body, endpoint="comments"), body["data"], "comment")
        check_comments(ig.parse(body), body["data"], "comment")
        check_paging(body)
    elif endpoint.startswith("GET /{ig-comment-id}/replies"):
        check_comments(ig.parse(body, endpoint="replies"), body["data"], "reply")
        check_paging(body)
    elif endpoint.startswith("GET /{ig-user-id}/tags"):
        check_media(ig.parse(body, endpoint="tags"), body["data"])
        check_media(ig.parse(body), body["data"])
        check_paging(body)
    elif endpoint.startswith("GET /{ig-user-id}?fields=mentioned_media"):
        check_media(ig.parse(body, endpoint="mentioned_media"), [body["mentioned_media"]])
        check_media(ig.parse(body), [body["mentioned_media"]])
    elif endpoint.startswith("GET /{ig-user-id}?fields=mentioned_comment"):
        check_comments(ig.parse(body, endpoint="mentioned_comment"), [body["mentioned_comment"]], "mention")
        check_comments(ig.parse(body), [body["mentioned_comment"]], "mention")
    elif endpoint.startswith("GET /{ig-comment-id}?fields="):
        check_thread(ig.parse(body), body)
    elif endpoint.startswith("GET /?ids="):
        # a multiple-id lookup: one comment per id, keyed by it
        check_comments(ig.parse(body), list(body.values()), "comment")
        check_comments(ig.parse(body, endpoint="comments"), list(body.values()), "comment")
    elif endpoint.startswith("GET /{ig-hashtag-id}/recent_media"):
        read_at = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)
        ig._now = read_at.timestamp
        check_media(ig.parse(body), body["data"], read_at)
        check_media(ig.parse(body, endpoint="tags"), body["data"], read_at)
        check_paging(body)
    elif endpoint.startswith("Webhook: instagram field 'mentions'"):
        # A delivery names the mentions but carries no text: parse stores nothing from it,
        # and resolve_webhook reads each one (mentioned_comment / mentioned_media).
        assert ig.parse(body) == []
        values = [c["value"] for e in body["entry"] for c in e["changes"] if c["field"] == "mentions"]
        refs = [{"media_id": v.get("media_id", ""), "comment_id": v.get("comment_id", "")} for v in values]
        assert ig.webhook_mentions(body) == refs
        comment_text, comment_body, _ = load(next(n for n in names() if n.startswith("mentioned_comment__")))
        media_text, media_body, _ = load(next(n for n in names() if n.startswith("mentioned_media__")))
        for ref in refs:
            answer = comment_text if ref["comment_id"] else media_text
            responses.add("GET", f"{BASE}/{ACCOUNT}", body=answer)
        expected = [
            (comment_body["mentioned_comment"] if ref["comment_id"] else media_body["mentioned_media"])["id"]
            for ref in refs
        ]
        items = ig.resolve_webhook(body)
        assert [i.external_id for i in items] == expected
        assert {i.kind for i in items} == {"mention"}
        asked = [parse_qs(urlsplit(c.request.url).query)["fields"][0] for c in responses.calls]
        wanted = [
            f"mentioned_comment.comment_id({r['comment_id']}){{" if r["comment_id"]
            else f"mentioned_media.media_id({r['media_id']}){{"
            for r in refs
        ]
        assert len(asked) == len(wanted)
        assert all(a.startswith(w) for a, w in zip(asked, wanted, strict=True))
    elif endpoint.startswith("GET /{ig-user-id}/media"):
        # The account's own media are not items; polling reads the comments of each
        # media that has comments, then the next page of media.
        assert ig.parse(body, endpoint="media") == []
        check_paging(body)
        newest = max(parse_time(e["timestamp"]).timestamp() for e in body["data"])
        ig._now = lambda: newest
        responses.add("GET", f"{BASE}/{ACCOUNT}/media", body=text)
        responses.add("GET", f"{BASE}/{ACCOUNT}/media", json={"data": []})
        for element in body["data"]:
            responses.add("GET", f"{BASE}/{element['id']}/comments", json={"data": []})
        cursor = None
        for _ in range(20):
            page = ig.fetch("comments", cursor)
            cursor = page.next_cursor
            assert page.items == []
            if not page.has_more:
                break
        paths = [urlsplit(c.request.url).path for c in responses.calls]
        scanned = [p.split("/")[-2] for p in paths if p.endswith("/comments")]
        # media older than the lookback before the newest are past the window: not scanned
        window = newest - ig.lookback.total_seconds()
        recent = [e for e in body["data"] if parse_time(e["timestamp"]).timestamp() >= window]
        assert scanned == [e["id"] for e in recent if e["comments_count"] > 0]
        state = json.loads(cursor)
        assert state["counts"] == {e["id"]: e["comments_count"] for e in recent}
    elif endpoint.startswith("GET /{ig-user-id}/content_publishing_limit"):
        first = body["data"][0]
        assert ig.parse(body) == []
        assert ig.quota_from(body) == {**first["config"], "quota_usage": first["quota_usage"]}
        responses.add("GET", f"{BASE}/{ACCOUNT}/content_publishing_limit", body=text)
        assert ig.publishing_quota()["quota_total"] == first["config"]["quota_total"]
    elif endpoint.startswith("POST /{ig-user-id}/media (image_url"):
        bodies = publish_flow()
        ig.publish("caption", images=[("https://example.org/a.jpg", "")])
        status_call = next(c for c in responses.calls if c.request.method == "GET")
        assert urlsplit(status_call.request.url).path.endswith("/" + body["id"])
        publish_call = next(c for c in responses.calls if c.request.url.split("?")[0].endswith("/media_publish"))
        assert f"creation_id={body['id']}" in publish_call.request.body
        assert bodies["publish_create_container"] == body
    elif endpoint.startswith("GET /{ig-container-id}"):
        assert ig.container_status(body) == body["status_code"]
        assert ig.parse(body) == []
        publish_flow()
        assert ig.publish("caption", images=[("https://example.org/a.jpg", "")]).external_id
    elif endpoint.startswith("POST /{ig-user-id}/media_publish"):
        publish_flow()
        published = ig.publish("caption", images=[("https://example.org/a.jpg", "alt")])
        assert published.external_id == body["id"]
        assert ig.published_from(body).external_id == body["id"]
    else:
        pytest.fail(f"no check for endpoint {endpoint!r} ({name}): add one")
