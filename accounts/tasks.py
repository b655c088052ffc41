from celery import shared_task

from .services import heartbeat_record


@shared_task(name="accounts.heartbeat", acks_late=True, ignore_result=True)
def heartbeat(component: str, detail: str = "") -> None:
    """Proves a worker is consuming the broker; beat runs it for itself every minute."""
    heartbeat_record(component=component, detail=detail)


@shared_task(name="accounts.housekeeping_audit", acks_late=True, ignore_result=True)
def housekeeping_audit() -> dict:
    """Daily: flag dormant, ownerless, inaccessible, unbranded, disconnected and duplicate channels."""
    from .housekeeping import housekeeping_audit as audit

    return audit()
