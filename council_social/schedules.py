"""Periodic tasks, stored in the database by django-celery-beat so administrators can
change them in admin. sync() creates the missing ones after every migrate; it never
overwrites a schedule an administrator has changed."""
import json

# name → (task, seconds between runs, kwargs)
SCHEDULES: dict[str, tuple[str, int, dict]] = {
    "Scheduler heartbeat": ("accounts.heartbeat", 15, {"component": "beat", "detail": "scheduled by beat"}),
    # Keeps the worker's heartbeat file fresh while it works (council_social/liveness.py).
    "Worker heartbeat": ("accounts.heartbeat", 15, {"component": "worker", "detail": "scheduled by beat"}),
    "Channel metrics (daily)": ("monitoring.snapshot_metrics", 86400, {}),
    "Refresh platform tokens": ("monitoring.refresh_tokens", 600, {}),
    "Retention purge": ("monitoring.retention_purge", 3600, {}),
    "Publish due posts": ("publishing.sweep", 60, {}),
    "SLA watch": ("triage.sla_watch", 300, {}),
    "Case notices": ("triage.case_notices", 60, {}),
    "FOI answer reminders": ("triage.foi_reminders", 3600, {}),
    "Channel housekeeping audit (daily)": ("accounts.housekeeping_audit", 86400, {}),
    "Rising topics (spike alerts)": ("monitoring.spikes_detect", 300, {}),
    "Watch list yearly reviews (daily)": ("monitoring.watchlist_reviews", 86400, {}),
    "Policy annual review reminders (daily)": ("policy.review_reminders", 86400, {}),
    "Training lapse reminders (daily)": ("policy.training_reminders", 86400, {}),
}

# name → (task, "minute hour day-of-month month day-of-week" in the council's time zone, kwargs)
CRONTABS: dict[str, tuple[str, str, dict]] = {
    "Retrain the triage classifier (nightly)": ("triage.classifier_retrain", "30 2 * * *", {}),
}


def sync() -> None:
    from django.conf import settings
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    for name, (task, seconds, kwargs) in SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=interval, kwargs=json.dumps(kwargs))
    for name, (task, cron, kwargs) in CRONTABS.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year,
            day_of_week=day_of_week, timezone=settings.TIME_ZONE)
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab, kwargs=json.dumps(kwargs))
