"""Web sources (feeds and pages, platforms.web): adding one, and what its client is given.

A source is a channel of the `web` platform, so ownership, scope, health and housekeeping work as
for any channel; its kind (feed or page) and mode (watched or searched) are a WebSource.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Channel
from platforms.fetch import FetchError, FetchRefused, check_url

from .models import HostVisit, PollState, WebSource


class SourceRefused(ValueError):
    """The address cannot be listened to (not http(s), a private or loopback address…)."""


def address_check(url: str) -> None:
    """Refuse an address the guarded fetcher would refuse (the same check, done when the source
    is saved, so nobody finds out only at the first poll)."""
    try:
        check_url(url, settings.FETCH_ALLOWED_HOSTS)
    except FetchRefused as exc:
        raise SourceRefused(f"This address cannot be listened to: {exc}.") from None
    except FetchError as exc:
        raise SourceRefused(f"This address cannot be reached: {exc}.") from None


@transaction.atomic
def web_source_create(*, actor, handle: str, display_name: str, url: str, service, kind: str = WebSource.Kind.FEED,
                      mode: str = WebSource.Mode.WATCHED, purpose: str = "", check: bool = True) -> WebSource:
    """Add a feed or page to listen to: a channel of the web platform and its polling schedule."""
    from accounts.services import channel_create

    from .services import poll_states_sync

    if kind not in WebSource.Kind.values or mode not in WebSource.Mode.values:
        raise SourceRefused("Choose a kind and a mode.")
    if check:
        address_check(url)
    channel = channel_create(actor=actor, platform=Channel.Platform.WEB, handle=handle, display_name=display_name,
                             url=url, service=service, kind=Channel.Kind.CORPORATE, purpose=purpose,
                             web_team_has_access=True)
    source = WebSource.objects.create(channel=channel, kind=kind, mode=mode,
                                      added_by=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action="web_source.create", obj=channel,
                 changes={"kind": [None, kind], "mode": [None, mode], "url": [None, url]}, service=service)
    # Sites are read less often than platform APIs: every WEB_POLL_INTERVAL_SECONDS unless changed.
    PollState.objects.get_or_create(channel=channel, endpoint="source",
                                    defaults={"interval_seconds": settings.WEB_POLL_INTERVAL_SECONDS})
    poll_states_sync(channel=channel)
    return source


@transaction.atomic
def web_source_update(*, actor, source: WebSource, mode: str) -> WebSource:
    if mode not in WebSource.Mode.values:
        raise SourceRefused("Choose a mode.")
    old = source.mode
    if old != mode:
        source.mode = mode
        source.save(update_fields=["mode"])
        audit_record(actor=actor, action="web_source.update", obj=source.channel, changes={"mode": [old, mode]},
                     service=source.channel.service)
    return source


def host_gate(host: str) -> datetime | None:
    """Count a visit to `host` now if its minimum interval has passed (None), else say when the
    next may be made. One conditional statement, so workers on several machines agree."""
    interval = timedelta(seconds=settings.WEB_HOST_MIN_INTERVAL_SECONDS)
    now = timezone.now()
    if interval <= timedelta(0):
        return None
    HostVisit.objects.get_or_create(host=host[:255], defaults={"visited_at": now - interval})
    taken = HostVisit.objects.filter(host=host[:255]).filter(Q(visited_at__lte=now - interval)).update(visited_at=now)
    if taken:
        return None
    last = HostVisit.objects.filter(host=host[:255]).values_list("visited_at", flat=True).first()
    return (last or now) + interval


def source_options(channel: Channel) -> dict:
    """What the web client of this channel is built with (monitoring.clients.client_for)."""
    source = WebSource.objects.filter(channel=channel).first()
    return {"source_url": channel.url, "source_kind": source.kind if source else WebSource.Kind.FEED,
            "mode": source.mode if source else WebSource.Mode.WATCHED, "user_agent": settings.WEB_USER_AGENT,
            "host_gate": host_gate}
