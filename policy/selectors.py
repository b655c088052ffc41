"""Reads: current versions, what a person must still acknowledge, compliance and training."""
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import Service, User
from accounts.roles import Role

from .models import (
    Acknowledgement,
    Audience,
    PolicyDocument,
    PolicyVersion,
    TrainingCompletion,
    TrainingModule,
)

# Who may publish versions of any document (a document's owner may publish its own).
MANAGE_POLICIES = (Role.WEB_TEAM, Role.ADMINISTRATOR)
# Who sees the whole council's compliance and training; a head of service sees their service's.
SEE_ALL_COMPLIANCE = (Role.WEB_TEAM, Role.ADMINISTRATOR, Role.MONITORING_OFFICER)


def today() -> date:
    return timezone.localdate()


def audiences_for(user: User) -> set[str]:
    """Councillors read the members' documents; everyone else (any other role, or none yet) is staff."""
    if not user.is_authenticated:
        return set()
    roles = user.roles
    audiences = set()
    if Role.COUNCILLOR in roles:
        audiences.add(Audience.COUNCILLORS)
    if roles - {Role.COUNCILLOR} or not roles:
        audiences.add(Audience.STAFF)
    return audiences


def current_versions(*, on: date | None = None, audiences=None, acknowledgement_only: bool = False,
                     documents=None) -> list[PolicyVersion]:
    """The version in effect of each document: the latest whose effective date has come."""
    on = on or today()
    latest = PolicyVersion.objects.filter(document=OuterRef("pk"), effective_from__lte=on).order_by(
        "-effective_from", "-number").values("pk")[:1]
    docs = PolicyDocument.objects.all() if documents is None else documents
    if audiences is not None:
        docs = docs.filter(audience__in=audiences)
    if acknowledgement_only:
        docs = docs.filter(requires_acknowledgement=True)
    ids = [pk for pk in docs.annotate(current=Subquery(latest)).values_list("current", flat=True) if pk]
    return list(PolicyVersion.objects.filter(pk__in=ids).select_related("document", "document__owner").order_by(
        "document__audience", "document__order", "document__title"))


def current_version(document: PolicyDocument, *, on: date | None = None) -> PolicyVersion | None:
    return document.versions.filter(effective_from__lte=on or today()).order_by("-effective_from", "-number").first()


def must_acknowledge(user: User, *, on: date | None = None) -> list[PolicyVersion]:
    """The current versions of the documents for the user's audience that they have not acknowledged."""
    audiences = audiences_for(user)
    if not audiences or not user.is_active:
        return []
    versions = current_versions(on=on, audiences=audiences, acknowledgement_only=True)
    done = set(Acknowledgement.objects.filter(user=user, version__in=versions).values_list("version_id", flat=True))
    return [v for v in versions if v.pk not in done]


def acknowledged_at(user: User, version: PolicyVersion):
    return Acknowledgement.objects.filter(user=user, version=version).values_list("at", flat=True).first()


def can_manage_policy(user: User, document: PolicyDocument | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if user.has_role(*MANAGE_POLICIES):
        return True
    return document is not None and document.owner_id == user.pk


def document_list(*, user: User) -> list[dict]:
    """Every document with its current version and where the user stands with it."""
    on = today()
    documents = list(PolicyDocument.objects.select_related("owner"))
    current = {v.document_id: v for v in current_versions(on=on)}
    acks = dict(Acknowledgement.objects.filter(user=user, version__in=list(current.values())).values_list(
        "version_id", "at"))
    audiences = audiences_for(user)
    rows = []
    for doc in documents:
        version = current.get(doc.pk)
        for_me = doc.audience in audiences
        rows.append({
            "document": doc, "version": version, "for_me": for_me,
            "acknowledged_at": acks.get(version.pk) if version else None,
            "must_acknowledge": bool(version and for_me and doc.requires_acknowledgement and version.pk not in acks),
            "review_overdue": bool(version and version.review_due < on),
        })
    return rows


# Compliance ---------------------------------------------------------------------------------


def can_view_compliance(user: User) -> bool:
    return user.is_authenticated and (user.has_role(*SEE_ALL_COMPLIANCE) or user.has_role(Role.HEAD_OF_SERVICE))


def _visible_people(viewer: User):
    people = User.objects.filter(is_active=True).select_related("service").prefetch_related("groups")
    if viewer.has_role(*SEE_ALL_COMPLIANCE):
        return people
    if viewer.has_role(Role.HEAD_OF_SERVICE):
        services = set(Service.objects.filter(head=viewer).values_list("pk", flat=True))
        if viewer.service_id:
            services.add(viewer.service_id)
        return people.filter(service_id__in=services)
    raise PermissionDenied("Only the web team, the monitoring officer and heads of service see compliance.")


@dataclass
class ServiceCompliance:
    name: str
    people: int = 0
    outstanding: list = field(default_factory=list)  # (person, [versions not acknowledged])

    @property
    def compliant(self) -> int:
        return self.people - len(self.outstanding)


def compliance(*, viewer: User, on: date | None = None) -> dict:
    """Who has not acknowledged the current version of each document for their audience, by service."""
    people = list(_visible_people(viewer))
    versions = current_versions(on=on, acknowledgement_only=True)
    by_audience: dict[str, list[PolicyVersion]] = {}
    for version in versions:
        by_audience.setdefault(version.document.audience, []).append(version)
    done = set(Acknowledgement.objects.filter(version__in=versions, user__in=[p.pk for p in people]).values_list(
        "user_id", "version_id"))
    services: dict[str, ServiceCompliance] = {}
    per_version = {v.pk: {"version": v, "due": 0, "done": 0} for v in versions}
    for person in people:
        name = person.service.name if person.service_id else "No service"
        row = services.setdefault(name, ServiceCompliance(name=name))
        row.people += 1
        owed = []
        for audience in audiences_for(person):
            for version in by_audience.get(audience, []):
                per_version[version.pk]["due"] += 1
                if (person.pk, version.pk) in done:
                    per_version[version.pk]["done"] += 1
                else:
                    owed.append(version)
        if owed:
            row.outstanding.append((person, owed))
    return {
        "services": sorted(services.values(), key=lambda s: (s.name == "No service", s.name)),
        "versions": list(per_version.values()),
        "people": len(people),
        "outstanding": sum(len(s.outstanding) for s in services.values()),
    }


# Training -----------------------------------------------------------------------------------


def expiry_warning_days() -> int:
    return int(getattr(settings, "TRAINING_EXPIRY_WARNING_DAYS", 30))


def training_status(completion: TrainingCompletion | None, module: TrainingModule, *, on: date) -> str:
    """complete / expiring / lapsed / not_started / optional."""
    if completion is None:
        return "not_started" if module.required else "optional"
    if completion.expires_on is None or completion.expires_on >= on + timedelta(days=expiry_warning_days()):
        return "complete"
    if completion.expires_on >= on:
        return "expiring"
    return "lapsed"


STATUS_LABELS = {"complete": "Complete", "expiring": "Expires soon", "lapsed": "Lapsed",
                 "not_started": "Not done", "optional": "Optional"}


def _latest(completions) -> dict[tuple[int, int], TrainingCompletion]:
    latest = {}
    for c in completions:  # newest first
        latest.setdefault((c.user_id, c.module_id), c)
    return latest


def can_view_training(viewer: User, person: User) -> bool:
    if not viewer.is_authenticated:
        return False
    if viewer.pk == person.pk or viewer.has_role(*SEE_ALL_COMPLIANCE):
        return True
    return viewer.has_role(Role.HEAD_OF_SERVICE) and person.service_id is not None and (
        person.service_id == viewer.service_id or Service.objects.filter(pk=person.service_id, head=viewer).exists())


def can_record_training(viewer: User, person: User) -> bool:
    if not viewer.is_authenticated:
        return False
    if viewer.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR):
        return True
    return viewer.has_role(Role.HEAD_OF_SERVICE) and viewer.pk != person.pk and can_view_training(viewer, person)


def person_training(person: User, *, on: date | None = None) -> list[dict]:
    """Each module for the person's audience (and any they did anyway), with their latest completion."""
    on = on or today()
    completions = list(TrainingCompletion.objects.filter(user=person).select_related("module", "recorded_by"))
    latest = _latest(completions)
    modules = list(TrainingModule.objects.filter(active=True, audience__in=audiences_for(person)))
    for completion in completions:  # modules outside their audience that they did anyway
        if completion.module not in modules:
            modules.append(completion.module)
    rows = []
    for module in modules:
        completion = latest.get((person.pk, module.pk))
        status = training_status(completion, module, on=on)
        rows.append({"module": module, "completion": completion, "status": status, "label": STATUS_LABELS[status],
                     "history": [c for c in completions if c.module_id == module.pk]})
    return rows


def training_services(*, viewer: User):
    if viewer.has_role(*SEE_ALL_COMPLIANCE):
        return Service.objects.all()
    if viewer.has_role(Role.HEAD_OF_SERVICE):
        return Service.objects.filter(pk__in=[*Service.objects.filter(head=viewer).values_list("pk", flat=True),
                                              viewer.service_id or 0])
    return Service.objects.none()


def service_training(service: Service | None, *, on: date | None = None, people=None) -> dict:
    """A grid: each person in the service × each module for their audience, with status."""
    on = on or today()
    if people is None:
        people = User.objects.filter(is_active=True, service=service)
    people = list(people.prefetch_related("groups").order_by("last_name", "first_name", "username"))
    modules = list(TrainingModule.objects.filter(active=True))
    latest = _latest(TrainingCompletion.objects.filter(user__in=people, module__in=modules))
    rows = []
    counts = {key: 0 for key in STATUS_LABELS}
    for person in people:
        audiences = audiences_for(person)
        cells = []
        for module in modules:
            if module.audience not in audiences:
                cells.append(None)
                continue
            completion = latest.get((person.pk, module.pk))
            status = training_status(completion, module, on=on)
            counts[status] += 1
            cells.append({"status": status, "label": STATUS_LABELS[status], "completion": completion})
        rows.append({"person": person, "cells": cells})
    return {"service": service, "modules": modules, "rows": rows, "counts": counts}
