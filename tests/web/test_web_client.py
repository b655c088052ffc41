"""The web client over HTTP (mocked with `responses`): robots.txt, the User-Agent, conditional GET,
edits, searched sources and refused addresses."""
import json

import pytest
import responses

from platforms.base import InvalidRequest, RateLimited
from platforms.web import PAGE, SEARCHED, WebClient

FEED = "https://blog.kingsmere.example/feed"
ROBOTS = "https://blog.kingsmere.example/robots.txt"


def rss(*entries):
    items = "".join(f"<item><title>{t}</title><link>https://blog.kingsmere.example/{i}</link><guid>{i}</guid>"
                    f"<description>{d}</description><pubDate>Mon, 01 Dec 2025 09:00:00 +0000</pubDate></item>"
                    for i, t, d in entries)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>{items}</channel></rss>'


def client(**kw):
    return WebClient(source_url=FEED, user_agent="CouncilSocial/1.0 (+https://social.kingsmere.example)", **kw)


@responses.activate
def test_user_agent_robots_and_conditional_get():
    responses.get(ROBOTS, body="User-agent: *\nDisallow: /private\n")
    responses.get(FEED, body=rss(("a", "Bins", "Missed again")), headers={"ETag": '"v1"'})
    web = client()
    page = web.fetch("source", None)
    assert [i.external_id for i in page.items] == ["a"]
    assert responses.calls[1].request.headers["User-Agent"].startswith("CouncilSocial/1.0")
    responses.replace(responses.GET, FEED, status=304)
    again = web.fetch("source", page.next_cursor)
    assert again.items == [] and web.parsed == 1  # the 304 was not parsed
    assert responses.calls[-1].request.headers["If-None-Match"] == '"v1"'
    assert len([c for c in responses.calls if c.request.url == ROBOTS]) == 1  # robots.txt read once a day


@responses.activate
def test_robots_txt_that_disallows_the_source_is_obeyed():
    responses.get(ROBOTS, body="User-agent: *\nDisallow: /feed\n")
    with pytest.raises(InvalidRequest, match="robots.txt"):
        client().fetch("source", None)
    assert [c.request.url for c in responses.calls] == [ROBOTS]


@responses.activate
def test_a_feed_fetched_again_returns_nothing_and_an_edit_returns_once_marked_edited():
    responses.get(ROBOTS, status=404)
    responses.get(FEED, body=rss(("a", "Bins", "Missed again"), ("b", "Parks", "Lovely")))
    web = client()
    first = web.fetch("source", None)
    assert len(first.items) == 2
    second = web.fetch("source", first.next_cursor)
    assert second.items == []
    responses.replace(responses.GET, FEED, body=rss(("a", "Bins", "Missed again, third week"), ("b", "Parks", "Lovely")))
    third = web.fetch("source", second.next_cursor)
    assert [(i.external_id, i.edited) for i in third.items] == [("a", True)]
    assert "third week" in third.items[0].text


@responses.activate
def test_a_searched_source_keeps_only_entries_matching_the_watch_terms():
    responses.get(ROBOTS, status=404)
    responses.get(FEED, body=rss(("a", "Kingsmere council tax", "up again"), ("b", "Cats", "nothing local"),
                                 ("c", "News", "the #KingsmereBins saga")))
    page = client(mode=SEARCHED).fetch("source", None, watch_terms=["Kingsmere Council", "#KingsmereBins"])
    assert sorted(i.external_id for i in page.items) == ["a", "c"]
    assert all(i.kind == "search_hit" for i in page.items)


@responses.activate
def test_the_host_gate_is_asked_once_per_poll_and_can_refuse():
    asked = []
    from datetime import UTC, datetime

    web = client(host_gate=lambda host: asked.append(host) or datetime(2030, 1, 1, tzinfo=UTC))
    with pytest.raises(RateLimited):
        web.fetch("source", None)
    assert asked == ["blog.kingsmere.example"] and not responses.calls


@pytest.mark.parametrize("address", ["http://127.0.0.1:9/feed", "http://10.1.2.3/feed", "http://[::1]/feed",
                                     "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/"])
def test_private_loopback_and_odd_addresses_are_refused_before_any_request(address):
    with pytest.raises(InvalidRequest, match="refused|only http"):
        WebClient(source_url=address).fetch("source", None)


@responses.activate
def test_a_watched_page_is_stored_whole_then_each_changed_paragraph_once():
    url = "https://forum.kingsmere.example/thread/1"
    responses.get("https://forum.kingsmere.example/robots.txt", status=404)

    def page(*paragraphs):
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        return f"<html><head><title>Thread</title></head><body><nav>Menu</nav><article>{body}</article></body></html>"

    first_paras = ["The bins on Elm Road were not collected this week at all.",
                   "Same on Oak Lane, nobody from the council has said anything yet."]
    responses.get(url, body=page(*first_paras))
    web = WebClient(source_url=url, source_kind=PAGE)
    first = web.fetch("source", None)
    assert len(first.items) == 1 and all(p in first.items[0].text for p in first_paras)
    responses.replace(responses.GET, url, body=page(first_paras[0], "Same on Oak Lane, and now the council says Friday."))
    second = web.fetch("source", first.next_cursor)
    assert [i.text for i in second.items] == ["Same on Oak Lane, and now the council says Friday."]
    assert second.items[0].url == url
    third = web.fetch("source", second.next_cursor)
    assert third.items == []
    assert json.loads(third.next_cursor)["seen"]


@responses.activate
def test_a_robots_txt_that_is_refused_disallows_nothing():
    responses.get(ROBOTS, status=403)
    responses.get(FEED, body=rss(("a", "Bins", "Missed again")))
    assert len(client().fetch("source", None).items) == 1
