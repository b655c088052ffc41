"""Demo: 400 days of daily figures for each demo channel, so the reports have history to show.

The history ends with the figures the platforms give today. With the simulator, those are read
from an in-process simulator through the real clients, so the first daily snapshot (taken from
the running simulator) carries on where the history ends; otherwise the channel registry's
follower counts are used."""
import logging

from django.conf import settings
from django.utils import timezone

from accounts.models import Channel, ChannelConnection
from monitoring.clients import app_for, credentials_for, has_client
from platforms import client_class
from platforms.base import PlatformError, simulator_urls

from .services import metrics_backfill

log = logging.getLogger(__name__)
DAYS = 400
# YouTube gives watch time only through its Analytics API, which the simulator does not serve:
# the demo takes the average view as this many minutes.
DEMO_MINUTES_PER_VIEW = 1.9


def load_demo_metrics() -> dict:
    today = timezone.localdate()
    channels = list(Channel.objects.exclude(status=Channel.Status.CLOSED).order_by("pk"))
    served = _simulator_figures(channels) if settings.USE_SIMULATOR else {}
    added = 0
    for channel in channels:
        known = served.get(channel.pk) or {"followers": channel.followers}
        if known.get("followers") is not None and known["followers"] != channel.followers:
            # As a measured daily snapshot does: the Channels page shows the platform's figure,
            # the one the history ends with, so the reports and the registry agree.
            Channel.objects.filter(pk=channel.pk).update(followers=known["followers"])
        added += metrics_backfill(channel=channel, days=DAYS, today=today, known=known, source="demo")
    return {"metric_days_added": added}


def _simulator_figures(channels: list[Channel]) -> dict[int, dict]:
    from platforms.simulator.server import run_in_thread

    connections = {c.channel_id: c for c in ChannelConnection.objects.filter(channel__in=channels)
                   .exclude(access_token="").select_related("channel")}
    wanted = [c for c in channels if c.pk in connections and has_client(c.platform)]
    if not wanted:
        return {}
    server, url = run_in_thread(port=0)
    try:
        out = {}
        for channel in wanted:
            cls = client_class(channel.platform)
            client = cls(**simulator_urls(cls, url), credentials=credentials_for(connections[channel.pk]),
                         app=app_for(channel.platform))
            try:
                metrics = client.metrics()
            except PlatformError as exc:
                log.info("No demo figures for %s: %s", channel, type(exc).__name__)
                continue
            figures = {"followers": metrics.followers, "likes": metrics.likes, "views": metrics.views,
                       "watch_time_minutes": metrics.watch_time_minutes, "posts": metrics.posts}
            if channel.platform == Channel.Platform.YOUTUBE and metrics.views and not metrics.watch_time_minutes:
                figures["watch_time_minutes"] = round(metrics.views * DEMO_MINUTES_PER_VIEW)
            out[channel.pk] = figures
        return out
    finally:
        server.shutdown()
