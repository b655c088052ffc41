"""Moderation on the record: hide, unhide or delete a resident's comment on the platform, and
block or mute an account where the platform allows, each with a reason from the house rules,
recorded with who, when, why and a snapshot of the text and its author as they were.

Legal hold: nothing in a thread with an open FOI request, or a subject-access or erasure
request in progress, may be deleted (section 77 of the FOI Act); hiding is still allowed.
Seed 004's house rules: do not delete posts or comments unless absolutely necessary, so a
delete needs a note saying why hiding is not enough."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.selectors import channel_access
from monitoring.models import Mention
from platforms.base import NotSupported, PlatformError

from .governance_models import DataRequest, ModerationAction
from .replies import NotAllowed
from .services import CaseActionError

# Reasons from the house rules for moderating a comment.
REASONS = {
    "abusive": "Abusive, threatening or discriminatory",
    "personal_data": "Reveals someone's personal or confidential information",
    "spam": "Spam, advertising or a scam",
    "unlawful": "Unlawful, for example defamatory or in contempt of court",
    "impersonation": "Impersonates the council or someone else",
    "disruptive": "Repeated posting that disrupts the conversation",
    "blocked_word": "Contains a word on the blocked words list",
}
ACTIONS = ModerationAction.Action


class ModerationRefused(CaseActionError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _thread(mention: Mention):
    if mention.conversation_id:
        return Mention.objects.filter(Q(pk=mention.pk) | Q(platform=mention.platform,
                                                          conversation_id=mention.conversation_id))
    return Mention.objects.filter(pk=mention.pk)


def legal_hold(mention: Mention) -> str:
    """Why nothing in the mention's thread may be deleted now, or "" when it may."""
    from .models import FoiRequest, MentionRouting

    thread = _thread(mention)
    # The cases of the thread's mentions, by their routings and by the mentions that opened them:
    # two plain semi-joins, each on an index (an OR across the joins would read every FOI request).
    waiting = FoiRequest.objects.filter(responded_at__isnull=True)
    if (waiting.filter(case__in=MentionRouting.objects.filter(mention__in=thread).values("case")).exists()
            or waiting.filter(case__mention__in=thread).exists()):
        return ("An FOI request in this thread has not been answered: deleting anything in it could be an offence "
                "under section 77 of the Freedom of Information Act. Hide it instead.")
    if DataRequest.objects.filter(closed_at__isnull=True, author__in=thread.values("author")).exists():
        return ("A subject-access or erasure request from someone in this thread is in progress: nothing in it may "
                "be deleted until it is closed. Hide it instead.")
    return ""


def _snapshot(mention: Mention) -> dict:
    author = mention.author
    return {"text_snapshot": mention.text, "author_snapshot": f"{author.handle} {author.display_name}".strip()[:300],
            "author_external_id": author.external_id, "platform": mention.platform,
            "external_id": mention.external_id}


def _client_call(client, action: str, mention: Mention) -> None:
    if action == ACTIONS.HIDE:
        client.hide(mention.external_id, hidden=True)
    elif action == ACTIONS.UNHIDE:
        client.hide(mention.external_id, hidden=False)
    elif action == ACTIONS.DELETE:
        client.delete(mention.external_id)
    else:  # block or mute an account, where the client offers it
        fn = getattr(client, action, None)
        if fn is None:
            raise NotSupported(f"{mention.get_platform_display()} does not allow this from here")
        fn(mention.author.external_id)


def moderate(*, actor, mention: Mention, action: str, reason: str, note: str = "", case=None, client=None,
             automatic: bool = False) -> ModerationAction:
    """Do one moderation action on the platform and put it on the record (with its snapshot),
    whether the platform did it or not."""
    from monitoring.clients import client_for

    if action not in ACTIONS.values:
        raise ModerationRefused("Choose hide, unhide, delete, block or mute.")
    if reason not in REASONS or (reason == "blocked_word" and not automatic):
        raise ModerationRefused("Choose a reason from the house rules.")
    note = (note or "").strip()
    channel = mention.channel
    if not automatic and not channel_access(actor, channel, "moderate"):
        raise NotAllowed(f"You cannot moderate comments on {channel.handle}: its managers, the web team and "
                         "communications officers can.")
    if action == ACTIONS.DELETE:
        if not note:
            raise ModerationRefused("Delete only when absolutely necessary (house rules): say why hiding it is not "
                                    "enough.")
        hold = legal_hold(mention)
        if hold:
            _record(actor, mention, action, reason, note, case, automatic, ModerationAction.Outcome.REFUSED, hold)
            raise ModerationRefused(hold)
    client = client or client_for(channel)
    try:
        _client_call(client, action, mention)
    except NotSupported as exc:
        return _record(actor, mention, action, reason, note, case, automatic, ModerationAction.Outcome.FAILED,
                       f"Not done on the platform: {exc}.")
    except PlatformError as exc:
        _record(actor, mention, action, reason, note, case, automatic, ModerationAction.Outcome.FAILED,
                f"The platform did not do it ({type(exc).__name__}).")
        raise ModerationRefused(f"{mention.get_platform_display()} did not do it ({type(exc).__name__}). Nothing "
                                "changed; try again in a few minutes.") from exc
    with transaction.atomic():
        fields = {ACTIONS.HIDE: {"hidden": True}, ACTIONS.UNHIDE: {"hidden": False},
                  ACTIONS.DELETE: {"deleted": True}}.get(action, {})
        if fields:
            Mention.objects.filter(pk=mention.pk).update(**fields)
        return _record(actor, mention, action, reason, note, case, automatic, ModerationAction.Outcome.DONE, "")


@transaction.atomic
def _record(actor, mention, action, reason, note, case, automatic, outcome, detail) -> ModerationAction:
    record = ModerationAction.objects.create(
        mention=mention, case=case, channel=mention.channel, action=action, reason=reason, note=note,
        automatic=automatic, outcome=outcome, detail=detail, actor=actor if getattr(actor, "pk", None) else None,
        actor_name=str(actor) if actor is not None else "system (blocked words)", **_snapshot(mention))
    audit_record(actor=actor, action=f"moderation.{action}", obj=record, service=mention.channel.service,
                 changes={"outcome": [None, outcome]}, note=f"{REASONS[reason]}. {note} {detail}".strip()[:2000])
    if case is not None:
        from .models import CaseEvent

        CaseEvent.objects.create(case=case, at=record.at, actor=record.actor, actor_name=record.actor_name,
                                 kind=CaseEvent.Kind.NOTE, text=f"Moderation: {record.get_action_display()} "
                                 f"({REASONS[reason]}; {record.get_outcome_display().lower()}). {note} {detail}"
                                 .strip(), data={"moderation": record.pk})
    return record


def queue_auto_hide(mentions) -> None:
    """monitoring's new-mention hook: comments with a word marked "hide incoming" are hidden by a
    task after the page is stored (never a platform call inside ingestion)."""
    from publishing.models import BlockedWord

    ids = [m.pk for m in mentions if getattr(m, "kind", None) in (Mention.Kind.COMMENT, Mention.Kind.REPLY)]
    if not ids or not BlockedWord.objects.filter(hide_incoming=True).exists():
        return

    def send():
        from .tasks import moderation_auto_hide

        moderation_auto_hide.delay(ids)

    transaction.on_commit(send)


def auto_hide(mentions) -> int:
    """Residents' comments on the council's own pages with a word the administrators marked
    "hide incoming": hidden automatically, each logged for review."""
    from publishing.selectors import blocked_words_in

    done = 0
    for mention in mentions:
        if mention.kind not in (Mention.Kind.COMMENT, Mention.Kind.REPLY) or mention.hidden:
            continue
        words = blocked_words_in(mention.text, incoming_only=True)
        if not words:
            continue
        try:
            moderate(actor=None, mention=mention, action=ACTIONS.HIDE, reason="blocked_word", automatic=True,
                     note=f"Blocked words: {', '.join(words)}")
        except ModerationRefused:
            continue
        done += 1
    return done


@transaction.atomic
def moderation_review(*, actor, record: ModerationAction) -> ModerationAction:
    """A person looked at an automatic hide and agrees (or will unhide it separately)."""
    if not channel_access(actor, record.channel, "moderate"):
        raise NotAllowed("You cannot review moderation on this channel.")
    if record.reviewed_at is None:
        record.reviewed_by, record.reviewed_at = actor, timezone.now()
        record.save(update_fields=["reviewed_by", "reviewed_at"])
        audit_record(actor=actor, action="moderation.review", obj=record, service=record.channel.service,
                     changes={"reviewed_at": [None, record.reviewed_at.isoformat()]})
    return record


def moderation_log(*, user, filters: dict | None = None):
    """The moderation records of the channels the user may see."""
    from accounts.selectors import channel_list

    qs = ModerationAction.objects.filter(channel__in=channel_list(user=user)).select_related("channel", "case")
    f = filters or {}
    if f.get("action"):
        qs = qs.filter(action=f["action"])
    if f.get("automatic"):
        qs = qs.filter(automatic=True)
    return qs


CSV_HEADER = ["at", "action", "outcome", "automatic", "reason", "note", "by", "channel", "platform", "external_id",
              "author", "text", "detail", "case", "reviewed_by", "reviewed_at"]


def moderation_rows(records):
    for r in records:
        yield [r.at.isoformat(), r.action, r.outcome, "yes" if r.automatic else "no", REASONS.get(r.reason, r.reason),
               r.note, r.actor_name, r.channel.handle if r.channel else "", r.platform, r.external_id,
               r.author_snapshot, r.text_snapshot, r.detail, r.case_id or "",
               str(r.reviewed_by) if r.reviewed_by else "", r.reviewed_at.isoformat() if r.reviewed_at else ""]
