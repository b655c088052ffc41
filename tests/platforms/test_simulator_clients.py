"""The real platform clients against the simulator (through base.simulator_urls):
reading injected and generated items, publishing, replying, connecting and losing access.
A platform whose client module does not exist yet is skipped."""
from __future__ import annotations

import collections
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from platforms import client_class
from platforms.base import AppConfig, AuthError, Credentials, NotSupported, simulator_urls
from platforms.simulator.server import run_in_thread

PLATFORMS = ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky", "linkedin", "threads")
# The endpoints (and watch terms) that together list every generated item once.
COVERAGE = {
    "x": [("mentions", ())],
    "facebook": [("feed", ()), ("tagged", ())],
    "instagram": [("comments", ()), ("tags", ())],
    "youtube": [("comments", ()), ("search", ("Kingsmere",))],
    "mastodon": [("mentions", ())],
    "bluesky": [("notifications", ())],
    "linkedin": [("comments", ())],
    "threads": [("mentions", ()), ("replies", ())],
}
# What a resident's item is on each platform when injected.
INJECT_KIND = {"x": "mention", "facebook": "comment", "instagram": "comment", "youtube": "comment",
               "mastodon": "mention", "bluesky": "mention", "linkedin": "comment", "threads": "mention"}


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=21)
    yield server, url
    server.shutdown()


@pytest.fixture(autouse=True)
def clean(sim, monkeypatch):
    sim[0].reset()
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the simulator speaks plain http


def ctl(url: str, method: str, path: str, body: dict | None = None) -> dict:
    response = requests.request(method, f"{url}/_sim/{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def client_cls(platform: str):
    try:
        return client_class(platform)
    except ImportError as exc:
        pytest.skip(f"platforms/{platform}.py does not exist yet ({exc})")


def demo_client(url: str, platform: str, **credentials):
    cls = client_cls(platform)
    account = ctl(url, "GET", "accounts")[platform]
    creds = Credentials(access_token=account["demo_token"], account_id=account["account_id"],
                        handle=account["handle"], **credentials)
    return cls(**simulator_urls(cls, url), credentials=creds, app=AppConfig("council-social", "secret"), timeout=10)


class Poller:
    """Polls a client's endpoints as monitoring does, keeping each endpoint's cursor."""

    def __init__(self, client, platform: str):
        self.client = client
        self.platform = platform
        self.cursors: dict[str, str | None] = {}

    def poll(self, endpoint: str, terms=(), max_calls: int = 200) -> list:
        """One complete poll: fetch until the client says nothing more is ready now."""
        items = []
        for _ in range(max_calls):
            page = self.client.fetch(endpoint, self.cursors.get(endpoint), watch_terms=terms)
            items += page.items
            self.cursors[endpoint] = page.next_cursor
            if not page.has_more:
                return items
        raise AssertionError(f"{endpoint}: still has_more after {max_calls} calls")

    def poll_all(self) -> list:
        return [item for endpoint, terms in COVERAGE[self.platform] for item in self.poll(endpoint, terms)]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_fetches_injected_items(sim, platform):
    url = sim[1]
    client = demo_client(url, platform)
    texts = [f"Bins missed on Elm Grove again ({platform} {n})" for n in range(3)]
    account = ctl(url, "GET", "accounts")[platform]
    mention = {"x": "@KingsmereBC ", "mastodon": "@kingsmere ", "bluesky": f"@{account['handle']} "}.get(platform, "")
    made = [ctl(url, "POST", "inject", {"platform": platform, "kind": INJECT_KIND[platform], "text": mention + text,
                                        "author": {"handle": "elm_grove_jo", "name": "Jo Elm", "followers": 321}})
            for text in texts]
    poller = Poller(client, platform)
    items = {item.external_id: item for item in poller.poll_all()}
    for injected in made:
        assert injected["id"] in items
        item = items[injected["id"]]
        assert injected["text"] in item.text  # Mastodon's HTML read as its text
        assert item.posted_at.tzinfo is not None
    # the next poll finds nothing new
    assert poller.poll_all() == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pages_through_500_generated_items_once(sim, platform):
    url = sim[1]
    client = demo_client(url, platform)
    generated = ctl(url, "POST", "generate", {"platform": platform, "count": 500,
                                               "spread_seconds": 6 * 3600})[platform]["items"]
    seen = collections.Counter(item.external_id for item in Poller(client, platform).poll_all())
    repeated = [i for i, n in seen.items() if n > 1]
    assert not repeated, f"{len(repeated)} items returned more than once"
    assert set(seen) == {i["id"] for i in generated}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_publishes_and_replies_once(sim, platform):
    url = sim[1]
    client = demo_client(url, platform)
    target = ctl(url, "POST", "inject", {"platform": platform, "kind": INJECT_KIND[platform],
                                         "text": "When is the recycling centre open?"})
    post_text = f"Recycling centres open 8am to 6pm every day ({platform})"
    reply_text = "Hi, 8am to 6pm every day. Thanks for asking!"
    if platform == "youtube":
        with pytest.raises(NotSupported):
            client.publish(post_text)
    else:
        images = [("https://example.org/centre.jpg", "The recycling centre")] if platform == "instagram" else []
        published = client.publish(post_text, images=images)
        assert published.external_id
    replied = client.reply(target["id"], reply_text)
    assert replied.external_id

    created = ctl(url, "GET", "stats")["created"][platform]
    assert created["replies"] == 1 and created["posts"] == (0 if platform == "youtube" else 1)
    assert created["texts"].count(reply_text) == 1
    if platform != "youtube":
        assert created["texts"].count(post_text) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hides_replies_and_deletes_its_own(sim, platform):
    server, url = sim
    client = demo_client(url, platform)
    state = server.sim.state
    own = [p for p in state.posts.values() if p.platform == platform and p.own and p.kind == "post"]
    target = own[0].id if platform != "youtube" else None
    reply = ctl(url, "POST", "inject", {"platform": platform, "kind": "reply" if target else "comment",
                                        "in_reply_to": target, "text": "You lot are useless"})
    if platform in ("mastodon", "linkedin"):
        with pytest.raises(NotSupported):
            client.hide(reply["id"])
    else:
        client.hide(reply["id"])
        assert state.post(platform, reply["id"]).hidden
    answer = client.reply(reply["id"], "Sorry to hear that; please DM us your address")
    client.delete(answer.external_id)
    assert state.post(platform, answer.external_id).deleted


@pytest.mark.parametrize("platform", PLATFORMS)
def test_revoked_token_raises_auth_error(sim, platform):
    url = sim[1]
    client = demo_client(url, platform)
    account = ctl(url, "GET", "accounts")[platform]
    poller = Poller(client, platform)
    poller.poll_all()
    ctl(url, "POST", "revoke", {"platform": platform, "account": account["account_id"]})
    with pytest.raises(AuthError):
        poller.poll_all()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_connects_through_oauth_and_refreshes(sim, platform):
    url = sim[1]
    cls = client_cls(platform)
    account = ctl(url, "GET", "accounts")[platform]
    app = AppConfig("council-social", "secret")
    if platform == "bluesky":
        client = cls(**simulator_urls(cls, url), credentials=Credentials(handle=account["handle"]), app=app)
        creds = client.exchange_code(code="abcd-efgh-ijkl-mnop")
    else:
        client = cls(**simulator_urls(cls, url), app=app)
        redirect_uri = "http://localhost:8000/connect/callback"
        consent = requests.get(client.authorise_url(redirect_uri=redirect_uri, state="st-42"), allow_redirects=False)
        assert consent.status_code == 302, consent.text
        query = parse_qs(urlsplit(consent.headers["Location"]).query)
        assert query["state"] == ["st-42"]
        creds = client.exchange_code(code=query["code"][0], redirect_uri=redirect_uri, state="st-42")
    assert creds.access_token and creds.account_id == account["account_id"]

    connected = cls(**simulator_urls(cls, url), credentials=creds, app=app)
    endpoint, terms = COVERAGE[platform][0]
    connected.fetch(endpoint, None, watch_terms=terms)
    if platform == "mastodon":
        return  # Mastodon tokens do not expire and cannot be refreshed
    fresh = connected.refresh()
    assert fresh.access_token and fresh.access_token != creds.access_token or platform in ("facebook", "instagram")
    again = cls(**simulator_urls(cls, url), credentials=fresh, app=app)
    again.fetch(endpoint, None, watch_terms=terms)
