"""Pages of the web sources (feeds and pages) and of the watch list (people who matter)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.models import Channel
from accounts.roles import MANAGE_ALL_CHANNELS, SEE_ALL_CHANNELS

from . import watchlist
from .models import PollState, SpikeAlert, WatchedAccount, WebSource
from .web import SourceRefused, web_source_create
from .web_forms import WatchedAccountEditForm, WatchedAccountForm, WebSourceForm


def _require(user, roles, doing: str) -> None:
    if not user.has_role(*roles):
        raise PermissionDenied(f"Only the web team and administrators may {doing}.")


@login_required
def source_list(request):
    channels = account_selectors.channel_list(user=request.user).filter(platform=Channel.Platform.WEB)
    sources = (WebSource.objects.filter(channel__in=channels).select_related("channel", "channel__service")
               .order_by("channel__handle"))
    health = {p.channel_id: p for p in PollState.objects.filter(channel__in=channels)}
    rows = [(s, health.get(s.channel_id)) for s in sources]
    return render(request, "monitoring/source_list.html", {
        "rows": rows, "can_add": account_selectors.can_add_channel(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def source_add(request):
    _require(request.user, MANAGE_ALL_CHANNELS, "add web sources")
    form = WebSourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            source = web_source_create(actor=request.user, handle=data["handle"], display_name=data["display_name"],
                                       url=data["url"], service=data["service"], kind=data["kind"], mode=data["mode"],
                                       purpose=data["purpose"])
        except SourceRefused as exc:
            form.add_error("url", str(exc))
        else:
            messages.success(request, f"{source.channel.display_name} is added. It is read within a few minutes.")
            return HttpResponseRedirect(reverse("source_list"))
    return render(request, "monitoring/source_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def watchlist_page(request):
    _require(request.user, SEE_ALL_CHANNELS, "see the watch list")
    entries = WatchedAccount.objects.select_related("added_by").order_by("platform", "handle")
    return render(request, "monitoring/watchlist.html", {
        "entries": entries, "can_edit": request.user.has_role(*MANAGE_ALL_CHANNELS)})


@login_required
@require_http_methods(["GET", "POST"])
def watchlist_add(request):
    _require(request.user, MANAGE_ALL_CHANNELS, "change the watch list")
    form = WatchedAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = watchlist.watched_account_add(actor=request.user, **form.cleaned_data)
        except ValueError as exc:
            form.add_error("handle" if "handle" in str(exc) or "already" in str(exc) else None, str(exc))
        else:
            messages.success(request, f"{entry.name} is on the watch list.")
            return HttpResponseRedirect(reverse("watchlist"))
    return render(request, "monitoring/watchlist_form.html", {"form": form, "title": "Add to the watch list"},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def watchlist_edit(request, pk):
    _require(request.user, MANAGE_ALL_CHANNELS, "change the watch list")
    entry = get_object_or_404(WatchedAccount, pk=pk)
    form = WatchedAccountEditForm(request.POST or None, initial={"name": entry.name, "kind": entry.kind,
                                                                 "reason": entry.reason})
    if request.method == "POST" and form.is_valid():
        try:
            watchlist.watched_account_update(actor=request.user, entry=entry, **form.cleaned_data)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{entry.name} is updated.")
            return HttpResponseRedirect(reverse("watchlist"))
    return render(request, "monitoring/watchlist_form.html", {"form": form, "entry": entry,
                                                              "title": f"Change {entry.name}"},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def watchlist_review(request, pk, decision):
    _require(request.user, MANAGE_ALL_CHANNELS, "change the watch list")
    entry = get_object_or_404(WatchedAccount, pk=pk)
    if decision not in ("keep", "remove"):
        raise PermissionDenied("Keep or remove.")
    name = entry.name
    watchlist.watched_account_review(actor=request.user, entry=entry, keep=decision == "keep")
    messages.success(request, f"{name} is kept for another year." if decision == "keep"
                     else f"{name} is removed from the watch list.")
    return HttpResponseRedirect(reverse("watchlist"))


@login_required
def rising(request):
    _require(request.user, SEE_ALL_CHANNELS, "see what is rising")
    from . import trends

    alerts = list(trends.rising_now(limit=20).prefetch_related("mentions"))
    recent = SpikeAlert.objects.filter(ended_at__isnull=False).order_by("-started_at")[:10]
    return render(request, "monitoring/rising.html", {
        "alerts": alerts, "recent": recent, "hour": trends.trending(hours=1), "day": trends.trending(hours=24),
        "rule": {"min_count": trends.MIN_COUNT, "ratio": trends.RATIO, "sigmas": trends.SIGMAS,
                 "days": trends.BASELINE_DAYS}})
