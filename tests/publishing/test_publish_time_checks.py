"""Checks again at the moment of publishing: a post that now fails is held, not published,
its author and approvers are told why, and the calendar shows it held."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEvent, Channel, Notification
from policy.models import PolicyDocument
from policy.services import policy_version_publish
from publishing import publisher
from publishing import services as publishing
from publishing.models import BlockedWord, ElectionPeriod, Post

from .conftest import scheduled

pytestmark = pytest.mark.django_db


def test_a_post_scheduled_before_a_pre_election_period_is_held_when_its_time_comes(
        editor, head, channels, client_for, queued):
    start = timezone.localdate() + timedelta(days=3)
    ElectionPeriod.objects.create(name="Borough elections", start=start, end=start + timedelta(days=20),
                                  councillors="Jane Smith")
    post = scheduled(editor, head, [channels["libraries"]], text="Councillor Jane Smith opens the new library.")
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() + timedelta(days=4))
    with time_machine.travel(timezone.now() + timedelta(days=4, minutes=1), tick=False):
        assert publisher.publish_sweep()["held"] == 1
    post.refresh_from_db()
    assert post.state == Post.State.HELD and not queued
    assert "pre-election" in post.held_reason.lower()
    assert AuditEvent.objects.filter(action="post.hold", object_id=str(post.pk)).exists()
    told = set(Notification.objects.filter(subject__startswith="A post was held").values_list("user__username",
                                                                                             flat=True))
    assert told == {"editor", "head"}
    page = client_for(editor).get(f"/posts/{post.pk}/").content.decode()
    assert "Held at publishing:" in page and "pre-election" in page.lower()
    day = post.scheduled_at
    calendar = client_for(editor).get(f"/calendar/?year={day.year}&month={day.month}").content.decode()
    assert "Held for review" in calendar


def test_a_post_before_the_period_still_goes_out(editor, head, channels, queued):
    start = timezone.localdate() + timedelta(days=3)
    ElectionPeriod.objects.create(name="Borough elections", start=start, end=start + timedelta(days=20),
                                  councillors="Jane Smith")
    scheduled(editor, head, [channels["libraries"]], when=timezone.now() - timedelta(minutes=1),
              text="Councillor Jane Smith opens the new library.")
    assert publisher.publish_sweep()["started"] == 1


def test_a_word_blocked_after_approval_holds_the_post(editor, head, web, channels, queued):
    post = scheduled(editor, head, [channels["libraries"]], when=timezone.now() - timedelta(minutes=1),
                     text="Big news about the Foobar scheme.")
    BlockedWord.objects.create(word="foobar", added_by=web)
    assert publisher.publish_sweep() == {"started": 0, "held": 1, "requeued": 0}
    post.refresh_from_db()
    assert post.state == Post.State.HELD and "'foobar'" in post.held_reason and not queued


def test_a_closed_channel_holds_the_post(editor, head, channels, queued):
    post = scheduled(editor, head, [channels["libraries"]], when=timezone.now() - timedelta(minutes=1))
    Channel.objects.filter(pk=channels["libraries"].pk).update(status=Channel.Status.CLOSED)
    publisher.publish_sweep()
    post.refresh_from_db()
    assert post.state == Post.State.HELD and "@Libs is closed" in post.held_reason


def test_an_author_who_has_not_acknowledged_a_new_policy_version_is_held(editor, head, web, channels, queued):
    post = scheduled(editor, head, [channels["libraries"]], when=timezone.now() - timedelta(minutes=1))
    document = PolicyDocument.objects.create(slug="social-media-policy", title="Social media policy",
                                             audience="staff", kind="social_media_policy", owner=web)
    policy_version_publish(actor=web, document=document, body="Be kind.", change_type="committee",
                           approved_by="Policy Committee", committee_reference="Minute 8",
                           effective_from=timezone.localdate() - timedelta(days=1))
    publisher.publish_sweep()
    post.refresh_from_db()
    assert post.state == Post.State.HELD and "acknowledged the current policy" in post.held_reason


def test_a_held_post_cannot_be_rescheduled_while_the_check_still_blocks(editor, head, channels, queued):
    today = timezone.localdate()
    post = scheduled(editor, head, [channels["libraries"]], when=timezone.now() - timedelta(minutes=1),
                     text="Councillor Jane Smith opens the new library.")
    ElectionPeriod.objects.create(name="Borough elections", start=today, end=today + timedelta(days=20),
                                  councillors="Jane Smith")
    publisher.publish_sweep()
    post.refresh_from_db()
    assert post.state == Post.State.HELD
    with pytest.raises(publishing.PostRefused):
        publishing.post_schedule(actor=editor, post=post)
