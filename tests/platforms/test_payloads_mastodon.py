"""Every recorded Mastodon API response in shared/platform-payloads/mastodon is read by
MastodonClient. Expected values are read from each payload itself."""

import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from platforms.base import AuthError, Credentials, InvalidRequest, Published, decode_cursor
from platforms.mastodon import MastodonClient, plain_text

PAYLOADS = Path(__file__).resolve().parents[2].parent / "shared" / "platform-payloads" / "mastodon"

pytestmark = pytest.mark.skipif(not PAYLOADS.is_dir(), reason=f"recorded payloads not found at {PAYLOADS}")

EXPECTED_ERRORS = {
    "error_401_invalid_token__mastodonpy": AuthError,
    "error_422_validation__mastodonpy": InvalidRequest,  # the message is localised; the status decides
}


def names() -> list[str]:
    if not PAYLOADS.is_dir():
        return []
    return sorted(p.name[: -len(".meta.json")] for p in PAYLOADS.glob("*.meta.json"))


def load(name: str) -> tuple[str, object, dict]:
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    meta = json.loads((PAYLOADS / f"{name}.meta.json").read_text(encoding="utf-8"))
    return text, json.loads(text), meta


def base_of(meta: dict) -> str:
    parts = urlsplit(meta["request"]["url"])
    return f"{parts.scheme}://{parts.netloc}"


def client(meta: dict) -> MastodonClient:
    c = MastodonClient(base_url=base_of(meta), credentials=Credentials(access_token="token"))
    c.first_run_lookback = None  # recordings are old: read everything
    return c


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_payload_has_meta():
    bodies = {p.name[: -len(".json")] for p in PAYLOADS.glob("*.json") if not p.name.endswith(".meta.json")}
    assert bodies == set(names())


def test_a_status_reads_as_mastodon_shows_it():
    _, body, _ = load("notifications_mentions__mastodonpy")
    assert plain_text(body[0]["status"]["content"]) == "@mastodonpy_test hello!"
    _, body, _ = load("hashtag_timeline__mastodonpy")
    assert plain_text(body[0]["content"]) == "#hoot (hashtag toot)"
    html = ('<p>Bins &amp; &lt;script&gt;alert(1)&lt;/script&gt;<br />line two</p>'
            '<p><a href="https://example.org/a/b"><span class="invisible">https://</span>'
            '<span class="ellipsis">example.org/a</span><span class="invisible">/b</span></a></p>')
    assert plain_text(html) == "Bins & <script>alert(1)</script>\nline two\n\nhttps://example.org/a/b"
    assert plain_text("no markup at all") == "no markup at all"


def assert_statuses(items, statuses: list[dict], kinds: list[str]) -> None:
    assert [i.external_id for i in items] == [s["id"] for s in statuses]
    for item, s, kind in zip(items, statuses, kinds, strict=True):
        account = s["account"]
        assert item.platform == "mastodon"
        assert item.kind == kind
        assert item.text == plain_text(s["content"])  # the HTML is kept in item.raw
        assert item.raw.get("content", item.raw.get("status", {}).get("content")) == s["content"]
        assert item.posted_at == when(s["created_at"])
        assert item.url == s["url"]
        assert item.author.external_id == account["id"]
        assert item.author.handle == account["acct"]
        assert item.author.display_name == account["display_name"]
        assert item.author.followers == account["followers_count"]
        assert item.author.profile_url == account["url"]
        assert item.in_reply_to_id == (s["in_reply_to_id"] or "")
        assert item.conversation_id == (s["in_reply_to_id"] or s["id"])
        assert (item.likes, item.replies, item.reshares) == (
            s["favourites_count"],
            s["replies_count"],
            s["reblogs_count"],
        )


def link_max_id(meta: dict) -> str:
    link = meta["headers"]["link"]
    url = re.search(r'<([^>]+)>; rel="next"', link).group(1)
    return parse_qs(urlsplit(url).query)["max_id"][0]


def check(c: MastodonClient, meta: dict, body, text: str) -> None:
    endpoint = meta["endpoint"]
    if endpoint.startswith("GET /api/v1/notifications"):
        mentions = [n for n in body if n["type"] == "mention"]
        statuses = [n["status"] for n in mentions]
        assert_statuses(c.parse(body), statuses, ["mention"] * len(statuses))
        # replayed through fetch: the Link header's max_id continues the walk
        with responses.RequestsMock() as rsps:
            rsps.add(
                "GET", meta["request"]["url"].split("?")[0], body=text, status=200, headers=meta["headers"]
            )
            page = c.fetch("mentions", None)
            assert "types%5B%5D=mention" in rsps.calls[0].request.url
        assert [i.external_id for i in page.items] == [s["id"] for s in statuses]
        assert page.has_more is True
        assert decode_cursor(page.next_cursor)["walk"]["page"] == link_max_id(meta)
    elif endpoint.startswith("GET /api/v2/notifications"):
        statuses = {s["id"]: s for s in body["statuses"]}
        expected = [statuses[g["status_id"]] for g in body["notification_groups"] if g["type"] == "mention"]
        assert_statuses(c.parse(body), expected, ["mention"] * len(expected))
    elif endpoint.startswith("GET /api/v1/timelines/tag/"):
        assert_statuses(c.parse(body, endpoint="hashtag"), body, ["search_hit"] * len(body))
        tag = urlsplit(meta["request"]["url"]).path.rsplit("/", 1)[-1]
        with responses.RequestsMock() as rsps:
            rsps.add("GET", meta["request"]["url"], body=text, status=200, headers=meta["headers"])
            page = c.fetch("hashtag", None, watch_terms=["#" + tag])
        assert [i.external_id for i in page.items] == [s["id"] for s in body]
        assert decode_cursor(page.next_cursor)["terms"]["#" + tag]["page"] == link_max_id(meta)
    elif endpoint.startswith("GET /api/v2/search"):
        assert_statuses(c.parse(body), body["statuses"], ["search_hit"] * len(body["statuses"]))
    elif endpoint.startswith("GET /api/v1/statuses/") and endpoint.endswith("/context"):
        assert_statuses(c.parse(body), body["descendants"], ["reply"] * len(body["descendants"]))
    elif endpoint.startswith("POST /api/v1/statuses"):
        kind = "reply" if body["in_reply_to_id"] else "mention"
        assert_statuses(c.parse(body), [body], [kind])
        published = c.published(body)
        assert isinstance(published, Published)
        assert (published.external_id, published.url) == (body["id"], body["url"])
    else:
        pytest.fail(f"no check for endpoint {endpoint!r}: add one")


@pytest.mark.parametrize("name", names())
def test_payload(name):
    text, body, meta = load(name)
    c = client(meta)
    method = meta["request"]["method"]
    with responses.RequestsMock() as rsps:
        rsps.add(method, meta["request"]["url"], body=text, status=meta["status"], headers=meta["headers"])
        if name.startswith("error_"):
            assert name in EXPECTED_ERRORS, f"add the expected exception for {name}"
            with pytest.raises(EXPECTED_ERRORS[name]) as err:
                c.send(method, meta["request"]["url"])
            assert err.value.status == meta["status"]
            assert err.value.body == text
            response = None
        else:
            got, response = c.send(method, meta["request"]["url"])
            assert got == body
    if response is not None:
        check(c, meta, body, text)

    # X-RateLimit-* are on every recording, errors included; Reset is an ISO time
    headers = {k.lower(): v for k, v in meta["headers"].items()}
    limit = c.rate_limit_from(recorded_response(meta))
    assert limit.limit == int(headers["x-ratelimit-limit"])
    assert limit.remaining == int(headers["x-ratelimit-remaining"])
    assert limit.reset_at == when(headers["x-ratelimit-reset"])


def recorded_response(meta: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = meta["status"]
    response.headers.update(meta["headers"])
    return response
