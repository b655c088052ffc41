"""Thin tasks: load ids, call one service."""
from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone

from accounts.models import Channel, ChannelConnection
from platforms.base import RateLimited, TransientError

from . import services

# A poll paused by a rate limit that resets sooner than this is queued again for the reset,
# rather than left to its next scheduled run (which could come most of an interval later).
RESUME_WITHIN = timedelta(minutes=20)


@shared_task(name="monitoring.poll", acks_late=True, ignore_result=True, queue="polling")
def poll(state_id: int) -> dict:
    """Beat runs it per channel endpoint. With a backlog left and the budget to read it, it
    carries on at once; paused until a rate limit resets, it runs again at the reset. (Runs
    that overlap are harmless: a lease lets one through.)"""
    result = services.poll_run(state_id=state_id)
    if result.get("more"):
        poll.apply_async((state_id,), queue="polling")
    elif result.get("paused_until") and not result.get("capped"):
        resume = datetime.fromisoformat(result["paused_until"])
        if resume - timezone.now() <= RESUME_WITHIN:
            poll.apply_async((state_id,), eta=resume, queue="polling")
    return result


@shared_task(name="monitoring.webhook_ingest", acks_late=True, ignore_result=True, queue="polling",
             autoretry_for=(TransientError, RateLimited), retry_backoff=True, retry_jitter=True, max_retries=8)
def webhook_ingest(raw_id: int) -> dict:
    """Read a kept webhook delivery into mentions (monitoring.webhooks)."""
    from .webhooks import webhook_ingest as ingest

    return ingest(raw_id=raw_id).as_dict()


@shared_task(name="monitoring.snapshot_metrics", acks_late=True, ignore_result=True)
def snapshot_metrics() -> int:
    """Daily: queue one metrics task per connected channel."""
    ids = list(ChannelConnection.objects.filter(needs_reauth=False).exclude(access_token="").values_list(
        "channel_id", flat=True))
    for channel_id in ids:
        snapshot_channel_metrics.delay(channel_id)
    return len(ids)


@shared_task(name="monitoring.snapshot_channel_metrics", acks_late=True, ignore_result=True, queue="polling")
def snapshot_channel_metrics(channel_id: int) -> None:
    channel = Channel.objects.select_related("connection").get(pk=channel_id)
    services.metrics_snapshot(channel=channel)


@shared_task(name="monitoring.refresh_tokens", acks_late=True, ignore_result=True)
def refresh_tokens() -> dict:
    return services.connections_maintain(now=timezone.now(), refresh_within=timedelta(minutes=30),
                                         warn_within=timedelta(days=7))


@shared_task(name="monitoring.retention_purge", acks_late=True, ignore_result=True)
def retention_purge() -> dict:
    from .privacy import retention_purge as purge

    return purge()


@shared_task(name="monitoring.watchlist_reviews", acks_late=True, ignore_result=True)
def watchlist_reviews() -> int:
    """Daily housekeeping: tell the web team which watch-list entries are due their yearly review."""
    from .watchlist import watchlist_reviews_flag

    return watchlist_reviews_flag()


@shared_task(name="monitoring.spikes_detect", acks_late=True, ignore_result=True)
def spikes_detect() -> dict:
    """Every five minutes: test this hour's topics against their baselines (one alert per episode)."""
    from .trends import spikes_detect as detect

    return detect()
