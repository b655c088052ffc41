"""Capped allowances: what a platform lets one app read in a month or a day, beyond its rate limits.

X's paid tiers cap the posts a project may read each month (Free 500, Basic 10,000, Pro 1,000,000:
docs.x.com, "Post cap"). YouTube's Data API gives a project 10,000 quota units a day, reset at
midnight Pacific time; a search costs 100 units and a listing 1. The council says which caps
apply to its apps in the API_CAPS setting: {"x": 10000, "youtube": 10000}, or
{"x": {"limit": 10000, "pace": false}}. Without an entry a platform is not capped here (its rate
limits still apply, from its responses).

Paced (the default), a cap is spread over its period: by any moment the app may have used the
share of the cap that the period has run, plus one day's share of a monthly cap (one hour's of a
daily one). A backlog then cannot eat the month's posts in a morning and leave the council blind
for weeks. Unpaced, the whole cap may go at once. Either way a poll asks before each request
whether the most that request can use still fits, and takes it (`reserve`, one statement, so
two workers cannot both take the last of it), then settles what it really used (`spend`), in a
counter per platform, app and period (ApiUsage) that every worker shares.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import ApiUsage

UTC = ZoneInfo("UTC")
PACIFIC = ZoneInfo("America/Los_Angeles")
PERIODS = ("month", "day", "pacific_day")


@dataclasses.dataclass(frozen=True)
class Cap:
    platform: str
    app: str
    limit: int
    period: str  # one of PERIODS
    pace: bool = True


# --- the arithmetic (no database) -------------------------------------------------------------

def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """The period holding `now`: a calendar month (UTC), a day (UTC) or a day in Pacific time."""
    if period == "month":
        local = now.astimezone(UTC)
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end
    if period in ("day", "pacific_day"):
        zone = PACIFIC if period == "pacific_day" else UTC
        local = now.astimezone(zone)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # Midnight the next day, as the wall clock says (a Pacific day has 23 or 25 hours twice a year).
        end = (start + timedelta(days=1, hours=3)).replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
        # In UTC: arithmetic between two times in one zone ignores a change of offset between them.
        return start.astimezone(UTC), end.astimezone(UTC)
    raise ValueError(f"period must be one of {PERIODS}")


def _burst(period: str, start: datetime, end: datetime) -> float:
    """The share of the cap usable ahead of time: a day of a month, an hour of a day."""
    length = (end - start).total_seconds()
    return (86400 if period == "month" else 3600) / length


def allowance(limit: int, period: str, now: datetime, *, pace: bool = True) -> int:
    """How much of the cap may have been used by `now`."""
    if not pace:
        return limit
    start, end = period_bounds(period, now)
    ran = (now - start).total_seconds() / (end - start).total_seconds()
    return int(limit * min(1.0, ran + _burst(period, start, end)))


def wait_until(limit: int, period: str, used: int, cost: int, now: datetime, *,
               pace: bool = True) -> datetime | None:
    """None if a request that may use `cost` more can be made now; else the moment it can (the
    next period, when it would take the usage past the cap)."""
    need = used + cost
    if need <= allowance(limit, period, now, pace=pace):
        return None
    start, end = period_bounds(period, now)
    if need > limit or not pace:
        return end
    share = need / limit - _burst(period, start, end)
    at = start + timedelta(seconds=share * (end - start).total_seconds())
    # allowance() rounds down: step a second past the exact moment.
    return max(at + timedelta(seconds=1), now)


# --- the stored counter ----------------------------------------------------------------------

def cap_for(client) -> Cap | None:
    """The cap that applies to this client's app, if its platform has one and the council set it."""
    period = getattr(client, "cap_period", None)
    conf = settings.API_CAPS.get(client.platform)
    if not period or conf is None:
        return None
    if isinstance(conf, dict):
        limit, pace = int(conf["limit"]), bool(conf.get("pace", True))
    else:
        limit, pace = int(conf), True
    return Cap(platform=client.platform, app=client.app.client_id, limit=limit, period=period, pace=pace)


def used(cap: Cap, now: datetime | None = None) -> int:
    start, _ = period_bounds(cap.period, now or timezone.now())
    return ApiUsage.objects.filter(platform=cap.platform, app=cap.app, period_start=start).values_list(
        "used", flat=True).first() or 0


def spend(cap: Cap, amount: int, now: datetime | None = None) -> None:
    """Add to the period's counter (one statement; safe from many workers). Negative: give back
    what a reservation took beyond what the request used."""
    if amount == 0:
        return
    start, _ = period_bounds(cap.period, now or timezone.now())
    key = {"platform": cap.platform, "app": cap.app, "period_start": start}
    if ApiUsage.objects.filter(**key).update(used=F("used") + amount, updated_at=timezone.now()):
        return
    try:
        with transaction.atomic():
            ApiUsage.objects.create(**key, used=amount)
    except IntegrityError:  # another worker created it first
        ApiUsage.objects.filter(**key).update(used=F("used") + amount, updated_at=timezone.now())


def reserve(cap: Cap, cost: int, now: datetime | None = None) -> datetime | None:
    """Take `cost` from the allowance for a request about to be made, if it fits: None when
    taken, else when to try again. Checking and taking are one statement, so polls on other
    workers cannot both take the last of it. After the request, spend() the difference
    between what it used and `cost`."""
    now = now or timezone.now()
    start, _ = period_bounds(cap.period, now)
    key = {"platform": cap.platform, "app": cap.app, "period_start": start}
    room = allowance(cap.limit, cap.period, now, pace=cap.pace) - cost
    for _ in range(2):
        if room < 0:
            break
        if ApiUsage.objects.filter(**key, used__lte=room).update(used=F("used") + cost, updated_at=now):
            return None
        if ApiUsage.objects.filter(**key).exists():
            break
        try:
            with transaction.atomic():
                ApiUsage.objects.create(**key, used=cost)
            return None
        except IntegrityError:  # another worker created it first: try the update again
            continue
    return wait_until(cap.limit, cap.period, used(cap, now), cost, now, pace=cap.pace) or now + timedelta(seconds=1)
