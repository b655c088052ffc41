"""Thin tasks: call one service. Both are daily and safe to repeat (each reminder is sent once)."""
from celery import shared_task

from . import services


@shared_task(name="policy.review_reminders", acks_late=True, ignore_result=True)
def review_reminders() -> int:
    return services.policy_review_reminders()


@shared_task(name="policy.training_reminders", acks_late=True, ignore_result=True)
def training_reminders() -> dict:
    return services.training_reminders()
