"""Every recorded Mastodon API response in shared/platform-payloads/mastodon is read by
MastodonClient. Expected values are read from each payload itself."""

import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from platforms.base import AuthError, Credentials, InvalidRequest, Published, decode_cursor
from platforms.mastodon import MastodonClient, plain_text
from tests.platforms import payloads

PLATFORM = "mastodon"

pytestmark = payloads.skip_without(PLATFORM)

EXPECTED_ERRORS = {
    "error_401_invalid_token__mastodonpy": AuthError,
    "error_422_validation__mastodonpy": InvalidRequest,  # the message is localised; the status decides
}


def names() -> list[str]:
    return payloads.names(PLATFORM)


def load(name: str) -> tuple[str, object, dict]:
    return payloads.load(PLATFORM, name)


BASE = "https://mastodon.test"  # for recordings that kept no URL


def base_of(meta: dict) -> str:
    parts = urlsplit(meta["request"]["url"])
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else BASE


def url_of(meta: dict) -> str:
    return payloads.request_url(meta, base_of(meta))


def text_id(value) -> str:
    """Ids as the client keeps them: text, whether the server sent a string or (2017) an integer."""
    return "" if value is None else str(value)


def client(meta: dict) -> MastodonClient:
    c = MastodonClient(base_url=base_of(meta), credentials=Credentials(access_token="token"))
    c.first_run_lookback = None  # recordings are old: read everything
    return c


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_payload_has_meta():
    assert payloads.bodies(PLATFORM) == set(names())


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
    assert [i.external_id for i in items] == [text_id(s["id"]) for s in statuses]
    for item, s, kind in zip(items, statuses, kinds, strict=True):
        account = s["account"]
        assert item.platform == "mastodon"
        assert item.kind == kind
        assert item.text == plain_text(s["content"])  # the HTML is kept in item.raw
        assert item.raw.get("content", item.raw.get("status", {}).get("content")) == s["content"]
        assert item.posted_at == when(s["created_at"])
        assert item.url == (s.get("url") or s.get("uri") or "")
        assert item.author.external_id == text_id(account["id"])
        assert item.author.handle == account["acct"]
        assert item.author.display_name == account.get("display_name", "")
        assert item.author.followers == account.get("followers_count")
        assert item.author.profile_url == account.get("url", "")
        assert item.in_reply_to_id == text_id(s["in_reply_to_id"])
        assert item.conversation_id == text_id(s["in_reply_to_id"] or s["id"])
        # replies_count came with Mastodon 2.5: older statuses count none
        assert (item.likes, item.replies, item.reshares) == (
            s.get("favourites_count", 0),
            s.get("replies_count", 0),
            s.get("reblogs_count", 0),
        )


def link_max_id(meta: dict) -> str | None:
    """max_id of the recorded Link rel="next", or None when no Link header was recorded."""
    link = payloads.header(meta, "link")
    if not link:
        return None
    url = re.search(r'<([^>]+)>; rel="next"', link).group(1)
    return parse_qs(urlsplit(url).query)["max_id"][0]


def hashtag_of(meta: dict, statuses: list[dict]) -> str:
    """The tag of a tag timeline: from the recorded URL, or (a URL not recorded) the tag every
    status carries."""
    tag = urlsplit(meta["request"]["url"]).path.rsplit("/", 1)[-1]
    if not tag.startswith(":"):
        return tag
    common = set.intersection(*({t["name"].lower() for t in s["tags"]} for s in statuses))
    assert len(common) == 1, f"cannot tell the tag of this timeline: {common}"
    return common.pop()


def assert_walk(page, meta: dict, key) -> None:
    """The Link header's max_id continues the walk; without one, the walk is over."""
    state = decode_cursor(page.next_cursor)
    for part in key:
        state = state[part]
    expected = link_max_id(meta)
    assert page.has_more is (expected is not None)
    assert state.get("page") == expected


def check(c: MastodonClient, meta: dict, body, text: str) -> None:
    endpoint = meta["endpoint"]
    headers = meta["headers"]
    if endpoint.startswith("GET /api/v1/notifications"):
        mentions = [n for n in body if n["type"] == "mention"]
        statuses = [n["status"] for n in mentions]
        # a mention that answers a post is a reply (the client knows no account id of its own here)
        assert_statuses(c.parse(body), statuses, ["reply" if s["in_reply_to_id"] else "mention" for s in statuses])
        # replayed through fetch
        with responses.RequestsMock() as rsps:
            rsps.add("GET", url_of(meta).split("?")[0], body=text, status=200, headers=headers)
            page = c.fetch("mentions", None)
            assert "types%5B%5D=mention" in rsps.calls[0].request.url
        assert [i.external_id for i in page.items] == [text_id(s["id"]) for s in statuses]
        assert_walk(page, meta, ["walk"])
    elif endpoint.startswith("GET /api/v2/notifications"):
        statuses = {s["id"]: s for s in body["statuses"]}
        expected = [statuses[g["status_id"]] for g in body["notification_groups"] if g["type"] == "mention"]
        assert_statuses(c.parse(body), expected, ["mention"] * len(expected))
    elif endpoint.startswith("GET /api/v1/timelines/tag/"):
        assert_statuses(c.parse(body, endpoint="hashtag"), body, ["search_hit"] * len(body))
        assert_statuses(c.parse(body), body, ["search_hit"] * len(body))
        tag = hashtag_of(meta, body)
        with responses.RequestsMock() as rsps:
            rsps.add("GET", f"{base_of(meta)}/api/v1/timelines/tag/{tag}", body=text, status=200, headers=headers)
            page = c.fetch("hashtag", None, watch_terms=["#" + tag])
        assert [i.external_id for i in page.items] == [text_id(s["id"]) for s in body]
        assert_walk(page, meta, ["terms", "#" + tag])
    elif endpoint.startswith("GET /api/v1/timelines/public"):
        # not polled; the same Status[] shape as a tag timeline
        assert_statuses(c.parse(body, endpoint="hashtag"), body, ["search_hit"] * len(body))
        assert_statuses(c.parse(body), body, ["search_hit"] * len(body))
    elif endpoint.startswith("GET /api/v2/search") or endpoint.startswith("GET /api/v1/search"):
        assert_statuses(c.parse(body), body["statuses"], ["search_hit"] * len(body["statuses"]))
    elif endpoint.startswith("GET /api/v1/statuses/") and endpoint.split()[1].endswith("/context"):
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
    method, url = meta["request"]["method"], url_of(meta)
    status = meta["status"] or 200
    with responses.RequestsMock() as rsps:
        rsps.add(method, url, body=text, status=status, headers=meta["headers"])
        if name.startswith("error_"):
            assert name in EXPECTED_ERRORS, f"add the expected exception for {name}"
            with pytest.raises(EXPECTED_ERRORS[name]) as err:
                c.send(method, url)
            assert err.value.status == status
            assert err.value.body == text
            # the body alone (ingest_file) is a clear error too, not a traceback
            with pytest.raises(InvalidRequest, match="error response"):
                c.parse(body)
            response = None
        else:
            got, response = c.send(method, url)
            assert got == body
    if response is not None:
        check(c, meta, body, text)

    # X-RateLimit-* are on every recording that kept headers, errors included; Reset is an ISO time
    limit = c.rate_limit_from(recorded_response(meta))
    if payloads.header(meta, "x-ratelimit-limit") is None:
        assert (limit.limit, limit.remaining, limit.reset_at) == (None, None, None)
        return
    assert limit.limit == int(payloads.header(meta, "x-ratelimit-limit"))
    assert limit.remaining == int(payloads.header(meta, "x-ratelimit-remaining"))
    assert limit.reset_at == when(payloads.header(meta, "x-ratelimit-reset"))


def recorded_response(meta: dict) -> requests.Response:
    response = requests.Response()
    response.status_code = meta["status"] or 200
    response.headers.update(meta["headers"])
    return response
