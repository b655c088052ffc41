"""Beat keeps scheduling through a database outage (council_social.beat.DatabaseScheduler)."""
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django_celery_beat.models import PeriodicTask

from council_social.beat import DatabaseScheduler
from council_social.celery import app
from council_social.schedules import sync

pytestmark = pytest.mark.django_db(transaction=True)  # the scheduler commits and closes connections


@pytest.fixture
def scheduler():
    """A scheduler made by the test; its sync at interpreter exit (a finalizer) is cancelled,
    as the test database and the captured log stream are gone by then."""
    made = []

    def make(**kwargs):
        made.append(DatabaseScheduler(app=app, **kwargs))
        return made[-1]

    yield make
    for one in made:
        one._finalize.cancel()


def test_a_database_outage_during_a_full_reload_keeps_the_schedule(scheduler):
    sync()
    scheduler = scheduler()
    before = dict(scheduler.schedule)
    assert "Scheduler heartbeat" in before
    # Five minutes on, the scheduler reloads everything, just as the database goes away.
    scheduler._last_full_sync -= timedelta(minutes=6)
    down = OperationalError("connection failed: the database system is not yet accepting connections")
    with mock.patch.object(PeriodicTask.objects, "enabled", side_effect=down):
        assert scheduler.schedule.keys() == before.keys()
    # Back up: the next reload reads the database again.
    PeriodicTask.objects.filter(name="Scheduler heartbeat").update(enabled=False)
    scheduler._last_full_sync -= timedelta(minutes=6)
    assert "Scheduler heartbeat" not in scheduler.schedule


def test_without_a_schedule_to_keep_the_first_read_still_fails(scheduler):
    scheduler = scheduler(lazy=True)
    with mock.patch.object(PeriodicTask.objects, "enabled", side_effect=OperationalError("down")):
        with pytest.raises(OperationalError):
            scheduler.all_as_schedule()
