"""Changes of state in reporting: committee report runs and metric history."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Channel
from monitoring.models import ChannelMetricSnapshot

from . import backfill, exports, pdf, sections, selectors
from .figures import Period
from .filters import ReportQuery, default_bucket
from .models import ReportRun

log = logging.getLogger(__name__)
METRIC_FIELDS = ("followers", "likes", "views", "watch_time_minutes", "posts")


# --- committee reports -----------------------------------------------------------------------

def report_run_request(*, actor, query: ReportQuery) -> ReportRun:
    """Ask for a committee report of the query's period; the task is queued after commit."""
    from .tasks import committee_report

    with transaction.atomic():
        run = ReportRun.objects.create(
            requested_by=actor, requested_by_name=str(actor), service=query.service,
            period_start=query.period.start, period_end=query.period.end,
            compare_start=query.comparison.start, compare_end=query.comparison.end,
            include_estimates=query.include_estimates)
        audit_record(actor=actor, action="report.request", obj=run, service=query.service,
                     changes={"period": [None, query.period.label], "compared with": [None, query.comparison.label],
                              "include_estimates": [None, query.include_estimates]})
        transaction.on_commit(lambda: committee_report.delay(run.pk))
    return run


def _claim(run_id: int, now: datetime) -> bool:
    """Take a queued run, or one whose worker died (running for longer than a task may)."""
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    return bool(ReportRun.objects.filter(
        Q(state=ReportRun.State.QUEUED) | Q(state=ReportRun.State.RUNNING, started_at__lt=stale), pk=run_id,
    ).update(state=ReportRun.State.RUNNING, started_at=now, progress=0, step="Starting", error=""))


def _progress(run: ReportRun, progress: int, step: str) -> None:
    """Saved at once (outside any transaction), so the page polling the run sees it."""
    ReportRun.objects.filter(pk=run.pk).update(progress=progress, step=step)


def report_run_generate(*, run_id: int, now: datetime | None = None) -> ReportRun:
    """Generate a run's PDF and CSV. Does nothing unless the run is waiting (or was left
    running by a worker that died), so a repeated task is harmless."""
    now = now or timezone.now()
    if not _claim(run_id, now):
        return ReportRun.objects.get(pk=run_id)
    run = ReportRun.objects.select_related("service").get(pk=run_id)
    period = Period(run.period_start, run.period_end)
    query = ReportQuery(period=period, comparison=Period(run.compare_start, run.compare_end), service=run.service,
                        bucket=default_bucket(period), include_estimates=run.include_estimates)
    step = "Starting"
    try:
        found = {}
        for progress, step, name, read in (
            (5, "Counting channel growth", "growth",
             lambda: selectors.channel_growth(query=query, user=run.requested_by)),
            (20, "Counting mentions", "volume", lambda: selectors.mention_volume(query=query)),
            (35, "Measuring response times", "responses", lambda: selectors.response_times(query=query, now=now)),
            (45, "Counting FOI requests", "foi",
             lambda: selectors.foi_on_time(query=query, today=timezone.localdate(now))),
            (55, "Counting posts", "publishing", lambda: selectors.publishing_report(query=query)),
        ):
            _progress(run, progress, step)
            found[name] = read()
        step = "Drawing the charts and tables"
        _progress(run, 65, step)
        report = sections.report(query=query, **found)
        step = "Writing the PDF"
        _progress(run, 75, step)
        pdf_bytes = pdf.committee_pdf(report, council=settings.COUNCIL_NAME, generated_at=now)
        step = "Writing the CSV"
        _progress(run, 90, step)
        csv_text = exports.figures_csv(report)
        name = f"committee-report-{period.start:%Y-%m-%d}-to-{period.end:%Y-%m-%d}-{run.pk}"
        with transaction.atomic():
            run.pdf.save(f"{name}.pdf", ContentFile(pdf_bytes), save=False)
            run.csv.save(f"{name}.csv", ContentFile(csv_text.encode("utf-8-sig")), save=False)
            run.state, run.progress, run.step, run.finished_at = ReportRun.State.DONE, 100, "Ready", timezone.now()
            run.save(update_fields=["pdf", "csv", "state", "progress", "step", "finished_at"])
            audit_record(actor=None, action="report.generate", obj=run, service=run.service,
                         changes={"state": [ReportRun.State.RUNNING, ReportRun.State.DONE]})
    except Exception as exc:  # recorded on the run for the people waiting for it, then logged in full
        log.exception("Committee report %s failed while %s", run.pk, step.lower())
        with transaction.atomic():
            ReportRun.objects.filter(pk=run.pk).update(
                state=ReportRun.State.FAILED, finished_at=timezone.now(),
                error=f"Failed while {step.lower()}: {type(exc).__name__}: {exc}"[:2000])
            audit_record(actor=None, action="report.fail", obj=run, service=run.service,
                         changes={"state": [ReportRun.State.RUNNING, ReportRun.State.FAILED]})
    run.refresh_from_db()
    return run


# --- metric history --------------------------------------------------------------------------

def metrics_backfill(*, channel: Channel, days: int, today: date, known: dict | None = None,
                     source: str = "backfill") -> int:
    """Plausible daily figures (reporting.backfill) for the days missing in the `days` before
    today, worked back from the channel's earliest snapshot or, with none, from `known`
    figures. Never changes a stored snapshot; running it again adds nothing. Returns the
    number of days added."""
    first = ChannelMetricSnapshot.objects.filter(channel=channel).order_by("date").first()
    if first is not None:
        on = first.date
        known = {field: getattr(first, field) for field in METRIC_FIELDS}
    else:
        on = today
        known = {field: value for field, value in (known or {}).items() if value is not None}
    oldest = today - timedelta(days=days)
    missing = (on - oldest).days
    if missing <= 0 or not any(v is not None for v in known.values()):
        return 0
    made = backfill.history(known=known, on=on, days=missing, platform=channel.platform,
                            seed=f"{channel.platform}:{channel.handle.lower()}")
    # Never measured: every day made up is marked estimated, with where it came from.
    rows = [ChannelMetricSnapshot(channel=channel, date=day, estimated=True, source=source, **values)
            for day, values in made.items()]
    with transaction.atomic():
        ChannelMetricSnapshot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        audit_record(actor=None, action="channel.metrics_backfill", obj=channel, service=channel.service,
                     changes={"days added": [None, len(rows)]}, note=f"From {min(made)} to {max(made)}")
    return len(rows)

