"""Store what the platforms send: idempotent, batched, one transaction per page."""
import dataclasses
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Channel, ChannelConnection
from accounts.notifications import notify_role
from accounts.roles import Role
from platforms.base import (
    AuthError,
    InvalidRequest,
    Item,
    MalformedPayload,
    NotSupported,
    Page,
    PlatformError,
    RateLimited,
    TransientError,
    backoff_seconds,
)
from platforms.base import Author as ItemAuthor

from . import budget, bulk
from .models import Author, ChannelMetricSnapshot, Mention, PollState, Quarantine, RawPayload

log = logging.getLogger(__name__)

BATCH = 500
# Functions called with the new mentions (saved, their author and channel attached), inside the
# page's transaction (triage routes them), and with the ids of known mentions whose replies or
# reshares grew, and with the ids of mentions whose text was edited.
NEW_MENTION_HOOKS: list = []
GROWN_MENTION_HOOKS: list = []
EDITED_MENTION_HOOKS: list = []
# A function returning, once per batch, a scorer of (followers, verified) → an author's influence
# 0–100 under the thresholds in force (triage registers it).
AUTHOR_INFLUENCE: list = []


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    quarantined: int = 0
    new_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "duplicates": self.duplicates, "quarantined": self.quarantined}

    def add(self, other: "IngestResult") -> None:
        self.created += other.created
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.new_ids += other.new_ids


class CursorMoved(Exception):
    """Another poll advanced the cursor first: this page's work is discarded."""


def _upsert_authors(items: list[Item]) -> dict[tuple[str, str], Author]:
    """Create or refresh the authors of these items (one statement); return (platform, external
    id) → the author, with its pk."""
    latest = {}
    for item in items:
        latest[(item.platform, item.author.external_id)] = item.author
    score = AUTHOR_INFLUENCE[0]() if AUTHOR_INFLUENCE else (lambda followers, verified: 0)
    rows = [Author(platform=p, external_id=a.external_id, handle=a.handle[:200], display_name=a.display_name[:300],
                   followers=a.followers, verified=a.verified, profile_url=a.profile_url[:500],
                   influence=score(a.followers, a.verified))
            for (p, _), a in latest.items()]
    bulk.upsert(Author, rows, unique_fields=["platform", "external_id"],
                update_fields=["handle", "display_name", "followers", "verified", "profile_url", "influence",
                               "updated_at"])
    return {(r.platform, r.external_id): r for r in rows}


def _relax_commit() -> None:
    """Commit without waiting for the WAL flush. Safe here: the cursor moves in the same
    transaction, so a commit lost in a database crash is fetched again, never skipped."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


NUL = "\x00"


def storable(value: str) -> str:
    """Ids are plain text columns and PostgreSQL text cannot hold U+0000: it becomes U+FFFD (else
    one such item would fail its page, and so the poll, at the same cursor for ever). What people
    wrote (text, names) keeps it: those fields escape it reversibly (monitoring.fields)."""
    return value.replace(NUL, "\ufffd") if NUL in value else value


def _web_link(url: str) -> str:
    """Pages show a mention's and an author's address as a link: keep only http(s) ones."""
    return storable(url) if url[:8].lower().startswith(("https://", "http://")) else ""


def _storable_item(item: Item) -> Item:
    a = item.author
    author = ItemAuthor(external_id=storable(a.external_id), handle=a.handle, display_name=a.display_name,
                        followers=a.followers, verified=a.verified, profile_url=_web_link(a.profile_url))
    clean = dataclasses.replace(item, external_id=storable(item.external_id),
                                url=_web_link(item.url), conversation_id=storable(item.conversation_id),
                                in_reply_to_id=storable(item.in_reply_to_id), author=author)
    return clean


def ingest_items(*, channel: Channel, items: list[Item], raw: RawPayload | None,
                 channel_of: dict[str, Channel] | None = None) -> IngestResult:
    """Store items (inside the caller's transaction). A repeat of any item is a no-op. `channel_of`
    attaches some items (by external id) to another channel than `channel`."""
    _relax_commit()
    result = IngestResult()
    items = [_storable_item(i) for i in items]
    unique: dict[str, Item] = {}
    for item in items:
        if item.external_id in unique:
            result.duplicates += 1
        unique[item.external_id] = item
    if not unique:
        return result
    platform = channel.platform
    existing = dict(Mention.objects.filter(platform=platform, external_id__in=list(unique)).values_list(
        "external_id", "pk"))
    authors = _upsert_authors(list(unique.values()))
    new = [
        Mention(platform=platform, external_id=i.external_id[:300], kind=i.kind,
                channel=channel_of.get(i.external_id, channel) if channel_of else channel,
                author=authors[(i.platform, i.author.external_id)], text=i.text, url=i.url[:1000],
                posted_at=i.posted_at, conversation_id=i.conversation_id[:300],
                in_reply_to_id=i.in_reply_to_id[:300], likes=i.likes, replies=i.replies, reshares=i.reshares,
                raw_payload=raw)
        for i in unique.values() if i.external_id not in existing
    ]
    # Another poll may store some of them at the same moment: those are left out.
    new = bulk.insert(Mention, new, skip_conflicts=True)
    result.created += len(new)
    result.duplicates += len(unique) - len(new)
    result.new_ids = [m.pk for m in new]
    if existing:
        _refresh_engagement(unique, existing)
        _refresh_edited(unique, existing)
    if new:
        for hook in NEW_MENTION_HOOKS:
            hook(new)
    return result


def _refresh_engagement(items: dict[str, Item], existing: dict[str, int]) -> None:
    """Update likes, replies and reshares of known mentions; tell triage which threads grew."""
    known = Mention.objects.filter(pk__in=list(existing.values())).only("id", "external_id", "likes", "replies",
                                                                         "reshares")
    changed, grown = [], []
    for mention in known:
        item = items[mention.external_id]
        if (item.likes, item.replies, item.reshares) != (mention.likes, mention.replies, mention.reshares):
            if item.replies + item.reshares > mention.replies + mention.reshares:
                grown.append(mention.pk)
            mention.likes, mention.replies, mention.reshares = item.likes, item.replies, item.reshares
            changed.append(mention)
    if changed:
        bulk.update(Mention, changed, ["likes", "replies", "reshares"])
    if grown:
        for hook in GROWN_MENTION_HOOKS:
            hook(grown)


def _refresh_edited(items: dict[str, Item], existing: dict[str, int]) -> None:
    """A later version of a known item (an edited blog post) replaces its text and address."""
    edited = {existing[i.external_id]: i for i in items.values() if i.edited and i.external_id in existing}
    if not edited:
        return
    changed = []
    for mention in Mention.objects.filter(pk__in=list(edited)).only("id", "text", "url"):
        item = edited[mention.pk]
        if (mention.text, mention.url) != (item.text, item.url[:1000]):
            mention.text, mention.url = item.text, item.url[:1000]
            changed.append(mention)
    if changed:
        bulk.update(Mention, changed, ["text", "url"])
        for hook in EDITED_MENTION_HOOKS:
            hook([m.pk for m in changed])


@transaction.atomic
def ingest_page(*, state: PollState, page: Page, expected_cursor: str) -> IngestResult:
    """Store one page and move the cursor, all or nothing."""
    raw = RawPayload.objects.create(channel=state.channel, endpoint=state.endpoint, body=storable(page.raw_body))
    channel_of = (search_channels(platform=state.channel.platform, items=page.items)
                  if is_shared_search(state.channel.platform, state.endpoint) else None)
    result = ingest_items(channel=state.channel, items=page.items, raw=raw, channel_of=channel_of)
    now = timezone.now()
    moved = PollState.objects.filter(pk=state.pk, cursor=expected_cursor).update(
        cursor=page.next_cursor or "", last_success_at=now, last_polled_at=now, consecutive_failures=0,
        last_error="", rate_limit=page.rate_limit.as_dict(), items_total=state.items_total + result.created,
        leased_until=now + lease_length(),
    )
    if not moved:
        raise CursorMoved(f"{state}: the cursor changed while this page was fetched")
    state.cursor = page.next_cursor or ""
    state.consecutive_failures = 0  # a failure later in this run counts from here
    state.items_total += result.created
    # The channel's activity is the council's own: its own posts seen on the platform count, strangers'
    # mentions and search hits do not (publishing and replies record the rest).
    own = _own_handle(state.channel.handle)
    mine = [i.posted_at for i in page.items if i.author and _own_handle(i.author.handle or "") == own]
    if mine:
        from accounts.services import channel_record_activity

        channel_record_activity(channel_id=state.channel_id, at=max(mine))
    return result


def _own_handle(handle: str) -> str:
    return handle.strip().lstrip("@").split("@")[0].lower()


def quarantine_record(*, channel: Channel | None, platform: str, endpoint: str, body: str, error: str,
                      source: str = "poll") -> Quarantine:
    """Keep a body that could not be parsed. The same body twice is counted, not stored twice."""
    digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
    with transaction.atomic():
        entry, created = Quarantine.objects.select_for_update(of=("self",)).get_or_create(
            platform=platform, endpoint=endpoint, body_sha256=digest,
            defaults={"channel": channel, "body": storable(body), "error": storable(error[:2000]), "source": source},
        )
        if not created:
            Quarantine.objects.filter(pk=entry.pk).update(seen_count=entry.seen_count + 1)
    if created:
        log.warning("Quarantined a malformed %s %s body (%d bytes)", platform, endpoint, len(body))
    return entry


# --- polling ----------------------------------------------------------------

# How long a poll holds its endpoint; each page stored renews it, so it only has to outlast one
# page (a request times out after 15 s). A worker killed mid-poll cannot release it: nothing else
# needs to sweep it, the next poll after this long simply takes it (the cursor only moves with
# the data, so an overlap with a poll still running stores nothing twice).
LEASE = timedelta(minutes=1)


def lease_length() -> timedelta:
    return timedelta(seconds=getattr(settings, "POLL_LEASE_SECONDS", LEASE.total_seconds()))


# Pages one run reads before it hands the worker on: with more to read, the task queues itself
# again behind the others (monitoring.tasks.poll), so endpoints catching up take turns.
MAX_PAGES_PER_RUN = 5


def _lease(state_id: int) -> bool:
    now = timezone.now()
    from django.db.models import Q

    return bool(PollState.objects.filter(pk=state_id, enabled=True).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)).update(leased_until=now + lease_length()))


def _release(state_id: int, **fields) -> None:
    PollState.objects.filter(pk=state_id).update(leased_until=None, **fields)


def _reconnect_if_lost() -> None:
    """A fetch can take a while (several requests, each up to the client's timeout), and the
    database may restart meanwhile, ending this process's connection: the health check Django
    makes at the start of a task is long past. Check again before writing what the fetch brought,
    or the body it could not read, so that neither is lost to a connection that is already gone."""
    if connection.connection is not None and not connection.in_atomic_block and not connection.is_usable():
        connection.close()  # the next query connects again


def poll_run(*, state_id: int, client=None) -> dict:
    """Poll one channel endpoint: fetch pages since the cursor and store each with its cursor.

    Safe to run twice at once (a lease lets one through) and after a crash (the cursor only
    moves with the data). Never makes a request before a rate limit's reset time.
    """
    if not _lease(state_id):
        return {"skipped": "not due, disabled or already running"}
    state = PollState.objects.select_related("channel", "channel__connection").get(pk=state_id)
    connection = getattr(state.channel, "connection", None)
    if _needs_connection(state.channel) and (connection is None or not connection.is_connected
                                             or connection.needs_reauth):
        _release(state_id)
        return {"skipped": "channel not connected or needs re-authorising"}
    shared = is_shared_search(state.channel.platform, state.endpoint)
    if shared and polled_elsewhere(state):
        _release(state_id)
        return {"skipped": f"searched once for the platform, on {search_channel(platform=state.channel.platform)}"}
    if state.channel.platform == "bluesky" and state.endpoint == "search":
        from .jetstream import stream_live

        if stream_live():  # the live stream sees every post: searching is the fallback
            _release(state_id)
            return {"skipped": "the live stream is in use"}
    if client is None:
        from .clients import client_for

        client = client_for(state.channel, connection=connection)
    total = IngestResult()
    watch_terms = watch_terms_for_platform(state.channel.platform) if shared else watch_terms_for(state.channel)
    cap = budget.cap_for(client)
    pages = 0
    more = False
    try:
        while pages < MAX_PAGES_PER_RUN:
            if cap is not None:
                cost = client.cap_cost(state.endpoint)
                wait = budget.reserve(cap, cost)
                if wait is not None:  # the month's (or day's) allowance is used for now
                    _release(state_id, not_before=wait)
                    return {**total.as_dict(), "pages": pages, "paused_until": wait.isoformat(), "capped": True}
                spent = client.cap_spent
            cursor = state.cursor
            try:
                page = client.fetch(state.endpoint, cursor or None, watch_terms=watch_terms)
            finally:
                _reconnect_if_lost()
                if cap is not None:  # settle the reservation: what the request really used
                    budget.spend(cap, client.cap_spent - spent - cost)
            total.add(ingest_page(state=state, page=page, expected_cursor=cursor))
            pages += 1
            rl = page.rate_limit
            if rl.remaining is not None and rl.remaining <= 0 and rl.reset_at:
                _release(state_id, not_before=rl.reset_at)
                return {**total.as_dict(), "pages": pages, "paused_until": rl.reset_at.isoformat()}
            more = page.has_more
            if not more:
                break
    except AuthError as exc:
        if connection is None:
            _fail(state, exc)
            return {**total.as_dict(), "pages": pages, "error": "auth"}
        if connection.refresh_token and refresh_connection(connection=connection, client=client):
            _release(state_id)
            return {**total.as_dict(), "pages": pages, "refreshed": True}
        connection_mark_revoked(connection=connection, reason=str(exc))
        _release(state_id, last_error=f"Needs re-authorising: {exc}", last_error_at=timezone.now())
        return {**total.as_dict(), "pages": pages, "error": "auth"}
    except RateLimited as exc:
        _release(state_id, not_before=exc.retry_at, last_error=str(exc), last_error_at=timezone.now(),
                 rate_limit={"limit": None, "remaining": 0, "reset_at": exc.retry_at.isoformat()})
        return {**total.as_dict(), "pages": pages, "error": "rate_limited", "retry_at": exc.retry_at.isoformat()}
    except MalformedPayload as exc:
        quarantine_record(channel=state.channel, platform=state.channel.platform, endpoint=state.endpoint,
                          body=exc.body, error=str(exc))
        total.quarantined += 1
        _fail(state, exc)
        return {**total.as_dict(), "pages": pages, "error": "malformed"}
    except (TransientError, InvalidRequest, NotSupported, CursorMoved) as exc:
        _fail(state, exc)
        return {**total.as_dict(), "pages": pages, "error": type(exc).__name__}
    except PlatformError as exc:
        _fail(state, exc)
        return {**total.as_dict(), "pages": pages, "error": type(exc).__name__}
    except BaseException:
        _release(state_id)
        raise
    _release(state_id)
    # "more": a backlog is left that the budget allows reading now (the task carries on at once).
    return {**total.as_dict(), "pages": pages, **({"more": True} if more else {})}


def _needs_connection(channel: Channel) -> bool:
    """Whether the channel is polled with its own credentials (web sources are public)."""
    from platforms import client_class

    return client_class(channel.platform).needs_credentials


def _fail(state: PollState, exc: Exception) -> None:
    failures = state.consecutive_failures + 1
    delay = backoff_seconds(failures, base=2, cap=settings.POLL_MAX_BACKOFF_SECONDS)
    _release(state.pk, consecutive_failures=failures, last_error=f"{type(exc).__name__}: {exc}"[:2000],
             last_error_at=timezone.now(), not_before=timezone.now() + timedelta(seconds=delay))


def watch_terms_for(channel: Channel) -> list[str]:
    from .models import WatchTerm

    terms = WatchTerm.objects.filter(active=True).filter(
        service__isnull=True) | WatchTerm.objects.filter(active=True, service_id=channel.service_id)
    return sorted({t.term for t in terms if t.applies_to(channel.platform)})


# --- one search per platform -----------------------------------------------------

def is_shared_search(platform: str, endpoint: str) -> bool:
    from platforms import CLIENTS, client_class

    return platform in CLIENTS and endpoint in client_class(platform).shared_endpoints


def polled_elsewhere(state: PollState) -> bool:
    """A shared search of this poll state runs on another channel (or on none): its own poll
    skips, and it never has a poll of its own to wait for."""
    if not is_shared_search(state.channel.platform, state.endpoint):
        return False
    searcher = search_channel(platform=state.channel.platform)
    return searcher is None or searcher.pk != state.channel_id


def search_channel(*, platform: str) -> Channel | None:
    """The channel a platform's shared searches run on: the council's main account there (a
    corporate one first, then the oldest) among those connected and live."""
    return (Channel.objects.filter(platform=platform, status__in=[Channel.Status.ACTIVE, Channel.Status.DORMANT],
                                   connection__needs_reauth=False)
            .exclude(connection__access_token="")
            .order_by(models.Case(models.When(kind=Channel.Kind.CORPORATE, then=0), default=1), "pk").first())


def watch_terms_for_platform(platform: str) -> list[str]:
    """Every watch term of any channel on the platform: the shared search looks for all of them."""
    from .models import WatchTerm

    services = Channel.objects.filter(platform=platform).values("service_id")
    terms = WatchTerm.objects.filter(active=True).filter(models.Q(service__isnull=True) |
                                                         models.Q(service_id__in=services))
    return sorted({t.term for t in terms if t.applies_to(platform)})


HANDLE_IN_TEXT = re.compile(r"@([\w.\-]+)")


def search_channels(*, platform: str, items: list[Item]) -> dict[str, Channel]:
    """Which of the council's channels each search result concerns, by external id: the channel
    whose handle it @mentions. Results that mention none stay with the searching channel."""
    handles = {c.handle.lower().lstrip("@"): c for c in Channel.objects.filter(platform=platform)}
    out = {}
    for item in items:
        for handle in HANDLE_IN_TEXT.findall(item.text.lower()):
            channel = handles.get(handle.rstrip(".-"))
            if channel is not None:
                out[item.external_id] = channel
                break
    return out


# --- connections --------------------------------------------------------------


def connection_mark_revoked(*, connection: ChannelConnection, reason: str) -> None:
    """The platform refused the token: pause polling and tell the web team (once)."""
    with transaction.atomic():
        updated = ChannelConnection.objects.filter(pk=connection.pk, needs_reauth=False).update(
            needs_reauth=True, reauth_reason=reason[:300])
        if updated:
            from accounts.audit import audit_record

            audit_record(actor=None, action="channel.needs_reauth", obj=connection.channel, note=reason[:300],
                         service=connection.channel.service)
            notify_role(Role.WEB_TEAM, subject=f"{connection.channel} needs re-authorising",
                        body=f"The platform refused the channel's token ({reason}). Polling is paused until "
                             "someone connects the channel again.",
                        url=connection.channel.get_absolute_url())
    connection.needs_reauth = True


def refresh_connection(*, connection: ChannelConnection, client=None) -> bool:
    """Refresh a connection's tokens. False when the platform refuses."""
    from accounts.services import channel_connection_store

    from .clients import client_for

    client = client or client_for(connection.channel, connection=connection)
    try:
        creds = client.refresh()
    except PlatformError as exc:
        log.info("Could not refresh %s: %s", connection.channel, type(exc).__name__)
        return False
    channel_connection_store(
        actor=None, channel=connection.channel, account_id=creds.account_id or connection.account_id,
        access_token=creds.access_token, refresh_token=creds.refresh_token or connection.refresh_token,
        expires_at=creds.expires_at, scopes=connection.scopes, extra=json.dumps(creds.extra) if creds.extra else "",
    )
    client.credentials = creds
    return True


def metrics_snapshot(*, channel: Channel, client=None) -> ChannelMetricSnapshot | None:
    """Record today's audience figures for a channel."""
    from .clients import client_for

    client = client or client_for(channel)
    try:
        metrics = client.metrics()
    except AuthError as exc:
        if hasattr(channel, "connection"):
            connection_mark_revoked(connection=channel.connection, reason=str(exc))
        return None
    except PlatformError as exc:
        log.info("No metrics for %s: %s", channel, type(exc).__name__)
        return None
    today = timezone.localdate()
    snapshot, _ = ChannelMetricSnapshot.objects.update_or_create(
        channel=channel, date=today,
        defaults={"followers": metrics.followers, "likes": metrics.likes, "views": metrics.views,
                  "watch_time_minutes": metrics.watch_time_minutes, "posts": metrics.posts},
    )
    if metrics.followers is not None:
        Channel.objects.filter(pk=channel.pk).update(followers=metrics.followers)
    return snapshot


# --- schedules ----------------------------------------------------------------


def poll_states_sync(*, channel: Channel) -> list[PollState]:
    """One PollState and one database-stored beat schedule per endpoint of a connected channel."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from .clients import has_client

    if not has_client(channel.platform):
        return []
    from platforms import client_class

    connection = getattr(channel, "connection", None)
    active = (channel.status in (Channel.Status.ACTIVE, Channel.Status.DORMANT)
              and (not _needs_connection(channel) or (connection is not None and connection.is_connected)))
    states = []
    for endpoint in client_class(channel.platform).endpoints:
        state, _ = PollState.objects.get_or_create(
            channel=channel, endpoint=endpoint, defaults={"interval_seconds": settings.POLL_INTERVAL_SECONDS})
        interval, _ = IntervalSchedule.objects.get_or_create(every=state.interval_seconds,
                                                             period=IntervalSchedule.SECONDS)
        # A poll still queued when the next one is due has nothing left to do: it expires, so a slow
        # or stopped worker finds one poll per endpoint waiting, not a pile (benchmarks/fault_drill.py).
        PeriodicTask.objects.update_or_create(
            name=state.schedule_name,
            defaults={"task": "monitoring.poll", "args": json.dumps([state.pk]), "interval": interval,
                      "expire_seconds": state.interval_seconds, "enabled": active and state.enabled,
                      "queue": "polling"},
        )
        states.append(state)
    return states


def poll_interval_set(*, actor, state: PollState, seconds: int) -> PollState:
    if not settings.POLL_MIN_INTERVAL_SECONDS <= seconds <= 86400:
        raise ValueError(f"The poll interval must be between {settings.POLL_MIN_INTERVAL_SECONDS} seconds "
                         "and one day.")
    from accounts.audit import audit_record

    with transaction.atomic():
        old = state.interval_seconds
        state.interval_seconds = seconds
        state.save(update_fields=["interval_seconds"])
        poll_states_sync(channel=state.channel)
        audit_record(actor=actor, action="channel.poll_interval", obj=state.channel,
                     changes={f"{state.endpoint} interval": [old, seconds]}, service=state.channel.service)
    return state


def connections_maintain(*, now, refresh_within: timedelta, warn_within: timedelta) -> dict:
    """Refresh tokens before they expire; warn the web team (once a day) about tokens that will
    expire and cannot be refreshed."""
    refreshed = warned = 0
    expiring = ChannelConnection.objects.select_related("channel", "channel__service").filter(
        needs_reauth=False, expires_at__isnull=False, expires_at__lte=now + warn_within)
    for conn in expiring:
        if conn.refresh_token and conn.expires_at <= now + refresh_within:
            if refresh_connection(connection=conn):
                refreshed += 1
                continue
        if not conn.refresh_token or conn.expires_at <= now + refresh_within:
            if conn.expiry_warned_at and conn.expiry_warned_at > now - timedelta(days=1):
                continue
            notify_role(Role.WEB_TEAM, subject=f"{conn.channel} must be reconnected soon",
                        body=f"Its token expires at {timezone.localtime(conn.expires_at):%d %b %Y %H:%M} "
                             "and cannot be refreshed automatically. Connect the channel again before then.",
                        url=conn.channel.get_absolute_url())
            ChannelConnection.objects.filter(pk=conn.pk).update(expiry_warned_at=now)
            warned += 1
    return {"refreshed": refreshed, "warned": warned}


def reading_refused(platform: str) -> str:
    """Why nothing is read from a platform that only publishes."""
    from platforms import client_class

    module = __import__(client_class(platform).__module__, fromlist=["READ_REFUSED"])
    return getattr(module, "READ_REFUSED", "the platform offers nothing to read.")


class IngestRefused(ValueError):
    """The file is a platform's error response (a refused token, a rate limit, a bad request),
    not a page of items: nothing was stored."""


def ingest_file(*, channel: Channel, body: str, endpoint: str | None = None, source_name: str = "") -> IngestResult:
    """Run a saved response body through the polling pipeline (store → classify → route).

    A body that cannot be read is quarantined; an error response raises IngestRefused. The
    same file again stores nothing: its items are duplicates, and a body that brought no new
    item is not kept a second time (nor at all when it held none)."""
    from platforms import CLIENTS

    from .clients import client_for

    if channel.platform not in CLIENTS:
        raise IngestRefused(f"{channel.get_platform_display()} is registry-only: Council Social has no client for it, "
                            "so there is nothing to read from a file.")
    client = client_for(channel)
    if not client.endpoints:
        raise IngestRefused(f"{channel.get_platform_display()} is publishing only: {reading_refused(channel.platform)}")
    try:
        items = client.parse(client.decode(body), endpoint=endpoint)
    except (ValueError, MalformedPayload) as exc:
        quarantine_record(channel=channel, platform=channel.platform, endpoint=endpoint or "", body=body,
                          error=f"{source_name}: {exc}", source="file")
        return IngestResult(quarantined=1)
    except PlatformError as exc:
        raise IngestRefused(f"{source_name or 'the file'} is an error response, not items: {exc}") from None
    with transaction.atomic():
        raw = RawPayload.objects.create(channel=channel, endpoint=endpoint or "file", body=body, source="file")
        result = ingest_items(channel=channel, items=items, raw=raw)
        if not result.created:
            raw.delete()  # no mention refers to it
        return result
