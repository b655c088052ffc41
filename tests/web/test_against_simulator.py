"""Web sources polled from the platform simulator's Kingsmere sites, through the real client,
the guarded fetcher, the polling service, storage and routing."""
from urllib.parse import urlsplit

import pytest
import requests

from accounts.models import Channel
from monitoring.models import Mention, PollState, Quarantine, WatchTerm, WebSource
from monitoring.services import poll_run
from monitoring.web import SourceRefused, web_source_create
from platforms import web as web_platform
from platforms.simulator.server import run_in_thread
from triage.models import Case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def sim():
    server, url = run_in_thread(port=0, seed=11)
    yield server, url
    server.shutdown()


@pytest.fixture
def site(sim, settings, services):
    server, url = sim
    server.reset()
    settings.USE_SIMULATOR = True
    settings.SIMULATOR_URL = url
    parts = urlsplit(url)
    settings.FETCH_ALLOWED_HOSTS = frozenset({f"{parts.hostname}:{parts.port}"})
    settings.WEB_HOST_MIN_INTERVAL_SECONDS = 0

    def add(handle, site_name, *, kind=WebSource.Kind.FEED, mode=WebSource.Mode.WATCHED, path="feed"):
        source = web_source_create(actor=None, handle=handle, display_name=handle, service=services["communications"],
                                   url=f"{url}/web/sites/{site_name}/{path}", kind=kind, mode=mode)
        return PollState.objects.get(channel=source.channel)

    add.url = url
    return add


def ctl(url, method, path, body=None):
    response = requests.request(method, f"{url}/{path}", json=body, timeout=30)
    assert response.status_code < 300, response.text
    return response.json()


def inject(url, site, text, author="Jo Resident"):
    return ctl(url, "POST", "_sim/inject", {"platform": "web", "account": site, "text": text,
                                           "author": {"handle": author.lower().replace(" ", ""), "name": author}})


def poll(state):
    PollState.objects.filter(pk=state.pk).update(not_before=None)
    return poll_run(state_id=state.pk)


def test_a_watched_blogs_new_post_becomes_a_case_within_one_poll(site):
    state = site("kingsmere-blogs", "kingsmere-blogs")
    assert poll(state)["created"] == 0
    post = inject(site.url, "kingsmere-blogs", "Walked past the new Kingsmere library today. The garden is lovely.")
    result = poll(state)
    assert result["created"] == 1, result
    mention = Mention.objects.get(platform="web", external_id=post["id"])
    assert mention.text.startswith(post["title"]) and "garden is lovely" in mention.text
    assert mention.author.display_name == "Jo Resident"
    assert mention.url.endswith(f"/web/sites/kingsmere-blogs/posts/{post['id']}")
    assert Case.objects.filter(mention=mention).exists()
    assert poll(state)["created"] == 0


def test_a_searched_feed_keeps_only_entries_that_match_the_watch_terms(site):
    WatchTerm.objects.create(term="Kingsmere Borough Council")
    WatchTerm.objects.create(term="#KingsmereBins")
    state = site("kingsmere-news-alerts", "kingsmere-news", mode=WebSource.Mode.SEARCHED)
    wanted = [inject(site.url, "kingsmere-news", "Kingsmere Borough Council approves its budget."),
              inject(site.url, "kingsmere-news", "Third missed collection this month #KingsmereBins")]
    inject(site.url, "kingsmere-news", "A bake sale in another town entirely.")
    assert poll(state)["created"] == 2
    stored = Mention.objects.filter(platform="web")
    assert {m.external_id for m in stored} == {w["id"] for w in wanted}
    assert {m.kind for m in stored} == {"search_hit"}


def test_a_304_costs_no_parsing(site, monkeypatch):
    calls = []
    real = web_platform.parse_feed
    monkeypatch.setattr(web_platform, "parse_feed", lambda *a, **k: calls.append(1) or real(*a, **k))
    state = site("kingsmere-blogs", "kingsmere-blogs")
    inject(site.url, "kingsmere-blogs", "Kingsmere's new cycle lane is open.")
    assert poll(state)["created"] == 1 and len(calls) == 1
    again = poll(state)
    assert "error" not in again and again["created"] == 0
    assert len(calls) == 1  # the second answer was a 304: nothing parsed
    stats = ctl(site.url, "GET", "_sim/stats")
    assert stats["statuses"]["web"]["304"] == 1


def test_an_edited_entry_updates_its_mention(site):
    state = site("kingsmere-forum", "kingsmere-forum")
    post = inject(site.url, "kingsmere-forum", "Anyone know when the Elm Road bins are due?")
    poll(state)
    ctl(site.url, "PATCH", f"web/sites/kingsmere-forum/posts/{post['id']}",
        {"text": "Anyone know when the Elm Road bins are due? Edit: they came on Friday."})
    assert poll(state)["created"] == 0
    mention = Mention.objects.get(external_id__endswith=post["id"])
    assert mention.text.endswith("Edit: they came on Friday.")
    assert Mention.objects.filter(platform="web").count() == 1


def test_a_watched_pages_changed_paragraph_is_stored_once(site):
    state = site("kingsmere-forum-page", "kingsmere-forum", kind=WebSource.Kind.PAGE, path="page")
    first = inject(site.url, "kingsmere-forum", "The consultation on the Elm Road car park closes on Friday.")
    inject(site.url, "kingsmere-forum", "Residents may reply by email or at the library on Tuesday.")
    assert poll(state)["created"] == 1  # the page as it is first found
    page = Mention.objects.get(platform="web")
    assert "Elm Road car park" in page.text and "library on Tuesday" in page.text
    assert page.url == f"{site.url}/web/sites/kingsmere-forum/page"
    ctl(site.url, "PATCH", f"web/sites/kingsmere-forum/posts/{first['id']}",
        {"text": "The consultation on the Elm Road car park is extended to the end of the month."})
    assert poll(state)["created"] == 1
    changed = Mention.objects.exclude(pk=page.pk).get()
    assert changed.text == "The consultation on the Elm Road car park is extended to the end of the month."
    assert changed.url == page.url
    assert poll(state)["created"] == 0
    assert Mention.objects.filter(platform="web").count() == 2


def test_a_source_at_a_private_address_is_refused(site, services):
    for address in ("http://10.0.0.7/feed", "http://127.0.0.1:8/feed", "http://[::1]/feed", "ftp://example.org/f"):
        with pytest.raises(SourceRefused):
            web_source_create(actor=None, handle=f"bad-{len(address)}", display_name="Bad", url=address,
                              service=services["communications"])
    assert not Channel.objects.filter(platform="web").exists()
    # One saved before the check (or whose name now points inside) is refused at every poll.
    state = site("inside", "kingsmere-blogs")
    Channel.objects.filter(pk=state.channel_id).update(url="http://127.0.0.1:9/web/sites/kingsmere-blogs/feed")
    result = poll(state)
    assert result["error"] == "InvalidRequest"
    assert "loopback" in PollState.objects.get(pk=state.pk).last_error


def test_a_broken_feed_is_quarantined_and_a_slow_host_times_out(site, monkeypatch):
    broken = site("broken", "broken-feed")
    inject(site.url, "broken-feed", "An entry nobody will read whole.")
    inject(site.url, "broken-feed", "Another entry nobody will read whole.")
    assert poll(broken)["error"] == "malformed"
    assert Quarantine.objects.get(platform="web").error.startswith("web: not a feed that can be read")

    from monitoring import clients

    original = clients.client_for
    monkeypatch.setattr(clients, "client_for", lambda channel, **kw: original(channel, **{"timeout": 1, **kw}))
    slow = site("slow", "slow-parish")
    assert poll(slow)["error"] == "TransientError"
    assert "timed out" in PollState.objects.get(pk=slow.pk).last_error


def test_sources_on_one_host_keep_the_minimum_interval(site, settings):
    first = site("kingsmere-blogs", "kingsmere-blogs")
    second = site("kingsmere-forum", "kingsmere-forum")
    settings.WEB_HOST_MIN_INTERVAL_SECONDS = 60
    assert "error" not in poll(first)
    refused = poll(second)
    assert refused["error"] == "rate_limited"
    assert PollState.objects.get(pk=second.pk).not_before is not None
