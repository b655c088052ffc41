"""Reads, limited to what the user may see: a user sees mentions of the channels they see."""
from django.db.models import Q, QuerySet

from accounts.selectors import can_see_all_channels

from .models import Author, Mention, PollState

# A search looks for mentions by at most this many matching authors by their ids (see mention_list).
AUTHOR_IDS_MAX = 2000


def mention_list(*, user, filters: dict | None = None) -> QuerySet[Mention]:
    qs = Mention.objects.select_related("author", "channel", "channel__service", "routing", "routing__service")
    if not can_see_all_channels(user):
        qs = qs.filter(channel__service_id=user.service_id) if user.service_id else qs.none()
    f = filters or {}
    if f.get("channel"):
        qs = qs.filter(channel_id=f["channel"])
    if f.get("platform"):
        qs = qs.filter(platform=f["platform"])
    if f.get("service"):
        # The service a mention was routed to, else the service owning its channel.
        qs = qs.filter(Q(routing__service__slug=f["service"]) |
                       Q(routing__isnull=True, channel__service__slug=f["service"]))
    if f.get("route"):
        qs = qs.filter(routing__route=f["route"])
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("since"):
        qs = qs.filter(posted_at__gte=f["since"])
    if f.get("until"):
        qs = qs.filter(posted_at__lt=f["until"])
    if f.get("q"):
        # An OR across the join to authors reads every mention. Here both sides are on the mention
        # table, so PostgreSQL can combine the text's trigram index with the author index.
        authors = Author.objects.filter(handle__icontains=f["q"]).values_list("pk", flat=True)
        found = list(authors[:AUTHOR_IDS_MAX + 1])
        qs = qs.filter(Q(text__icontains=f["q"]) | Q(author_id__in=found if len(found) <= AUTHOR_IDS_MAX else authors))
    return qs.order_by("-posted_at", "-id")


def channel_health(channel) -> dict:
    """Polling health of a channel: one entry per endpoint, and whether it needs re-authorising.
    For Bluesky, `live` says whether the live stream or polling is in use."""
    connection = getattr(channel, "connection", None)
    states = list(PollState.objects.filter(channel=channel))
    live = None
    if channel.platform == "bluesky":
        from .jetstream import stream_health

        live = stream_health()
    return {
        "live": live,
        "connected": bool(connection and connection.is_connected),
        "needs_reauth": bool(connection and connection.needs_reauth),
        "reauth_reason": connection.reauth_reason if connection else "",
        "token_expires_at": connection.expires_at.isoformat() if connection and connection.expires_at else None,
        "endpoints": [{
            "endpoint": s.endpoint, "enabled": s.enabled, "interval_seconds": s.interval_seconds,
            "last_success_at": s.last_success_at.isoformat() if s.last_success_at else None,
            "last_error_at": s.last_error_at.isoformat() if s.last_error_at else None,
            "last_error": s.last_error, "consecutive_failures": s.consecutive_failures,
            "next_poll_after": s.not_before.isoformat() if s.not_before else None,
            "rate_limit": s.rate_limit, "items_total": s.items_total,
        } for s in states],
    }


def channels_needing_reauth(*, user):
    from accounts.selectors import channel_list

    return channel_list(user=user).filter(connection__needs_reauth=True)
