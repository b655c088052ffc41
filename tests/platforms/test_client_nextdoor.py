"""NextdoorClient: publishing through the Publish API to the agency boundary or chosen neighbourhoods,
OAuth against the simulator, and no reading at all."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from platforms.base import AppConfig, Credentials, InvalidRequest, NotSupported, simulator_urls
from platforms.nextdoor import NextdoorClient
from platforms.simulator.server import run_in_thread


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=3)
    yield server, url
    server.shutdown()


@pytest.fixture(autouse=True)
def insecure(monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def created(url):
    return [e for e in requests.get(f"{url}/_sim/created", timeout=5).json()["created"] if e["platform"] == "nextdoor"]


def test_connects_publishes_and_refreshes(sim):
    server, url = sim
    server.reset()
    app = AppConfig("council-social", "secret")
    client = NextdoorClient(**simulator_urls(NextdoorClient, url), app=app)
    redirect_uri = "http://localhost:8000/channels/oauth/callback/"
    consent = requests.get(client.authorise_url(redirect_uri=redirect_uri, state="s1"), allow_redirects=False)
    assert consent.status_code == 302
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]
    creds = client.exchange_code(code=code, redirect_uri=redirect_uri)
    assert creds.account_id == "agency-4401" and creds.refresh_token
    published = NextdoorClient(**simulator_urls(NextdoorClient, url), credentials=creds, app=app).publish(
        "Bin collections move to Tuesday", link="https://kingsmere.example/bins",
        images=[("https://cdn.example/bin.jpg", "A blue bin")])
    assert published.external_id and published.url.startswith("https://nextdoor.com/p/")
    [entry] = created(url)
    assert entry["audience"] == "agency_boundary" and entry["media"] == ["https://cdn.example/bin.jpg"]
    fresh = NextdoorClient(**simulator_urls(NextdoorClient, url), credentials=creds, app=app).refresh()
    assert fresh.access_token != creds.access_token


def test_chosen_neighbourhoods_and_a_refusal(sim):
    server, url = sim
    server.reset()
    token = requests.get(f"{url}/_sim/accounts", timeout=5).json()["nextdoor"]["demo_token"]
    chosen = NextdoorClient(**simulator_urls(NextdoorClient, url),
                            credentials=Credentials(access_token=token, extra={"neighborhood_ids": ["nh-102"]}))
    chosen.publish("Market day on Saturday")
    assert created(url)[0]["audience"] == ["nh-102"]
    outside = NextdoorClient(**simulator_urls(NextdoorClient, url),
                             credentials=Credentials(access_token=token, extra={"neighborhood_ids": ["nh-999"]}))
    with pytest.raises(InvalidRequest):
        outside.publish("Not ours")


def test_agencies_read_nothing():
    client = NextdoorClient(credentials=Credentials(access_token="t"))
    assert client.endpoints == ()
    with pytest.raises(NotSupported, match="read residents"):
        client.fetch("feed", None)
    with pytest.raises(NotSupported):
        client.reply("1", "Thanks")
    assert client.parse({"id": "7000000001", "share_link": "https://nextdoor.com/p/abc"}) == []
    with pytest.raises(InvalidRequest):
        client.parse({"error": "invalid_token", "error_description": "The access token expired"})
