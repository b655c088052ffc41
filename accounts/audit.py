"""The audit trail: one row per change, written inside the change's transaction."""
from django.db import models

from .models import AuditEvent


def snapshot(obj: models.Model, fields=None) -> dict:
    """The audited values of a model instance: plain fields and foreign keys by id."""
    out = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if getattr(field, "audit_hidden", False) or type(field).__name__ == "EncryptedTextField":
            continue
        value = getattr(obj, field.attname)
        out[field.name] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
    return out


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for what changed; a field on one side only (a record created or
    deleted) is None on the other."""
    keys = [*after, *(k for k in before if k not in after)]
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def audit_record(*, actor, action: str, obj: models.Model, changes: dict | None = None,
                 note: str = "", service=None) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=str(actor) if actor is not None else "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        service=service,
        changes=changes or {},
        note=note,
    )


def audit_for(obj: models.Model):
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).select_related(
        "actor"
    )


def audit_system(*, action: str, object_type: str, description: str, changes: dict | None = None,
                 note: str = "") -> AuditEvent:
    """An audit row for work done by the system on many objects at once (e.g. a retention purge)."""
    return AuditEvent.objects.create(actor=None, actor_name="system", action=action, object_type=object_type,
                                     object_id="*", object_repr=description[:300], changes=changes or {}, note=note)
