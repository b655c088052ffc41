"""Celery beat's scheduler: django-celery-beat's DatabaseScheduler, standing up to a database outage."""
import logging

from django.db import DatabaseError, InterfaceError, close_old_connections
from django_celery_beat.schedulers import DatabaseScheduler as _DatabaseScheduler

log = logging.getLogger(__name__)


class DatabaseScheduler(_DatabaseScheduler):
    """Schedules stored in the database, as django-celery-beat keeps them, except that a database
    outage during a full reload of the schedule (every 5 minutes, or after a change) keeps the
    schedule already in memory and tries again at the next reload. django-celery-beat 2.9.0 makes
    that reload outside its own error handling, and beat stopped when PostgreSQL restarted at that
    moment (benchmarks/fault_drill.py)."""

    def tick(self, *args, **kwargs):
        from council_social import liveness

        liveness.touch("beat")  # beat's heartbeat file: run.py and the health checks watch it
        return super().tick(*args, **kwargs)

    def all_as_schedule(self):
        try:
            return super().all_as_schedule()
        except (DatabaseError, InterfaceError) as exc:
            if not self._schedule:  # the first read: there is nothing to keep
                raise
            log.warning("Could not reload the schedule from the database (%s); keeping the one in memory", exc)
            close_old_connections()
            return self._schedule
