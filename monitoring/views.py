import json
import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.audit import audit_record
from accounts.models import Channel
from accounts.services import channel_connection_store
from council_social.pagination import CappedPaginator
from platforms.base import NotSupported, PlatformError

from . import privacy, selectors, services
from .clients import client_for
from .forms import AppPasswordForm, ErasureForm, MentionFilterForm
from .models import Author

log = logging.getLogger(__name__)


@login_required
def mention_list(request):
    channels = account_selectors.channel_list(user=request.user)
    form = MentionFilterForm(request.GET or None, channels=channels)
    filters = form.cleaned_data if form.is_valid() else {}
    mentions = selectors.mention_list(user=request.user, filters=filters)
    page = CappedPaginator(mentions, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "monitoring/mention_list.html", {
        "filter_form": form, "page": page, "query": query.urlencode()})


def _redirect_uri(request) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("channel_oauth_callback")


@login_required
@require_POST
def channel_connect(request, pk):
    """Start the platform's OAuth flow for a channel."""
    channel = account_selectors.channel_get(user=request.user, pk=pk, for_edit=True)
    client = client_for(channel)
    state = secrets.token_urlsafe(24)
    try:
        url = client.authorise_url(redirect_uri=_redirect_uri(request), state=state)
    except NotSupported:
        return HttpResponseRedirect(reverse("channel_connect_password", args=[channel.pk]))
    request.session[f"oauth:{state}"] = channel.pk
    return HttpResponseRedirect(url)


@login_required
def channel_oauth_callback(request):
    state = request.GET.get("state", "")
    channel_id = request.session.pop(f"oauth:{state}", None)
    if not state or channel_id is None:
        messages.error(request, "The connection could not be completed: the sign-in with the platform expired "
                                "or did not start here. Try connecting again.")
        return HttpResponseRedirect(reverse("channel_list"))
    channel = account_selectors.channel_get(user=request.user, pk=channel_id, for_edit=True)
    if request.GET.get("error") or not request.GET.get("code"):
        messages.error(request, f"The platform did not allow the connection ({request.GET.get('error', 'no code')}).")
        return HttpResponseRedirect(channel.get_absolute_url())
    try:
        creds = client_for(channel).exchange_code(code=request.GET["code"], redirect_uri=_redirect_uri(request),
                                                  state=state)
    except PlatformError as exc:
        messages.error(request, f"The platform refused the connection: {type(exc).__name__}.")
        return HttpResponseRedirect(channel.get_absolute_url())
    _store(request, channel, creds)
    return HttpResponseRedirect(channel.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def channel_connect_password(request, pk):
    channel = account_selectors.channel_get(user=request.user, pk=pk, for_edit=True)
    form = AppPasswordForm(request.POST or None, initial={"handle": channel.handle})
    if request.method == "POST" and form.is_valid():
        client = client_for(channel)
        client.credentials.handle = form.cleaned_data["handle"]
        try:
            creds = client.exchange_code(code=form.cleaned_data["app_password"], redirect_uri="")
        except PlatformError:
            form.add_error("app_password", "The platform did not accept this handle and app password.")
        else:
            _store(request, channel, creds)
            return HttpResponseRedirect(channel.get_absolute_url())
    return render(request, "monitoring/connect_password.html", {"form": form, "channel": channel})


def _store(request, channel: Channel, creds) -> None:
    channel_connection_store(
        actor=request.user, channel=channel, account_id=creds.account_id, access_token=creds.access_token,
        refresh_token=creds.refresh_token, expires_at=creds.expires_at,
        extra=json.dumps(creds.extra) if creds.extra else "")
    channel.refresh_from_db()
    services.poll_states_sync(channel=channel)
    messages.success(request, f"{channel} is connected. New mentions will appear within a minute.")


def _require_privacy_role(user):
    from django.core.exceptions import PermissionDenied

    from accounts.roles import Role

    if not user.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR):
        raise PermissionDenied("Only the web team and administrators handle personal data requests.")


@login_required
def author_list(request):
    _require_privacy_role(request.user)
    q = request.GET.get("q", "").strip()
    authors = Author.objects.none()
    if q and "\x00" not in q:  # no author has one (PostgreSQL could not even compare it)
        authors = Author.objects.filter(Q(handle__icontains=q) | Q(display_name__icontains=q) |
                                        Q(external_id=q)).order_by("handle")[:100]
    return render(request, "monitoring/author_list.html", {"authors": authors, "q": q})


@login_required
def author_detail(request, pk):
    _require_privacy_role(request.user)
    author = get_object_or_404(Author, pk=pk)
    return render(request, "monitoring/author_detail.html", {
        "author": author, "mentions": author.mentions.select_related("channel").order_by("-posted_at")[:50],
        "mention_count": author.mentions.count(), "form": ErasureForm()})


@login_required
def author_export(request, pk, fmt):
    _require_privacy_role(request.user)
    author = get_object_or_404(Author, pk=pk)
    data = privacy.subject_access(author)
    audit_record(actor=request.user, action="author.subject_access", obj=author, note=fmt)
    name = f"subject-access-{author.platform}-{author.pk}"
    if fmt == "csv":
        response = HttpResponse(privacy.subject_access_csv(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


@login_required
@require_POST
def author_erase(request, pk):
    _require_privacy_role(request.user)
    author = get_object_or_404(Author, pk=pk)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        return render(request, "monitoring/author_detail.html", {
            "author": author, "mentions": author.mentions.select_related("channel").order_by("-posted_at")[:50],
            "mention_count": author.mentions.count(), "form": form}, status=400)
    erasure = privacy.author_erase(actor=request.user, author=author, reference=form.cleaned_data["reference"])
    messages.success(request, f"The author and {erasure.counts['mentions']} mentions were erased "
                              f"(reference {erasure.reference}).")
    return HttpResponseRedirect(reverse("author_list"))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request, platform):
    """Meta's webhooks: the subscription's challenge, then signed deliveries, kept and acknowledged
    at once (the worker ingests them). The signature is checked before the body is read."""
    from . import webhooks

    if platform not in webhooks.WEBHOOK_PLATFORMS:
        return HttpResponse("No webhooks for this platform.", status=404, content_type="text/plain")
    if request.method == "GET":
        challenge = webhooks.challenge_answer(platform=platform, params=request.GET)
        if challenge is None:
            log.warning("Refused a %s webhook verification", platform)
            return HttpResponse("Verification refused.", status=403, content_type="text/plain")
        return HttpResponse(challenge, content_type="text/plain")
    problem = webhooks.signature_problem(platform=platform, body=request.body,
                                         header=request.headers.get("X-Hub-Signature-256"))
    if problem:
        log.warning("Refused a %s webhook delivery from %s: signature %s", platform,
                    request.META.get("REMOTE_ADDR", "?"), problem)
        return HttpResponse("Signature refused.", status=403, content_type="text/plain")
    webhooks.webhook_receive(platform=platform, body=request.body)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")
