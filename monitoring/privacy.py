"""Data protection: retention, subject-access export and erasure of one author."""
import hashlib
import io
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record, audit_system
from council_social import csv_export

from .models import Author, Erasure, Mention, RawPayload

# Functions returning a queryset of mention ids that must be kept (open cases, FOI requests).
RETENTION_HOLDS: list = []
# Functions of (author) returning {section: [rows]} for a subject-access export (cases, notes…).
SUBJECT_ACCESS_SECTIONS: list = []
# Functions of (mention ids) called before those mentions are deleted by a purge or an erasure,
# so other apps can remove or detach what refers to them (closed cases, routing).
MENTION_DELETE_HOOKS: list = []


def _held_ids():
    held = Q(pk__in=[])
    for hold in RETENTION_HOLDS:
        held |= Q(pk__in=hold())
    return held


@transaction.atomic
def retention_purge(*, now=None, batch: int = 5000) -> dict:
    """Delete mentions older than the retention period, except those held by open work, then
    authors with nothing left and raw payloads no mention refers to."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.MENTION_RETENTION_DAYS)
    expired = Mention.objects.filter(received_at__lt=cutoff).exclude(_held_ids())
    ids = list(expired.values_list("pk", flat=True)[:batch])
    for hook in MENTION_DELETE_HOOKS:
        hook(ids)
    deleted = Mention.objects.filter(pk__in=ids).delete()[1].get("monitoring.Mention", 0) if ids else 0
    authors = Author.objects.filter(updated_at__lt=cutoff, mentions__isnull=True).delete()[1].get(
        "monitoring.Author", 0)
    raws = RawPayload.objects.filter(fetched_at__lt=cutoff).exclude(
        pk__in=Mention.objects.filter(raw_payload__isnull=False).values("raw_payload")).delete()[1].get(
        "monitoring.RawPayload", 0)
    if deleted or authors:
        audit_system(action="retention.purge", object_type="monitoring.mention", description="Retention purge",
                     changes={"mentions": [None, deleted], "authors": [None, authors], "raw": [None, raws]},
                     note=f"older than {settings.MENTION_RETENTION_DAYS} days")
    return {"mentions": deleted, "authors": authors, "raw_payloads": raws, "more": len(ids) == batch}


def subject_access(author: Author) -> dict:
    """Everything held about one author."""
    mentions = author.mentions.select_related("channel").order_by("posted_at")
    data = {
        "author": {"platform": author.platform, "external_id": author.external_id, "handle": author.handle,
                   "display_name": author.display_name, "followers": author.followers,
                   "verified": author.verified, "profile_url": author.profile_url,
                   "influence": author.influence, "first_seen_at": author.first_seen_at.isoformat()},
        "mentions": [{"external_id": m.external_id, "channel": m.channel.handle, "kind": m.kind, "text": m.text,
                      "url": m.url, "posted_at": m.posted_at.isoformat(), "received_at": m.received_at.isoformat(),
                      "hidden": m.hidden, "deleted": m.deleted} for m in mentions],
    }
    for section in SUBJECT_ACCESS_SECTIONS:
        data.update(section(author))
    return data


def subject_access_csv(data: dict) -> str:
    """The export as CSV: one row per item, with its section."""
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(["section", "field", "value"])
    for field, value in data["author"].items():
        writer.writerow(["author", field, value])
    for section, rows in data.items():
        if section == "author":
            continue
        for n, row in enumerate(rows, 1):
            for field, value in row.items():
                writer.writerow([f"{section} {n}", field, value])
    return out.getvalue()


def author_ref(author: Author) -> str:
    return hashlib.sha256(f"{author.platform}:{author.external_id}".encode()).hexdigest()


@transaction.atomic
def author_erase(*, actor, author: Author, reference: str) -> Erasure:
    """Erase one author and everything they wrote, on request; record that it was done."""
    reference = reference.strip()
    if not reference:
        raise ValueError("Give the reference of the erasure request.")
    mention_ids = list(author.mentions.values_list("pk", flat=True))
    for hook in MENTION_DELETE_HOOKS:
        hook(mention_ids)
    raw_ids = list(Mention.objects.filter(pk__in=mention_ids, raw_payload__isnull=False).values_list(
        "raw_payload_id", flat=True).distinct())
    counts = {"mentions": len(mention_ids), "raw_payloads": len(raw_ids)}
    Mention.objects.filter(pk__in=mention_ids).delete()
    # Raw bodies hold the author's words too; other authors' mentions keep their parsed copy.
    RawPayload.objects.filter(pk__in=raw_ids).delete()
    erasure = Erasure.objects.create(platform=author.platform, author_ref=author_ref(author), reference=reference,
                                     requested_by=actor, counts=counts)
    author.delete()
    audit_record(actor=actor, action="author.erase", obj=erasure, changes={k: [None, v] for k, v in counts.items()},
                 note=reference)
    return erasure
