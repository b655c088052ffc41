"""Pages for account requests, setting up a channel, and housekeeping. Thin: read input,
check permission, call one service, render."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import housekeeping, requests, selectors
from .audit import audit_for
from .models import AccountRequest, BrandingChecklist, Channel, HousekeepingFlag, Service
from .request_forms import (
    AccountRequestForm,
    BrandingChecklistForm,
    DecisionForm,
    ReassignForm,
    ResolveFlagForm,
    TransitionForm,
)


def form_error(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, against its fields where it names them."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# Account requests -------------------------------------------------------------------------


@login_required
def account_request_list(request):
    state = request.GET.get("state") if request.GET.get("state") in AccountRequest.State.values else None
    qs = requests.account_request_list(user=request.user, state=state).order_by("-created_at", "-id")
    return render(request, "accounts/requests/list.html", {
        "page": Paginator(qs, 50).get_page(request.GET.get("page")),
        "awaiting": list(requests.requests_awaiting(user=request.user)),
        "states": AccountRequest.State.choices, "state": state,
        "blocker": requests.request_blocker(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def account_request_create(request):
    blocker = requests.request_blocker(request.user)
    if blocker:
        raise PermissionDenied(blocker)
    form = AccountRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account_request = requests.account_request_submit(actor=request.user, **form.answers())
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Your request was sent to {account_request.service.head}, head of "
                                      f"{account_request.service}.")
            return HttpResponseRedirect(account_request.get_absolute_url())
    return render(request, "accounts/requests/form.html", {
        "form": form, "title": "Request a new social media account", "service": request.user.service,
    })


def _detail(request, account_request, *, decision_form=None, status=200):
    can_decide = requests.can_decide(request.user, account_request)
    context = {
        "account_request": account_request,
        "decisions": account_request.decisions.select_related("decided_by"),
        "monitors": account_request.monitors.all(),
        "can_decide": can_decide,
        "can_resubmit": (account_request.state == AccountRequest.State.MORE_INFORMATION
                         and account_request.requester_id == request.user.pk),
        "audit_events": audit_for(account_request)[:50],
        "decision_form": decision_form or (DecisionForm() if can_decide else None),
    }
    if decision_form is not None:
        context["form"] = decision_form  # the page title says "Error:" when it has errors
    return render(request, "accounts/requests/detail.html", context, status=status)


@login_required
def account_request_detail(request, pk):
    return _detail(request, requests.account_request_get(user=request.user, pk=pk))


@login_required
@require_POST
def account_request_decide(request, pk):
    account_request = requests.account_request_get(user=request.user, pk=pk)
    refusal = requests.decide_refusal(request.user, account_request)
    if refusal:
        raise PermissionDenied(refusal)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decision = requests.account_request_decide(actor=request.user, request=account_request,
                                                       outcome=form.cleaned_data["outcome"],
                                                       reasons=form.cleaned_data["reasons"])
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"You chose to {decision.get_outcome_display().lower()}. Everyone involved "
                                      "has been told.")
            return HttpResponseRedirect(account_request.get_absolute_url())
    return _detail(request, account_request, decision_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def account_request_resubmit(request, pk):
    account_request = requests.account_request_get(user=request.user, pk=pk)
    if account_request.requester_id != request.user.pk:
        raise PermissionDenied("Only the person who made the request can resubmit it.")
    if account_request.state != AccountRequest.State.MORE_INFORMATION:
        messages.error(request, "This request is not waiting for more information.")
        return HttpResponseRedirect(account_request.get_absolute_url())
    form = AccountRequestForm(request.POST or None, instance=account_request, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            requests.account_request_resubmit(actor=request.user, request=account_request, **form.answers())
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Your request was sent back for a decision.")
            return HttpResponseRedirect(account_request.get_absolute_url())
    last = account_request.decisions.order_by("-decided_at", "-id").first()
    return render(request, "accounts/requests/form.html", {
        "form": form, "title": "Change and resubmit your request", "account_request": account_request,
        "service": account_request.service, "asked": last,
    })


# Setting up a channel ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def channel_branding(request, pk):
    channel = selectors.channel_get(user=request.user, pk=pk, for_edit=True)
    checklist = BrandingChecklist.objects.filter(channel=channel).first() or BrandingChecklist(channel=channel)
    form = BrandingChecklistForm(request.POST or None, instance=checklist)
    if request.method == "POST" and form.is_valid():
        requests.branding_checklist_update(actor=request.user, channel=channel, **{
            field: form.cleaned_data[field] for field, _ in BrandingChecklist.ITEMS})
        messages.success(request, "The branding checklist was saved.")
        return HttpResponseRedirect(channel.get_absolute_url())
    return render(request, "accounts/requests/branding.html", {"form": form, "channel": channel})


@login_required
@require_POST
def channel_activate(request, pk):
    channel = selectors.channel_get(user=request.user, pk=pk)
    try:
        requests.channel_activate(actor=request.user, channel=channel)
    except ValidationError as exc:
        messages.error(request, "The channel cannot be activated yet: " + " ".join(exc.messages))
    else:
        messages.success(request, f"{channel} is now active.")
    return HttpResponseRedirect(channel.get_absolute_url())


# Housekeeping -----------------------------------------------------------------------------


def _require_housekeeping(user):
    if not housekeeping.can_do_housekeeping(user):
        raise PermissionDenied("Only the web team does housekeeping.")


@login_required
def housekeeping_report(request):
    _require_housekeeping(request.user)
    kind = request.GET.get("kind") if request.GET.get("kind") in HousekeepingFlag.Kind.values else None
    service = request.GET.get("service") or None
    flags = list(housekeeping.housekeeping_report(kind=kind, service=service))
    by_channel: dict[int, dict] = {}
    for flag in flags:
        by_channel.setdefault(flag.channel_id, {"channel": flag.channel, "flags": []})["flags"].append(flag)
    counts = housekeeping.open_flag_counts()
    return render(request, "accounts/housekeeping/report.html", {
        "rows": list(by_channel.values()), "kind": kind, "service": service,
        "kinds": [(k, label, counts.get(k, 0)) for k, label in HousekeepingFlag.Kind.choices],
        "services": Service.objects.all(), "dormant_days": housekeeping.dormant_days(),
    })


@login_required
@require_POST
def housekeeping_run(request):
    _require_housekeeping(request.user)
    summary = housekeeping.housekeeping_audit()
    messages.success(request, f"The audit checked {summary['channels']} channels: {summary['raised']} new "
                              f"problem(s), {summary['resolved']} resolved, {summary['open']} open.")
    return HttpResponseRedirect(reverse("housekeeping_report"))


def _channel_page(request, channel, *, reassign_form=None, transition_form=None, failed=None, status=200):
    allowed = housekeeping.allowed_transitions(channel)
    context = {
        "channel": channel,
        "flags": housekeeping.open_flags_for(channel),
        "reassign_form": reassign_form or ReassignForm(channel=channel, initial={
            "service": channel.service_id, "managers": list(channel.managers.values_list("pk", flat=True))}),
        "transition_form": transition_form or (TransitionForm(allowed=allowed) if allowed else None),
        "resolve_form": ResolveFlagForm(),
        "audit_events": audit_for(channel)[:20],
    }
    if failed is not None:
        context["form"] = failed
    return render(request, "accounts/housekeeping/channel.html", context, status=status)


@login_required
def housekeeping_channel(request, pk):
    _require_housekeeping(request.user)
    return _channel_page(request, get_object_or_404(Channel.objects.select_related("service"), pk=pk))


@login_required
@require_POST
def housekeeping_reassign(request, pk):
    _require_housekeeping(request.user)
    channel = get_object_or_404(Channel.objects.select_related("service"), pk=pk)
    form = ReassignForm(request.POST, channel=channel)
    if form.is_valid():
        try:
            housekeeping.channel_reassign(actor=request.user, channel=channel, **form.cleaned_data)
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{channel} now belongs to {form.cleaned_data['service']}.")
            return HttpResponseRedirect(reverse("housekeeping_channel", args=[channel.pk]))
    channel.refresh_from_db()
    return _channel_page(request, channel, reassign_form=form, failed=form)


@login_required
@require_POST
def housekeeping_transition(request, pk):
    _require_housekeeping(request.user)
    channel = get_object_or_404(Channel.objects.select_related("service"), pk=pk)
    form = TransitionForm(request.POST, allowed=housekeeping.allowed_transitions(channel))
    if form.is_valid():
        try:
            housekeeping.channel_transition(actor=request.user, channel=channel,
                                            to_status=form.cleaned_data["to_status"],
                                            reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"{channel} is now {channel.get_status_display().lower()}.")
            return HttpResponseRedirect(reverse("housekeeping_channel", args=[channel.pk]))
    return _channel_page(request, channel, transition_form=form, failed=form)


@login_required
@require_POST
def housekeeping_resolve(request, pk):
    _require_housekeeping(request.user)
    flag = get_object_or_404(HousekeepingFlag.objects.select_related("channel"), pk=pk)
    form = ResolveFlagForm(request.POST)
    if form.is_valid():
        try:
            housekeeping.housekeeping_flag_resolve(actor=request.user, flag=flag,
                                                   resolution=form.cleaned_data["resolution"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"The flag “{flag.get_kind_display()}” was resolved.")
    else:
        messages.error(request, "Say what was done to resolve the flag.")
    return HttpResponseRedirect(reverse("housekeeping_channel", args=[flag.channel_id]))


# Panels on the home and channel pages -----------------------------------------------------


def home_panel(request):
    awaiting = list(requests.requests_awaiting(user=request.user)[:20])
    open_flags = sum(housekeeping.open_flag_counts().values()) if housekeeping.can_do_housekeeping(
        request.user) else 0
    if not awaiting and not open_flags:
        return None
    return {"template": "accounts/requests/home_panel.html", "awaiting": awaiting, "open_flags": open_flags}


def channel_panel(request, channel):
    checklist = BrandingChecklist.objects.filter(channel=channel).first()
    web_team = housekeeping.can_do_housekeeping(request.user)
    return {
        "template": "accounts/requests/channel_panel.html",
        "checklist": checklist,
        "items": [(label, bool(checklist and getattr(checklist, field))) for field, label in BrandingChecklist.ITEMS],
        "blockers": requests.activation_blockers(channel) if channel.status == Channel.Status.SETTING_UP else [],
        "can_activate": web_team and channel.status == Channel.Status.SETTING_UP,
        "can_edit_branding": selectors.can_edit_channel(request.user, channel),
        "web_team": web_team,
        "flags": list(housekeeping.open_flags_for(channel)),
        "origin": channel.account_requests.filter(
            pk__in=requests.account_request_list(user=request.user).values("pk")).first(),
    }


def _register() -> None:
    """Navigation, home and channel panels, demo data. Called once from AccountsConfig.ready()."""
    from . import navigation, views
    from .roles import Role

    navigation.register(
        "Account requests", "account_request_list", roles=navigation.ALL_STAFF,
        description="Ask for a new social media account for your service; decide requests.", order=60)
    navigation.register(
        "Housekeeping", "housekeeping_report", roles={Role.WEB_TEAM, Role.ADMINISTRATOR},
        description="Dormant, ownerless, unbranded, disconnected and duplicate channels.", order=70)
    views.HOME_PANELS.append(home_panel)
    views.CHANNEL_PANELS.append(channel_panel)

    from .management.commands import demo_council
    from .request_demo import load_demo_governance

    demo_council.DEMO_HOOKS.append(load_demo_governance)
