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
    "Policy annual review reminders (daily)": ("policy.review_reminders", 86400, {}),
    "Training lapse reminders (daily)": ("policy.training_reminders", 86400, {}),
}


def sync() -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, (task, seconds, kwargs) in SCHEDULES.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=interval, kwargs=json.dumps(kwargs))
