"""The working-day clock: when an SLA or an FOI answer falls due.

Plain functions, no database. Datetimes must be aware; any zone is accepted and every
datetime returned is in UTC. Working time is worked out in the council's zone
(Europe/London) so that the BST changes fall in the right place.

Working time is [start, end) on a working day: 17:00 itself is out of hours, so an item
that arrives at 17:00 starts its clock at 09:00 on the next working day. A deadline that
uses up a day's last working minute is given as that day's 17:00.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays


@dataclasses.dataclass(frozen=True)
class WorkingCalendar:
    """When the council works. Holidays are the union of the listed GB subdivisions'
    bank holidays: ("ENG",) is England and Wales; ("ENG", "SCT", "NIR") is every part
    of the UK, which is how the FOI Act itself defines a working day (s.10(6))."""

    tz: str = "Europe/London"
    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday is 0
    holiday_subdivs: tuple[str, ...] = ("ENG",)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("Working hours must start before they end.")
        if not self.weekdays or not set(self.weekdays) <= set(range(7)):
            raise ValueError("Working weekdays must be a non-empty selection of 0 (Monday) to 6 (Sunday).")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances by key


DEFAULT_CALENDAR = WorkingCalendar()

# SLA policies as data: name -> {"kind": ..., "amount": ...}. The kinds:
#   none              no deadline (no_action)
#   elapsed_hours     `amount` clock hours from the clock start; a deadline that lands out
#                     of hours moves to the next working moment ("roll_to_working", default on)
#   working_hours     `amount` working hours
#   working_days      the same time of day `amount` working days after the clock start
#   same_working_day  the end of the working day the clock starts on; if it starts at or
#                     after `cutoff` (HH:MM), the end of the next working day instead
#   foi_working_days  the end of the working day on foi_due(received, amount)
# The clock starts at the moment of receipt, or at the next working moment when received
# out of hours. The web team's cut-off is 16:00: an item arriving in the last working
# hour could not fairly be answered the same day, so it is due by 17:00 the next working day.
SLA_POLICIES: dict[str, dict[str, Any]] = {
    "no_action": {"kind": "none"},
    "customer_service": {"kind": "elapsed_hours", "amount": 24, "roll_to_working": True},
    "web_team_response": {"kind": "same_working_day", "cutoff": "16:00"},
    "comms_escalation": {"kind": "working_hours", "amount": 2},
    "service_conversation": {"kind": "working_days", "amount": 2},
    "foi": {"kind": "foi_working_days", "amount": 20},
}
SLA_KINDS = ("none", "elapsed_hours", "working_hours", "working_days", "same_working_day", "foi_working_days")
FOI_WORKING_DAYS = 20


# --- calendar ----------------------------------------------------------------

@lru_cache(maxsize=8)
def _holidays(subdivs: tuple[str, ...]) -> holidays.HolidayBase:
    combined = holidays.country_holidays("GB", subdiv=subdivs[0]) if subdivs else holidays.HolidayBase()
    for subdiv in subdivs[1:]:
        combined = combined + holidays.country_holidays("GB", subdiv=subdiv)
    return combined


@lru_cache(maxsize=8192)
def _working_day(calendar: WorkingCalendar, day: date) -> bool:
    return day.weekday() in calendar.weekdays and day not in _holidays(calendar.holiday_subdivs)


def is_working_day(day: date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """Whether `day` (a local date) is a working day: a working weekday and not a bank holiday."""
    if isinstance(day, datetime):
        day = _local(day, calendar).date()
    return _working_day(calendar, day)


def bank_holiday_name(day: date, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> str | None:
    """The bank holiday's name, or None (for explaining a due date)."""
    return _holidays(calendar.holiday_subdivs).get(day)


def _next_working_day(day: date, calendar: WorkingCalendar) -> date:
    day += timedelta(days=1)
    while not _working_day(calendar, day):
        day += timedelta(days=1)
    return day


# --- conversions -----------------------------------------------------------------

def _local(dt: datetime, calendar: WorkingCalendar) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("Datetimes must be timezone-aware (for example UTC).")
    return dt.astimezone(calendar.zone)


def _at(day: date, clock: time, calendar: WorkingCalendar) -> datetime:
    return datetime.combine(day, clock, tzinfo=calendar.zone)


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


# --- working time ----------------------------------------------------------------

def is_working_time(dt: datetime, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """Whether `dt` falls inside working hours on a working day."""
    local = _local(dt, calendar)
    return _working_day(calendar, local.date()) and calendar.start <= local.time() < calendar.end


def out_of_hours(received: datetime, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> bool:
    """Whether an item received at `received` arrived outside working time."""
    return not is_working_time(received, calendar=calendar)


def _next_working_local(local: datetime, calendar: WorkingCalendar) -> datetime:
    day = local.date()
    if _working_day(calendar, day):
        if local.time() < calendar.start:
            return _at(day, calendar.start, calendar)
        if local.time() < calendar.end:
            return local
    return _at(_next_working_day(day, calendar), calendar.start, calendar)


def next_working_moment(dt: datetime, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> datetime:
    """`dt` itself in working time, otherwise the start of the next working period."""
    return _utc(_next_working_local(_local(dt, calendar), calendar))


def end_of_working_day(dt: datetime, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> datetime:
    """The end of the working day on which a clock started at `dt` runs: the same day
    during or before working hours, otherwise the end of the next working day."""
    start = _next_working_local(_local(dt, calendar), calendar)
    return _utc(_at(start.date(), calendar.end, calendar))


def add_working_hours(dt: datetime, hours: float, *, calendar: WorkingCalendar = DEFAULT_CALENDAR) -> datetime:
    """`hours` of working time after `dt` (counted from the next working moment)."""
    if hours < 0:
        raise ValueError("Working hours to add must not be negative.")
    current = _next_working_local(_local(dt, calendar), calendar)
    remaining = timedelta(hours=hours)
    while True:
        # Wall-clock arithmetic is safe here: working hours never straddle a BST change.
        day_end = _at(current.date(), calendar.end, calendar)
        available = day_end - current
        if remaining <= available:
            return _utc(current + remaining)
        remaining -= available
        current = _at(_next_working_day(current.date(), calendar), calendar.start, calendar)


def add_working_days(start: date | datetime, n: int, *,
                     calendar: WorkingCalendar = DEFAULT_CALENDAR) -> date | datetime:
    """n working days after `start`.

    For a date: the n-th working day after it (the date itself is not counted), a date.
    For an aware datetime: the same local time of day n working days after the clock
    start (the next working moment), as a UTC datetime.
    """
    if n < 0:
        raise ValueError("Working days to add must not be negative.")
    if isinstance(start, datetime):
        begin = _next_working_local(_local(start, calendar), calendar)
        day = begin.date()
        for _ in range(n):
            day = _next_working_day(day, calendar)
        return _utc(datetime.combine(day, begin.time(), tzinfo=calendar.zone))
    day = start
    for _ in range(n):
        day = _next_working_day(day, calendar)
    return day


def foi_due(received: date | datetime, *, days: int = FOI_WORKING_DAYS,
            calendar: WorkingCalendar = DEFAULT_CALENDAR) -> date:
    """The date an FOI answer is due: the 20th working day after the day of receipt.

    Day 1 is the first working day after the (local) date the request arrived, whatever
    the hour it arrived; weekends and bank holidays do not count.
    """
    day = _local(received, calendar).date() if isinstance(received, datetime) else received
    return add_working_days(day, days, calendar=calendar)


# --- SLA policies --------------------------------------------------------------------

def _parse_cutoff(value: Any) -> time:
    if isinstance(value, time):
        return value
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def validate_sla_policy(policy: Any) -> list[str]:
    """Problems with one SLA policy (for the editing UI); empty when it is usable."""
    if not isinstance(policy, Mapping):
        return ["An SLA policy must be an object with a 'kind'."]
    kind = policy.get("kind")
    if kind not in SLA_KINDS:
        return [f"Unknown SLA kind {kind!r}; use one of: {', '.join(SLA_KINDS)}."]
    errors = []
    if kind in ("elapsed_hours", "working_hours", "working_days", "foi_working_days"):
        amount = policy.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            errors.append(f"'{kind}' needs a positive number as 'amount'.")
        elif kind in ("working_days", "foi_working_days") and not isinstance(amount, int):
            errors.append(f"'{kind}' needs a whole number of days as 'amount'.")
    if kind == "same_working_day":
        try:
            _parse_cutoff(policy.get("cutoff", "16:00"))
        except (TypeError, ValueError):
            errors.append("'cutoff' must be a time of day written HH:MM, for example 16:00.")
    if "roll_to_working" in policy and not isinstance(policy["roll_to_working"], bool):
        errors.append("'roll_to_working' must be true or false.")
    unknown = set(policy) - {"kind", "amount", "cutoff", "roll_to_working"}
    if unknown:
        errors.append(f"Unknown SLA setting(s): {', '.join(sorted(unknown))}.")
    return errors


def sla_due(received: datetime, policy: str | Mapping[str, Any] | None, *,
            policies: Mapping[str, Mapping[str, Any]] = SLA_POLICIES,
            calendar: WorkingCalendar = DEFAULT_CALENDAR) -> datetime | None:
    """When a response to an item received at `received` is due under `policy`, a
    policy name in `policies` or a policy dict itself. None when the policy sets no
    deadline."""
    if policy is None:
        return None
    if isinstance(policy, str):
        if policy not in policies:
            raise ValueError(f"Unknown SLA policy {policy!r}.")
        policy = policies[policy]
    errors = validate_sla_policy(policy)
    if errors:
        raise ValueError(" ".join(errors))
    kind = policy["kind"]
    if kind == "none":
        return None
    if kind == "working_hours":
        return add_working_hours(received, policy["amount"], calendar=calendar)
    if kind == "working_days":
        return add_working_days(received, policy["amount"], calendar=calendar)
    if kind == "foi_working_days":
        due_day = foi_due(received, days=policy["amount"], calendar=calendar)
        return _utc(_at(due_day, calendar.end, calendar))

    start = _next_working_local(_local(received, calendar), calendar)
    if kind == "elapsed_hours":
        due = _utc(start) + timedelta(hours=policy["amount"])  # real hours, in UTC
        if policy.get("roll_to_working", True):
            local_due = due.astimezone(calendar.zone)
            at_day_end = local_due.time() == calendar.end and _working_day(calendar, local_due.date())
            if not at_day_end:
                due = _utc(_next_working_local(local_due, calendar))
        return due
    # same_working_day
    day = start.date()
    if start.time() >= _parse_cutoff(policy.get("cutoff", "16:00")):
        day = _next_working_day(day, calendar)
    return _utc(_at(day, calendar.end, calendar))
