"""Webhooks: Meta pushes Page, Instagram and Threads events to /webhooks/<platform>/.

The endpoint answers the verification challenge (GET with hub.mode=subscribe, hub.verify_token and
hub.challenge), refuses any delivery whose X-Hub-Signature-256 is not the HMAC-SHA256 of the body
with the app secret (logged, nothing stored), keeps the body as a raw payload and acknowledges at
once. The worker then ingests it (`webhook_ingest`) through the platform's own webhook parser and
the same store as a poll, so a mention that arrives both by webhook and by poll is stored once.
Polling carries on as the safety net.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

from django.conf import settings
from django.db import transaction

from accounts.models import Channel, ChannelConnection
from platforms.base import AuthError, MalformedPayload, PlatformError

from .models import RawPayload
from .services import IngestResult, connection_mark_revoked, ingest_items, quarantine_record, storable

log = logging.getLogger(__name__)

# Platforms that push by webhook; each has a client whose resolve_webhook reads a delivery.
WEBHOOK_PLATFORMS = ("facebook", "instagram", "threads")
ENDPOINT = "webhook"
CHALLENGE = re.compile(r"[A-Za-z0-9_.\-]{1,200}")


def app_secret(platform: str) -> str:
    from .clients import app_for

    return app_for(platform).client_secret


def verify_token(platform: str) -> str:
    return str(settings.PLATFORM_APPS.get(platform, {}).get("verify_token") or settings.WEBHOOK_VERIFY_TOKEN)


def challenge_answer(*, platform: str, params) -> str | None:
    """The challenge to echo when the subscription request carries our verify token, else None."""
    expected = verify_token(platform)
    given = params.get("hub.verify_token") or ""
    challenge = params.get("hub.challenge") or ""
    if (params.get("hub.mode") != "subscribe" or not expected
            or not hmac.compare_digest(given.encode(), expected.encode()) or not CHALLENGE.fullmatch(challenge)):
        return None
    return challenge


def signature_problem(*, platform: str, body: bytes, header: str | None) -> str | None:
    """Why a delivery's signature is refused ("missing", "wrong", "no app secret"), or None when it
    is the HMAC-SHA256 of the body with the app secret (compared in constant time)."""
    secret = app_secret(platform)
    if not secret:
        return "no app secret"
    if not header:
        return "missing"
    scheme, _, given = header.partition("=")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if scheme.strip().lower() != "sha256" or not hmac.compare_digest(given.strip().lower().encode(),
                                                                     expected.encode()):
        return "wrong"
    return None


def _account_id(entry: dict) -> str:
    """The account an entry is for: the Page or Instagram user (`id`), the Threads user (`target_id`)."""
    return str(entry.get("id") or entry.get("target_id") or "") if isinstance(entry, dict) else ""


def _entries(data) -> list[dict]:
    """The entries of a delivery: Graph deliveries list them under "entry"; a Threads delivery is one."""
    if isinstance(data, dict) and isinstance(data.get("entry"), list):
        return [e for e in data["entry"] if isinstance(e, dict)]
    return [data] if isinstance(data, dict) else []


def _channels(platform: str, account_ids) -> dict[str, Channel]:
    found = ChannelConnection.objects.select_related("channel", "channel__service").filter(
        channel__platform=platform, account_id__in=[a for a in account_ids if a])
    return {c.account_id: c.channel for c in found}


def webhook_receive(*, platform: str, body: bytes) -> RawPayload | None:
    """Keep a signed delivery as a raw payload and queue its ingestion (after commit). A body that is
    not JSON is quarantined; one for no connected channel is logged and dropped."""
    from .tasks import webhook_ingest as task

    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        quarantine_record(channel=None, platform=platform, endpoint=ENDPOINT, body=text,
                          error="webhook body is not JSON", source=ENDPOINT)
        return None
    channels = _channels(platform, [_account_id(e) for e in _entries(data)])
    if not channels:
        log.warning("A %s webhook for no connected channel was acknowledged and not kept", platform)
        return None
    with transaction.atomic():
        raw = RawPayload.objects.create(channel=next(iter(channels.values())), endpoint=ENDPOINT,
                                        body=storable(text), source=ENDPOINT)
        transaction.on_commit(lambda: task.delay(raw.pk))
    return raw


def _split(platform: str, data) -> list[tuple[Channel, dict]]:
    """(channel, delivery of that channel's entries only), for every connected channel named."""
    entries = _entries(data)
    channels = _channels(platform, [_account_id(e) for e in entries])
    out: dict[int, tuple[Channel, list]] = {}
    for entry in entries:
        channel = channels.get(_account_id(entry))
        if channel is not None:
            out.setdefault(channel.pk, (channel, []))[1].append(entry)
    if isinstance(data, dict) and isinstance(data.get("entry"), list):
        return [(channel, {**data, "entry": part}) for channel, part in out.values()]
    return [(channel, part[0]) for channel, part in out.values()]


def webhook_ingest(*, raw_id: int, client_factory=None) -> IngestResult:
    """Read a kept delivery into mentions, per channel named in it. Safe to run twice: a repeat
    stores nothing. Transient errors (reading an Instagram mention from the API) propagate, so the
    task retries."""
    from .clients import client_for

    raw = RawPayload.objects.select_related("channel").get(pk=raw_id)
    platform = raw.channel.platform
    total = IngestResult()
    try:
        data = json.loads(raw.body)
    except ValueError:
        data = None
    for channel, part in _split(platform, data):
        client = (client_factory or client_for)(channel)
        try:
            items = client.resolve_webhook(part)
        except MalformedPayload as exc:
            quarantine_record(channel=channel, platform=platform, endpoint=ENDPOINT, body=json.dumps(part),
                              error=str(exc), source=ENDPOINT)
            total.quarantined += 1
            continue
        except AuthError as exc:
            if hasattr(channel, "connection"):
                connection_mark_revoked(connection=channel.connection, reason=str(exc))
            continue
        except PlatformError:
            raise
        with transaction.atomic():
            total.add(ingest_items(channel=channel, items=items, raw=raw))
    return total
