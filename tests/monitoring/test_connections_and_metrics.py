from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import ChannelConnection, Notification
from accounts.roles import Role
from accounts.services import channel_connection_store
from monitoring import services
from monitoring.models import ChannelMetricSnapshot, PollState
from platforms.base import AuthError, Credentials
from tests.monitoring.scripted import ScriptedClient

pytestmark = pytest.mark.django_db


class RefreshingClient(ScriptedClient):
    def __init__(self, result):
        super().__init__([])
        self.result = result

    def refresh(self):
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def connect(channel, **kw):
    defaults = {"account_id": "42", "access_token": "old"}
    channel_connection_store(actor=None, channel=channel, **{**defaults, **kw})
    return ChannelConnection.objects.get(channel=channel)


def test_refresh_stores_new_tokens_encrypted(channels):
    connection = connect(channels["libraries"], refresh_token="r1",
                         expires_at=timezone.now() + timedelta(minutes=5))
    new = Credentials(access_token="new", refresh_token="r2", expires_at=timezone.now() + timedelta(hours=2))
    assert services.refresh_connection(connection=connection, client=RefreshingClient(new))
    connection = ChannelConnection.objects.get(pk=connection.pk)
    assert (connection.access_token, connection.refresh_token) == ("new", "r2")


def test_tokens_that_cannot_refresh_warn_the_web_team_once_a_day(channels, staff, monkeypatch):
    connect(channels["libraries"], expires_at=timezone.now() + timedelta(days=3))
    now = timezone.now()
    result = services.connections_maintain(now=now, refresh_within=timedelta(minutes=30),
                                           warn_within=timedelta(days=7))
    assert result == {"refreshed": 0, "warned": 1}
    assert Notification.objects.filter(user=staff[Role.WEB_TEAM], subject__contains="reconnected").count() == 1
    services.connections_maintain(now=now + timedelta(hours=1), refresh_within=timedelta(minutes=30),
                                  warn_within=timedelta(days=7))
    assert Notification.objects.filter(user=staff[Role.WEB_TEAM], subject__contains="reconnected").count() == 1


def test_a_refused_refresh_warns_instead(channels, staff, monkeypatch):
    connect(channels["libraries"], refresh_token="r1", expires_at=timezone.now() + timedelta(minutes=10))
    monkeypatch.setattr("monitoring.clients.client_for",
                        lambda channel, **kw: RefreshingClient(AuthError("refresh refused")))
    result = services.connections_maintain(now=timezone.now(), refresh_within=timedelta(minutes=30),
                                           warn_within=timedelta(days=7))
    assert result == {"refreshed": 0, "warned": 1}


def test_metrics_snapshot_records_today_once(channels):
    channel = channels["libraries"]
    connect(channel)
    services.metrics_snapshot(channel=channel, client=ScriptedClient([]))
    services.metrics_snapshot(channel=channel, client=ScriptedClient([]))
    snapshot = ChannelMetricSnapshot.objects.get()
    assert snapshot.followers == 1234 and snapshot.date == timezone.localdate()
    channel.refresh_from_db()
    assert channel.followers == 1234


def test_poll_schedules_are_stored_per_channel_and_endpoint(channels, staff):
    channel = channels["libraries"]
    assert services.poll_states_sync(channel=channel)  # not connected: schedules exist but are off
    task = PeriodicTask.objects.get(name__startswith=f"Poll x:{channel.pk}:mentions")
    assert not task.enabled
    connect(channel)
    channel.refresh_from_db()
    states = services.poll_states_sync(channel=channel)
    assert {s.endpoint for s in states} == {"mentions", "search"}
    task.refresh_from_db()
    assert task.enabled and task.task == "monitoring.poll" and task.interval.every == 60
    assert task.expire_seconds == 60  # a poll not started before the next is due is dropped
    state = PollState.objects.get(channel=channel, endpoint="mentions")
    services.poll_interval_set(actor=staff[Role.WEB_TEAM], state=state, seconds=5)
    task.refresh_from_db()
    assert task.interval.every == 5 and task.expire_seconds == 5
    with pytest.raises(ValueError, match="between 5 seconds"):
        services.poll_interval_set(actor=staff[Role.WEB_TEAM], state=state, seconds=2)
