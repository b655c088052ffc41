"""Listening beyond the social networks in a real browser: the web sources, the watch list and
what is rising, each page checked with axe-core (tests/browser/harness.py)."""
import pytest
from django.utils import timezone

from tests.browser.harness import fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_web_sources_watch_list_and_rising_pages(demo_mentions, signed_in):
    from monitoring.models import Mention, SpikeAlert, WatchedAccount, WebSource

    assert WebSource.objects.filter(channel__handle="kingsmere-blogs", mode="watched").exists()
    assert WebSource.objects.filter(mode="searched").exists()
    assert Mention.objects.filter(platform="web").exists()  # the demo blogs were read from the simulator

    web = signed_in("webteam")
    web.follow("Web sources", check="web sources")
    assert "kingsmere-blogs" in web.page.content() or "Kingsmere blogs" in web.page.content()
    web.follow("Add a web source", check="add a web source")
    fill(web.page, "Address of the feed or page", "http://10.0.0.8/feed")
    fill(web.page, "Short name", "inside")
    fill(web.page, "Name", "Inside")
    web.page.get_by_label("Service that owns it", exact=True).select_option(index=1)
    web.submit("Add the source", check=None)
    summary = web.error_summary()
    web.check("add a web source: a private address refused")
    assert "cannot be listened to" in summary

    web.goto("/watch-list/", check="watch list")
    web.follow("Add to the watch list", check="add to the watch list")
    web.page.get_by_label("Platform", exact=True).select_option("x")
    fill(web.page, "Handle or site", "@jo_gazette")
    fill(web.page, "Who this is", "Jo Reed, Kingsmere Gazette")
    web.page.get_by_label("Kind", exact=True).select_option("journalist")
    fill(web.page, "Why their mentions of the council matter", "Covers the council for the local paper")
    web.submit("Save", check="watch list: an entry added")
    assert WatchedAccount.objects.get().handle == "jo_gazette"
    assert "Jo Reed, Kingsmere Gazette" in web.page.locator("table").inner_text()

    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    alert = SpikeAlert.objects.create(kind="hashtag", topic="#kingsmerefloods", started_at=hour, last_rising_at=hour,
                                      count=10, peak=10, baseline_mean=1.0, baseline_sd=1.0, threshold=5,
                                      explanation="#kingsmerefloods was in 10 mentions this hour.")
    alert.mentions.set(Mention.objects.order_by("-pk")[:3])
    web.goto("/rising/", check="rising")
    assert "#kingsmerefloods" in web.page.locator("main").inner_text()
    web.goto("/dashboard/", check="dashboard with rising now")
    assert "#kingsmerefloods" in web.page.locator("#rising-now ~ ul").inner_text()
    web.goto("/mentions/", check="mentions with trending hashtags")
