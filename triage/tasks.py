"""Thin tasks: call one service."""
from celery import shared_task

from . import services


@shared_task(name="triage.sla_watch", acks_late=True, ignore_result=True)
def sla_watch() -> dict:
    """Every few minutes: warn before SLA breaches, escalate breaches."""
    return services.sla_watch()


@shared_task(name="triage.foi_reminders", acks_late=True, ignore_result=True)
def foi_reminders() -> int:
    """Hourly: remind about FOI answers falling due."""
    return services.foi_reminders_send()


@shared_task(name="triage.case_notices", acks_late=True, ignore_result=True)
def case_notices() -> int:
    """Queued after each page that opened or raised cases, and every minute: tell people."""
    return services.case_notices_send()


@shared_task(name="triage.moderation_auto_hide", acks_late=True, ignore_result=True)
def moderation_auto_hide(mention_ids: list[int]) -> int:
    """Hide new comments that contain a blocked word marked "hide incoming", each on the record."""
    from monitoring.models import Mention

    from . import moderation

    return moderation.auto_hide(Mention.objects.filter(pk__in=mention_ids).select_related("channel", "author"))


@shared_task(name="triage.classifier_retrain", acks_late=True, ignore_result=True, time_limit=900,
             soft_time_limit=840)
def classifier_retrain(run_id: int | None = None) -> str:
    """On demand (a run asked for on the Triage quality page) and nightly by beat (no run id):
    retrain the classifier on the corpus and the council's labels; promote it only if not worse."""
    from . import learning

    if run_id is None:
        return learning.retrain_nightly().state
    return learning.retrain_run(run_id=run_id).state
