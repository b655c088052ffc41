"""The moderation log: every hide, unhide, delete, block and mute with its snapshot, with a CSV
export and the review of automatic hides."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import AuditEvent
from council_social import csv_export

from . import moderation, selectors
from .replies import NotAllowed

FILTERS = {"": "Everything", "automatic": "Automatic hides", "hide": "Hidden", "unhide": "Unhidden",
           "delete": "Deleted", "block": "Blocked", "mute": "Muted"}


def _require(user):
    if not selectors.can_work_on_cases(user):
        raise PermissionDenied("Councillors do not see the moderation log.")


def _filters(request) -> tuple[str, dict]:
    which = request.GET.get("show", "")
    which = which if which in FILTERS else ""
    return which, ({"automatic": True} if which == "automatic" else {"action": which} if which else {})


@login_required
@require_GET
def moderation_log(request):
    _require(request.user)
    which, filters = _filters(request)
    records = moderation.moderation_log(user=request.user, filters=filters)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="moderation-log.csv"'
        writer = csv_export.writer(response)
        writer.writerow(moderation.CSV_HEADER)
        writer.writerows(moderation.moderation_rows(records.iterator(chunk_size=2000)))
        AuditEvent.objects.create(actor=request.user, actor_name=str(request.user), action="moderation.export",
                                  object_type="triage.moderationaction", object_id="*",
                                  object_repr=f"Moderation log ({FILTERS[which]})")
        return response
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(request, "triage/moderation_log.html", {
        "page": page, "filters": FILTERS, "current": which, "query": f"show={which}", "reasons": moderation.REASONS,
    })


@login_required
@require_POST
def moderation_review(request, pk):
    _require(request.user)
    record = get_object_or_404(moderation.moderation_log(user=request.user), pk=pk)
    try:
        moderation.moderation_review(actor=request.user, record=record)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, "The automatic hide is marked as reviewed.")
    return HttpResponseRedirect(reverse("moderation_log") + "?show=automatic")
