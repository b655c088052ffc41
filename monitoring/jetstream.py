"""Bluesky in real time: a consumer of Jetstream, Bluesky's live stream of every post.

`manage.py jetstream` runs it as a long-running process beside the worker. It keeps the posts
that concern the council (its watch terms; mentions of its handles or DIDs; replies and quotes of
its posts) and stores them through the same ingest path as a poll, in batches: each batch's
mentions and the stream's cursor (the time_us of the last event read) in one transaction. A
restart resumes a little before the cursor (REWIND) and the store ignores what it already holds,
so nothing is lost or stored twice. A dropped connection is retried with back-off.

While the stream is up, polling Bluesky's searchPosts is skipped (the stream sees every post);
when it is down, polling searches again. The channel's health says which is in use.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import Channel, ChannelConnection
from platforms.base import (
    KIND_MENTION,
    KIND_REPLY,
    KIND_SEARCH_HIT,
    Author,
    Item,
    backoff_seconds,
    parse_time,
)

from .models import Author as StoredAuthor
from .models import RawPayload, StreamState
from .services import IngestResult, ingest_items, search_channel, watch_terms_for_platform

log = logging.getLogger(__name__)

NAME = "jetstream"
POST = "app.bsky.feed.post"
REWIND_US = 5_000_000  # a restart replays the last 5 seconds before the cursor
LIVE_WITHIN = timedelta(minutes=2)  # a consumer silent for longer is taken to be down
PUBLIC_URL = "wss://jetstream2.us-east.bsky.network/subscribe"


def stream_url() -> str:
    if getattr(settings, "JETSTREAM_URL", ""):
        return settings.JETSTREAM_URL
    if settings.USE_SIMULATOR:
        return settings.SIMULATOR_URL.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + \
            "/bluesky/subscribe"
    return PUBLIC_URL


# --- what concerns the council ----------------------------------------------------------------

class Filters:
    """The council's Bluesky DIDs and handles (→ channel) and the watch terms, read from the database."""

    def __init__(self):
        channels = {c.pk: c for c in Channel.objects.filter(platform="bluesky").exclude(status=Channel.Status.CLOSED)}
        self.channels = channels
        self.dids = {c.account_id: c.channel_id for c in ChannelConnection.objects.filter(
            channel_id__in=list(channels)).exclude(account_id="")}
        self.handles = {c.handle.lower().lstrip("@"): c.pk for c in channels.values() if c.handle}
        self.terms = [t.lower() for t in watch_terms_for_platform("bluesky")]
        self.main = search_channel(platform="bluesky") or next(iter(channels.values()), None)

    def _did_of(self, uri) -> str:
        if isinstance(uri, str) and uri.startswith("at://"):
            return uri[5:].split("/", 1)[0]
        return ""

    def match(self, event: dict) -> tuple[str, int | None] | None:
        """(kind, channel id or None for the main account) when the event is a new post that concerns
        the council, else None."""
        commit = event.get("commit") if isinstance(event, dict) else None
        if (event.get("kind") != "commit" or not isinstance(commit, dict) or commit.get("operation") != "create"
                or commit.get("collection") != POST or not isinstance(commit.get("record"), dict)):
            return None
        if event.get("did") in self.dids:
            return None  # the council's own post
        record = commit["record"]
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
        for part in ("parent", "root"):
            did = self._did_of((reply.get(part) or {}).get("uri") if isinstance(reply.get(part), dict) else None)
            if did in self.dids:
                return KIND_REPLY, self.dids[did]
        for facet in record.get("facets") or []:
            for feature in (facet.get("features") or []) if isinstance(facet, dict) else []:
                if isinstance(feature, dict) and feature.get("did") in self.dids:
                    return KIND_MENTION, self.dids[feature["did"]]
        embed = record.get("embed") if isinstance(record.get("embed"), dict) else {}
        quoted = embed.get("record") if isinstance(embed.get("record"), dict) else {}
        quoted = quoted.get("record") if isinstance(quoted.get("record"), dict) else quoted
        if self._did_of(quoted.get("uri")) in self.dids:
            return KIND_MENTION, self.dids[self._did_of(quoted["uri"])]
        text = str(record.get("text") or "").lower()
        for handle, channel_id in self.handles.items():
            if "@" + handle in text:
                return KIND_MENTION, channel_id
        if any(term in text for term in self.terms):
            return KIND_SEARCH_HIT, None
        return None


def item_from(event: dict, kind: str, handles: dict[str, str]) -> Item:
    did, commit = str(event["did"]), event["commit"]
    record, rkey = commit["record"], str(commit.get("rkey") or "")
    uri = f"at://{did}/{POST}/{rkey}"
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    try:
        posted = parse_time(record.get("createdAt"))
    except (TypeError, ValueError):
        posted = None
    posted = posted or datetime.fromtimestamp(int(event.get("time_us") or 0) / 1e6, tz=UTC)
    handle = handles.get(did, "")
    return Item(platform="bluesky", external_id=uri, kind=kind, text=str(record.get("text") or ""),
                posted_at=posted,
                author=Author(external_id=did, handle=handle, profile_url=f"https://bsky.app/profile/{handle or did}"),
                url=f"https://bsky.app/profile/{handle or did}/post/{rkey}",
                conversation_id=str((reply.get("root") or {}).get("uri") or uri),
                in_reply_to_id=str((reply.get("parent") or {}).get("uri") or ""), raw=event)


# --- storing a batch ----------------------------------------------------------------------------

def stream_store(*, events: list[dict], filters: Filters, name: str = NAME) -> IngestResult:
    """Store the matching posts of a batch and move the cursor to its last event, in one transaction."""
    result = IngestResult()
    if not events:
        return result
    times = [int(e["time_us"]) for e in events if isinstance(e, dict) and isinstance(e.get("time_us"), int)]
    matched = []
    for event in events:
        found = filters.match(event) if isinstance(event, dict) else None
        if found is not None and filters.main is not None:
            matched.append((event, *found))
    with transaction.atomic():
        if matched:
            # Authors already known keep their handles (an event names its author by DID only).
            dids = {str(e["did"]) for e, _, _ in matched}
            handles = dict(StoredAuthor.objects.filter(platform="bluesky", external_id__in=dids).exclude(
                handle="").values_list("external_id", "handle"))
            raw = RawPayload.objects.create(channel=filters.main, endpoint=NAME, source="stream",
                                            body=json.dumps([e for e, _, _ in matched]))
            by_channel: dict[int, list[Item]] = {}
            for event, kind, channel_id in matched:
                by_channel.setdefault(channel_id or filters.main.pk, []).append(item_from(event, kind, handles))
            for channel_id, items in by_channel.items():
                result.add(ingest_items(channel=filters.channels.get(channel_id, filters.main), items=items, raw=raw))
        now = timezone.now()
        StreamState.objects.get_or_create(name=name)
        fields = {"heartbeat_at": now, "events_total": F("events_total") + len(events),
                  "stored_total": F("stored_total") + result.created}
        if times:
            fields.update(cursor=Greatest(F("cursor"), max(times)),
                          last_event_at=datetime.fromtimestamp(max(times) / 1e6, tz=UTC))
        StreamState.objects.filter(name=name).update(**fields)
    return result


def stream_mark(*, name: str = NAME, connected: bool, error: str = "") -> None:
    now = timezone.now()
    StreamState.objects.get_or_create(name=name)
    fields = {"connected": connected, "heartbeat_at": now}
    if connected:
        fields["connected_since"] = now
    if error:
        fields.update(last_error=error[:2000], last_error_at=now)
    StreamState.objects.filter(name=name).update(**fields)


def stream_live(*, name: str = NAME, now=None) -> bool:
    """Whether the stream is up: connected, and its consumer alive lately."""
    now = now or timezone.now()
    return StreamState.objects.filter(name=name, connected=True, heartbeat_at__gte=now - LIVE_WITHIN).exists()


def stream_health(*, name: str = NAME) -> dict:
    state = StreamState.objects.filter(name=name).first()
    live = stream_live(name=name)
    return {
        "mode": "stream" if live else "polling",
        "stream_connected": live,
        "stream_position": state.last_event_at.isoformat() if state and state.last_event_at else None,
        "stream_last_error": state.last_error if state else "",
        "stream_last_error_at": state.last_error_at.isoformat() if state and state.last_error_at else None,
    }


# --- the consumer -------------------------------------------------------------------------------

class Consumer:
    """Reads the stream and stores what concerns the council, until `stop` is set (or, with
    `until_idle`, until no event has come for `idle_seconds`: tests and catch-up runs)."""

    def __init__(self, url: str | None = None, *, stop: threading.Event | None = None, batch_size: int = 200,
                 flush_seconds: float = 1.0, heartbeat_seconds: float = 30.0, filters_seconds: float = 60.0,
                 until_idle: bool = False, idle_seconds: float = 2.0, backoff_base: float = 1.0, max_backoff: float = 60.0,
                 max_failures: int | None = None, name: str = NAME):
        self.url = url or stream_url()
        self.stop = stop or threading.Event()
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.filters_seconds = filters_seconds
        self.until_idle = until_idle
        self.idle_seconds = idle_seconds
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.max_failures = max_failures  # None: retry for ever (the long-running process)
        self.name = name
        self.stored = 0
        self.received = 0

    def run(self) -> None:
        from websockets.exceptions import WebSocketException

        failures = 0
        while not self.stop.is_set():
            received = self.received
            try:
                idle = self.session()
                failures = 0
                if idle and self.until_idle:
                    return
            except (OSError, TimeoutError, WebSocketException, DatabaseError) as exc:
                # A database error loses only the unsaved batch: the cursor moved with the data, so the
                # next connection replays it.
                # Back off more after each failure in a row; a connection that brought events starts afresh.
                failures = 1 if self.received > received else failures + 1
                log.warning("Jetstream: %s; reconnecting (attempt %d)", type(exc).__name__, failures)
                try:
                    stream_mark(name=self.name, connected=False, error=f"{type(exc).__name__}: {exc}")
                except DatabaseError:
                    log.warning("Jetstream: the database is unavailable too")
                if self.max_failures is not None and failures >= self.max_failures:
                    raise
            else:
                stream_mark(name=self.name, connected=False)
            self.stop.wait(max(self.backoff_base / 5, backoff_seconds(failures, base=self.backoff_base,
                                                                     cap=self.max_backoff)))
        stream_mark(name=self.name, connected=False)

    def subscribe_url(self) -> str:
        state, _ = StreamState.objects.get_or_create(name=self.name)
        url = f"{self.url}?wantedCollections={POST}"
        if state.cursor:
            url += f"&cursor={max(0, state.cursor - REWIND_US)}"
        return url

    def session(self) -> bool:
        """One connection: read and store until stopped or the connection ends. True if it went idle."""
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        if not connection.in_atomic_block:
            close_old_connections()  # a connection broken while the stream was down is replaced
        filters, filters_at = Filters(), time.monotonic()
        batch: list[dict] = []
        with connect(self.subscribe_url(), open_timeout=10, close_timeout=2, max_size=2 ** 21) as ws:
            stream_mark(name=self.name, connected=True)
            log.info("Jetstream: connected")
            flushed = beat = last_event = time.monotonic()
            try:
                while not self.stop.is_set():
                    try:
                        message = ws.recv(timeout=self.flush_seconds)
                    except TimeoutError:
                        message = None
                    now = time.monotonic()
                    if message is not None:
                        last_event = now
                        self.received += 1
                        try:
                            batch.append(json.loads(message))
                        except ValueError:
                            log.warning("Jetstream: an event that is not JSON was skipped")
                    if batch and (len(batch) >= self.batch_size or message is None
                                  or now - flushed >= self.flush_seconds):
                        self.flush(batch, filters)
                        batch, flushed, beat = [], now, now
                    elif now - beat >= self.heartbeat_seconds:
                        stream_mark(name=self.name, connected=True)
                        beat = now
                    if now - filters_at >= self.filters_seconds:
                        filters, filters_at = Filters(), now
                    if self.until_idle and message is None and now - last_event >= self.idle_seconds:
                        return True
            except ConnectionClosed:
                self.flush(batch, filters)  # what arrived before the drop is good
                raise
            self.flush(batch, filters)
        return False

    def flush(self, batch: list[dict], filters: Filters) -> None:
        if batch:
            self.stored += stream_store(events=batch, filters=filters, name=self.name).created
