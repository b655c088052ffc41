"""People who matter: the watch list (WatchedAccount). Adding, changing, reviewing and removing
an entry are audited; routing asks `watch_reasons` which new mentions come from someone on it."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record, diff, snapshot
from accounts.models import Channel
from accounts.notifications import notify_role
from accounts.roles import Role

from .models import Mention, WatchedAccount

FIELDS = ["platform", "handle", "name", "kind", "reason", "active", "review_due_on"]


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").strip()


def _due(moment: datetime) -> date:
    return timezone.localdate(moment) + timedelta(days=WatchedAccount.REVIEW_DAYS)


def _check(platform: str, handle: str, name: str, reason: str) -> None:
    if platform not in Channel.Platform.values:
        raise ValueError("Choose a platform.")
    if not handle:
        raise ValueError("Enter the account's handle or the site's address.")
    if not name.strip():
        raise ValueError("Enter who this is.")
    if not reason.strip():
        raise ValueError("Say why their mentions of the council matter.")
    if "\x00" in handle + name + reason:
        raise ValueError("The entry cannot contain a null character.")


def _site(handle: str) -> str:
    """A web entry may be given as an address: keep its host name."""
    if "://" in handle:
        return (urlsplit(handle).hostname or handle).lower()
    return handle


@transaction.atomic
def watched_account_add(*, actor, platform: str, handle: str, name: str, reason: str,
                        kind: str = WatchedAccount.Kind.OTHER) -> WatchedAccount:
    handle = normalise_handle(handle)
    if platform == Channel.Platform.WEB:
        handle = _site(handle)
    _check(platform, handle, name, reason)
    if WatchedAccount.objects.filter(platform=platform, handle__iexact=handle).exists():
        raise ValueError("This account is already on the watch list.")
    now = timezone.now()
    entry = WatchedAccount.objects.create(platform=platform, handle=handle[:200], name=name.strip()[:200],
                                          kind=kind, reason=reason.strip(), review_due_on=_due(now),
                                          added_by=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action="watchlist.add", obj=entry, changes=diff({}, snapshot(entry, FIELDS)))
    return entry


@transaction.atomic
def watched_account_update(*, actor, entry: WatchedAccount, **fields) -> WatchedAccount:
    locked = WatchedAccount.objects.select_for_update().get(pk=entry.pk)
    before = snapshot(locked, FIELDS)
    for key, value in fields.items():
        if key not in ("name", "kind", "reason", "active"):
            raise ValueError(f"{key} cannot be changed here")
        setattr(locked, key, value.strip() if isinstance(value, str) else value)
    _check(locked.platform, locked.handle, locked.name, locked.reason)
    locked.save()
    changes = diff(before, snapshot(locked, FIELDS))
    if changes:
        audit_record(actor=actor, action="watchlist.update", obj=locked, changes=changes)
    return locked


@transaction.atomic
def watched_account_review(*, actor, entry: WatchedAccount, keep: bool, note: str = "") -> WatchedAccount | None:
    """The yearly review: keep the entry for another year, or remove it."""
    if not keep:
        watched_account_remove(actor=actor, entry=entry, note=note or "Removed at its yearly review.")
        return None
    now = timezone.now()
    before = snapshot(entry, FIELDS)
    entry.reviewed_at, entry.review_due_on, entry.review_flagged_at = now, _due(now), None
    entry.save(update_fields=["reviewed_at", "review_due_on", "review_flagged_at"])
    audit_record(actor=actor, action="watchlist.review", obj=entry, changes=diff(before, snapshot(entry, FIELDS)),
                 note=note or "Kept at its yearly review.")
    return entry


@transaction.atomic
def watched_account_remove(*, actor, entry: WatchedAccount, note: str = "") -> None:
    audit_record(actor=actor, action="watchlist.remove", obj=entry, changes=diff(snapshot(entry, FIELDS), {}),
                 note=note)
    entry.delete()


def watchlist_reviews_flag(*, now: datetime | None = None) -> int:
    """Housekeeping: tell the web team (once per entry) which entries are due their yearly review."""
    now = now or timezone.now()
    due = list(WatchedAccount.objects.filter(review_due_on__lte=timezone.localdate(now),
                                             review_flagged_at__isnull=True).order_by("review_due_on")[:200])
    if not due:
        return 0
    with transaction.atomic():
        WatchedAccount.objects.filter(pk__in=[e.pk for e in due]).update(review_flagged_at=now)
        for entry in due:
            audit_record(actor=None, action="watchlist.review_due", obj=entry,
                         note=f"Yearly review due on {entry.review_due_on:%d %B %Y}.")
        notify_role(Role.WEB_TEAM, subject=f"Watch list: {len(due)} entr{'y' if len(due) == 1 else 'ies'} to review",
                    body="Keep each entry only while the person's mentions of the council still matter.\n"
                         + "\n".join(f"- {e.name} ({e.get_platform_display()} {e.handle}): {e.reason}" for e in due),
                    url=reverse("watchlist"))
    return len(due)


def _keys(mention: Mention) -> Iterable[str]:
    author = mention.author
    for value in (author.handle, author.external_id, author.display_name):
        if value:
            yield normalise_handle(value).lower()
    if mention.platform == Channel.Platform.WEB and mention.url:
        host = (urlsplit(mention.url).hostname or "").lower()
        if host:
            yield host
            yield host.removeprefix("www.")


def watch_reasons(mentions: Sequence[Mention]) -> dict[int, WatchedAccount]:
    """Mention pk → the watch-list entry of its author (or, for the web, its site): one query."""
    platforms = {m.platform for m in mentions}
    if not platforms:
        return {}
    entries = {(e.platform, e.handle.lower()): e
               for e in WatchedAccount.objects.filter(active=True, platform__in=platforms)}
    if not entries:
        return {}
    found = {}
    for mention in mentions:
        for key in _keys(mention):
            entry = entries.get((mention.platform, key))
            if entry is not None:
                found[mention.pk] = entry
                break
    return found


def watched_label(entry: WatchedAccount) -> str:
    """The reason shown on a case and a mention, and given to the classifier."""
    return f"{entry.name}: {entry.reason}"
