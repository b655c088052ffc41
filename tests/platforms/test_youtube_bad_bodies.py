"""A YouTube body the simulator damages (malformed or cut short) reaches the caller as
MalformedPayload carrying exactly the bytes served, whatever the body was before it was
damaged: a page, a spent quota, an expired page token or a refused token. Monitoring keys its
quarantine on those bytes, and the fault drill matches them with the simulator's log."""
import hashlib
import json

import pytest
import requests
import responses

from platforms.base import Credentials, MalformedPayload, simulator_urls
from platforms.simulator.server import Simulator, run_in_thread
from platforms.simulator.sim_youtube import QUOTA_MESSAGE, google_error
from platforms.youtube import YouTubeClient


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=7)
    yield server, url
    server.shutdown()


def ctl(url, method, path, body=None):
    response = requests.request(method, f"{url}/_sim/{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def client(url, **credentials):
    return YouTubeClient(**simulator_urls(YouTubeClient, url), credentials=Credentials(**credentials), timeout=5)


@pytest.mark.parametrize("kind", ["malformed", "truncated"])
@pytest.mark.parametrize("before", ["page", "expired page token", "statistics"])
def test_a_damaged_body_is_malformed_with_the_bytes_served(sim, kind, before):
    server, url = sim
    server.reset()
    ctl(url, "POST", "generate", {"platform": ["youtube"], "count": 40, "spread_seconds": 3600})
    account = ctl(url, "GET", "accounts")["youtube"]
    token, endpoint, cursor, where = account["demo_token"], "comments", None, "commentThreads"
    if before == "expired page token":  # the simulator's answer is a 400 invalidPageToken envelope
        cursor = json.dumps({"walk": {"page": "not-a-token"}})
    elif before == "statistics":
        endpoint, where = "search", "videos"
    ctl(url, "POST", "faults", {"rules": [{"rate": 1.0, "kinds": [kind], "platform": "youtube", "endpoint": where}]})
    try:
        with pytest.raises(MalformedPayload) as raised:
            client(url, access_token=token, account_id=account["account_id"]).fetch(
                endpoint, cursor, watch_terms=["Kingsmere"])
    finally:
        log = ctl(url, "DELETE", "faults")["log"]
    assert [e["kind"] for e in log] == [kind]
    assert hashlib.sha256(raised.value.body.encode("utf-8")).hexdigest() == log[0]["sha256"]


@pytest.mark.parametrize("envelope", [
    google_error(403, QUOTA_MESSAGE, "quotaExceeded", domain="youtube.quota"),
    google_error(429, "Too many requests.", "rateLimitExceeded", domain="youtube.quota", state="RESOURCE_EXHAUSTED"),
    google_error(401, "Request had invalid authentication credentials.", "authError", state="UNAUTHENTICATED"),
    google_error(400, "The page token is not valid.", "invalidPageToken", state="INVALID_ARGUMENT"),
    google_error(503, "The service is currently unavailable.", "backendError", state="UNAVAILABLE"),
], ids=["quota", "burst", "auth", "page token", "backend"])
@responses.activate
def test_an_error_envelope_made_malformed_is_malformed_not_the_error(envelope):
    """The simulator damages a body after the handler answered, whatever it answered, and
    serves it as a 200 (platforms.simulator.server.Simulator._corrupt)."""
    entry = {}
    damaged = Simulator._corrupt(envelope, "malformed", entry)
    responses.add(responses.GET, YouTubeClient.default_base_url + "/commentThreads", body=damaged.body,
                  status=damaged.status, content_type="application/json; charset=UTF-8")
    with pytest.raises(MalformedPayload) as raised:
        YouTubeClient(credentials=Credentials(access_token="t", account_id="UC1")).fetch("comments", None)
    assert hashlib.sha256(raised.value.body.encode("utf-8")).hexdigest() == entry["sha256"]
