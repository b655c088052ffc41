import dataclasses
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import audit_for
from accounts.models import Service
from accounts.roles import Role
from accounts.selectors import can_see_all_channels
from council_social import csv_export

from . import alerts, planner, publisher, selectors, services
from .forms import (
    ApprovalStageForm,
    CalendarFilterForm,
    CampaignForm,
    CancelForm,
    DecisionForm,
    EmergencyForm,
    MarkPublishedForm,
    MonitoringOfficerForm,
    PostForm,
    ScheduleForm,
    SubscribeForm,
    SubscriberSearchForm,
)
from .models import AlertSubscriber, Post, PostTarget

# Other apps add what also waits for approval to the "To approve" list (triage: replies to residents):
# functions of (request) returning a dict with a "template" and its items, or None.
TO_APPROVE_EXTRAS: list = []

LISTS = {
    "mine": "My posts",
    "to_approve": "To approve",
    "scheduled": "Scheduled",
    "failed": "Failed or held",
    "all": "All posts",
}


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _visible_services(user):
    return Service.objects.all() if can_see_all_channels(user) else Service.objects.filter(pk=user.service_id)


def home_panel(request):
    """The home page's summary of what waits for this user."""
    user = request.user
    if not selectors.can_use_publishing(user):
        return None
    return {"template": "publishing/home_panel.html",
            "to_approve": len(selectors.posts_to_approve(user=user)),
            "failed": selectors.post_list(user=user, filters={"state": [Post.State.FAILED, Post.State.HELD]})
            .filter(author=user).count(),
            "changes": selectors.post_list(user=user, filters={"state": Post.State.CHANGES_REQUESTED})
            .filter(author=user).count()}


# --- posts -----------------------------------------------------------------------------------


@login_required
def post_list(request):
    user = request.user
    _require(selectors.can_use_publishing(user), "Your role does not use publishing.")
    which = request.GET.get("list", "to_approve" if not selectors.can_author(user) else "mine")
    if which not in LISTS:
        which = "mine"
    if which == "to_approve":
        posts = selectors.posts_to_approve(user=user)
    else:
        filters = {"mine": {"author": user.pk},
                   "scheduled": {"state": [Post.State.SCHEDULED, Post.State.PAUSED, Post.State.PUBLISHING]},
                   "failed": {"state": [Post.State.FAILED, Post.State.HELD]}}.get(which, {})
        posts = selectors.post_list(user=user, filters=filters).order_by("-updated_at", "-id")
    page = Paginator(posts, 50).get_page(request.GET.get("page"))
    return render(request, "publishing/post_list.html", {
        "page": page, "lists": LISTS, "current": which, "current_label": LISTS[which], "query": f"list={which}",
        "can_author": selectors.can_author(user),
        "bulk": which == "to_approve" and any(p.state == Post.State.SUBMITTED for p in page),
        "extras": [e for fn in TO_APPROVE_EXTRAS if (e := fn(request))] if which == "to_approve" else [],
    })


def _post_form(request, *, data=None, files=None, initial=None):
    user = request.user
    return PostForm(data, files, initial=initial, user=user, channels=selectors.channels_for_author(user),
                    services=_visible_services(user), campaigns=selectors.campaign_list(user=user),
                    topics=selectors.topic_list())


def _form_fields(form) -> dict:
    data = form.cleaned_data
    return {"text": data["text"], "variants": form.variants(), "link": data.get("link") or "",
            "service": data.get("service"), "campaign": data.get("campaign")}


def _saved(request, post, success: str) -> None:
    """A saved post that the checks would stop is a warning, not a success."""
    blocks = [r for r in selectors.post_checks(post) if r.is_block]
    if not blocks:
        messages.success(request, success)
        return
    problems = "; ".join(r.message for r in blocks[:3]) + ("; and more" if len(blocks) > 3 else "")
    messages.warning(request, f"The post was saved, but it cannot be sent for approval until "
                              f"{'this is' if len(blocks) == 1 else 'these are'} fixed: {problems}")


@login_required
@require_http_methods(["GET", "POST"])
def post_create(request):
    _require(selectors.can_author(request.user), "Your role does not let you write posts.")
    form = _post_form(request, data=request.POST or None, files=request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(actor=request.user, channels=form.cleaned_data["channels"],
                                        topics=form.cleaned_data["topics"], images=form.images(),
                                        **_form_fields(form))
        except services.PostRefused as exc:
            form.add_error(None, exc.message)
        else:
            _saved(request, post, "The draft was saved. Check it, then send it for approval.")
            return HttpResponseRedirect(post.get_absolute_url())
    return render(request, "publishing/post_form.html", {"form": form, "title": "Write a post"})


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, pk):
    post = selectors.post_get(user=request.user, pk=pk)
    _require(services.may_edit(request.user, post), "You cannot change this post.")
    if request.method == "POST":
        form = _post_form(request, data=request.POST, files=request.FILES or None)
        if form.is_valid():
            try:
                services.post_update(actor=request.user, post=post, version=form.cleaned_data.get("version") or 0,
                                     channels=form.cleaned_data["channels"], topics=form.cleaned_data["topics"],
                                     images=form.images(), **_form_fields(form))
            except services.PostRefused as exc:
                form.add_error(None, exc.message)
            else:
                _saved(request, post, "Your changes were saved.")
                return HttpResponseRedirect(post.get_absolute_url())
    else:
        form = _post_form(request, initial=PostForm.initial_for(post))
    return render(request, "publishing/post_form.html", {"form": form, "title": "Change the post", "post": post})


@login_required
def post_detail(request, pk):
    user = request.user
    post = selectors.post_get(user=user, pk=pk)
    targets = list(post.targets.select_related("channel", "channel__service"))
    results = selectors.post_checks(post) if post.state not in (Post.State.PUBLISHED, Post.State.CANCELLED) else ()
    can_approve, approve_why = selectors.can_approve(user, post)
    manages = selectors.can_manage_post(user, post)
    return render(request, "publishing/post_detail.html", {
        "post": post, "targets": targets, "results": results,
        "blocks": [r for r in results if r.is_block],
        "needs_mo": any(r.code == "pre_election" for r in results),
        "approvals": selectors.approvals_for(post), "images": post.images.all(), "topics": post.topics.all(),
        "audit_events": audit_for(post)[:50],
        "is_author": post.author_id == user.pk,
        "can_edit": post.is_editable and (post.author_id == user.pk or user.has_role(*selectors.EMERGENCY_ROLES)),
        "can_change": post.is_changeable and services.may_edit(user, post),
        "chain": selectors.approval_chain(post), "edits": post.edits.all(),
        "can_approve": can_approve and post.state == Post.State.SUBMITTED,
        "approve_why": approve_why if post.state == Post.State.SUBMITTED and not (
            post.author_id == user.pk and "your own post" in approve_why) else "",
        "can_schedule": manages and post.state in (Post.State.APPROVED, Post.State.HELD),
        "can_cancel": manages and post.state in services.CANCELLABLE,
        "is_monitoring_officer": user.has_role(Role.MONITORING_OFFICER) and post.author_id != user.pk,
        "decision_form": DecisionForm(prefix="decision"), "mo_form": MonitoringOfficerForm(prefix="mo"), "schedule_form": ScheduleForm(),
        "cancel_form": CancelForm(), "mark_form": MarkPublishedForm(),
        "best_times": [(t.channel, selectors.channel_best_time(user=user, channel=t.channel)) for t in targets]
        if post.state in (Post.State.APPROVED, Post.State.HELD) else [],
        "manages": manages,
    })


def _act(request, post, fn, success: str, **kwargs):
    try:
        fn(actor=request.user, post=post, **kwargs)
    except services.PostRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return HttpResponseRedirect(post.get_absolute_url())


@login_required
@require_POST
def posts_approve(request):
    """Approve the ticked posts of the "To approve" list at once, each under the usual rules."""
    user = request.user
    _require(selectors.can_use_publishing(user), "Your role does not use publishing.")
    ids = [int(v) for v in request.POST.getlist("posts") if v.isdigit() and len(v) < 10]
    if not ids:
        messages.error(request, "Choose the posts to approve.")
        return HttpResponseRedirect(reverse("post_list") + "?list=to_approve")
    posts = list(selectors.post_list(user=user).filter(pk__in=ids))
    result = services.posts_approve_bulk(actor=user, posts=posts, comment=request.POST.get("comment", "")[:2000])
    if result.done:
        messages.success(request, f"You approved {len(result.done)} post{'s' if len(result.done) != 1 else ''}.")
    for pk, why in result.refused:
        messages.error(request, f"Post {pk} was not approved: {why}")
    return HttpResponseRedirect(reverse("post_list") + "?list=to_approve")


@login_required
@require_POST
def post_submit(request, pk):
    post = selectors.post_get(user=request.user, pk=pk)
    return _act(request, post, services.post_submit, "The post was sent for approval.")


@login_required
@require_POST
def post_decide(request, pk):
    post = selectors.post_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST, prefix="decision")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(post.get_absolute_url())
    comment = form.cleaned_data["comment"]
    if form.cleaned_data["decision"] == "approve":
        return _act(request, post, services.post_approve, "You approved the post.", comment=comment)
    return _act(request, post, services.post_request_changes, "You asked for changes.", comment=comment)


@login_required
@require_POST
def post_refer(request, pk):
    post = selectors.post_get(user=request.user, pk=pk)
    return _act(request, post, services.post_refer_to_monitoring_officer,
                "The monitoring officer has been asked to look at the post.")


@login_required
@require_POST
def post_monitoring_officer(request, pk):
    post = selectors.post_get(user=request.user, pk=pk)
    form = MonitoringOfficerForm(request.POST, prefix="mo")
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(post.get_absolute_url())
    return _act(request, post, services.post_monitoring_officer_decide, "Your decision was recorded.",
                approve=form.cleaned_data["decision"] == "approve", comment=form.cleaned_data["comment"])


@login_required
@require_POST
def post_schedule(request, pk):
    post = selectors.post_get(user=request.user, pk=pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(post.get_absolute_url())
    return _act(request, post, services.post_schedule, "The post is scheduled.", scheduled_at=form.when())


@login_required
@require_POST
def post_cancel(request, pk):
    post = selectors.post_get(user=request.user, pk=pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(request, post, services.post_cancel, "The post was cancelled.", reason=reason)


def _target(request, pk, target_pk) -> PostTarget:
    post = selectors.post_get(user=request.user, pk=pk)
    return get_object_or_404(PostTarget.objects.select_related("post", "channel"), pk=target_pk, post=post)


@login_required
@require_POST
def target_retry(request, pk, target_pk):
    target = _target(request, pk, target_pk)
    try:
        publisher.target_retry(actor=request.user, target=target)
    except services.PostRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The post will be published again to {target.channel}.")
    return HttpResponseRedirect(target.post.get_absolute_url())


@login_required
@require_POST
def target_mark_published(request, pk, target_pk):
    target = _target(request, pk, target_pk)
    form = MarkPublishedForm(request.POST)
    try:
        if not form.is_valid():
            raise services.PostRefused("Give the web address of the post on the channel.")
        publisher.target_mark_published(actor=request.user, target=target, url=form.cleaned_data["url"])
    except services.PostRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The post on {target.channel} was recorded.")
    return HttpResponseRedirect(target.post.get_absolute_url())


# --- approval chains -------------------------------------------------------------------------------


def _chain_people():
    from accounts.models import User

    return User.objects.filter(is_active=True).exclude(groups=None).exclude(groups__name=Role.COUNCILLOR).distinct()


@login_required
@require_http_methods(["GET", "POST"])
def channel_approval_chain(request, pk):
    """A channel's approval chain: its stages in order, and (for the web team) adding and removing them."""
    from accounts.selectors import channel_get

    user = request.user
    channel = channel_get(user=user, pk=pk)
    editable = selectors.can_edit_chains(user)
    form = ApprovalStageForm(request.POST or None, people=_chain_people()) if editable else None
    if request.method == "POST":
        _require(editable, "Only the web team and administrators set approval chains.")
        if form.is_valid():
            try:
                services.approval_stage_add(actor=user, channel=channel, name=form.cleaned_data["name"],
                                            roles=form.cleaned_data["roles"], users=form.cleaned_data["users"])
            except services.PostRefused as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "The stage was added.")
                return HttpResponseRedirect(reverse("channel_approval_chain", args=[channel.pk]))
    stages = list(channel.approval_stages.prefetch_related("users"))
    return render(request, "publishing/approval_chain.html", {
        "channel": channel, "stages": [(s, selectors.stage_rule(channel, s)) for s in stages],
        "default_rule": selectors.approver_rule(channel), "form": form, "editable": editable,
    })


@login_required
@require_POST
def channel_approval_stage_remove(request, pk, stage_pk):
    from accounts.selectors import channel_get

    channel = channel_get(user=request.user, pk=pk)
    _require(selectors.can_edit_chains(request.user), "Only the web team and administrators set approval chains.")
    stage = get_object_or_404(channel.approval_stages, pk=stage_pk)
    services.approval_stage_remove(actor=request.user, stage=stage)
    messages.success(request, f"Stage \"{stage.name}\" was removed.")
    return HttpResponseRedirect(reverse("channel_approval_chain", args=[channel.pk]))


# --- emergency mode ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def emergency(request):
    user = request.user
    _require(user.has_role(*selectors.EMERGENCY_ROLES), "Only communications officers and the web team can use "
                                                        "emergency mode.")
    pause = selectors.emergency_active()
    form = EmergencyForm(request.POST or None, channels=selectors.channels_for_author(user))
    if request.method == "POST" and pause is None and form.is_valid():
        try:
            services.emergency_start(actor=user, reason=form.cleaned_data["reason"],
                                     message=form.cleaned_data["message"], channels=form.cleaned_data["channels"])
        except services.PostRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Emergency mode is on: every scheduled post is paused.")
            return HttpResponseRedirect(reverse("emergency"))
    return render(request, "publishing/emergency.html", {
        "form": form, "pause": pause,
        "scheduled": Post.objects.filter(state=Post.State.SCHEDULED).count(),
        "paused": Post.objects.filter(state=Post.State.PAUSED).count(),
    })


@login_required
@require_POST
def emergency_end(request):
    _require(request.user.has_role(*selectors.EMERGENCY_ROLES), "Only communications officers and the web team can "
                                                                "use emergency mode.")
    try:
        pause = services.emergency_end(actor=request.user)
    except services.PostRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Emergency mode is over. {pause.held_posts} post(s) whose time passed are held "
                                  "for review.")
    return HttpResponseRedirect(reverse("emergency"))


# --- calendar ----------------------------------------------------------------------------------


def _calendar_filters(request):
    user = request.user
    _require(selectors.can_author(user), "Your role does not use the calendar.")
    form = CalendarFilterForm(request.GET or None, services=_visible_services(user),
                              channels=selectors.channels_for_author(user))
    filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    return form, filters


# The calendars show these years: a date near the ends of Python's range (year 1 or 9999) made
# the grid's arithmetic overflow (a 500); an address beyond them gets 400.
CALENDAR_YEARS = range(1900, 3000)


class _OutOfRange(Exception):
    pass


def _in_range(day: date) -> date:
    if day.year not in CALENDAR_YEARS:
        raise _OutOfRange
    return day


def _out_of_range() -> HttpResponse:
    return HttpResponse(f"The calendar shows the years {CALENDAR_YEARS.start} to {CALENDAR_YEARS.stop - 1}.",
                        status=400, content_type="text/plain; charset=utf-8")


def _month(request) -> date:
    today = timezone.localdate()
    try:
        first = date(int(request.GET.get("year", today.year)), int(request.GET.get("month", today.month)), 1)
    except (ValueError, OverflowError):
        return today.replace(day=1)
    return _in_range(first)


@login_required
def calendar_month(request):
    form, filters = _calendar_filters(request)
    try:
        first = _month(request)
    except _OutOfRange:
        return _out_of_range()
    start, end = planner.month_bounds(first.year, first.month)
    weeks = planner.month_grid(first.year, first.month, selectors.plan_entries(
        user=request.user, start=start - timedelta(days=7), end=end + timedelta(days=7), filters=filters))
    previous, following = (start - timedelta(days=1)).replace(day=1), end
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return render(request, "publishing/calendar_month.html", {
        "filter_form": form, "weeks": weeks, "month": first, "previous": previous, "following": following,
        "query": query, "today": timezone.localdate(), "extra_fields": [("year", first.year), ("month", first.month)],
    })


@login_required
def calendar_fortnight(request):
    form, filters = _calendar_filters(request)
    try:
        day = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        day = timezone.localdate()
    try:
        start = _in_range(planner.fortnight_start(day))
    except _OutOfRange:
        return _out_of_range()
    entries = selectors.plan_entries(user=request.user, start=start, end=start + timedelta(days=14), filters=filters)
    return render(request, "publishing/calendar_fortnight.html", {
        "filter_form": form, "grid": planner.fortnight_grid(start, entries), "start": start,
        "previous": start - timedelta(days=14), "following": start + timedelta(days=14),
        "query": "&".join(f"{k}={v}" for k, v in filters.items()), "extra_fields": [("start", start.isoformat())],
    })


@login_required
def calendar_ics(request):
    _, filters = _calendar_filters(request)
    today = timezone.localdate()
    entries = selectors.plan_entries(user=request.user, start=today - timedelta(days=31),
                                     end=today + timedelta(days=366), filters=filters)
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    body = planner.to_ics([dataclasses.replace(e, url=settings.SITE_URL.rstrip("/") + e.url) for e in entries], name=f"{settings.COUNCIL_NAME} publishing plan",
                          stamp=timezone.now(), domain=domain)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="publishing-plan.ics"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    user = request.user
    _require(user.has_role(*selectors.CAMPAIGN_ROLES), "Your role does not plan campaigns.")
    form = CampaignForm(request.POST or None, services=_visible_services(user))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=user, owner=user, **form.cleaned_data)
        except services.PostRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"The campaign {campaign} was added to the planner.")
            return HttpResponseRedirect(reverse("campaign_detail", args=[campaign.pk]))
    return render(request, "publishing/campaign_form.html", {"form": form, "title": "Plan a campaign"})


@login_required
def campaign_detail(request, pk):
    campaign = get_object_or_404(selectors.campaign_list(user=request.user), pk=pk)
    return render(request, "publishing/campaign_detail.html", {
        "campaign": campaign, "posts": selectors.post_list(user=request.user, filters={"campaign": campaign.pk}),
    })


# --- email alerts: public pages ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def alerts_subscribe(request):
    form = SubscribeForm(request.POST or None, topics=selectors.topic_list())
    if request.method == "POST" and form.is_valid():
        try:
            alerts.alert_subscribe_request(email=form.cleaned_data["email"], topics=form.cleaned_data["topics"])
        except alerts.AlertRefused as exc:
            form.add_error(None, exc.message)
        else:
            return render(request, "publishing/alerts_check_email.html", {"email": form.cleaned_data["email"]})
    return render(request, "publishing/alerts_subscribe.html", {"form": form})


@require_http_methods(["GET", "POST"])
def alerts_confirm(request, token):
    """A page with a button: mail scanners that open links do not confirm anything."""
    if request.method == "POST":
        try:
            subscriber = alerts.alert_confirm(token=token)
        except alerts.AlertRefused as exc:
            return render(request, "publishing/alerts_message.html", {"title": "Link not valid", "message": exc.message},
                          status=400)
        return render(request, "publishing/alerts_message.html", {
            "title": "You are signed up", "topics": subscriber.topics.all(),
            "message": "You will get an email when the council publishes news on these topics. Every email has a "
                       "link to unsubscribe."})
    return render(request, "publishing/alerts_confirm.html", {"token": token})


@csrf_exempt  # RFC 8058 one-click unsubscribe: mail clients POST without a session or a form token
@require_http_methods(["GET", "POST"])
def alerts_unsubscribe(request, token):
    if request.method == "POST":
        try:
            alerts.alert_unsubscribe(token=token)
        except alerts.AlertRefused as exc:
            return render(request, "publishing/alerts_message.html", {"title": "Link not valid", "message": exc.message},
                          status=400)
        return render(request, "publishing/alerts_message.html", {
            "title": "You are unsubscribed",
            "message": "You will not get any more email alerts, and we no longer hold your email address."})
    return render(request, "publishing/alerts_unsubscribe.html", {"token": token})


# --- email alerts: the web team --------------------------------------------------------------------


def _require_alerts(user):
    _require(user.has_role(*selectors.ALERTS_ROLES), "Only the web team manages email alerts.")


@login_required
@require_http_methods(["GET", "POST"])
def alerts_admin(request):
    _require_alerts(request.user)
    form = SubscriberSearchForm(request.GET or None)
    found = list(selectors.subscriber_list(email=form.cleaned_data["email"])) if form.is_valid() else []
    return render(request, "publishing/alerts_admin.html", {
        "topics": selectors.topic_list(active_only=False).annotate(count=Count("subscribers")),
        "total": AlertSubscriber.objects.count(), "form": form, "found": found, "searched": form.is_bound,
    })


@login_required
def alerts_export(request):
    _require_alerts(request.user)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="alert-subscribers.csv"'
    writer = csv_export.writer(response)
    writer.writerow(["email", "topics", "confirmed_at"])
    writer.writerows(alerts.subscribers_export(actor=request.user))
    return response


@login_required
@require_POST
def alerts_erase(request, subscriber_pk):
    _require_alerts(request.user)
    subscriber = get_object_or_404(AlertSubscriber, pk=subscriber_pk)
    alerts.alert_erase(actor=request.user, subscriber=subscriber, reason=request.POST.get("reason", "")[:500])
    messages.success(request, "The subscriber and the alerts sent to them were erased.")
    return HttpResponseRedirect(reverse("alerts_admin"))
