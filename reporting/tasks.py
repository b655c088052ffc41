"""Thin tasks: load ids, call one service."""
from celery import shared_task

from . import services


@shared_task(name="reporting.committee_report", acks_late=True, ignore_result=True, time_limit=300,
             soft_time_limit=240)
def committee_report(run_id: int) -> str:
    return services.report_run_generate(run_id=run_id).state
