"""Emergency mode: every scheduled post stops, on every channel; resuming holds the missed ones."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Channel, Notification
from accounts.roles import Role
from platforms.base import Published
from publishing import publisher
from publishing import services as publishing
from publishing.models import EmergencyPause, Post, PostTarget

from .conftest import scheduled

pytestmark = pytest.mark.django_db


class RecordingClient:
    platform = "x"

    def __init__(self):
        self.posts = []

    def publish(self, text, *, link="", images=()):
        self.posts.append(text)
        return Published(external_id=str(len(self.posts)), url=f"https://x.com/council/status/{len(self.posts)}")


@pytest.fixture
def every_channel(services, channels):
    extra = Channel.objects.create(platform="mastodon", handle="@leisure@social.example", display_name="Leisure",
                                   service=services["leisure"], kind="service")
    return [*channels.values(), extra]


def test_emergency_mode_stops_every_due_post_on_every_channel(comms, web, every_channel, queued):
    past = timezone.now() - timedelta(minutes=1)
    # One post already going out: its channel is queued but not yet attempted.
    going = scheduled(comms, web, [every_channel[0]], when=past, text="Already queued")
    publisher.publish_sweep()
    going.refresh_from_db()
    assert going.state == Post.State.PUBLISHING
    due = [scheduled(comms, web, [channel], when=past, text=f"Post {n}") for n, channel in enumerate(every_channel)]

    pause = publishing.emergency_start(actor=comms, reason="Major incident in the town centre")
    assert pause.paused_posts == len(due) + 1
    assert set(Post.objects.filter(is_emergency=False).values_list("state", flat=True)) == {Post.State.PAUSED}

    client = RecordingClient()
    assert publisher.publish_sweep()["started"] == 0
    for target in PostTarget.objects.all():
        assert publisher.target_publish(target_id=target.pk, client=client) != "published"
    assert client.posts == []
    assert set(PostTarget.objects.values_list("state", flat=True)) == {PostTarget.State.PENDING}


def test_a_task_queued_before_the_pause_but_run_after_it_publishes_nothing(comms, web, channels):
    post = scheduled(comms, web, [channels["corporate"]], when=timezone.now() - timedelta(minutes=1))
    publisher.publish_sweep()
    target = post.targets.get()
    EmergencyPause.objects.create(reason="Retried state", started_by=comms)  # as if the pause came in between
    client = RecordingClient()
    assert publisher.target_publish(target_id=target.pk, client=client) == "paused"
    post.refresh_from_db()
    assert client.posts == [] and post.state == Post.State.PAUSED


def test_resuming_restores_the_schedule_and_holds_the_missed_posts_for_review(comms, web, channels):
    missed = scheduled(comms, web, [channels["corporate"]], text="Missed")
    future = scheduled(comms, web, [channels["libraries"]], text="Future")
    publishing.emergency_start(actor=web, reason="National mourning")
    Post.objects.filter(pk=missed.pk).update(scheduled_at=timezone.now() - timedelta(hours=1))
    Post.objects.filter(pk=future.pk).update(scheduled_at=timezone.now() + timedelta(days=3))

    pause = publishing.emergency_end(actor=comms)
    missed.refresh_from_db()
    future.refresh_from_db()
    assert missed.state == Post.State.HELD and future.state == Post.State.SCHEDULED
    assert pause.held_posts == 1 and not pause.active and pause.ended_by == comms
    assert Notification.objects.filter(user=comms, subject__startswith="Your post is held for review").exists()

    assert publisher.publish_sweep()["started"] == 0  # the held post is not fired
    publishing.post_schedule(actor=comms, post=missed)  # a person reviews it and schedules it again
    assert publisher.publish_sweep()["started"] == 1


def test_the_emergency_message_goes_out_at_once_to_the_chosen_channels(comms, web, channels, queued,
                                                                      django_capture_on_commit_callbacks):
    waiting = scheduled(comms, web, [channels["corporate"]], when=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        pause = publishing.emergency_start(actor=comms, reason="Flooding", channels=[channels["corporate"]],
                                           message="Flood warning: avoid the riverside. Updates to follow.")
    message = pause.message_post
    assert message.is_emergency and message.state == Post.State.PUBLISHING
    assert queued == [message.targets.get().pk]
    client = RecordingClient()
    assert publisher.target_publish(target_id=queued[0], client=client) == "published"
    assert client.posts == ["Flood warning: avoid the riverside. Updates to follow."]
    waiting.refresh_from_db()
    assert waiting.state == Post.State.PAUSED


def test_only_communications_officers_and_the_web_team_use_emergency_mode(staff):
    for role in (Role.SERVICE_EDITOR, Role.HEAD_OF_SERVICE, Role.ADMINISTRATOR):
        with pytest.raises(publishing.PostRefused, match="Only communications officers and the web team"):
            publishing.emergency_start(actor=staff[role], reason="Because")
    assert not EmergencyPause.objects.exists()


def test_bad_emergency_input_changes_nothing(comms, web, channels):
    post = scheduled(comms, web, [channels["corporate"]])
    with pytest.raises(publishing.PostRefused, match="Give the reason"):
        publishing.emergency_start(actor=comms, reason=" ")
    with pytest.raises(publishing.PostRefused, match="Choose the channels"):
        publishing.emergency_start(actor=comms, reason="Storm", message="Stay indoors")
    with pytest.raises(publishing.PostRefused, match="email address that is not the council"):
        publishing.emergency_start(actor=comms, reason="Storm", channels=[channels["corporate"]],
                                   message="Stay indoors. Email jane.doe@gmail.com for sandbags.")
    post.refresh_from_db()
    assert post.state == Post.State.SCHEDULED and not EmergencyPause.objects.exists()
    publishing.emergency_start(actor=comms, reason="Storm")
    with pytest.raises(publishing.PostRefused, match="already on"):
        publishing.emergency_start(actor=web, reason="Storm again")


def test_emergency_mode_is_logged_and_every_member_of_staff_sees_the_banner(comms, staff, client_for):
    publishing.emergency_start(actor=comms, reason="Major incident: gas leak on the High Street")
    assert AuditEvent.objects.filter(action="emergency.start", note__contains="gas leak").exists()
    for role in (Role.SERVICE_EDITOR, Role.CUSTOMER_SERVICES, Role.MONITORING_OFFICER):
        page = client_for(staff[role]).get("/")
        assert b"Emergency mode" in page.content and b"gas leak on the High Street" in page.content
    publishing.emergency_end(actor=comms)
    assert AuditEvent.objects.filter(action="emergency.end").exists()
    assert b"Emergency mode" not in client_for(staff[Role.SERVICE_EDITOR]).get("/").content


def test_a_post_scheduled_during_the_pause_waits_for_it_to_end(comms, web, channels):
    publishing.emergency_start(actor=comms, reason="Incident")
    post = scheduled(comms, web, [channels["corporate"]])
    assert post.state == Post.State.PAUSED


def test_the_emergency_pages(comms, staff, channels, client_for):
    browser = client_for(comms)
    page = browser.get("/emergency/")
    assert page.status_code == 200 and b"Pause every scheduled post" in page.content
    invalid = browser.post("/emergency/", {"reason": ""})
    assert b"<title>Error:" in invalid.content and b"Give the reason for the pause." in invalid.content
    browser.post("/emergency/", {"reason": "Storm Ciara"})
    assert EmergencyPause.objects.get().active
    browser.post("/emergency/end/")
    assert not EmergencyPause.objects.get().active
    assert client_for(staff[Role.SERVICE_EDITOR]).get("/emergency/").status_code == 403
