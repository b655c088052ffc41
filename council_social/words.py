"""Codes into words: the one place that turns what the database stores (role codes, routes,
states, audit event codes, record changes) into what staff read. Every page uses it through
the `words` template filters (council_social/templatetags/govuk.py); nothing else should
print a code.

A code no vocabulary knows still reads as words ("needs_reauth" -> "Needs reauth"), so a
code added later never shows raw.
"""
from __future__ import annotations

import datetime as dt
import re

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# The nouns of the audit trail's event codes ("channel.needs_reauth": the channel).
NOUNS = {
    "account_request": "Request for a new account", "alerts": "Email alerts", "author": "Author",
    "campaign": "Campaign", "cannedreply": "Standard reply", "case": "Case", "channel": "Channel",
    "emergency": "Emergency pause", "housekeeping": "Housekeeping", "mfa": "Multi-factor sign-in",
    "policy": "Policy", "post": "Post", "report": "Report", "retention": "Retention", "rule": "Rule",
    "service": "Service", "training": "Training", "user": "User", "slaprofile": "SLA profile",
    "watchterm": "Watch term", "keywordlist": "Keyword list",
}

# Whole event codes whose words are not "<noun> <verb>".
AUDIT_ACTIONS = {
    "account_request.decide": "Request for a new account decided",
    "account_request.resubmit": "Request for a new account sent again",
    "account_request.submit": "Request for a new account sent",
    "alerts.erase": "Email alert subscriber erased", "alerts.export": "Email alert subscribers exported",
    "alerts.subscribe": "Signed up for email alerts", "alerts.unsubscribe": "Unsubscribed from email alerts",
    "author.erase": "Author erased", "author.subject_access": "Author's data exported (subject access)",
    "channel.branding": "Channel branding changed", "channel.connect": "Channel connected to its platform",
    "channel.handle": "Channel handle changed", "channel.platform": "Channel platform changed",
    "channel.metrics_backfill": "Channel figures filled in from the platform",
    "channel.needs_reauth": "Channel needs re-authorising", "channel.poll_interval": "Channel checking interval changed",
    "channel.transition": "Channel status changed",
    "emergency.end": "Emergency pause ended", "emergency.start": "Emergency pause started",
    "housekeeping.flag": "Housekeeping problem found", "housekeeping.resolve": "Housekeeping problem resolved",
    "mfa.backup_code_used": "Backup code used to sign in", "mfa.backup_codes": "New backup codes made",
    "mfa.failure": "Wrong sign-in code", "mfa.remove": "Authenticator app removed",
    "mfa.setup": "Authenticator app set up",
    "policy.acknowledge": "Policy acknowledged", "policy.review_reminder": "Policy review reminder sent",
    "policy.review_reminders": "Policy review reminders sent", "policy.training_reminders": "Training reminders sent",
    "policy.version": "New policy version published",
    "post.approve": "Post approved", "post.cancel": "Post cancelled", "post.create": "Post drafted",
    "post.failed": "Post failed to publish", "post.failed_on": "Post failed on a channel",
    "post.mark_published": "Post marked as published", "post.monitoring_officer": "Monitoring officer decided",
    "post.pause": "Post paused", "post.publish_start": "Post publishing started", "post.published": "Post published",
    "post.published_to": "Post published on a channel", "post.refer_monitoring_officer": "Post referred to the monitoring officer",
    "post.request_changes": "Changes asked for on a post", "post.resume": "Post resumed", "post.retry": "Post publishing retried",
    "post.schedule": "Post scheduled", "post.submit": "Post sent for approval", "post.update": "Post changed",
    "post.unknown_on": "Post's outcome unknown on a channel",
    "report.fail": "Report failed", "report.generate": "Report made", "report.request": "Report asked for",
    "retention.purge": "Old mentions deleted (retention)",
    "training.complete": "Training recorded",
    "user.create": "User added", "user.fields": "User details changed", "user.roles": "User's roles changed",
    "user.sign_in": "Signed in", "user.sign_in_refused": "Sign-in refused", "user.sso_link": "Council account linked",
}

VERBS = {"create": "added", "update": "changed", "delete": "deleted"}

# Field names on the audit trail's changes.
FIELDS = {
    "requester": "Requested by", "service": "Service", "decided_by": "Decided by", "assignee": "Assigned to",
    "created_by": "Created by", "owner": "Owner", "state": "State", "status": "Status", "stage": "Stage",
    "route": "Route", "priority": "Priority", "roles": "Roles", "platform": "Platform", "kind": "Kind",
    "proposed_handle": "Proposed handle", "proposed_display_name": "Proposed name", "submitted_at": "Sent",
    "decided_at": "Decided", "created_at": "Created", "updated_at": "Changed", "conditions": "Conditions",
    "notify": "Who is told", "sla": "SLA", "enabled": "In use", "order": "Order", "poll_interval": "Checking interval",
}

_CODE = re.compile(r"^[a-z][a-z0-9]*(?:[._][a-z0-9]+)+$")


def _vocabularies() -> dict[str, dict[str, str]]:
    """Every set of choices, by kind; built once, from the models' own labels."""
    global _VOCAB
    if _VOCAB is None:
        from accounts.models import AccountRequest, Channel
        from accounts.roles import Role
        from publishing.models import Post
        from triage.models import Case, CaseEvent, NotifyRole, Priority, Route

        _VOCAB = {
            "role": dict(Role.choices), "route": dict(Route.choices), "priority": dict(Priority.choices),
            "notify": dict(NotifyRole.choices), "case_state": dict(Case.State.choices),
            "case_event": dict(CaseEvent.Kind.choices), "post_state": dict(Post.State.choices),
            "channel_status": dict(Channel.Status.choices), "platform": dict(Channel.Platform.choices),
            "channel_kind": dict(Channel.Kind.choices), "request_state": dict(AccountRequest.State.choices),
            "request_stage": dict(AccountRequest.Stage.choices),
        }
    return _VOCAB


_VOCAB: dict[str, dict[str, str]] | None = None


def plain(code: str) -> str:
    """A code nobody named, as words: 'needs_reauth' -> 'Needs reauth'."""
    text = re.sub(r"[._]+", " ", str(code)).strip()
    return text[:1].upper() + text[1:]


def in_words(value, kind: str | None = None) -> str:
    """A stored code as words. `kind` names the vocabulary (role, route, priority, notify,
    case_state, post_state, channel_status, platform, audit…); without it, every vocabulary
    is tried."""
    if value is None or value == "":
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return join([in_words(v, kind) for v in value])
    code = str(value)
    if kind == "audit":
        return audit_action(code)
    vocab = _vocabularies()
    if kind:
        return vocab.get(kind, {}).get(code) or (plain(code) if _CODE.match(code) or "_" in code else code)
    for words in vocab.values():
        if code in words:
            return str(words[code])
    if "." in code and _CODE.match(code):
        return audit_action(code)
    return plain(code) if _CODE.match(code) else code


def audit_action(code: str) -> str:
    if code in AUDIT_ACTIONS:
        return AUDIT_ACTIONS[code]
    noun, _, verb = code.partition(".")
    if noun == "case" and verb:
        return f"Case: {_vocabularies()['case_event'].get(verb, plain(verb)).lower()}"
    noun_words = NOUNS.get(noun, plain(noun))
    return f"{noun_words} {VERBS.get(verb, plain(verb).lower())}".strip()


def join(parts) -> str:
    parts = [str(p) for p in parts if p not in (None, "")]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def when(value) -> str:
    """A date and time as staff read it: '6 Dec 2026, 13:49', never microseconds."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            return value
        value = parsed
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return f"{value.day} {value:%b %Y}, {value:%H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%b %Y}"
    return str(value)


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _value_words(model, name: str, value) -> str:
    """One audited value as words: a related record by its name, a choice by its label, a time
    without microseconds, a list joined."""
    if value is None or value == "":
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    field = None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 (a field since removed still reads as its value)
            field = None
    if isinstance(field, models.ForeignKey):
        try:
            related = field.related_model.objects.filter(pk=value).first()
        except (TypeError, ValueError):  # an older row that kept a name, not an id
            return str(value)
        return str(related) if related is not None else "a record since deleted"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, in_words(value)))
    if isinstance(value, list):
        return join([_value_words(None, name, v) for v in value]) or "nothing"
    if isinstance(value, dict):
        return join([f"{plain(k).lower()} {_value_words(None, k, v)}" for k, v in value.items()]) or "nothing"
    if isinstance(value, str) and parse_datetime(value) is not None:
        return when(value)
    if isinstance(value, str) and _CODE.match(value):
        return in_words(value, name if name in _vocabularies() else None)
    return str(value)


def _field_words(model, name: str) -> str:
    if name in FIELDS:
        return FIELDS[name]
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name).capitalize()
        except Exception:  # noqa: BLE001
            pass
    return plain(name)


def changes_in_words(changes: dict, object_type: str = "") -> list[str]:
    """An audit row's {field: [before, after]} as sentences: 'Requested by: Ann Baker',
    'State: from Draft to Waiting for approval'."""
    model = _model(object_type) if object_type else None
    out = []
    for name, values in (changes or {}).items():
        label = _field_words(model, name)
        if not isinstance(values, (list, tuple)) or len(values) != 2:
            out.append(f"{label}: {_value_words(model, name, values)}")
            continue
        before, after = values
        if before in (None, ""):
            out.append(f"{label}: {_value_words(model, name, after)}")
        elif after in (None, ""):
            out.append(f"{label}: {_value_words(model, name, before)} removed")
        else:
            out.append(f"{label}: from {_value_words(model, name, before)} to {_value_words(model, name, after)}")
    return out


PLATFORM_HOSTS = ("x.com", "twitter.com", "facebook.com", "instagram.com", "threads.net", "youtube.com",
                  "bsky.app", "linkedin.com", "flickr.com", "mastodon.social", "nextdoor.com")


def platform_link(url: str) -> str:
    """A link to a platform's own site, or, on the demo (the simulator in use), to the simulator's
    stand-in page: the demo's authors are invented and must not link to real people's profiles."""
    from urllib.parse import urlsplit

    from django.conf import settings

    if not url or not getattr(settings, "USE_SIMULATOR", False):
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not any(host == h or host.endswith("." + h) for h in PLATFORM_HOSTS):
        return url
    rest = host + parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{settings.SIMULATOR_URL.rstrip('/')}/_web/{rest}"
