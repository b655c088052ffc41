"""The report pages and the committee report. Thin: read the filters, which check who may see
what, call the selectors, lay the figures out (reporting.sections), render."""
import dataclasses

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import pdf, sections, selectors, services
from .filters import can_see_reports, report_query_build
from .forms import CommitteeReportForm, ReportFilterForm

PAGES = [("report_home", "Summary"), ("report_growth", "Channel growth"), ("report_mentions", "Mention volume"),
         ("report_triage", "Triage performance"), ("report_publishing", "Posts published")]
RECENT_RUNS = 10


def _filters(request):
    if not can_see_reports(request.user):
        raise PermissionDenied("Reports are for the web team, communications officers, heads of service and "
                               "service editors.")
    form = ReportFilterForm(request.GET or None, user=request.user)
    return form, form.report_query(timezone.localdate())


def _context(request, form, query, current: str, **extra) -> dict:
    qs = request.GET.urlencode()
    return {"form": form, "query": query, "current": current,
            "pages": [{"url": f"{reverse(name)}{'?' + qs if qs else ''}", "text": text, "current": name == current}
                      for name, text in PAGES],
            **extra}


def _section_page(request, current: str, build):
    form, query = _filters(request)
    section = build(query) if query else None
    return render(request, "reporting/section.html", _context(request, form, query, current, section=section))


@login_required
@require_GET
def home(request):
    form, query = _filters(request)
    report = None
    if query:
        now = timezone.now()
        report = sections.report(query=query, **selectors.report_figures(query=query, now=now, user=request.user))
    return render(request, "reporting/home.html", _context(
        request, form, query, "report_home", report=report,
        committee_form=CommitteeReportForm.for_query(query) if query else None,
        runs=selectors.report_run_list(user=request.user)[:RECENT_RUNS]))


@login_required
@require_GET
def growth(request):
    return _section_page(request, "report_growth",
                         lambda q: sections.growth_section(selectors.channel_growth(query=q, user=request.user), q))


@login_required
@require_GET
def mentions(request):
    return _section_page(request, "report_mentions",
                         lambda q: sections.volume_section(selectors.mention_volume(query=q), q))


@login_required
@require_GET
def triage(request):
    def build(q):
        now = timezone.now()
        return sections.triage_section(selectors.response_times(query=q, now=now),
                                       selectors.foi_on_time(query=q, today=timezone.localdate(now)), q)

    return _section_page(request, "report_triage", build)


@login_required
@require_GET
def publishing(request):
    return _section_page(request, "report_publishing",
                         lambda q: sections.publishing_section(selectors.publishing_report(query=q), q))


@login_required
@require_POST
def run_create(request):
    if not can_see_reports(request.user):
        raise PermissionDenied("Reports are for the web team, communications officers, heads of service and "
                               "service editors.")
    form = CommitteeReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The report's period was not understood. Choose the period again.")
        return HttpResponseRedirect(reverse("report_home"))
    data = form.cleaned_data
    try:
        query = report_query_build(user=request.user, today=timezone.localdate(), start=data["start"], end=data["end"],
                                   compare="custom", compare_start=data["compare_start"],
                                   compare_end=data["compare_end"], service=data["service"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("report_home"))
    query = dataclasses.replace(query, include_estimates=data["include_estimates"])
    run = services.report_run_request(actor=request.user, query=query)
    return HttpResponseRedirect(run.get_absolute_url())


@login_required
@require_GET
def run_detail(request, pk):
    run = selectors.report_run_get(user=request.user, pk=pk)
    return render(request, "reporting/run.html", {"run": run, "tagged": pdf.tagged_pdf_available()})


@login_required
@require_GET
def run_status(request, pk):
    """The progress fragment the run page polls (htmx); without htmx, the whole page."""
    run = selectors.report_run_get(user=request.user, pk=pk)
    if not request.htmx:
        return HttpResponseRedirect(run.get_absolute_url())
    return render(request, "reporting/_run_status.html", {"run": run, "tagged": pdf.tagged_pdf_available()})


@login_required
@require_GET
def run_download(request, pk, kind):
    run = selectors.report_run_get(user=request.user, pk=pk)
    file = run.pdf if kind == "pdf" else run.csv
    if run.state != run.State.DONE or not file:
        raise Http404("This report is not ready.")
    name = f"committee-report-{run.period_start:%Y-%m-%d}-to-{run.period_end:%Y-%m-%d}.{kind}"
    return FileResponse(file.open("rb"), as_attachment=True, filename=name,
                        content_type="application/pdf" if kind == "pdf" else "text/csv; charset=utf-8")
