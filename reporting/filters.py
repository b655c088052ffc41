"""What a report is about, checked once for every way in (pages, API, committee report): the
period, the period it is compared with, the service and the time buckets. Building the query
is also where scoping happens: service staff only ever get their own service."""
from __future__ import annotations

import dataclasses
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet

from accounts.models import Service, User
from accounts.roles import Role

from .figures import BUCKETS, Period, last_full_quarter

SEE_ALL = {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR}
OWN_SERVICE = {Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR}
COMPARISONS = {
    "year": "The same period a year earlier",
    "previous": "The period of the same length just before",
    "custom": "Other dates",
}
MAX_DAYS = 5 * 366
MAX_DAY_BUCKETS = 92


@dataclasses.dataclass(frozen=True)
class ReportQuery:
    period: Period
    comparison: Period
    service: Service | None  # None: every service
    bucket: str = "week"

    @property
    def service_label(self) -> str:
        return self.service.name if self.service else "All services"


def can_see_reports(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return user.has_role(*SEE_ALL) or (user.has_role(*OWN_SERVICE) and user.service_id is not None)


def can_see_all_services(user: User) -> bool:
    return user.is_authenticated and user.has_role(*SEE_ALL)


def report_services(user: User) -> QuerySet[Service]:
    """The services a user may report on."""
    if can_see_all_services(user):
        return Service.objects.order_by("name")
    if can_see_reports(user):
        return Service.objects.filter(pk=user.service_id)
    return Service.objects.none()


def default_bucket(period: Period) -> str:
    return "day" if period.days <= 31 else "week" if period.days <= 183 else "month"


def report_query_build(*, user: User, today: date, start: date | None = None, end: date | None = None,
                       compare: str = "year", compare_start: date | None = None,
                       compare_end: date | None = None, service: str = "", bucket: str = "") -> ReportQuery:
    """A checked ReportQuery. PermissionDenied for someone who may not see reports; a
    ValidationError (field → message) for input that makes no sense. Blank dates mean the last
    full calendar quarter (a committee's usual period)."""
    if not can_see_reports(user):
        raise PermissionDenied("Reports are for the web team, communications officers, heads of service "
                               "and service editors.")
    errors: dict[str, str] = {}
    if start is None and end is None:
        default = last_full_quarter(today)
        start, end = default.start, default.end
    elif start is None:
        errors["start"] = "Enter the date the period starts"
    elif end is None:
        errors["end"] = "Enter the date the period ends"
    period = comparison = None
    if start and end:
        if end < start:
            errors["end"] = "The end of the period must be the same as or after its start"
        elif start > today:
            errors["start"] = "The period must start today or in the past"
        elif (end - start).days >= MAX_DAYS:
            errors["end"] = "A period can be at most 5 years long"
        else:
            period = Period(start, end)
    if compare not in COMPARISONS:
        errors["compare"] = "Choose what to compare the period with"
    elif compare == "custom":
        if compare_start is None or compare_end is None:
            errors["compare_start" if compare_start is None else "compare_end"] = (
                "Enter both dates of the period to compare with")
        elif compare_end < compare_start:
            errors["compare_end"] = "The end of the period to compare with must be the same as or after its start"
        elif (compare_end - compare_start).days >= MAX_DAYS:
            errors["compare_end"] = "A period can be at most 5 years long"
        else:
            comparison = Period(compare_start, compare_end)
    elif period:
        comparison = period.year_before() if compare == "year" else period.previous()
    chosen = _service(user, service, errors)
    if bucket and bucket not in BUCKETS:
        errors["bucket"] = "Choose days, weeks or months"
    elif period and bucket == "day" and period.days > MAX_DAY_BUCKETS:
        errors["bucket"] = f"Choose weeks or months for a period longer than {MAX_DAY_BUCKETS} days"
    if errors:
        raise ValidationError(errors)
    return ReportQuery(period=period, comparison=comparison, service=chosen, bucket=bucket or default_bucket(period))


def _service(user: User, slug: str, errors: dict) -> Service | None:
    if not can_see_all_services(user):
        own = Service.objects.get(pk=user.service_id)
        if slug and slug != own.slug:
            errors["service"] = f"You can see reports for {own.name} only"
        return own
    if not slug:
        return None
    found = Service.objects.filter(slug=slug).first()
    if found is None:
        errors["service"] = "Choose a service from the list"
    return found
