"""The forward planner and the fortnightly grid (seed 004), the iCalendar export and the
suggested best time to post: plain functions of plain data, no database."""
import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class Entry:
    """Something on the plan: a post at a moment, or a campaign over days."""

    uid: str
    title: str
    start: datetime | date
    end: datetime | date | None = None
    url: str = ""
    kind: str = "post"  # post / campaign
    state: str = ""
    channels: tuple[str, ...] = ()
    description: str = ""

    def on(self, day: date) -> bool:
        start = self.start.date() if isinstance(self.start, datetime) else self.start
        end = self.end.date() if isinstance(self.end, datetime) else (self.end or start)
        return start <= day <= end


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, first + timedelta(days=calendar.monthrange(year, month)[1])


def month_grid(year: int, month: int, entries: list[Entry]) -> list[list[dict]]:
    """Weeks (Monday first) of days, each with its entries; days of other months flagged."""
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([{"date": day, "in_month": day.month == month,
                       "entries": [e for e in entries if e.on(day)]} for day in week])
    return weeks


def fortnight_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def fortnight_grid(start: date, entries: list[Entry]) -> dict:
    """Fourteen days from `start`; one row per channel with a post, then one of campaigns."""
    days = [start + timedelta(days=n) for n in range(14)]
    by_channel: dict[str, list[Entry]] = {}
    for entry in entries:
        for handle in entry.channels:
            by_channel.setdefault(handle, []).append(entry)
    rows = sorted(by_channel.items())
    campaigns = [e for e in entries if e.kind == "campaign"]
    if campaigns:
        rows.append(("Campaigns", campaigns))
    return {"days": days, "rows": [{"label": label, "cells": [[e for e in entries if e.on(d)] for d in days]}
                                   for label, entries in rows]}


# --- iCalendar (RFC 5545) ----------------------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _when(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return f":{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f";VALUE=DATE:{value:%Y%m%d}"


def to_ics(entries: list[Entry], *, name: str, stamp: datetime, domain: str) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Council Social//Publishing plan//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(name)}"]
    for entry in entries:
        end = entry.end
        if isinstance(entry.start, datetime):
            end = end or entry.start + timedelta(minutes=15)
        else:
            end = (end or entry.start) + timedelta(days=1)  # DTEND of an all-day event is exclusive
        description = entry.description
        if entry.channels:
            description = f"Channels: {', '.join(entry.channels)}\n{description}".strip()
        lines += ["BEGIN:VEVENT", f"UID:{entry.uid}@{domain}", f"DTSTAMP{_when(stamp)}",
                  f"DTSTART{_when(entry.start)}", f"DTEND{_when(end)}", f"SUMMARY:{_escape(entry.title)}"]
        if description:
            lines.append(f"DESCRIPTION:{_escape(description)}")
        if entry.url:
            lines.append(f"URL:{entry.url}")
        if entry.state:
            lines.append(f"CATEGORIES:{_escape(entry.state)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


# --- best time to post ---------------------------------------------------------------------------

MIN_SAMPLES = 20
DEFAULT_SLOT = (1, 12)  # Tuesday at noon: when nothing is known yet


@dataclass(frozen=True)
class Suggestion:
    weekday: int  # Monday = 0
    hour: int
    next_at: datetime
    explanation: str
    samples: int


def best_time(activity: list[tuple[datetime, int]], *, now: datetime, weeks: int) -> Suggestion:
    """The hour of the week when the channel's audience engaged most: each (local time, weight)
    is a mention, comment or reply and its likes and reshares."""
    slots: Counter = Counter()
    for when, weight in activity:
        slots[(when.weekday(), when.hour)] += max(1, weight)
    total = sum(slots.values())
    if len(activity) < MIN_SAMPLES:
        weekday, hour = DEFAULT_SLOT
        explanation = (f"Only {len(activity)} interactions in the last {weeks} weeks, too few to tell, so this is "
                       f"the usual best time for council posts: {calendar.day_name[weekday]} around {hour}:00.")
    else:
        (weekday, hour), weight = max(slots.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
        explanation = (f"In the last {weeks} weeks people engaged with this channel most on "
                       f"{calendar.day_name[weekday]}s between {hour}:00 and {hour + 1}:00 ({weight} of {total} "
                       "interactions, counting likes and reshares).")
    days_ahead = (weekday - now.weekday()) % 7
    next_at = (now + timedelta(days=days_ahead)).replace(hour=hour, minute=0, second=0, microsecond=0)
    if next_at <= now:
        next_at += timedelta(days=7)
    return Suggestion(weekday, hour, next_at, explanation, len(activity))
