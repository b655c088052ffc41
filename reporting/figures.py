"""The arithmetic of the reports, on plain numbers and dates: no database, so every figure a
committee sees can be checked by hand (tests/reporting/test_figures.py does).

Conventions:
- A percentage is `None` when it has no meaning (nothing to compare with, or a zero base);
  it is shown as "no data", never as 0%.
- Percentiles use linear interpolation between the two nearest ranks, the method of
  Excel's PERCENTILE.INC and MEDIAN, PostgreSQL's percentile_cont and NumPy's default, so an
  officer can check a figure in a spreadsheet.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

NO_DATA = "no data"


# --- periods ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Period:
    """A run of whole days, both ends included."""

    start: date
    end: date

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("A period cannot end before it starts.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self) -> Period:
        """The same dates a year earlier (29 February becomes 28 February)."""
        return Period(_year_back(self.start), _year_back(self.end))

    @property
    def label(self) -> str:
        """In words: "April 2016", "January to March 2016", "2015", "3 to 17 May 2016"."""
        s, e = self.start, self.end
        whole_months = s.day == 1 and (e + timedelta(days=1)).day == 1
        if whole_months:
            if (s.year, s.month) == (e.year, e.month):
                return f"{s:%B %Y}"
            if s.month == 1 and e.month == 12 and s.year == e.year:
                return str(s.year)
            if s.year == e.year:
                return f"{s:%B} to {e:%B %Y}"
            return f"{s:%B %Y} to {e:%B %Y}"
        if s == e:
            return day_label(s)
        if (s.year, s.month) == (e.year, e.month):
            return f"{s.day} to {e.day} {e:%B %Y}"
        return f"{day_label(s)} to {day_label(e)}"


def _year_back(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def day_label(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def last_full_month(today: date) -> Period:
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def quarter_of(day: date) -> Period:
    """The calendar quarter (January to March, …) holding `day`."""
    first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    after = first.replace(year=first.year + 1, month=1) if first.month == 10 else first.replace(month=first.month + 3)
    return Period(first, after - timedelta(days=1))


def last_full_quarter(today: date) -> Period:
    """The last complete calendar quarter before today: the period a committee paper usually covers."""
    return quarter_of(quarter_of(today).start - timedelta(days=1))


# --- growth ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Growth:
    """A figure then and now. `change` and `percent` are None when either figure is unknown;
    `percent` is also None when the earlier figure is 0."""

    before: float | None
    after: float | None
    # "" when both figures were measured; else "estimated" or "demo data" (reporting.selectors).
    estimated: str = ""

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def percent(self) -> float | None:
        change = self.change
        if change is None or not self.before:
            return None
        return change / self.before * 100


def growth_total(growths: Iterable[Growth]) -> Growth:
    """The sum of several figures (e.g. every channel on one platform). Only the items known at
    both ends are added, so that the percentage compares like with like."""
    known = [g for g in growths if g.change is not None]
    if not known:
        return Growth(None, None)
    return Growth(sum(g.before for g in known), sum(g.after for g in known),
                  estimate_label(g.estimated for g in known))


def estimate_label(labels: Iterable[str]) -> str:
    """The strongest of several figures' labels: demo data, then estimated, then measured ("")."""
    found = set(labels)
    return "demo data" if "demo data" in found else "estimated" if "estimated" in found else ""


def marked(text: str, label: str) -> str:
    """A label or figure as shown, with how it was obtained when it was not measured."""
    return f"{text} ({label})" if label else text


# --- shares and percentiles ------------------------------------------------------------------

def share(part: float, whole: float) -> float | None:
    """`part` as a percentage of `whole`; None when `whole` is 0."""
    return part / whole * 100 if whole else None


def sla_compliance(met: int, missed: int) -> float | None:
    """The share of cases with a decided SLA that were answered in time."""
    return share(met, met + missed)


def on_time_share(on_time: int, late: int) -> float | None:
    """The share of FOI requests with a decided outcome answered by their due date."""
    return share(on_time, on_time + late)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation: rank h = (n − 1) × p / 100 in the
    sorted values, then x[⌊h⌋] + (h − ⌊h⌋) × (x[⌊h⌋ + 1] − x[⌊h⌋]). None for no values."""
    if not 0 <= p <= 100:
        raise ValueError("A percentile is between 0 and 100.")
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * p / 100
    low = math.floor(h)
    if low + 1 >= len(xs):
        return float(xs[-1])
    return xs[low] + (h - low) * (xs[low + 1] - xs[low])


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


# --- words and numbers -----------------------------------------------------------------------

def _round(value: float, places: int) -> Decimal:
    """Half away from zero, as people round (Python's round() rounds half to even)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fmt_number(value: float | None, places: int = 0) -> str:
    if value is None:
        return NO_DATA
    return f"{_round(value, places):,.{places}f}"


def fmt_change(value: float | None, places: int = 0) -> str:
    if value is None:
        return NO_DATA
    text = fmt_number(abs(value), places)
    rounded = _round(value, places)
    return f"+{text}" if rounded > 0 else f"-{text}" if rounded < 0 else text


def fmt_percent(value: float | None, places: int = 1) -> str:
    if value is None:
        return NO_DATA
    return f"{_round(value, places):,.{places}f}%"


def fmt_signed_percent(value: float | None, places: int = 1) -> str:
    if value is None:
        return NO_DATA
    text = fmt_percent(value, places)
    return f"+{text}" if _round(value, places) > 0 else text


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def growth_sentence(subject: str, growth: Growth, *, between: tuple[str, str] | None = None,
                    compared_with: str = "") -> str | None:
    """Seed 000's way of telling a committee: "Facebook page likes increased 46% between April
    2015 and April 2016", or, for activity in a period, "YouTube views increased 36% compared
    with the same period a year earlier". None when there is nothing to say."""
    if growth.change is None:
        return None
    when = f"between {between[0]} and {between[1]}" if between else compared_with
    if growth.change == 0:
        return f"{subject} did not change {when}".strip()
    if growth.percent is None:
        return f"{subject} went from {fmt_number(growth.before)} to {fmt_number(growth.after)} {when}".strip()
    verb = "increased" if growth.change > 0 else "decreased"
    size = abs(growth.percent)
    amount = fmt_percent(size, 0 if size >= 0.5 else 1) if size >= 0.05 else "less than 0.1%"
    return f"{subject} {verb} {amount} {when}".strip()


# --- time buckets ----------------------------------------------------------------------------

BUCKETS = {"day": "Day", "week": "Week", "month": "Month"}


def bucket_start(d: date, kind: str) -> date:
    """The first day of the bucket holding `d`: the day, the Monday of its week, or the 1st."""
    if kind == "day":
        return d
    if kind == "week":
        return d - timedelta(days=d.weekday())
    if kind == "month":
        return d.replace(day=1)
    raise ValueError(f"Unknown bucket {kind!r}")


def bucket_starts(period: Period, kind: str) -> list[date]:
    """Every bucket that touches the period, in order (the first and last may be partial)."""
    out, d = [], bucket_start(period.start, kind)
    while d <= period.end:
        out.append(d)
        d = _next_bucket(d, kind)
    return out


def _next_bucket(d: date, kind: str) -> date:
    if kind == "month":
        return d.replace(year=d.year + 1, month=1) if d.month == 12 else d.replace(month=d.month + 1)
    return d + timedelta(days=1 if kind == "day" else 7)


def bucket_label(d: date, kind: str, *, short: bool = False) -> str:
    if kind == "month":
        return f"{d:%b %Y}" if short else f"{d:%B %Y}"
    if short:
        return f"{d.day} {d:%b}"
    return f"Week from {day_label(d)}" if kind == "week" else day_label(d)
