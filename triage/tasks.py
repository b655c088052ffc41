"""Thin tasks: call one service."""
from celery import shared_task

from . import services


@shared_task(name="triage.sla_watch", acks_late=True, ignore_result=True)
def sla_watch() -> dict:
    """Every few minutes: warn before SLA breaches, escalate breaches."""
    return services.sla_watch()


@shared_task(name="triage.foi_reminders", acks_late=True, ignore_result=True)
def foi_reminders() -> int:
    """Hourly: remind about FOI answers falling due."""
    return services.foi_reminders_send()


@shared_task(name="triage.case_notices", acks_late=True, ignore_result=True)
def case_notices() -> int:
    """Queued after each page that opened or raised cases, and every minute: tell people."""
    return services.case_notices_send()
