"""Thin tasks: load ids, call one service. Retried only on errors that may pass."""
from celery import shared_task

from platforms.base import RateLimited, TransientError

from . import alerts, publisher


@shared_task(name="publishing.sweep", acks_late=True, ignore_result=True)
def sweep() -> dict:
    """Every minute: start the posts that are due, queue again any lost task."""
    return publisher.publish_sweep()


@shared_task(name="publishing.target_publish", bind=True, acks_late=True, ignore_result=True, queue="publishing",
             autoretry_for=(TransientError,), retry_backoff=30, retry_backoff_max=900, retry_jitter=True,
             max_retries=publisher.MAX_ATTEMPTS)
def target_publish(self, target_id: int) -> str:
    try:
        return publisher.target_publish(target_id=target_id)
    except RateLimited as exc:
        raise self.retry(exc=exc, eta=exc.retry_at) from None


@shared_task(name="publishing.alert_send_batch", acks_late=True, ignore_result=True)
def alert_send_batch(issue_id: int) -> dict:
    return alerts.alert_send_batch(issue_id=issue_id)
