"""Whether each part of the system is working: one verdict per part (web, database, broker,
worker, beat, each platform client), decided from heartbeats with their ages against thresholds.
System status shows it and refreshes it live; the API and monitoring may read the same rows.

Beat has the worker record a heartbeat for each of them every 15 s (council_social/schedules.py),
so a part that stops is late after 30 s and down after 60 s. Beat also touches its own heartbeat
file at every tick (council_social/liveness.py); where this process can see it (the embedded
default), it tells beat apart from the worker: with the worker down, beat's database heartbeat
stops too, but its file does not.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from .models import Heartbeat

WORKING, LATE, DOWN, UNKNOWN = "working", "late", "down", "unknown"
WORDS = {WORKING: "Working", LATE: "Late", DOWN: "Down", UNKNOWN: "Not known yet"}
TAGS = {WORKING: "govuk-tag--green", LATE: "govuk-tag--yellow", DOWN: "govuk-tag--red", UNKNOWN: "govuk-tag--grey"}
# (late after, down after), seconds since the part's last heartbeat
THRESHOLDS = {"worker": (30, 60), "beat": (30, 60)}
# A platform client is late when no poll of any of its channels has succeeded for this many
# poll intervals, and down when its latest polls all failed.
PLATFORM_LATE_INTERVALS = 3
PLATFORM_DOWN_FAILURES = 3


@dataclass(frozen=True)
class Part:
    name: str
    verdict: str
    age: float | None  # seconds since last seen, None when never
    threshold: str  # the rule, in words
    detail: str = ""

    @property
    def words(self) -> str:
        return WORDS[self.verdict]

    @property
    def tag(self) -> str:
        return TAGS[self.verdict]

    @property
    def age_words(self) -> str:
        return age_in_words(self.age)


def age_in_words(age: float | None) -> str:
    if age is None:
        return "never"
    age = max(0, int(age))
    if age < 120:
        return f"{age} s ago"
    if age < 7200:
        return f"{age // 60} min ago"
    if age < 172800:
        return f"{age // 3600} h ago"
    return f"{age // 86400} days ago"


def judge(age: float | None, late: float, down: float) -> str:
    """The verdict for a heartbeat of this age."""
    if age is None:
        return UNKNOWN
    if age > down:
        return DOWN
    if age > late:
        return LATE
    return WORKING


def _heartbeat_part(name: str, beats: dict[str, tuple[datetime, str]], now: datetime,
                    file_age: float | None) -> Part:
    late, down = THRESHOLDS[name]
    seen, said = beats.get(name, (None, ""))
    ages = [a for a in ((now - seen).total_seconds() if seen else None, file_age) if a is not None]
    age = min(ages) if ages else None
    detail = "from its heartbeat file and the database" if file_age is not None else "from the database"
    if said:  # e.g. "scheduled by beat", or who asked for a check
        detail = f"{detail}; last: {said}"
    return Part(name.capitalize(), judge(age, late, down), age,
                f"late after {late} s without a heartbeat, down after {down} s", detail)


def _database() -> Part:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    took = (time.monotonic() - started) * 1000
    return Part("Database", WORKING if took < 1000 else LATE, 0, "answers within a second", f"answered in {took:.0f} ms")


def _broker() -> Part:
    from council_social.celery import app

    started = time.monotonic()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 (any failure to connect is the verdict)
        return Part("Broker", DOWN, None, "accepts a connection within 2 s", f"no connection: {type(exc).__name__}")
    return Part("Broker", WORKING, 0, "accepts a connection within 2 s",
                f"connected in {(time.monotonic() - started) * 1000:.0f} ms")


def _platforms(now: datetime) -> list[Part]:
    from accounts.models import Channel
    from monitoring.models import PollState

    names = dict(Channel.Platform.choices)
    rows = (PollState.objects.filter(enabled=True).values("channel__platform")
            .annotate(success=Max("last_success_at"), error=Max("last_error_at"),
                      failures=Max("consecutive_failures"), interval=Max("interval_seconds")))
    parts = []
    for row in sorted(rows, key=lambda r: r["channel__platform"]):
        platform = row["channel__platform"]
        late = PLATFORM_LATE_INTERVALS * (row["interval"] or 60)
        age = (now - row["success"]).total_seconds() if row["success"] else None
        failing = row["error"] and (not row["success"] or row["error"] > row["success"])
        if failing and (row["failures"] or 0) >= PLATFORM_DOWN_FAILURES:
            verdict = DOWN
        else:
            verdict = judge(age, late, late * 4) if age is not None else (LATE if failing else UNKNOWN)
        parts.append(Part(f"{names.get(platform, platform)} client", verdict, age,
                          f"late after {late} s without a successful poll; down after "
                          f"{PLATFORM_DOWN_FAILURES} failed polls in a row",
                          "its latest poll failed" if failing else ""))
    return parts


def system_health(*, now: datetime | None = None, var_dir=None) -> list[Part]:
    """Every part's verdict, web first (it is answering this request)."""
    from council_social import liveness

    now = now or timezone.now()
    beats = {component: (seen, detail) for component, seen, detail
             in Heartbeat.objects.values_list("component", "seen_at", "detail")}
    beat_file = liveness.age("beat", var_dir)
    return [
        Part("Web", WORKING, 0, "answers this page", "this page was served by it"),
        _database(),
        _broker(),
        _heartbeat_part("worker", beats, now, None),
        _heartbeat_part("beat", beats, now, beat_file),
        *_platforms(now),
    ]


def summary(parts: list[Part]) -> str:
    out = []
    for verdict in (DOWN, LATE, UNKNOWN):
        names = [p.name for p in parts if p.verdict == verdict]
        if names:
            out.append(f"{WORDS[verdict]}: {', '.join(names)}.")
    return " ".join(out) or "Every part is working."

