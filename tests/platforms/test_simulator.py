"""The platform simulator over plain HTTP: generator, paging, rate limits, faults, OAuth
and the control API. No Django."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import time
from contextlib import redirect_stdout
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from platforms.simulator import cli
from platforms.simulator.generator import HOSTILE, Generator, wire_pages
from platforms.simulator.server import reset, run_in_thread

PLATFORMS = ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky", "linkedin")


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=7)
    yield server, url
    server.shutdown()


@pytest.fixture(autouse=True)
def clean(sim):
    sim[0].reset()


@pytest.fixture()
def url(sim):
    return sim[1]


def ctl(url: str, method: str, path: str, body: dict | None = None) -> dict:
    response = requests.request(method, f"{url}/_sim/{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def accounts(url: str) -> dict:
    return ctl(url, "GET", "accounts")


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- generator -------------------------------------------------------------------------


def test_generator_is_deterministic():
    a = Generator(seed=5).items(300, start=1_700_000_000, end=1_700_086_400)
    b = Generator(seed=5).items(300, start=1_700_000_000, end=1_700_086_400)
    c = Generator(seed=6).items(300, start=1_700_000_000, end=1_700_086_400)
    assert [(i.text, i.author.handle, i.created_at, i.thread) for i in a] == [
        (i.text, i.author.handle, i.created_at, i.thread) for i in b
    ]
    assert [i.text for i in a] != [i.text for i in c]
    assert [i.created_at for i in a] == sorted(i.created_at for i in a)


def test_generator_is_realistic():
    items = Generator(seed=11).items(4000, start=1_700_000_000, end=1_700_000_000 + 3 * 86400)
    topics = {i.topic for i in items}
    assert {"bins", "council_tax", "parking", "library", "housing", "potholes", "planning", "praise", "abuse",
            "question", "foi"} <= topics
    texts = [i.text for i in items]
    assert any("what time does the library open" in t.lower() for t in texts)
    assert any("how do i apply for a parking permit" in t.lower() for t in texts)

    foi = [i for i in items if "foi" in i.tags]
    named = [i for i in foi if "foi_named" in i.tags]
    anonymous = [i for i in foi if "foi_anonymous" in i.tags]
    assert named and anonymous
    assert all("Freedom of Information" in i.text for i in foi)
    postcode = re.compile(r"KM\d \d[A-Z]{2}")
    assert all(postcode.search(i.text) for i in named)
    assert not any(postcode.search(i.text) for i in anonymous)

    hostile = [i.text for i in items if "hostile" in i.tags]
    found = {payload for payload in HOSTILE for text in hostile if payload in text}
    assert len(found) >= 5
    assert any("<script>" in t for t in hostile) or any("<img" in t for t in hostile)

    press = [i for i in items if i.author.kind in ("journalist", "influencer")]
    residents = [i for i in items if i.author.kind == "resident" and i.kind != "reply"]
    assert press and min(i.author.followers for i in press if i.author.kind == "journalist") >= 4000
    assert sum(i.likes for i in press) / len(press) > 5 * sum(i.likes for i in residents) / len(residents)

    by_seq = {i.seq: i for i in items}
    replies = [i for i in items if i.thread is not None]
    assert len(replies) > 100
    assert all(by_seq[r.thread].created_at <= r.created_at for r in replies)
    roots = {r.thread for r in replies}
    assert max(by_seq[t].replies for t in roots) >= 5  # threads grow


def test_wire_pages_are_platform_shaped():
    x = wire_pages("x", 250, page_size=100, seed=3)
    assert len(x) == 3
    ids = [t["id"] for page in x for t in page["data"]]
    assert len(ids) == len(set(ids)) == 250
    assert ids == sorted(ids, key=int, reverse=True)
    assert "next_token" in x[0]["meta"] and "next_token" not in x[-1]["meta"]
    assert x[0]["includes"]["users"]

    shapes = {
        "facebook": lambda b: isinstance(b["data"], list) and "paging" in b,
        "instagram": lambda b: isinstance(b["data"], list),
        "youtube": lambda b: b["kind"] == "youtube#commentThreadListResponse" and "nextPageToken" in b,
        "mastodon": lambda b: isinstance(b, list) and b[0]["type"] == "mention" and "account" in b[0],
        "bluesky": lambda b: "notifications" in b and "cursor" in b,
        "linkedin": lambda b: "elements" in b and b["paging"]["links"],
    }
    for platform, check in shapes.items():
        pages = wire_pages(platform, 60, page_size=25, seed=3)
        assert len(pages) == 3 and check(pages[0]), platform


# --- paging without faults -----------------------------------------------------------------


def page_x(url, acct, token):
    ids, cursor = [], None
    while True:
        params = {"max_results": 100, "tweet.fields": "created_at,author_id", "expansions": "author_id"}
        if cursor:
            params["pagination_token"] = cursor
        body = requests.get(f"{url}/x/2/users/{acct}/mentions", params=params, headers=auth(token)).json()
        ids += [t["id"] for t in body.get("data", [])]
        cursor = body["meta"].get("next_token")
        if not cursor:
            return ids


def page_graph(url, platform, acct, token, edge):
    ids = []
    next_url = f"{url}/{platform}/v21.0/{acct}/{edge}?limit=40&access_token={token}"
    while next_url:
        body = requests.get(next_url).json()
        ids += [d["id"] for d in body["data"]]
        next_url = (body.get("paging") or {}).get("next")
    return ids


def page_youtube(url, acct, token):
    ids, page = [], None
    while True:
        params = {"part": "snippet", "allThreadsRelatedToChannelId": acct, "maxResults": 40}
        if page:
            params["pageToken"] = page
        body = requests.get(f"{url}/youtube/youtube/v3/commentThreads", params=params, headers=auth(token)).json()
        ids += [t["id"] for t in body["items"]]
        page = body.get("nextPageToken")
        if not page:
            return ids


def page_mastodon(url, acct, token):
    ids, next_url = [], f"{url}/mastodon/api/v1/notifications?types[]=mention&limit=40"
    while next_url:
        response = requests.get(next_url, headers=auth(token))
        body = response.json()
        if not body:
            return ids
        ids += [n["status"]["id"] for n in body]
        next_url = response.links.get("next", {}).get("url")
    return ids


def page_bluesky(url, acct, token):
    ids, cursor = [], None
    while True:
        params = {"limit": 50, "reasons": ["mention", "reply", "quote"]}
        if cursor:
            params["cursor"] = cursor
        body = requests.get(f"{url}/bluesky/xrpc/app.bsky.notification.listNotifications", params=params,
                            headers=auth(token)).json()
        ids += [n["uri"] for n in body["notifications"]]
        cursor = body.get("cursor")
        if not cursor:
            return ids


def page_linkedin(url, acct, token, post):
    ids, start = [], 0
    headers = {**auth(token), "LinkedIn-Version": "202610", "X-Restli-Protocol-Version": "2.0.0"}
    while True:
        body = requests.get(f"{url}/linkedin/rest/socialActions/{requests.utils.quote(post, safe='')}/comments",
                            params={"start": start, "count": 40}, headers=headers).json()
        ids += [c["$URN"] for c in body["elements"]]
        start += len(body["elements"])
        if not body["elements"] or start >= body["paging"]["total"]:
            return ids


@pytest.mark.parametrize("platform", PLATFORMS)
def test_listing_pages_without_gaps_or_duplicates(url, platform):
    account = accounts(url)[platform]
    acct, token = account["account_id"], account["demo_token"]
    kinds = {"facebook": ["mention"], "instagram": ["mention"], "youtube": ["comment"], "linkedin": ["comment"]}
    generated = ctl(url, "POST", "generate", {"platform": platform, "count": 230, "spread_seconds": 7200,
                                               "kinds": kinds.get(platform, ["mention"])})[platform]["items"]
    if platform == "x":
        got, expected = page_x(url, acct, token), [i["id"] for i in generated]
    elif platform in ("facebook", "instagram"):
        edge = "tagged" if platform == "facebook" else "tags"
        got = page_graph(url, platform, acct, token, edge)
        expected = [i["id"] for i in generated if i["kind"] == "mention"]
    elif platform == "youtube":
        got = page_youtube(url, acct, token)
        expected = [i["id"] for i in generated if i["kind"] == "comment"]
    elif platform == "mastodon":
        got, expected = page_mastodon(url, acct, token), [i["id"] for i in generated]
    elif platform == "bluesky":
        got, expected = page_bluesky(url, acct, token), [i["id"] for i in generated]
    else:
        posts = {i["post"] for i in generated}
        got = [c for post in posts for c in page_linkedin(url, acct, token, post)]
        expected = [i["id"] for i in generated if i["kind"] == "comment"]
    assert len(expected) > 100
    assert len(got) == len(set(got)), "a listing repeated an item"
    assert set(got) == set(expected)


def test_facebook_comments_page_newest_first_with_replies(url):
    account = accounts(url)["facebook"]
    post = ctl(url, "POST", "inject", {"platform": "facebook", "kind": "comment", "text": "first"})["post_id"]
    made = [ctl(url, "POST", "inject", {"platform": "facebook", "kind": "comment", "text": f"comment {n}",
                                         "in_reply_to": post})["id"] for n in range(60)]
    made += [ctl(url, "POST", "inject", {"platform": "facebook", "kind": "reply", "text": f"reply {n}",
                                          "in_reply_to": made[n]})["id"] for n in range(15)]
    ids, times = [], []
    next_url = (f"{url}/facebook/v21.0/{post}/comments?filter=stream&order=reverse_chronological&limit=20"
                f"&fields=id,created_time,parent{{id}}&access_token={account['demo_token']}")
    while next_url:
        body = requests.get(next_url).json()
        ids += [c["id"] for c in body["data"]]
        times += [c["created_time"] for c in body["data"]]
        next_url = body["paging"].get("next")
    assert set(made) <= set(ids) and len(ids) == len(set(ids)) == len(made) + 1
    assert times == sorted(times, reverse=True)


def test_future_items_appear_when_due(url):
    account = accounts(url)["x"]
    later = ctl(url, "POST", "inject", {"platform": "x", "text": "@KingsmereBC later", "created_at": time.time() + 1})
    ctl(url, "POST", "generate", {"platform": "x", "count": 5, "spread_seconds": 1, "future": True})
    assert later["id"] not in page_x(url, account["account_id"], account["demo_token"])
    time.sleep(1.2)
    assert len(page_x(url, account["account_id"], account["demo_token"])) == 6


def test_x_since_id_and_field_selection(url):
    account = accounts(url)["x"]
    first = ctl(url, "POST", "inject", {"platform": "x", "text": "@KingsmereBC one"})
    ctl(url, "POST", "inject", {"platform": "x", "text": "@KingsmereBC two", "author": {"handle": "sam_k"}})
    body = requests.get(f"{url}/x/2/users/{account['account_id']}/mentions", params={"since_id": first["id"]},
                        headers=auth(account["demo_token"])).json()
    assert [t["text"] for t in body["data"]] == ["@KingsmereBC two"]
    assert set(body["data"][0]) == {"id", "text", "edit_history_tweet_ids"}  # the default fields only
    bad = requests.get(f"{url}/x/2/users/{account['account_id']}/mentions", params={"max_results": 3},
                       headers=auth(account["demo_token"]))
    assert bad.status_code == 400 and bad.json()["title"] == "Invalid Request"


# --- rate limits -----------------------------------------------------------------------------


def test_x_rate_limit_headers_429_and_early_requests(url):
    account = accounts(url)["x"]
    ctl(url, "POST", "ratelimits", {"scale": 300, "limits": {"x": {"mentions": 3}}})  # 15 min → 3 s
    mentions = f"{url}/x/2/users/{account['account_id']}/mentions"
    remaining = []
    for _ in range(3):
        response = requests.get(mentions, headers=auth(account["demo_token"]))
        assert response.status_code == 200
        remaining.append(int(response.headers["x-rate-limit-remaining"]))
        assert response.headers["x-rate-limit-limit"] == "3"
    assert remaining == [2, 1, 0]
    refused = requests.get(mentions, headers=auth(account["demo_token"]))
    assert refused.status_code == 429
    assert refused.json()["title"] == "Too Many Requests"
    reset_at = int(refused.headers["x-rate-limit-reset"])
    assert time.time() < reset_at <= time.time() + 5
    assert requests.get(mentions, headers=auth(account["demo_token"])).status_code == 429  # too early
    stats = ctl(url, "GET", "stats")
    endpoint = "GET /2/users/:id/mentions"
    assert stats["rate_limited"]["x"][endpoint] == 2
    assert stats["early_requests"]["x"][endpoint] == 1

    time.sleep(max(0.0, reset_at - time.time()) + 0.05)
    assert requests.get(mentions, headers=auth(account["demo_token"])).status_code == 200
    assert ctl(url, "GET", "stats")["early_requests"]["x"][endpoint] == 1


def test_retry_after_on_request(url):
    account = accounts(url)["linkedin"]
    ctl(url, "POST", "ratelimits", {"limits": {"linkedin": {"misc": 1}}})
    headers = {**auth(account["demo_token"]), "LinkedIn-Version": "202610"}
    acls = f"{url}/linkedin/rest/organizationAcls?q=roleAssignee"
    assert requests.get(acls, headers=headers).status_code == 200
    bare = requests.get(acls, headers=headers)
    assert bare.status_code == 429 and "Retry-After" not in bare.headers  # LinkedIn sends none
    assert bare.json()["serviceErrorCode"] == 101
    ctl(url, "POST", "ratelimits", {"retry_after": True})
    told = requests.get(acls, headers=headers)
    to_midnight = 86400 - time.time() % 86400  # LinkedIn's day ends at midnight UTC
    off = (int(told.headers["Retry-After"]) - to_midnight) % 86400  # a second either side of midnight
    assert told.status_code == 429 and min(off, 86400 - off) <= 2


def test_other_platforms_signal_limits_their_own_way(url):
    acc = accounts(url)
    ctl(url, "POST", "ratelimits", {"limits": {"mastodon": {"api": 2}, "bluesky": {"global": 2},
                                              "youtube": {"quota": 2}, "facebook": {"account": 2}}})
    # Mastodon: X-RateLimit-* with an ISO 8601 reset, then 429
    notifications = f"{url}/mastodon/api/v1/notifications"
    first = requests.get(notifications, headers=auth(acc["mastodon"]["demo_token"]))
    assert first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Reset"].endswith("Z")
    requests.get(notifications, headers=auth(acc["mastodon"]["demo_token"]))
    refused = requests.get(notifications, headers=auth(acc["mastodon"]["demo_token"]))
    assert refused.status_code == 429 and refused.json() == {"error": "Too many requests"}
    # Bluesky: RateLimit-* and a policy
    listing = f"{url}/bluesky/xrpc/app.bsky.notification.listNotifications"
    first = requests.get(listing, headers=auth(acc["bluesky"]["demo_token"]))
    assert first.headers["RateLimit-Policy"] == "2;w=300" and first.headers["RateLimit-Remaining"] == "1"
    requests.get(listing, headers=auth(acc["bluesky"]["demo_token"]))
    refused = requests.get(listing, headers=auth(acc["bluesky"]["demo_token"]))
    assert refused.status_code == 429 and refused.json()["error"] == "RateLimitExceeded"
    # YouTube: quota units, then 403 quotaExceeded
    threads = f"{url}/youtube/youtube/v3/commentThreads"
    params = {"part": "snippet", "allThreadsRelatedToChannelId": acc["youtube"]["account_id"]}
    for _ in range(2):
        assert requests.get(threads, params=params, headers=auth(acc["youtube"]["demo_token"])).status_code == 200
    refused = requests.get(threads, params=params, headers=auth(acc["youtube"]["demo_token"]))
    assert refused.status_code == 403
    assert refused.json()["error"]["errors"][0]["reason"] == "quotaExceeded"
    # Graph: usage headers in percent, then error code 32 and a time to regain access
    feed = f"{url}/facebook/v21.0/{acc['facebook']['account_id']}/feed?access_token={acc['facebook']['demo_token']}"
    first = requests.get(feed)
    usage = json.loads(first.headers["X-Business-Use-Case-Usage"])[acc["facebook"]["account_id"]][0]
    assert usage["call_count"] == 50 and "X-App-Usage" in first.headers
    requests.get(feed)
    refused = requests.get(feed)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 32
    usage = json.loads(refused.headers["X-Business-Use-Case-Usage"])[acc["facebook"]["account_id"]][0]
    assert usage["estimated_time_to_regain_access"] > 0
    assert ctl(url, "GET", "stats")["totals"]["rate_limited"] == 4


# --- faults ------------------------------------------------------------------------------------


def test_faults_follow_the_rate_and_seed(url):
    account = accounts(url)["x"]
    mentions = f"{url}/x/2/users/{account['account_id']}/mentions"

    def run() -> list[int]:
        ctl(url, "POST", "faults", {"rate": 0.3, "kinds": ["500", "503"], "platform": "x", "endpoint": "mentions",
                                    "seed": 42})
        return [requests.get(mentions, headers=auth(account["demo_token"])).status_code for _ in range(60)]

    first = run()
    assert 8 <= sum(s >= 500 for s in first) <= 30
    assert first == run()  # the same seed gives the same faults
    faults = ctl(url, "GET", "stats")["faults"]["x"]
    assert sum(faults.values()) == 2 * sum(s >= 500 for s in first)
    other = requests.get(f"{url}/x/2/users/me", headers=auth(account["demo_token"]))
    assert other.status_code == 200  # scoped to the mentions endpoint


def read_with_retries(url, acct, token, max_attempts=200) -> tuple[list[str], int]:
    """Page X mentions as a careful client would: retry the same cursor after any failure."""
    ids, cursor, failures = [], None, 0
    for _ in range(max_attempts):
        params = {"max_results": 10}
        if cursor:
            params["pagination_token"] = cursor
        try:
            response = requests.get(f"{url}/x/2/users/{acct}/mentions", params=params, headers=auth(token),
                                    timeout=0.5)
            body = response.json()
        except (requests.RequestException, ValueError):
            failures += 1
            continue
        if response.status_code != 200:
            failures += 1
            if response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "0.1")))
            continue
        ids += [t["id"] for t in body.get("data", [])]
        cursor = body["meta"].get("next_token")
        if not cursor:
            return ids, failures
    raise AssertionError("did not finish paging")


def test_faults_lose_no_data(url):
    account = accounts(url)["x"]
    generated = ctl(url, "POST", "generate", {"platform": "x", "count": 200, "spread_seconds": 3600})["x"]["items"]
    ctl(url, "POST", "faults", {"rate": 0.35, "seed": 3, "delay": 1.0, "retry_after": 0.2,
                                "kinds": ["429", "500", "502", "503", "timeout", "drop", "malformed", "truncated"]})
    ids, failures = read_with_retries(url, account["account_id"], account["demo_token"])
    assert failures > 0
    assert len(ids) == len(set(ids)) and set(ids) == {i["id"] for i in generated}
    assert len(ctl(url, "GET", "stats")["faults"]["x"]) >= 4  # kinds of fault met


def test_page_faults_repeat_and_shuffle_but_keep_everything(url):
    account = accounts(url)["x"]
    generated = ctl(url, "POST", "generate", {"platform": "x", "count": 120, "spread_seconds": 3600})["x"]["items"]
    ctl(url, "POST", "faults", {"rate": 1.0, "kinds": ["duplicate"], "endpoint": "mentions"})
    pages, cursor = [], None
    while True:
        params = {"max_results": 25, **({"pagination_token": cursor} if cursor else {})}
        body = requests.get(f"{url}/x/2/users/{account['account_id']}/mentions", params=params,
                            headers=auth(account["demo_token"])).json()
        pages.append([t["id"] for t in body["data"]])
        cursor = body["meta"].get("next_token")
        if not cursor:
            break
    for previous, page in zip(pages, pages[1:], strict=False):
        assert page[0] == previous[-1]  # the last item of a page comes again on the next
    everything = [i for page in pages for i in page]
    assert len(everything) > len(set(everything)) and set(everything) == {i["id"] for i in generated}

    ctl(url, "POST", "faults", {"rate": 1.0, "kinds": ["out_of_order"], "endpoint": "mentions"})
    body = requests.get(f"{url}/x/2/users/{account['account_id']}/mentions", params={"max_results": 25},
                        headers=auth(account["demo_token"])).json()
    ids = [t["id"] for t in body["data"]]
    assert ids != sorted(ids, key=int, reverse=True) and sorted(ids) == sorted(pages[0])


def test_a_fault_on_a_write_creates_nothing(url):
    account = accounts(url)["x"]
    ctl(url, "POST", "faults", {"rate": 1.0, "kinds": ["503"], "endpoint": "POST /2/tweets", "count": 1})
    tweet = {"text": "Bins are collected as normal on Monday"}
    assert requests.post(f"{url}/x/2/tweets", json=tweet, headers=auth(account["demo_token"])).status_code == 503
    assert ctl(url, "GET", "stats")["created"] == {}
    assert requests.post(f"{url}/x/2/tweets", json=tweet, headers=auth(account["demo_token"])).status_code == 201
    assert ctl(url, "GET", "stats")["created"]["x"] == {"posts": 1, "replies": 0, "texts": [tweet["text"]]}


def test_timeout_and_drop_faults(url):
    account = accounts(url)["mastodon"]
    notifications = f"{url}/mastodon/api/v1/notifications"
    ctl(url, "POST", "faults", {"rate": 1.0, "kinds": ["timeout"], "delay": 1.0, "count": 1})
    with pytest.raises(requests.Timeout):
        requests.get(notifications, headers=auth(account["demo_token"]), timeout=0.3)
    ctl(url, "POST", "faults", {"rate": 1.0, "kinds": ["drop"], "count": 1})
    with pytest.raises(requests.ConnectionError):
        requests.get(notifications, headers=auth(account["demo_token"]), timeout=2)
    ctl(url, "POST", "faults", {"rate": 1.0, "kinds": ["truncated"], "count": 1})
    with pytest.raises(requests.RequestException):
        requests.get(notifications, headers=auth(account["demo_token"]), timeout=2)
    ctl(url, "POST", "faults", {"rate": 1.0, "kinds": ["malformed"], "count": 1})
    broken = requests.get(notifications, headers=auth(account["demo_token"]), timeout=2)
    with pytest.raises(ValueError):
        broken.json()
    assert requests.get(notifications, headers=auth(account["demo_token"])).status_code == 200


# --- OAuth -----------------------------------------------------------------------------------


def authorise(url: str, path: str, **params) -> dict:
    params = {"client_id": "council-social", "redirect_uri": "http://localhost/callback", "state": "s123",
              "response_type": "code", **params}
    response = requests.get(f"{url}{path}", params=params, allow_redirects=False)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "localhost"
    query = parse_qs(location.query)
    assert query["state"] == ["s123"]
    return {"code": query["code"][0], "redirect_uri": "http://localhost/callback", "client_id": "council-social",
            "client_secret": "secret"}


def test_oauth_x_with_pkce_refresh_and_revocation(url):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    grant = authorise(url, "/x/i/oauth2/authorize", scope="tweet.read users.read offline.access",
                      code_challenge=challenge, code_challenge_method="S256")
    wrong = requests.post(f"{url}/x/2/oauth2/token", data={**grant, "grant_type": "authorization_code",
                                                          "code_verifier": "nope"})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_request"
    grant = authorise(url, "/x/i/oauth2/authorize", scope="tweet.read users.read offline.access",
                      code_challenge=challenge, code_challenge_method="S256")
    token = requests.post(f"{url}/x/2/oauth2/token", data={**grant, "grant_type": "authorization_code",
                                                          "code_verifier": verifier}).json()
    assert token["token_type"] == "bearer" and token["expires_in"] == 7200 and token["refresh_token"]
    me = requests.get(f"{url}/x/2/users/me", headers=auth(token["access_token"])).json()
    assert me["data"]["username"] == "KingsmereBC"

    refreshed = requests.post(f"{url}/x/2/oauth2/token", data={"grant_type": "refresh_token",
                                                              "refresh_token": token["refresh_token"],
                                                              "client_id": "council-social"}).json()
    assert refreshed["access_token"] != token["access_token"]
    again = requests.post(f"{url}/x/2/oauth2/token", data={"grant_type": "refresh_token",
                                                          "refresh_token": token["refresh_token"]})
    assert again.status_code == 400  # X refresh tokens are single use
    assert requests.get(f"{url}/x/2/users/me", headers=auth(refreshed["access_token"])).status_code == 200

    ctl(url, "POST", "revoke", {"platform": "x", "token": refreshed["access_token"]})
    refused = requests.get(f"{url}/x/2/users/me", headers=auth(refreshed["access_token"]))
    assert refused.status_code == 401
    assert refused.json() == {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank", "status": 401}


@pytest.mark.parametrize("platform,auth_path,token_path,probe", [
    ("youtube", "/youtube/o/oauth2/v2/auth", "/youtube/token",
     "/youtube/youtube/v3/channels?part=snippet&mine=true"),
    ("linkedin", "/linkedin/oauth/v2/authorization", "/linkedin/oauth/v2/accessToken",
     "/linkedin/rest/organizationAcls?q=roleAssignee"),
])
def test_oauth_code_token_refresh_revoke(url, platform, auth_path, token_path, probe):
    grant = authorise(url, auth_path, scope="read", access_type="offline", prompt="consent")
    token = requests.post(f"{url}{token_path}", data={**grant, "grant_type": "authorization_code"}).json()
    assert token["expires_in"] > 0 and token["refresh_token"]
    headers = {**auth(token["access_token"]), "LinkedIn-Version": "202610"}
    assert requests.get(f"{url}{probe}", headers=headers).status_code == 200
    reused = requests.post(f"{url}{token_path}", data={**grant, "grant_type": "authorization_code"})
    assert reused.status_code == 400  # a code works once
    refreshed = requests.post(f"{url}{token_path}", data={"grant_type": "refresh_token",
                                                          "refresh_token": token["refresh_token"],
                                                          "client_id": "c", "client_secret": "s"}).json()
    headers = {**auth(refreshed["access_token"]), "LinkedIn-Version": "202610"}
    assert requests.get(f"{url}{probe}", headers=headers).status_code == 200
    ctl(url, "POST", "revoke", {"platform": platform, "account": accounts(url)[platform]["account_id"]})
    refused = requests.get(f"{url}{probe}", headers=headers)
    assert refused.status_code == 401
    if platform == "youtube":
        assert refused.json()["error"]["status"] == "UNAUTHENTICATED"
    else:
        assert refused.json()["code"] == "REVOKED_ACCESS_TOKEN"


def test_oauth_graph_mastodon_and_bluesky(url):
    acc = accounts(url)
    # Graph: code → short-lived user token → long-lived → Page token from /me/accounts
    grant = authorise(url, "/facebook/v21.0/dialog/oauth")
    short = requests.get(f"{url}/facebook/v21.0/oauth/access_token", params=grant).json()
    long_lived = requests.get(f"{url}/facebook/v21.0/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": "c", "client_secret": "s",
        "fb_exchange_token": short["access_token"]}).json()
    assert long_lived["expires_in"] > short["expires_in"]
    pages = requests.get(f"{url}/instagram/v21.0/me/accounts", params={
        "access_token": long_lived["access_token"],
        "fields": "id,name,access_token,instagram_business_account{id,username}"})
    assert pages.status_code == 400 and pages.json()["error"]["code"] == 190  # a Facebook token, not Instagram's
    pages = requests.get(f"{url}/facebook/v21.0/me/accounts", params={
        "access_token": long_lived["access_token"], "fields": "id,name,access_token"}).json()["data"]
    assert pages[0]["id"] == acc["facebook"]["account_id"] and pages[0]["access_token"]
    ctl(url, "POST", "revoke", {"platform": "facebook", "token": long_lived["access_token"]})
    refused = requests.get(f"{url}/facebook/v21.0/me", params={"access_token": long_lived["access_token"]})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 190 and refused.json()["error"]["type"] == "OAuthException"

    # Mastodon: tokens without expiry or refresh token
    grant = authorise(url, "/mastodon/oauth/authorize", scope="read write")
    token = requests.post(f"{url}/mastodon/oauth/token", data={**grant, "grant_type": "authorization_code"}).json()
    assert token["token_type"] == "Bearer" and "refresh_token" not in token
    me = requests.get(f"{url}/mastodon/api/v1/accounts/verify_credentials", headers=auth(token["access_token"]))
    assert me.json()["id"] == acc["mastodon"]["account_id"]
    requests.post(f"{url}/mastodon/oauth/revoke", data={"token": token["access_token"]})
    refused = requests.get(f"{url}/mastodon/api/v1/notifications", headers=auth(token["access_token"]))
    assert refused.status_code == 401 and refused.json() == {"error": "The access token was revoked"}
    unknown = requests.get(f"{url}/mastodon/api/v1/notifications", headers=auth("nope"))
    assert unknown.json() == {"error": "The access token is invalid"}

    # Bluesky: createSession / refreshSession
    session = requests.post(f"{url}/bluesky/xrpc/com.atproto.server.createSession",
                            json={"identifier": acc["bluesky"]["handle"], "password": "app-pass"}).json()
    assert session["did"] == acc["bluesky"]["account_id"] and session["accessJwt"].count(".") == 2
    claims = json.loads(base64.urlsafe_b64decode(session["accessJwt"].split(".")[1] + "=="))
    assert claims["exp"] > time.time()
    listing = f"{url}/bluesky/xrpc/app.bsky.notification.listNotifications"
    assert requests.get(listing, headers=auth(session["accessJwt"])).status_code == 200
    new = requests.post(f"{url}/bluesky/xrpc/com.atproto.server.refreshSession",
                        headers=auth(session["refreshJwt"])).json()
    assert requests.get(listing, headers=auth(new["accessJwt"])).status_code == 200
    stale = requests.post(f"{url}/bluesky/xrpc/com.atproto.server.refreshSession",
                          headers=auth(session["refreshJwt"]))
    assert stale.status_code == 400 and stale.json()["error"] == "ExpiredToken"
    ctl(url, "POST", "expire", {"platform": "bluesky", "token": new["accessJwt"]})
    assert requests.get(listing, headers=auth(new["accessJwt"])).json()["error"] == "ExpiredToken"
    assert requests.get(listing, headers=auth("garbage")).json()["error"] == "InvalidToken"
    wrong = requests.post(f"{url}/bluesky/xrpc/com.atproto.server.createSession",
                          json={"identifier": "nobody.bsky.social", "password": "x"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "AuthenticationRequired"


def test_consent_page_without_auto_approve(sim, url):
    server = sim[0]
    server.sim.auto_approve = False
    try:
        params = {"client_id": "c", "redirect_uri": "http://localhost/cb", "state": "st", "response_type": "code"}
        page = requests.get(f"{url}/linkedin/oauth/v2/authorization", params=params, allow_redirects=False)
        assert page.status_code == 200 and "Allow" in page.text
        approved = requests.get(f"{url}/linkedin/oauth/v2/authorization", params={**params, "approve": "1"},
                                allow_redirects=False)
        assert approved.status_code == 302 and "code=" in approved.headers["Location"]
        auto = requests.get(f"{url}/linkedin/oauth/v2/authorization", params={**params, "auto_approve": "1"},
                            allow_redirects=False)
        assert auto.status_code == 302
        denied = requests.get(f"{url}/linkedin/oauth/v2/authorization", params={**params, "approve": "0"},
                              allow_redirects=False)
        assert "error=access_denied" in denied.headers["Location"]
    finally:
        server.sim.auto_approve = True


# --- control API and CLI ------------------------------------------------------------------


def test_inject_via_http_returns_ids_and_the_post_is_listed(url):
    account = accounts(url)["bluesky"]
    made = ctl(url, "POST", "inject", {
        "platform": "bluesky", "text": "@kingsmere.bsky.social is the tip open on Sunday?",
        "author": {"handle": "jo.bsky.social", "name": "Jo", "followers": 12000, "verified": True}})
    assert made["id"].startswith("at://") and made["cid"].startswith("bafyrei")
    body = requests.get(f"{url}/bluesky/xrpc/app.bsky.notification.listNotifications",
                        headers=auth(account["demo_token"])).json()
    notification = body["notifications"][0]
    assert notification["uri"] == made["id"] and notification["reason"] == "mention"
    assert notification["author"]["displayName"] == "Jo"
    facet = notification["record"]["facets"][0]
    assert facet["features"][0]["did"] == account["account_id"] and facet["index"]["byteStart"] == 0


def test_inject_via_the_cli_function_and_main(url):
    made = cli.inject(url, platform="x", text="@KingsmereBC pothole on Mere Road", author="sam_k", followers=40)
    account = accounts(url)["x"]
    assert made["id"] in page_x(url, account["account_id"], account["demo_token"])
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["inject", "--url", url, "--platform", "mastodon", "--text", "@kingsmere hello",
                         "--author", "ali"]) == 0
    printed = json.loads(out.getvalue())
    assert printed["platform"] == "mastodon" and printed["notification_id"]
    with redirect_stdout(io.StringIO()):
        assert cli.main(["generate", "--url", url, "--platform", "youtube", "--count", "4"]) == 0
    # control calls are not counted as platform requests
    assert ctl(url, "GET", "stats")["requests"] == {"x": {"GET /2/users/:id/mentions": 1}}


def test_stats_count_requests_and_created_posts(url):
    acc = accounts(url)
    mention = ctl(url, "POST", "inject", {"platform": "mastodon", "text": "@kingsmere when is bin day?"})
    headers = {**auth(acc["mastodon"]["demo_token"]), "Idempotency-Key": "abc"}
    reply = {"status": "@resident Thursday in your street", "in_reply_to_id": mention["id"]}
    first = requests.post(f"{url}/mastodon/api/v1/statuses", json=reply, headers=headers).json()
    again = requests.post(f"{url}/mastodon/api/v1/statuses", json=reply, headers=headers).json()
    assert first["id"] == again["id"]  # Idempotency-Key: one status
    stats = ctl(url, "GET", "stats")
    assert stats["requests"]["mastodon"]["POST /api/v1/statuses"] == 2
    assert stats["created"]["mastodon"] == {"posts": 0, "replies": 1, "texts": [reply["status"]]}
    created = ctl(url, "GET", "created?platform=mastodon")["created"]
    assert created[0]["in_reply_to"] == mention["id"]


def test_demo_tokens_and_reset(url):
    acc = accounts(url)
    for platform in PLATFORMS:
        assert acc[platform]["demo_token"] == f"demo-{platform}"
    ctl(url, "POST", "revoke", {"platform": "x", "token": "demo-x"})
    me = f"{url}/x/2/users/me"
    assert requests.get(me, headers=auth("demo-x")).status_code == 401
    reset(url)
    assert requests.get(me, headers=auth("demo-x")).status_code == 200


def test_trickle_of_new_mentions():
    server, url = run_in_thread(port=0, seed=2, generate_every=0.1)
    try:
        account = accounts(url)["x"]
        deadline = time.time() + 10
        while len(page_x(url, account["account_id"], account["demo_token"])) < 3:
            assert time.time() < deadline, "no trickle of new mentions"
            time.sleep(0.1)
        assert requests.get(f"{url}/mastodon/api/v1/notifications", headers=auth("demo-mastodon")).json()
    finally:
        server.shutdown()


def test_backlog_for_the_demo():
    server, url = run_in_thread(port=0, seed=2, backlog=12)
    try:
        account = accounts(url)["x"]
        assert len(page_x(url, account["account_id"], account["demo_token"])) == 12
    finally:
        server.shutdown()
