"""Publishing through the platform simulator: at most once per channel, retries, failures."""
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from accounts.models import Channel, ChannelConnection, Notification
from monitoring.clients import client_for
from platforms.base import RateLimited, TransientError
from platforms.simulator.server import run_in_thread
from publishing import publisher, tasks
from publishing.models import Post, PostTarget
from publishing.selectors import IN_FLIGHT

from .conftest import scheduled

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """The worker died (SIGKILL, out of memory) right after the platform accepted the post."""


class DiesAfterPublishing:
    def __init__(self, client):
        self.client = client
        self.platform = client.platform

    def publish(self, *args, **kwargs):
        self.client.publish(*args, **kwargs)
        raise WorkerKilled


@pytest.fixture(scope="module")
def simulator():
    server, url = run_in_thread(seed=1)
    yield server, url
    server.shutdown()


@pytest.fixture
def sim(simulator, settings):
    server, url = simulator
    server.reset(1)
    settings.SIMULATOR_URL = url
    settings.USE_SIMULATOR = True
    return url


def created(sim, platform):
    return [e for e in requests.get(f"{sim}/_sim/created", timeout=5).json()["created"] if e["platform"] == platform]


def fault(sim, **rule):
    requests.post(f"{sim}/_sim/faults", json=rule, timeout=5).raise_for_status()


@pytest.fixture
def x_channel(sim, services):
    channel = Channel.objects.create(platform="x", handle="@KingsmereBC", display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    accounts = requests.get(f"{sim}/_sim/accounts", timeout=5).json()
    ChannelConnection.objects.create(channel=channel, account_id=accounts["x"]["account_id"], access_token="demo-x")
    return channel


@pytest.fixture
def facebook_channel(sim, services):
    channel = Channel.objects.create(platform="facebook", handle="KingsmereBC", display_name="Kingsmere",
                                     service=services["communications"], kind="corporate")
    accounts = requests.get(f"{sim}/_sim/accounts", timeout=5).json()
    ChannelConnection.objects.create(channel=channel, account_id=accounts["facebook"]["account_id"],
                                     access_token="demo-facebook")
    return channel


def due_target(author, approver, channel, text="Bin collections are a day late after the bank holiday."):
    post = scheduled(author, approver, [channel], when=timezone.now() - timedelta(seconds=1), text=text)
    assert publisher.publish_sweep()["started"] == 1
    return post, post.targets.get()


def age_attempt(target):
    """Time passes: the attempt is older than any task could still be running."""
    PostTarget.objects.filter(pk=target.pk).update(attempt_started_at=timezone.now() - IN_FLIGHT - timedelta(1))


def test_the_sweeper_queues_one_task_per_channel_of_each_due_post(comms, web, channels, queued,
                                                                  django_capture_on_commit_callbacks):
    later = scheduled(comms, web, [channels["corporate"]], text="Later")
    due = scheduled(comms, web, [channels["corporate"], channels["libraries"]],
                    when=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert publisher.publish_sweep() == {"started": 1, "held": 0, "requeued": 0}
    due.refresh_from_db()
    assert due.state == Post.State.PUBLISHING
    assert sorted(queued) == sorted(due.targets.values_list("pk", flat=True))
    assert Post.objects.get(pk=later.pk).state == Post.State.SCHEDULED
    assert publisher.publish_sweep() == {"started": 0, "held": 0, "requeued": 0}  # started once only


def test_a_due_post_is_published_and_its_external_id_stored(comms, web, x_channel, sim):
    post, target = due_target(comms, web, x_channel)
    assert publisher.target_publish(target_id=target.pk) == "published"
    target.refresh_from_db()
    post.refresh_from_db()
    [entry] = created(sim, "x")
    assert entry["text"] == post.text and target.external_id == entry["id"]
    assert target.state == PostTarget.State.PUBLISHED and target.url.endswith(entry["id"])
    assert post.state == Post.State.PUBLISHED and post.published_at
    assert publisher.target_publish(target_id=target.pk) == "nothing to do"  # a repeated task
    assert len(created(sim, "x")) == 1


def test_a_task_killed_after_the_platform_accepted_the_post_does_not_post_twice(comms, web, x_channel, sim):
    post, target = due_target(comms, web, x_channel)
    with pytest.raises(WorkerKilled):
        publisher.target_publish(target_id=target.pk, client=DiesAfterPublishing(client_for(x_channel)))
    target.refresh_from_db()
    assert target.state == PostTarget.State.PUBLISHING and target.attempt_id  # the intent was recorded
    assert len(created(sim, "x")) == 1

    # Redelivered at once: the first attempt may still be running, so nothing happens.
    assert publisher.target_publish(target_id=target.pk) == "in flight"
    # Redelivered later: it finds the post on the channel instead of posting again.
    age_attempt(target)
    assert publisher.target_publish(target_id=target.pk) == "published"
    [entry] = created(sim, "x")
    target.refresh_from_db()
    assert target.external_id == entry["id"] and target.state == PostTarget.State.PUBLISHED
    assert Post.objects.get(pk=post.pk).state == Post.State.PUBLISHED


def test_the_sweeper_requeues_an_attempt_whose_worker_died(comms, web, x_channel, sim, queued,
                                                          django_capture_on_commit_callbacks):
    _, target = due_target(comms, web, x_channel)
    with pytest.raises(WorkerKilled):
        publisher.target_publish(target_id=target.pk, client=DiesAfterPublishing(client_for(x_channel)))
    queued.clear()
    age_attempt(target)
    PostTarget.objects.filter(pk=target.pk).update(queued_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert publisher.publish_sweep()["requeued"] == 1
    assert queued == [target.pk]
    assert publisher.target_publish(target_id=target.pk) == "published"
    assert len(created(sim, "x")) == 1


def test_where_the_platform_cannot_be_searched_a_person_checks_before_a_retry(comms, web, facebook_channel, sim):
    post, target = due_target(comms, web, facebook_channel)
    with pytest.raises(WorkerKilled):
        publisher.target_publish(target_id=target.pk, client=DiesAfterPublishing(client_for(facebook_channel)))
    age_attempt(target)
    assert publisher.target_publish(target_id=target.pk) == "unknown"
    assert len(created(sim, "facebook")) == 1
    target.refresh_from_db()
    post.refresh_from_db()
    assert target.state == PostTarget.State.UNKNOWN and "Check the channel" in target.last_error
    assert post.state == Post.State.FAILED
    told = Notification.objects.get(user=comms, subject__startswith="Your post did not go out")
    assert "KingsmereBC" in told.body and "Check the channel" in told.body

    publisher.target_mark_published(actor=comms, target=target, url="https://www.facebook.com/KingsmereBC/posts/1")
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED and len(created(sim, "facebook")) == 1


def test_a_transient_error_is_retried_by_the_task_with_backoff(comms, web, x_channel, sim):
    _, target = due_target(comms, web, x_channel)
    fault(sim, platform="x", endpoint="POST /2/tweets", kinds=["503"], count=1)
    with pytest.raises(TransientError):
        publisher.target_publish(target_id=target.pk)
    target.refresh_from_db()
    assert target.state == PostTarget.State.QUEUED and "temporary problem" in target.last_error
    assert created(sim, "x") == []
    assert tasks.target_publish.autoretry_for == (TransientError,) and tasks.target_publish.retry_backoff
    assert publisher.target_publish(target_id=target.pk) == "published"
    assert len(created(sim, "x")) == 1


def test_the_celery_task_retries_a_transient_error_itself(comms, web, x_channel, sim, settings):
    _, target = due_target(comms, web, x_channel)
    fault(sim, platform="x", endpoint="POST /2/tweets", kinds=["502"], count=1)
    tasks.target_publish.apply(args=[target.pk])  # runs here; its retry runs here too
    target.refresh_from_db()
    assert target.state == PostTarget.State.PUBLISHED and target.attempts == 2
    assert len(created(sim, "x")) == 1


def test_no_answer_means_look_first_then_publish_once(comms, web, x_channel, sim):
    _, target = due_target(comms, web, x_channel)
    fault(sim, platform="x", endpoint="POST /2/tweets", kinds=["drop"], count=1)
    with pytest.raises(TransientError):
        publisher.target_publish(target_id=target.pk)
    target.refresh_from_db()
    assert target.state == PostTarget.State.VERIFYING
    assert publisher.target_publish(target_id=target.pk) == "published"  # not found, so a new attempt
    assert len(created(sim, "x")) == 1


def test_rate_limited_waits_for_the_platforms_time(comms, web, x_channel, sim):
    _, target = due_target(comms, web, x_channel)
    fault(sim, platform="x", endpoint="POST /2/tweets", kinds=["429"], count=1, retry_after=60)
    with pytest.raises(RateLimited) as limited:
        publisher.target_publish(target_id=target.pk)
    assert limited.value.retry_at > timezone.now() + timedelta(seconds=30)
    target.refresh_from_db()
    assert target.state == PostTarget.State.QUEUED and "limiting requests" in target.last_error


def test_a_refused_connection_fails_and_tells_the_author_which_channel_and_why(comms, web, x_channel, sim):
    post, target = due_target(comms, web, x_channel)
    requests.post(f"{sim}/_sim/revoke", json={"platform": "x", "token": "demo-x"}, timeout=5)
    assert publisher.target_publish(target_id=target.pk) == "failed"
    post.refresh_from_db()
    target.refresh_from_db()
    assert post.state == Post.State.FAILED and target.state == PostTarget.State.FAILED
    assert ChannelConnection.objects.get(channel=x_channel).needs_reauth
    told = Notification.objects.get(user=comms, subject__startswith="Your post did not go out")
    assert "@KingsmereBC" in told.body and "connect the channel again" in told.body


def test_after_too_many_transient_errors_the_post_fails(comms, web, x_channel, sim):
    _, target = due_target(comms, web, x_channel)
    fault(sim, platform="x", endpoint="POST /2/tweets", kinds=["500"])
    for _ in range(publisher.MAX_ATTEMPTS - 1):
        with pytest.raises(TransientError):
            publisher.target_publish(target_id=target.pk)
    assert publisher.target_publish(target_id=target.pk) == "failed"
    target.refresh_from_db()
    assert target.state == PostTarget.State.FAILED and "after several attempts" in target.last_error

    requests.delete(f"{sim}/_sim/faults", timeout=5)
    publisher.target_retry(actor=comms, target=target)
    assert publisher.target_publish(target_id=target.pk) == "published"
    assert len(created(sim, "x")) == 1


def test_a_cancelled_post_is_not_published_by_a_late_task(comms, web, x_channel, sim):
    post, target = due_target(comms, web, x_channel)
    Post.objects.filter(pk=post.pk).update(state=Post.State.CANCELLED)
    assert publisher.target_publish(target_id=target.pk) == "post not publishing"
    assert created(sim, "x") == []
