"""People who matter: a watch-listed author's mild mention is looked at (never "no action"),
shows the watched tag with its reason, and every change to the list is audited and reviewed yearly."""
import html
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from accounts.roles import Role
from monitoring.models import WatchedAccount
from monitoring.watchlist import (
    watched_account_add,
    watched_account_remove,
    watched_account_review,
    watched_account_update,
    watchlist_reviews_flag,
)

pytestmark = pytest.mark.django_db
MILD = "Nice to see the library open late on Thursdays now."


@pytest.fixture
def journalist(staff):
    return watched_account_add(actor=staff[Role.WEB_TEAM], platform="x", handle="@jo_gazette",
                               name="Jo Reed, Kingsmere Gazette", kind=WatchedAccount.Kind.JOURNALIST,
                               reason="Covers the council for the local paper")


def test_a_watch_listed_journalists_mild_mention_is_routed_for_a_look(journalist, post, case_of, staff, client_for):
    other = case_of(post(MILD, author="someone_else", followers=90))
    assert other.route == "no_action"  # the same words from anyone else are only monitored
    mention = post(MILD, author="jo_gazette", followers=90)
    case = case_of(mention)
    assert case.route != "no_action" and case.state == "new"
    assert mention.routing.classification["influential"] is True
    assert mention.routing.classification["reasons"]["watched"] == \
        "Jo Reed, Kingsmere Gazette: Covers the council for the local paper"
    page = html.unescape(client_for(staff[Role.WEB_TEAM]).get(case.get_absolute_url()).content.decode())
    assert "Watched</strong> Jo Reed, Kingsmere Gazette: Covers the council for the local paper" in page
    mentions = html.unescape(client_for(staff[Role.WEB_TEAM]).get("/mentions/").content.decode())
    assert mentions.count("Watched</strong>") == 1 and "Covers the council for the local paper" in mentions


def test_a_watched_site_matches_its_mentions_by_host(staff, post, case_of, channels):
    from accounts.models import Channel

    blog = Channel.objects.create(platform="web", handle="kingsmere-blogs", display_name="Blogs",
                                  service=channels["corporate"].service, kind="corporate")
    entry = watched_account_add(actor=staff[Role.WEB_TEAM], platform="web", handle="https://www.kingsmere-eye.example/feed",
                                name="Kingsmere Eye", kind=WatchedAccount.Kind.INFLUENTIAL_SITE,
                                reason="The most read local blog")
    assert entry.handle == "www.kingsmere-eye.example"
    from django.db import transaction

    from monitoring.models import Mention
    from monitoring.services import ingest_items
    from platforms.base import Author, Item

    item = Item(platform="web", external_id="eye-1", kind="mention", text=MILD, posted_at=timezone.now(),
                author=Author(external_id="eye/Sam", handle="Sam", display_name="Sam"),
                url="https://www.kingsmere-eye.example/2025/12/library")
    with transaction.atomic():
        ingest_items(channel=blog, items=[item], raw=None)
    assert case_of(Mention.objects.get(external_id="eye-1")).route != "no_action"


def test_every_change_to_the_watch_list_is_audited(journalist, staff):
    web = staff[Role.WEB_TEAM]
    watched_account_update(actor=web, entry=journalist, reason="Now the Gazette's political editor")
    watched_account_review(actor=web, entry=journalist, keep=True)
    watched_account_remove(actor=web, entry=WatchedAccount.objects.get(pk=journalist.pk), note="Left the paper")
    events = list(AuditEvent.objects.filter(object_type="monitoring.watchedaccount").order_by("at", "id"))
    assert [e.action for e in events] == ["watchlist.add", "watchlist.update", "watchlist.review", "watchlist.remove"]
    assert all(e.actor == web for e in events)
    assert events[1].changes["reason"] == ["Covers the council for the local paper", "Now the Gazette's political editor"]
    assert events[3].note == "Left the paper"
    assert journalist.added_by == web


def test_a_reason_is_required_and_a_duplicate_refused(staff, journalist):
    with pytest.raises(ValueError, match="why"):
        watched_account_add(actor=staff[Role.WEB_TEAM], platform="x", handle="cllr_b", name="Cllr B", reason=" ")
    with pytest.raises(ValueError, match="already"):
        watched_account_add(actor=staff[Role.WEB_TEAM], platform="x", handle="JO_GAZETTE", name="Jo", reason="x")


def test_the_yearly_review_is_flagged_once_when_due(journalist, staff):
    assert watchlist_reviews_flag() == 0
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        assert watchlist_reviews_flag() == 1
        assert watchlist_reviews_flag() == 0
        note = Notification.objects.get(user=staff[Role.WEB_TEAM], subject__startswith="Watch list")
        assert "Jo Reed, Kingsmere Gazette" in note.body
        watched_account_review(actor=staff[Role.WEB_TEAM], entry=WatchedAccount.objects.get(pk=journalist.pk),
                               keep=True)
        entry = WatchedAccount.objects.get(pk=journalist.pk)
        assert entry.review_flagged_at is None and entry.review_due_on > timezone.localdate() + timedelta(days=360)
