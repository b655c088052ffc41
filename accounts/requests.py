"""Requests for new social media accounts (seed 004, "New social media accounts") and
setting up the channel an approved request creates.

"Staff should NOT set up any new Twitter accounts, Facebook groups, pages or profiles ...
without first consulting the webteam and the relevant head of service." A request answers
the four questions; the head of the requesting service decides first, then the web team.
Nobody else decides. Approval creates the channel in the registry, owned by the service, in
"setting up"; it becomes active once the web team has access and the branding checklist is done.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .audit import audit_record, diff, snapshot
from .models import AccountRequest, AccountRequestDecision, BrandingChecklist, Channel, User
from .notifications import notify
from .roles import Role
from .selectors import can_edit_channel, staff_with_role
from .services import channel_create

Outcome = AccountRequestDecision.Outcome
State = AccountRequest.State
Stage = AccountRequest.Stage

# The answers a requester gives (and may change when asked for more information).
ANSWER_FIELDS = ("platform", "kind", "proposed_handle", "proposed_display_name", "audience", "objectives",
                 "why_own_account", "content_commitment", "out_of_hours")
REQUESTABLE_KINDS = (Channel.Kind.SERVICE, Channel.Kind.CAMPAIGN)
SEE_ALL_REQUESTS = (Role.WEB_TEAM, Role.ADMINISTRATOR)
MISSING = {
    "platform": "Choose the platform.",
    "kind": "Choose whether it is a service account or a campaign account.",
    "proposed_handle": "Enter the account's name on the platform.",
    "proposed_display_name": "Enter the account's display name.",
    "audience": "Say who your audience is.",
    "objectives": "Say which business objectives the account would help you achieve.",
    "why_own_account": "Say why your own account would do better than content for the council's existing accounts.",
    "content_commitment": "Say how often you will post and who will write the content.",
    "out_of_hours": "Say how you will deal with messages received out of hours.",
}


# Reads ----------------------------------------------------------------------------------


def account_request_list(*, user: User, state: str | None = None) -> QuerySet[AccountRequest]:
    """Requests the user may see: their own and those they monitor; a head of service their
    service's; the web team and administrators all."""
    qs = AccountRequest.objects.select_related("service", "service__head", "requester", "channel")
    if not user.is_authenticated:
        return qs.none()
    if not user.has_role(*SEE_ALL_REQUESTS):
        visible = Q(requester=user) | Q(service__head=user) | Q(monitors=user)
        if user.has_role(Role.HEAD_OF_SERVICE) and user.service_id:
            visible |= Q(service_id=user.service_id)
        qs = qs.filter(pk__in=AccountRequest.objects.filter(visible).values("pk"))
    if state:
        qs = qs.filter(state=state)
    return qs


def account_request_get(*, user: User, pk: int) -> AccountRequest:
    """A request the user may see; 404 otherwise, so ids reveal nothing."""
    return get_object_or_404(account_request_list(user=user), pk=pk)


def decide_refusal(user: User, request: AccountRequest) -> str | None:
    """Why `user` may not decide `request` now, or None if they may."""
    stage = request.stage
    if stage is None:
        return f"This request is {request.get_state_display().lower()}: there is nothing to decide."
    if stage == Stage.HEAD_OF_SERVICE:
        head = request.service.head
        if head is not None and head.pk == request.requester_id:
            # The head of service asked: nobody in the service is above them, so the web team decides both stages.
            if user.has_role(Role.WEB_TEAM):
                return None
            if user.pk == head.pk:
                return "You made this request, so someone else decides it: the web team."
            return f"{head}, head of {request.service}, made this request, so the web team decides it."
        if head is None:
            return (f"{request.service} has no head of service recorded, so nobody can decide this request yet. "
                    "Ask an administrator to record one.")
        if head.pk != user.pk:
            return f"Only {head}, head of {request.service}, can decide this request at this stage."
    elif not user.has_role(Role.WEB_TEAM):
        return "Only the web team can decide this request at this stage."
    if request.requester_id == user.pk:  # nobody decides their own request
        return ("You made this request, so someone else decides it: "
                + ("the web team." if stage == Stage.HEAD_OF_SERVICE else "another member of the web team."))
    return None


def request_blocker(user: User) -> str | None:
    """Why `user` cannot request a new account, or None if they can."""
    if not user.is_authenticated or not user.is_active:
        return "Sign in to request an account."
    if user.has_role(Role.COUNCILLOR) and not (user.roles - {Role.COUNCILLOR}):
        return "Councillors cannot request council accounts: talk to the web team."
    if user.service is None:
        return "You are not in a service. Ask an administrator to add you to one first."
    if user.service.head_id is None:
        return (f"{user.service} has no head of service recorded, so nobody could approve a request. Ask an "
                "administrator to record one first.")
    return None


def can_decide(user: User, request: AccountRequest) -> bool:
    return user.is_authenticated and decide_refusal(user, request) is None


def requests_awaiting(*, user: User) -> QuerySet[AccountRequest]:
    """What is waiting for this user: decisions they must make, and their requests sent back."""
    q = Q(state=State.SUBMITTED, service__head=user) | Q(state=State.MORE_INFORMATION, requester=user)
    if user.has_role(Role.WEB_TEAM):
        q |= Q(state=State.WITH_WEB_TEAM)
    return AccountRequest.objects.filter(q).select_related("service", "requester").order_by("created_at")


# Changes --------------------------------------------------------------------------------


def _clean_answers(answers: dict, *, monitors, exclude_pk: int | None = None) -> dict:
    """Trimmed answers, or a ValidationError naming each bad field."""
    errors = {}
    clean = {}
    for field in ANSWER_FIELDS:
        value = answers.get(field)
        value = value.strip() if isinstance(value, str) else value
        if not value:
            errors[field] = MISSING[field]
        clean[field] = value
    if clean.get("platform") and clean["platform"] not in Channel.Platform.values:
        errors["platform"] = "Choose a platform from the list."
    if clean.get("kind") and clean["kind"] not in REQUESTABLE_KINDS:
        errors["kind"] = "Choose a service account or a campaign account."
    handle, platform = clean.get("proposed_handle"), clean.get("platform")
    if handle and platform and "proposed_handle" not in errors:
        if Channel.objects.filter(platform=platform, handle__iexact=handle).exists():
            errors["proposed_handle"] = "The council already has a channel with this name on this platform."
        else:
            other = AccountRequest.objects.filter(platform=platform, proposed_handle__iexact=handle).exclude(
                state__in=(State.APPROVED, State.REFUSED)).exclude(pk=exclude_pk).first()
            if other:
                errors["proposed_handle"] = f"{other.requester} has already asked for this account."
    monitors = list(monitors or [])
    if not monitors:
        errors["monitors"] = "Choose who will monitor the account."
    elif any(not m.is_active for m in monitors):
        errors["monitors"] = "Choose people who still work here."
    if errors:
        raise ValidationError(errors)
    clean["monitors"] = monitors
    return clean


def _involved(request: AccountRequest, *, web_team: bool) -> list[User]:
    people = [request.requester, request.service.head, *request.monitors.all()]
    if web_team:
        people += list(staff_with_role(Role.WEB_TEAM))
    return people


def _tell(users, actor, subject: str, body: str, request: AccountRequest) -> None:
    # In-app notifications are written with the change; notify() sends the emails after commit.
    notify(users=[u for u in users if u is not None and u.pk != getattr(actor, "pk", None)],
           subject=subject, body=body, url=request.get_absolute_url())


@transaction.atomic
def account_request_submit(*, actor: User, monitors=(), **answers) -> AccountRequest:
    """Submit a request for a new account for the actor's service, to its head of service."""
    blocker = request_blocker(actor)
    if blocker:
        raise PermissionDenied(blocker)
    unknown = set(answers) - set(ANSWER_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    clean = _clean_answers(answers, monitors=monitors)
    request = AccountRequest(service=actor.service, requester=actor,
                             **{k: v for k, v in clean.items() if k != "monitors"})
    request.full_clean(exclude=["monitors"])
    request.save()
    request.monitors.set(clean["monitors"])
    audit_record(actor=actor, action="account_request.submit", obj=request,
                 changes={**diff({}, snapshot(request)),
                          "monitors": [None, sorted(m.username for m in clean["monitors"])]},
                 service=request.service)
    if request.service.head_id == actor.pk:  # a head of service does not decide their own request
        _tell(staff_with_role(Role.WEB_TEAM), actor, f"Decide a request for a new {request.get_platform_display()} "
              "account", f"{actor}, head of {request.service}, asks for {request.proposed_handle}. The web team "
              "decides it.", request)
        _tell([actor], None, f"Your request for {request.proposed_handle} was sent", "The web team decides it.",
              request)
        return request
    _tell([request.service.head], actor, f"Decide a request for a new {request.get_platform_display()} account",
          f"{actor} of {request.service} asks for {request.proposed_handle}. You decide it first; then the web "
          "team.", request)
    _tell([actor], None, f"Your request for {request.proposed_handle} was sent",
          f"{request.service.head} decides it first; then the web team.", request)
    return request


@transaction.atomic
def account_request_decide(*, actor: User, request: AccountRequest, outcome: str,
                           reasons: str = "") -> AccountRequestDecision:
    """Record the head of service's or the web team's decision and move the request on."""
    request = AccountRequest.objects.select_for_update(of=("self",)).select_related("service__head", "requester").get(
        pk=request.pk)
    refusal = decide_refusal(actor, request)
    if refusal:
        if request.stage is None:
            raise ValidationError(refusal)
        raise PermissionDenied(refusal)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose approve, refuse or ask for more information."})
    reasons = (reasons or "").strip()
    if outcome != Outcome.APPROVED and not reasons:
        raise ValidationError({"reasons": "Give your reasons: the requester will read them."
                               if outcome == Outcome.REFUSED else "Say what more information you need."})
    stage, before = request.stage, request.state
    if outcome == Outcome.REFUSED:
        request.state, request.decided_at = State.REFUSED, timezone.now()
    elif outcome == Outcome.MORE_INFORMATION:
        request.state, request.returned_from = State.MORE_INFORMATION, stage
    elif stage == Stage.HEAD_OF_SERVICE:
        request.state = State.WITH_WEB_TEAM
    else:
        request.channel = _create_channel(actor=actor, request=request)
        request.state, request.decided_at = State.APPROVED, timezone.now()
    request.save()
    decision = AccountRequestDecision.objects.create(request=request, stage=stage, outcome=outcome,
                                                     reasons=reasons, decided_by=actor, decided_by_name=str(actor))
    changes = {"state": [before, request.state]}
    if request.channel_id and outcome == Outcome.APPROVED and stage == Stage.WEB_TEAM:
        changes["channel"] = [None, request.channel_id]
    audit_record(actor=actor, action="account_request.decide", obj=request, changes=changes,
                 note=f"{Stage(stage).label}: {Outcome(outcome).label.lower()}. {reasons}".strip(),
                 service=request.service)
    _announce_decision(actor, request, stage, outcome, reasons)
    return decision


def _create_channel(*, actor: User, request: AccountRequest) -> Channel:
    if Channel.objects.filter(platform=request.platform, handle__iexact=request.proposed_handle).exists():
        raise ValidationError("The council already has a channel with this name on this platform. Refuse the "
                              "request or ask for more information.")
    channel = channel_create(
        actor=actor, platform=request.platform, handle=request.proposed_handle,
        display_name=request.proposed_display_name, service=request.service, kind=request.kind,
        status=Channel.Status.SETTING_UP, web_team_has_access=False,
        purpose=request.objectives[:2000],
        managers=[request.requester, *request.monitors.all()],
    )
    BrandingChecklist.objects.create(channel=channel)
    return channel


def _announce_decision(actor, request: AccountRequest, stage: str, outcome: str, reasons: str) -> None:
    name = request.proposed_handle
    why = f"\n\nReasons: {reasons}" if reasons else ""
    if outcome == Outcome.REFUSED:
        _tell(_involved(request, web_team=stage == Stage.WEB_TEAM), actor, f"Request for {name} refused",
              f"{actor} ({Stage(stage).label.lower()}) refused the request.{why}", request)
    elif outcome == Outcome.MORE_INFORMATION:
        _tell([request.requester], actor, f"More information needed for {name}",
              f"{actor} ({Stage(stage).label.lower()}) needs more information before deciding. Change your answers "
              f"and resubmit the request.{why}", request)
        _tell(_involved(request, web_team=stage == Stage.WEB_TEAM), actor,
              f"Request for {name} sent back for more information", f"Asked by {actor}.{why}", request)
    elif stage == Stage.HEAD_OF_SERVICE:
        _tell(_involved(request, web_team=True), actor, f"Request for {name} approved by the head of service",
              f"{actor} approved it for {request.service}. The web team decides next.{why}", request)
    else:
        _tell(_involved(request, web_team=True), actor, f"Request for {name} approved",
              f"{actor} approved it for the web team. The channel is in the registry, setting up: it becomes active "
              "when the web team has access and the branding checklist is done. All new accounts are subject to "
              f"the house rules.{why}", request)


@transaction.atomic
def account_request_resubmit(*, actor: User, request: AccountRequest, monitors=None, **answers) -> AccountRequest:
    """The requester changes their answers and sends the request back to the stage that asked."""
    request = AccountRequest.objects.select_for_update(of=("self",)).select_related("service__head", "requester").get(
        pk=request.pk)
    if request.requester_id != actor.pk:
        raise PermissionDenied("Only the person who made the request can resubmit it.")
    if request.state != State.MORE_INFORMATION:
        raise ValidationError(f"This request is {request.get_state_display().lower()}: it cannot be resubmitted.")
    unknown = set(answers) - set(ANSWER_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    merged = {f: answers.get(f, getattr(request, f)) for f in ANSWER_FIELDS}
    before_monitors = sorted(request.monitors.values_list("username", flat=True))
    clean = _clean_answers(merged, monitors=request.monitors.all() if monitors is None else monitors,
                           exclude_pk=request.pk)
    before = snapshot(request)
    for field in ANSWER_FIELDS:
        setattr(request, field, clean[field])
    request.state = State.SUBMITTED if request.returned_from == Stage.HEAD_OF_SERVICE else State.WITH_WEB_TEAM
    request.returned_from = ""
    request.full_clean(exclude=["monitors"])
    request.save()
    request.monitors.set(clean["monitors"])
    changes = diff(before, snapshot(request))
    changes.pop("updated_at", None)
    after_monitors = sorted(m.username for m in clean["monitors"])
    if after_monitors != before_monitors:
        changes["monitors"] = [before_monitors, after_monitors]
    audit_record(actor=actor, action="account_request.resubmit", obj=request, changes=changes,
                 service=request.service)
    deciders = [request.service.head] if request.state == State.SUBMITTED else list(staff_with_role(Role.WEB_TEAM))
    _tell(deciders, actor, f"Request for {request.proposed_handle} resubmitted",
          f"{actor} answered the request for more information. It is waiting for your decision.", request)
    return request


# Setting up the channel -----------------------------------------------------------------


@transaction.atomic
def branding_checklist_update(*, actor: User, channel: Channel, **items) -> BrandingChecklist:
    """Tick or untick the branding checklist of a channel."""
    if not can_edit_channel(actor, channel):
        raise PermissionDenied("You cannot change this channel.")
    allowed = {field for field, _ in BrandingChecklist.ITEMS}
    unknown = set(items) - allowed
    if unknown:
        raise ValidationError(f"Unknown checklist items: {', '.join(sorted(unknown))}.")
    checklist, _ = BrandingChecklist.objects.select_for_update(of=("self",)).get_or_create(channel=channel)
    before = snapshot(checklist, fields=allowed)
    was_complete = checklist.is_complete
    for field, value in items.items():
        setattr(checklist, field, bool(value))
    checklist.checked_by, checklist.checked_at = actor, timezone.now()
    checklist.save()
    changes = diff(before, snapshot(checklist, fields=allowed))
    if changes:
        audit_record(actor=actor, action="channel.branding", obj=channel, changes=changes, service=channel.service)
    if checklist.is_complete and not was_complete and channel.status == Channel.Status.SETTING_UP:
        notify(users=[u for u in staff_with_role(Role.WEB_TEAM) if u.pk != actor.pk],
               subject=f"Branding done for {channel}",
               body="The branding checklist is done. Activate the channel once the web team has access.",
               url=channel.get_absolute_url())
    return checklist


def activation_blockers(channel: Channel) -> list[str]:
    """What stops a channel that is setting up from becoming active."""
    blockers = []
    if not channel.web_team_has_access:
        blockers.append("The web team does not have access to the account yet.")
    checklist = BrandingChecklist.objects.filter(channel=channel).first()
    if checklist is None or not checklist.is_complete:
        blockers.append("The branding checklist is not done.")
    return blockers


def channel_activate(*, actor: User, channel: Channel) -> Channel:
    """Setting up → active, only when the web team has access and the branding checklist is done."""
    from .housekeeping import channel_transition

    return channel_transition(actor=actor, channel=channel, to_status=Channel.Status.ACTIVE,
                              reason="Set up: the web team has access and the branding is done.")
