"""Instagram hashtag search: the watch terms as hashtags, and the 30-hashtags-a-week limit kept and shown."""
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import responses

from platforms.base import AppConfig, Credentials
from platforms.instagram import HASHTAG_LIMIT, HASHTAG_WEEK, InstagramClient, hashtags_of

BASE = "https://graph.facebook.com/v21.0"
IG = "178400"
NOW = 1_764_979_200.0
RECORDED = Path(__file__).resolve().parents[3] / "shared" / "platform-payloads" / "instagram"


def recorded_media() -> dict:
    path = RECORDED / "hashtag_recent_media_p1__python-facebook.json"
    if path.exists():
        return json.loads(path.read_text())
    return {"data": [{"id": "18088158883149835", "media_type": "IMAGE", "comments_count": 8, "like_count": 804}]}


def client(now=NOW) -> InstagramClient:
    ig = InstagramClient(credentials=Credentials(access_token="t", account_id=IG, handle="thecouncil"),
                         app=AppConfig(client_id="a", client_secret="s"))
    ig._now = lambda: now
    return ig


def test_watch_terms_become_hashtags():
    assert hashtags_of(["#Kingsmere", "kingsmere", "bin day", "Elm_Road", "", "#"]) == ["kingsmere", "elm_road"]


@responses.activate
def test_hashtags_are_looked_up_once_and_their_recent_media_read():
    media = recorded_media()
    responses.get(f"{BASE}/ig_hashtag_search", json={"data": [{"id": "17843826142012701"}]})
    responses.get(f"{BASE}/17843826142012701/recent_media", json=media)
    page = client().fetch("hashtags", None, watch_terms=["#Kingsmere"])
    assert [i.external_id for i in page.items] == [m["id"] for m in media["data"]]
    assert {i.kind for i in page.items} == {"search_hit"}
    search = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert search["q"] == ["kingsmere"] and search["user_id"] == [IG]
    assert page.rate_limit.limit == HASHTAG_LIMIT and page.rate_limit.remaining == HASHTAG_LIMIT - 1
    # the next poll reuses the hashtag's id: no second search
    again = client().fetch("hashtags", page.next_cursor, watch_terms=["#Kingsmere"])
    assert len([c for c in responses.calls if "ig_hashtag_search" in c.request.url]) == 1
    assert again.rate_limit.remaining == HASHTAG_LIMIT - 1


@responses.activate
def test_no_more_than_thirty_hashtags_a_week():
    responses.get(f"{BASE}/ig_hashtag_search", json={"data": [{"id": "1"}]})
    responses.get(f"{BASE}/1/recent_media", json={"data": []})
    terms = [f"tag{n}" for n in range(35)]
    page = client().fetch("hashtags", None, watch_terms=terms)
    state = json.loads(page.next_cursor)
    assert len(state["used"]) == 30 and state["skipped"] == [f"tag{n}" for n in range(30, 35)]
    assert page.rate_limit.remaining == 0
    searched = [parse_qs(urlsplit(c.request.url).query)["q"][0] for c in responses.calls
                if "ig_hashtag_search" in c.request.url]
    assert searched == terms[:30]
    assert client().hashtag_allowance(page.next_cursor)["used"] == 30
    # a week later the oldest have lapsed and the others may be searched
    later = client(now=NOW + HASHTAG_WEEK + 1).fetch("hashtags", page.next_cursor, watch_terms=terms[30:])
    assert "skipped" not in json.loads(later.next_cursor) and later.rate_limit.remaining == 25


def test_hashtag_search_against_the_simulator():
    from platforms.base import simulator_urls
    from platforms.simulator.server import run_in_thread

    server, url = run_in_thread(port=0, seed=5)
    try:
        account = server.sim.platforms["instagram"].default_account["id"]
        token = requests_json(url, "accounts")["instagram"]["demo_token"]
        server.sim.generate("instagram", None, 20, start=server.sim.state.now() - 3600, end=server.sim.state.now(),
                            kinds=("mention",))
        ig = InstagramClient(**simulator_urls(InstagramClient, url),
                             credentials=Credentials(access_token=token, account_id=account))
        page = ig.fetch("hashtags", None, watch_terms=["#Kingsmere", "kingsmere bins"])
        assert len(page.items) >= 1 and {i.kind for i in page.items} == {"search_hit"}
        assert page.rate_limit.remaining == HASHTAG_LIMIT - 1
    finally:
        server.shutdown()


def requests_json(url, path):
    import requests

    return requests.get(f"{url}/_sim/{path}", timeout=10).json()
