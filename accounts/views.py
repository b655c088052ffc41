
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from council_social import csv_export

from . import selectors, services
from .audit import audit_for
from .forms import ChannelFilterForm, ChannelForm
from .models import AuditEvent, Heartbeat, Service
from .navigation import entries_for
from .roles import DESCRIPTIONS, Role

# Other apps add panels to the home and channel pages: functions of (request[, channel]) that
# return a dict with a "template" and its context, or None to show nothing.
HOME_PANELS: list = []
CHANNEL_PANELS: list = []


@login_required
def home(request):
    roles = sorted(request.user.roles)
    panels = [p for fn in HOME_PANELS if (p := fn(request))]
    return render(request, "accounts/home.html", {
        "entries": [e for e in entries_for(request.user) if e.url_name != "home"],
        "role_descriptions": [(Role(r).label, DESCRIPTIONS[Role(r)]) for r in roles],
        "panels": panels,
    })


@login_required
def channel_list(request):
    visible_services = Service.objects.all() if selectors.can_see_all_channels(request.user) else (
        Service.objects.filter(pk=request.user.service_id)
    )
    form = ChannelFilterForm(request.GET or None, services=visible_services)
    filters = form.cleaned_data if form.is_valid() else {}
    channels = selectors.channel_list(user=request.user, filters=filters)
    page = Paginator(channels, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/channel_list.html", {
        "filter_form": form, "page": page, "can_add": selectors.can_add_channel(request.user),
    })


@login_required
def channel_detail(request, pk):
    channel = selectors.channel_get(user=request.user, pk=pk)
    return render(request, "accounts/channel_detail.html", {
        "channel": channel,
        "managers": channel.managers.all(),
        "access": selectors.channel_access_summary(channel),
        "can_edit": selectors.can_edit_channel(request.user, channel),
        "audit_events": audit_for(channel)[:50],
        "is_connected": hasattr(channel, "connection") and channel.connection.is_connected,
        "panels": [p for fn in CHANNEL_PANELS if (p := fn(request, channel))],
    })


@login_required
@require_http_methods(["GET", "POST"])
def channel_create(request):
    if not selectors.can_add_channel(request.user):
        raise PermissionDenied("Only the web team adds channels to the registry.")
    form = ChannelForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "managers"}
        channel = services.channel_create(actor=request.user, managers=form.cleaned_data["managers"], **data)
        messages.success(request, f"{channel} was added to the registry.")
        return HttpResponseRedirect(channel.get_absolute_url())
    return render(request, "accounts/channel_form.html", {"form": form, "title": "Add a channel"})


@login_required
@require_http_methods(["GET", "POST"])
def channel_edit(request, pk):
    channel = selectors.channel_get(user=request.user, pk=pk, for_edit=True)
    form = ChannelForm(request.POST or None, instance=channel, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "managers"}
        services.channel_update(actor=request.user, channel=channel, managers=form.cleaned_data["managers"],
                                **data)
        messages.success(request, "The channel was updated.")
        return HttpResponseRedirect(channel.get_absolute_url())
    if request.method == "POST":
        channel.refresh_from_db()
    return render(request, "accounts/channel_form.html", {"form": form, "title": f"Change {channel}",
                                                          "channel": channel})


def _audit_queryset(request):
    qs = AuditEvent.objects.select_related("service")
    for param, field in (("action", "action__startswith"), ("object_type", "object_type"),
                         ("actor", "actor_name__icontains"), ("service", "service__slug")):
        if request.GET.get(param):
            qs = qs.filter(**{field: request.GET[param]})
    if request.GET.get("from"):
        qs = qs.filter(at__date__gte=request.GET["from"])
    if request.GET.get("to"):
        qs = qs.filter(at__date__lte=request.GET["to"])
    return qs


@login_required
def audit_list(request):
    if not request.user.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR):
        raise PermissionDenied
    try:
        qs = _audit_queryset(request)
        if request.GET.get("format") == "csv":
            rows = ([e.at.isoformat(), e.actor_name, e.action, e.object_type, e.object_id, e.object_repr,
                     e.service.name if e.service else "", e.changes, e.note] for e in qs.iterator(chunk_size=2000))
            header = [["at", "actor", "action", "object_type", "object_id", "object", "service", "changes", "note"]]
            response = StreamingHttpResponse(csv_export.stream([*header, *rows]), content_type="text/csv")
            response["Content-Disposition"] = 'attachment; filename="audit.csv"'
            return response
        page = Paginator(qs, 100).get_page(request.GET.get("page"))
    except Exception as exc:  # a malformed date filter
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            messages.error(request, "Enter dates as YYYY-MM-DD.")
            return HttpResponseRedirect(request.path)
        raise
    return render(request, "accounts/audit_list.html", {
        "page": page, "services": Service.objects.all(), "query": request.GET.urlencode(),
    })


@login_required
def system_status(request):
    if not request.user.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR):
        raise PermissionDenied
    from council_social import liveness

    from . import health

    parts = health.system_health()
    context = {"parts": parts, "summary": health.summary(parts), "checked_at": timezone.now()}
    if request.headers.get("HX-Request"):  # the live refresh of the verdicts
        return render(request, "accounts/_health.html", context)
    return render(request, "accounts/system_status.html", {**context, "supervisor": liveness.supervisor_report()})


@login_required
@require_POST
def system_status_ping(request):
    if not request.user.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR):
        raise PermissionDenied
    services.worker_ping(requested_by=request.user)
    messages.success(request, "A check was sent to the worker. Refresh this page in a few seconds.")
    return HttpResponseRedirect(request.path.replace("ping/", ""))


def healthz(request):
    """Liveness for load balancers and compose: the database answers."""
    Heartbeat.objects.exists()
    return HttpResponse("ok", content_type="text/plain")
