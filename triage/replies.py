"""Replies under the same rules as posts: who may reply on a channel, the policy and training
gates, and approval where the rules (or a blocked word) ask for it. case_reply in services
calls these; approving a waiting reply sends it."""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Channel, User
from accounts.notifications import notify
from accounts.roles import Role
from accounts.selectors import channel_access

from .governance_models import ReplyDraft, ReplyRule


class NotAllowed(Exception):
    """The person may not do it (channel permission, policy, training, approver): a 403."""

    def __init__(self, message: str, *, link: str = ""):
        super().__init__(message)
        self.message = message
        self.link = link


ReplyNotAllowed = NotAllowed


def require_may_reply(user: User, channel: Channel) -> None:
    if not channel_access(user, channel, "reply"):
        names = ", ".join(str(m) for m in channel.managers.all())
        raise ReplyNotAllowed(f"You cannot reply on {channel.handle}: its managers ({names or 'none named'}), "
                              "the web team and communications officers can.")


def require_gates(user: User) -> None:
    """Like posts: the current policy acknowledged, and required training done and not lapsed."""
    try:
        from policy import selectors as policy_selectors
        from policy.services import PolicyNotAcknowledged, require_policy_acknowledged
    except ImportError:  # the policy app is not installed
        return
    try:
        require_policy_acknowledged(user, action="reply to residents")
    except PolicyNotAcknowledged as exc:
        raise ReplyNotAllowed(exc.message, link=exc.url) from exc
    # Current training: a required module whose completion has lapsed must be done again first.
    # (Staff who have not yet done it are caught by the reply rule for new staff, if set.)
    owed = [row["module"].title for row in policy_selectors.person_training(user)
            if row["module"].required and row["status"] == "lapsed"]
    if owed:
        raise ReplyNotAllowed(f"Before you reply to residents, renew your training: {', '.join(owed)}.")


def _months_ago(months: int):
    return timezone.now() - timedelta(days=round(months * 30.44))


def approval_reasons(*, user: User, case, channel: Channel, text: str) -> tuple[list[str], list[str]]:
    """(why the reply needs approval, who may approve it) — nothing when it may go out at once."""
    from publishing.selectors import blocked_words_in

    reasons, approvers = [], []
    for rule in ReplyRule.objects.filter(enabled=True):
        if rule.channel_id and rule.channel_id != channel.pk:
            continue
        if rule.route and rule.route != case.route:
            continue
        if rule.author_role and not user.has_role(rule.author_role):
            continue
        if rule.new_staff_months and user.date_joined < _months_ago(rule.new_staff_months):
            continue
        reasons.append(f"Rule \u201c{rule.name}\u201d")
        approvers += rule.approver_roles or []
    words = blocked_words_in(text)
    if words:
        reasons.append(f"It contains blocked words: {', '.join(words)}")
    if reasons and not approvers:
        approvers = ["communications_officer", "web_team"]
    return reasons, sorted(set(approvers))


def can_approve_reply(user: User, draft: ReplyDraft) -> tuple[bool, str]:
    if not user.is_authenticated:
        return False, "Sign in to approve replies."
    if draft.author_id == user.pk:
        return False, "You cannot approve your own reply. Ask another approver."
    if not user.has_role(*draft.approver_roles):
        names = ", ".join(Role(r).label.lower() for r in draft.approver_roles if r in Role.values)
        return False, f"This reply is approved by: {names}."
    return True, ""


def reply_submit(*, actor: User, case, text: str, reasons: list[str], approvers: list[str]) -> ReplyDraft:
    """Inside the caller's transaction: the reply waits for approval; approvers are told."""
    draft = ReplyDraft.objects.create(case=case, text=text, author=actor, author_name=str(actor), reasons=reasons,
                                      approver_roles=approvers)
    audit_record(actor=actor, action="reply.submit", obj=draft, service=case.service, note="; ".join(reasons),
                 changes={"text": [None, text]})
    users = [u for u in User.objects.filter(is_active=True).exclude(pk=actor.pk).prefetch_related("groups")
             if u.has_role(*approvers)]
    notify(users=users, subject=f"A reply is waiting for your approval: {case}",
           body=f"{actor} wrote a reply that needs approval ({'; '.join(reasons)}).", url=case.get_absolute_url())
    return draft


def waiting_for(user: User):
    """Replies waiting for approval that this user may approve, on cases they can see."""
    from . import selectors

    drafts = ReplyDraft.objects.filter(state=ReplyDraft.State.WAITING, case__in=selectors.case_list(user=user))
    return [d for d in drafts.select_related("case", "author") if can_approve_reply(user, d)[0]]


def reply_approve(*, actor: User, draft: ReplyDraft, comment: str = "", client=None):
    """Approve a waiting reply: it is sent through the platform as its author's reply."""
    from . import services

    with transaction.atomic():
        locked = ReplyDraft.objects.select_for_update(of=("self",)).get(pk=draft.pk)
        if locked.state != ReplyDraft.State.WAITING:
            raise services.CaseActionError(f"This reply is {locked.get_state_display().lower()} already.")
        allowed, why = can_approve_reply(actor, locked)
        if not allowed:
            raise ReplyNotAllowed(why)
    event = services._reply_send(actor=locked.author or actor, case=locked.case, text=locked.text, client=client,
                                approved_by=actor)
    with transaction.atomic():
        ReplyDraft.objects.filter(pk=draft.pk).update(state=ReplyDraft.State.SENT, decided_by=actor,
                                                      decided_by_name=str(actor), decided_at=timezone.now(),
                                                      comment=comment)
        draft.refresh_from_db()
        audit_record(actor=actor, action="reply.approve", obj=draft, service=draft.case.service, note=comment,
                     changes={"state": [ReplyDraft.State.WAITING, ReplyDraft.State.SENT]})
    if draft.author:
        notify(users=[draft.author], subject=f"Your reply was approved and sent: {draft.case}", email=False,
               body=comment, url=draft.get_absolute_url())
    return event


@transaction.atomic
def reply_send_back(*, actor: User, draft: ReplyDraft, comment: str) -> ReplyDraft:
    from . import services

    if not (comment or "").strip():
        raise services.CaseActionError("Say what needs to change.")
    locked = ReplyDraft.objects.select_for_update(of=("self",)).get(pk=draft.pk)
    if locked.state != ReplyDraft.State.WAITING:
        raise services.CaseActionError(f"This reply is {locked.get_state_display().lower()} already.")
    allowed, why = can_approve_reply(actor, locked)
    if not allowed:
        raise ReplyNotAllowed(why)
    locked.state = ReplyDraft.State.SENT_BACK
    locked.decided_by, locked.decided_by_name, locked.decided_at = actor, str(actor), timezone.now()
    locked.comment = comment.strip()
    locked.save()
    audit_record(actor=actor, action="reply.send_back", obj=locked, service=locked.case.service, note=comment,
                 changes={"state": [ReplyDraft.State.WAITING, ReplyDraft.State.SENT_BACK]})
    if locked.author:
        notify(users=[locked.author], subject=f"Your reply was sent back: {locked.case}",
               body=f"{actor}: {comment}", url=reverse("case_detail", args=[locked.case_id]))
    return locked
