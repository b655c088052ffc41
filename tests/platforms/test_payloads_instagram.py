"""Every recorded Instagram Graph response in shared/platform-payloads/instagram is read by
InstagramClient. Expected values are read from each payload itself."""
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from platforms.base import Credentials, parse_time
from platforms.graph import paging_params
from platforms.instagram import InstagramClient

PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "platform-payloads" / "instagram"
BASE = "https://graph.facebook.test/v21.0"
ACCOUNT = "17841400000000001"

pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason=f"recorded payloads not found at {PAYLOADS}")


def names() -> list[str]:
    if not PAYLOADS.is_dir():
        return []
    return sorted(p.name[: -len(".meta.json")] for p in PAYLOADS.glob("*.meta.json"))


def load(name: str) -> tuple[str, dict, dict]:
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    meta = json.loads((PAYLOADS / f"{name}.meta.json").read_text(encoding="utf-8"))
    return text, json.loads(text), meta


def client(account_id: str = ACCOUNT) -> InstagramClient:
    ig = InstagramClient(base_url=BASE, credentials=Credentials(access_token="token", account_id=account_id))
    ig._sleep = lambda seconds: None
    return ig


def test_every_payload_has_meta():
    bodies = {p.name[: -len(".json")] for p in PAYLOADS.glob("*.json") if not p.name.endswith(".meta.json")}
    assert bodies == set(names())


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


def check_media(items, elements: list[dict]) -> None:
    assert [i.external_id for i in items] == [e["id"] for e in elements]
    for item, element in zip(items, elements, strict=True):
        assert item.kind == "mention"
        assert item.text == element.get("caption", "")
        assert item.posted_at == parse_time(element["timestamp"])
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
        assert scanned == [e["id"] for e in body["data"] if e["comments_count"] > 0]
        state = json.loads(cursor)
        assert state["counts"] == {e["id"]: e["comments_count"] for e in body["data"]}
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
