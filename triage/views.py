"""The review dashboard, the case page, the FOI register and the rules editor. Thin: read
input, check permission (the selectors), call one service, render."""
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors as account_selectors
from accounts.models import Service
from accounts.selectors import channel_access
from council_social.pagination import CappedPaginator

from . import config, forms, governance_forms, learning, matrix, moderation, replies, selectors, services
from .governance_models import ReplyDraft
from .models import CannedReply, RetrainRun, Route, Rule
from .replies import ReplyNotAllowed

# New cases shown by one poll of the dashboard (the next poll brings the rest).
UPDATES_MAX = 20


def _filter_form(request) -> forms.CaseFilterForm:
    data = request.GET.copy()
    data.setdefault("size", str(forms.PAGE_SIZE))  # so the page size select shows the size in use
    return forms.CaseFilterForm(data, services=Service.objects.order_by("name"),
                                channels=account_selectors.channel_list(user=request.user))


def _filters(form: forms.CaseFilterForm) -> tuple[dict, int]:
    """The valid filters and the page size (invalid filters are shown with their errors, not applied)."""
    if form.is_valid():
        return form.filters(), form.cleaned_data.get("size") or forms.PAGE_SIZE
    return {}, forms.PAGE_SIZE


def _with_sla(cases, now):
    warning = config.current().sla_warning
    for case in cases:
        case.sla_state = selectors.sla_state(case, now, warning)
    return cases


@login_required
@require_GET
def dashboard(request):
    user = request.user
    return render(request, "triage/dashboard.html", {
        "summary": selectors.case_summary(user=user),
        "counts": selectors.case_queue_counts(user=user),
    })


# The filters a person last used on the cases page are kept in their session, so the inbox opens
# as they left it; these parameters are not filters.
NOT_FILTERS = ("case", "page", "clear", "live")
FILTERS_KEY = "case_filters"
# Templates added to the preview pane's actions by other parts (each gets `case` and `next`).
PREVIEW_PANELS: list[str] = []
PREVIEW_ACTIONS = ("acknowledge", "reply", "assign", "escalate", "hand-over", "close", "reopen")


def _kept_filters(request):
    """A redirect to the filters kept from the last visit, or None to show the page as asked."""
    if "clear" in request.GET:
        request.session.pop(FILTERS_KEY, None)
        return HttpResponseRedirect(reverse("case_list"))
    asked = {k: v for k, v in request.GET.lists() if k not in NOT_FILTERS and any(v)}
    if asked:
        keep = QueryDict(mutable=True)
        for key, values in asked.items():
            keep.setlist(key, values)
        request.session[FILTERS_KEY] = keep.urlencode()
        return None
    kept = request.session.get(FILTERS_KEY)
    if kept:
        extra = request.GET.copy()
        return HttpResponseRedirect(f"{reverse('case_list')}?{kept}" + (f"&{extra.urlencode()}" if extra else ""))
    return None


def _preview_context(request, case) -> dict:
    """What the preview pane shows of one case: its facts, its mention and its common actions."""
    user = request.user
    can_work = selectors.can_work_on_cases(user)
    query = request.GET.copy()
    query["case"] = case.pk
    here = f"{reverse('case_list')}?{query.urlencode()}"
    return {
        "case": case, "sla_state": selectors.sla_state(case, timezone.now(), config.current().sla_warning),
        "can_work": can_work, "next": here,
        "forms": {name.replace("-", "_"): _action_form(request, case, name) for name in PREVIEW_ACTIONS}
        if can_work else {},
        "preview_panels": PREVIEW_PANELS,
    }


@login_required
@require_GET
def case_preview(request, pk):
    """The preview pane's fragment (htmx); without script the list page shows it (?case=)."""
    case = selectors.case_get(user=request.user, pk=pk)
    if not request.headers.get("HX-Request"):
        return HttpResponseRedirect(case.get_absolute_url())
    return render(request, "triage/_case_preview.html", _preview_context(request, case))


@login_required
@require_GET
def case_list(request):
    user = request.user
    kept = _kept_filters(request)
    if kept is not None:
        return kept
    form = _filter_form(request)
    filters, size = _filters(form)
    now = timezone.now()
    cases = selectors.case_list(user=user, filters=filters, now=now)
    page = CappedPaginator(cases.values_list("pk", flat=True), size).get_page(request.GET.get("page"))
    page.object_list = _with_sla(selectors.cases_by_id(list(page.object_list)), now)
    query = request.GET.copy()
    query.pop("page", None)
    updates = query.copy()
    updates["since"] = selectors.case_latest_id()
    unsorted = query.copy()
    unsorted.pop("sort", None)
    can_work = selectors.can_work_on_cases(user)
    preview = None
    chosen = request.GET.get("case", "")
    if chosen.isdigit():
        try:
            preview = _preview_context(request, selectors.case_get(user=user, pk=int(chosen)))
        except Http404:
            preview = None
    query.pop("case", None)
    return render(request, "triage/case_list.html", {
        "preview": preview, "chosen": preview["case"].pk if preview else None,
        "filter_form": form, "page": page, "query": query.urlencode(), "unsorted": unsorted.urlencode(),
        "filters": filters, "counts": selectors.case_queue_counts(user=user),
        "updates_url": f"{reverse('case_updates')}?{updates.urlencode()}",
        "can_work": can_work,
        "bulk_form": forms.BulkForm(prefix="bulk", users=selectors.assignable_users()) if can_work else None,
    })


@login_required
@require_GET
def case_updates(request):
    """The dashboard's live part (htmx polls it): cases opened since `since` that match the
    filters, the route counts, and a sentence for the aria-live region."""
    user = request.user
    try:
        since = max(0, int(request.GET.get("since", "0")))
    except ValueError:
        since = 0
    form = _filter_form(request)
    filters, _ = _filters(form)
    now = timezone.now()
    new = list(selectors.case_list(user=user, filters=filters, now=now).filter(pk__gt=since)
               .order_by("pk")[:UPDATES_MAX])
    _with_sla(new, now)
    query = request.GET.copy()
    query["since"] = new[-1].pk if new else since
    listed = request.GET.copy()
    for key in ("since", "page"):
        listed.pop(key, None)
    return render(request, "triage/case_updates.html", {
        "query": listed.urlencode(),
        "new_cases": list(reversed(new)), "updates_url": f"{reverse('case_updates')}?{query.urlencode()}",
        "routes": selectors.case_route_counts(user=user), "can_work": selectors.can_work_on_cases(user),
    })


@login_required
@require_POST
def case_bulk(request):
    user = request.user
    if not selectors.can_work_on_cases(user):
        raise PermissionDenied("You can read cases but not change them.")
    back = f"{reverse('case_list')}?{QueryDict(request.POST.get('query', '')).urlencode()}"
    form = forms.BulkForm(request.POST, prefix="bulk", users=selectors.assignable_users())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return HttpResponseRedirect(back)
    cases = selectors.case_list(user=user, filters={"status": "all"}).filter(pk__in=form.cleaned_data["cases"])
    action = form.cleaned_data["action"]
    result = services.cases_bulk(actor=user, cases=cases, action=action, assignee=form.cleaned_data["assignee"])
    verb = {"acknowledge": "acknowledged", "assign": "assigned", "close": "closed"}[action]
    if result.done:
        messages.success(request, f"{len(result.done)} case{'s' if len(result.done) != 1 else ''} {verb}.")
    for pk, reason in result.skipped:
        messages.error(request, f"Case {pk} was not changed: {reason}")
    return HttpResponseRedirect(back)


# --- the case page ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    form: Any
    run: Any  # (request, case, cleaned_data) -> None
    done: str
    form_kwargs: Any = None  # (request, case) -> dict


def _users(request, case):
    return {"users": selectors.assignable_users()}


def _councillors(request, case):
    return {"councillors": selectors.councillors() if selectors.can_tell_councillors(request.user) else None}


def _canned(request, case):
    return {"canned": selectors.canned_replies_for(case), "platform": case.platform}


def _case_mentions(request, case):
    return {"mentions": list(selectors.case_mentions(case))}


def _waiting_drafts(request, case):
    return {"drafts": list(case.reply_drafts.filter(state=ReplyDraft.State.WAITING))}


def _moderate(r, case, d):
    mention = next((m for m in selectors.case_mentions(case) if m.pk == d["mention"]), None)
    if mention is None:
        raise Http404("No such comment in this case.")
    return moderation.moderate(actor=r.user, mention=mention, action=d["action"], reason=d["reason"],
                               note=d["note"], case=case)


def _reply_decide(r, case, d):
    draft = get_object_or_404(ReplyDraft, pk=d["reply"], case=case)
    if d["decision"] == "approve":
        return replies.reply_approve(actor=r.user, draft=draft, comment=d["comment"])
    return replies.reply_send_back(actor=r.user, draft=draft, comment=d["comment"])


def _foi(case):
    foi = getattr(case, "foi", None)
    if foi is None:
        raise Http404("This case has no FOI request.")
    return foi


ACTIONS = {
    "acknowledge": Action(forms.VersionedForm, lambda r, c, d: services.case_acknowledge(
        actor=r.user, case=c, version=d["version"]), "The case is acknowledged."),
    "assign": Action(forms.AssignForm, lambda r, c, d: services.case_assign(
        actor=r.user, case=c, assignee=d["assignee"], version=d["version"]), "The case is assigned.", _users),
    "note": Action(forms.NoteForm, lambda r, c, d: services.case_note(actor=r.user, case=c, text=d["text"]),
                   "The note is on the timeline."),
    "hand-over": Action(forms.HandOverForm, lambda r, c, d: services.case_hand_over(
        actor=r.user, case=c, service=d["service"], note=d["note"], version=d["version"]),
        "The case is handed over and the service's officers are told."),
    "escalate": Action(forms.EscalateForm, lambda r, c, d: services.case_escalate(
        actor=r.user, case=c, reason=d["reason"], tell_head_of_service=d["tell_head_of_service"],
        councillors=d.get("councillors") or (), version=d["version"]),
        "The case is escalated and communications officers are told.", _councillors),
    "reply": Action(forms.ReplyForm, lambda r, c, d: services.case_reply(
        actor=r.user, case=c, text=d["text"], version=d["version"]), "The reply is posted.", _canned),
    "reply-decision": Action(governance_forms.ReplyDecisionForm, _reply_decide, "Your decision on the reply is "
                             "recorded.", _waiting_drafts),
    "moderate": Action(governance_forms.ModerateForm, _moderate, "The moderation is on the record.",
                       _case_mentions),
    "private": Action(forms.PrivateChannelForm, lambda r, c, d: services.case_private_channel(
        actor=r.user, case=c, note=d["note"], message=d["message"], responded=d["responded"],
        version=d["version"]), "Recorded."),
    "close": Action(forms.CloseForm, lambda r, c, d: services.case_close(
        actor=r.user, case=c, note=d["note"], no_action=d["no_action"], version=d["version"]),
        "The case is closed."),
    "reroute": Action(forms.RerouteForm, lambda r, c, d: services.case_reroute(
        actor=r.user, case=c, route=d["route"], service=d["service"], note=d["note"], version=d["version"]),
        "The case is moved, and the classifier will learn from it.", lambda r, c: {"current_route": c.route}),
    "safeguarding": Action(forms.SafeguardingForm, lambda r, c, d: services.case_safeguarding(
        actor=r.user, case=c, safeguarding=d["safeguarding"], note=d["note"], version=d["version"]),
        "Recorded, and the classifier will learn from it."),
    "reopen": Action(forms.ReopenForm, lambda r, c, d: services.case_reopen(
        actor=r.user, case=c, note=d["note"], version=d["version"]), "The case is reopened."),
    "foi-validate": Action(forms.FoiValidateForm, lambda r, c, d: services.foi_validate(
        actor=r.user, foi=_foi(c), requester=d["requester"], address=d["address"]),
        "The FOI request is valid; its due date is updated."),
    "foi-respond": Action(forms.FoiResponseForm, lambda r, c, d: services.foi_respond(
        actor=r.user, foi=_foi(c), kind=d["kind"], url=d["url"], note=d["note"]), "The FOI response is recorded."),
}


def _action_form(request, case, name, data=None):
    action = ACTIONS[name]
    kwargs = action.form_kwargs(request, case) if action.form_kwargs else {}
    initial = {"version": case.version}
    if name == "assign":
        initial["assignee"] = case.assignee_id
    return action.form(data, prefix=name, initial=initial, **kwargs)


def _render_case(request, case, *, failed: tuple[str, Any] | None = None, status: int = 200):
    user = request.user
    now = timezone.now()
    can_work = selectors.can_work_on_cases(user)
    action_forms = {}
    if can_work:
        action_forms = {name.replace("-", "_"): _action_form(request, case, name) for name in ACTIONS
                        if not name.startswith("foi") or hasattr(case, "foi")}
    if failed:
        action_forms[failed[0].replace("-", "_")] = failed[1]
    routing = getattr(case.mention, "routing", None)
    warning = config.current().sla_warning
    return render(request, "triage/case_detail.html", {
        "case": case, "routing": routing, "foi": getattr(case, "foi", None),
        "classified": learning.case_classified(case, routing),
        "reasons": (routing.classification.get("reasons", {}) if routing else {}),
        "guidance": matrix.ROUTE_GUIDANCE.get(case.route, ""),
        "sla_state": selectors.sla_state(case, now, warning),
        "mentions": selectors.case_mentions(case), "thread": selectors.case_thread(case),
        "card": selectors.author_card(case), "events": selectors.case_events(case),
        "can_work": can_work, "forms": action_forms, "form": failed[1] if failed else None,
        "shared_with": case.shared_with.all(),
        "governance": _governance(user, case),
    }, status=status)


def _governance(user, case) -> dict:
    """Replies waiting for approval and the moderation on record, for the case page."""
    drafts = list(case.reply_drafts.select_related("author"))
    return {"waiting": [(d, replies.can_approve_reply(user, d)) for d in drafts
                        if d.state == ReplyDraft.State.WAITING],
            "decided": [d for d in drafts if d.state != ReplyDraft.State.WAITING],
            "moderation": list(case.moderation_actions.all()),
            "may_moderate": channel_access(user, case.mention.channel, "moderate"),
            "hold": moderation.legal_hold(case.mention)}


@login_required
@require_GET
def case_detail(request, pk):
    return _render_case(request, selectors.case_get(user=request.user, pk=pk))


@login_required
@require_POST
def case_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404("No such action.")
    case = selectors.case_get(user=request.user, pk=pk, for_action=True)
    form = _action_form(request, case, action, request.POST)
    if form.is_valid():
        try:
            result = ACTIONS[action].run(request, case, form.cleaned_data)
        except ReplyNotAllowed as exc:
            case = selectors.case_get(user=request.user, pk=pk)
            form.add_error(None, exc.message)
            return _render_case(request, case, failed=(action, form), status=403)
        except services.CaseActionError as exc:
            case = selectors.case_get(user=request.user, pk=pk)
            if isinstance(exc, services.StaleCase):
                # Keep what they wrote, against the version they have now seen.
                data = request.POST.copy()
                data[f"{action}-version"] = case.version
                form = _action_form(request, case, action, data)
                form.is_valid()
            form.add_error(None, str(exc))
            return _render_case(request, case, failed=(action, form), status=409 if isinstance(
                exc, services.StaleCase) else 400)
        if getattr(result, "data", None) and result.data.get("awaiting_approval"):
            messages.success(request, "The reply is waiting for approval. It goes out when it is approved.")
        else:
            messages.success(request, ACTIONS[action].done)
        back = request.POST.get("next", "")  # the inbox's preview pane comes back to the list
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(case.get_absolute_url())
    return _render_case(request, case, failed=(action, form), status=400)


# --- FOI register ------------------------------------------------------------------------------

FOI_STATUSES = {"open": "Not yet answered", "overdue": "Overdue", "answered": "Answered", "all": "All"}


@login_required
@require_GET
def foi_list(request):
    status = request.GET.get("status", "open")
    if status not in FOI_STATUSES:
        status = "open"
    page = Paginator(selectors.foi_list(user=request.user, status=status), 50).get_page(request.GET.get("page"))
    return render(request, "triage/foi_list.html", {
        "page": page, "status": status, "statuses": FOI_STATUSES, "today": timezone.localdate(),
        "query": f"status={status}",
    })


# --- the rules editor ----------------------------------------------------------------------------

def _rules_editor(request):
    if not selectors.can_edit_rules(request.user):
        raise PermissionDenied("Only the web team and administrators edit the escalation matrix.")


@login_required
@require_GET
def rule_list(request):
    _rules_editor(request)
    return render(request, "triage/rule_list.html", {
        "rules": selectors.rule_list(), "routes": [(value, label, matrix.ROUTE_GUIDANCE[value])
                                                    for value, label in Route.choices],
    })


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk=None):
    _rules_editor(request)
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    original_name = rule.name if rule else None
    form = forms.RuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = selectors.rule_preview(proposed=form.matrix_rule(), replaces=original_name)
        else:
            try:
                saved = services.rule_save(actor=request.user, rule=rule, **form.service_fields())
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, f"The rule '{saved.name}' is saved and in force for new mentions.")
                return HttpResponseRedirect(reverse("rule_list"))
    return render(request, "triage/rule_form.html", {
        "form": form, "rule": rule, "preview": preview, "conditions": _condition_help(),
        "title": f"Change the rule '{original_name}'" if rule else "Add a rule",
    }, status=400 if form.errors else 200)


@login_required
@require_GET
def canned_list(request):
    _rules_editor(request)
    return render(request, "triage/canned_list.html", {"replies": selectors.canned_reply_list()})


@login_required
@require_http_methods(["GET", "POST"])
def canned_edit(request, pk=None):
    _rules_editor(request)
    reply = get_object_or_404(CannedReply, pk=pk) if pk else None
    form = forms.CannedReplyForm(request.POST or None, instance=reply)
    if request.method == "POST" and form.is_valid():
        saved = services.canned_reply_save(actor=request.user, reply=reply, **form.cleaned_data)
        messages.success(request, f"The standard reply '{saved.title}' is saved.")
        return HttpResponseRedirect(reverse("canned_list"))
    return render(request, "triage/canned_form.html", {
        "form": form, "title": f"Change '{reply.title}'" if reply else "Add a standard reply",
    }, status=400 if form.errors else 200)


CONDITION_WORDS = {
    "foi": "true: an FOI request", "foi_valid": "true / false: the FOI request is valid",
    "customer_service": "true: the person's own problem and a request for help",
    "simple_question": "true: a question answered by signposting", "abusive": "true: abusive words",
    "influential": "true: an influential author", "author_verified": "true: a verified account",
    "min_followers": "a number: the author has at least this many followers",
    "criticality_in": 'a list of "low", "medium", "high"', "sentiment_at_most": "a number from -1 to 1",
    "sentiment_at_least": "a number from -1 to 1", "service_in": "a list of service slugs",
    "service_known": "true: it concerns a service", "platform_in": "a list of platforms",
    "channel_kind_in": 'a list of "corporate", "service", "campaign"',
    "kind_in": 'a list of "mention", "comment", "reply", "search_hit"',
    "keywords_any": "a list of words or phrases, any of which", "min_thread_growth":
        "a number: at least this many replies and reshares",
}


def _condition_help():
    return [(key, CONDITION_WORDS.get(key, "")) for key in matrix.CONDITIONS]


# --- triage quality: the learned classifier, its figures, retraining and rollback -------------------

def _quality_access(request):
    if not selectors.can_edit_rules(request.user):
        raise PermissionDenied("The triage quality page is for the web team and administrators.")


@login_required
@require_GET
def quality(request):
    _quality_access(request)
    live = selectors.classifier_live()
    return render(request, "triage/quality.html", {
        "live": live, "held_back": learning.for_page(live.metrics if live else None),
        "corrections": learning.for_page(learning.correction_figures()),
        "correction_days": learning.CORRECTION_DAYS,
        "labels": learning.label_counts(), "versions": selectors.classifier_versions(),
        "run": selectors.retrain_latest(), "route_labels": dict(Route.choices),
    })


@login_required
@require_POST
def retrain(request):
    _quality_access(request)
    under_way = selectors.retrain_latest()
    run = learning.retrain_request(actor=request.user)
    if under_way is not None and under_way.pk == run.pk:
        messages.info(request, "A retraining is already under way: this is its progress.")
    else:
        messages.success(request, "Retraining has started: the new model is promoted only if it scores at least as "
                                  "well as the live one on the held-back evaluation.")
    return HttpResponseRedirect(run.get_absolute_url())


@login_required
@require_GET
def retrain_run(request, pk):
    _quality_access(request)
    return render(request, "triage/retrain_run.html", {"run": get_object_or_404(RetrainRun, pk=pk)})


@login_required
@require_GET
def retrain_status(request, pk):
    """The progress fragment the run page polls (htmx); without htmx, the whole page."""
    _quality_access(request)
    run = get_object_or_404(RetrainRun, pk=pk)
    if not request.htmx:
        return HttpResponseRedirect(run.get_absolute_url())
    return render(request, "triage/_retrain_status.html", {"run": run})


@login_required
@require_POST
def rollback(request):
    _quality_access(request)
    form = forms.RollbackForm(request.POST, versions=selectors.classifier_versions())
    if not form.is_valid():
        messages.error(request, "Choose a version to go back to.")
        return HttpResponseRedirect(reverse("triage_quality"))
    try:
        learning.classifier_rollback(actor=request.user, version=form.cleaned_data["version"])
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Version {form.cleaned_data['version'].version} is live again; new mentions "
                                  f"are classified by it.")
    return HttpResponseRedirect(reverse("triage_quality"))


@login_required
@require_GET
def labels_export(request):
    _quality_access(request)
    response = HttpResponse(learning.labels_csv(actor=request.user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="triage-labels.csv"'
    return response
