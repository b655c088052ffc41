"""Plausible daily history of a channel's figures, worked back from figures known on one day:
for the demo, and for a channel connected recently whose platform gives no history. No
database; the same channel and figures always give the same history.

Audience (followers, likes) grows by a yearly rate, with noisy days (quieter at weekends,
the odd day of unfollows). Activity (views, watch time, posts) is a running total: each day
adds an amount that itself grows by a yearly rate. The yearly rates are those seed 000 put to
its committee: Facebook likes +46%, followers +38%, YouTube views +36% and watch time +38%.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

AUDIENCE_GROWTH = {"facebook": 0.46}
DEFAULT_AUDIENCE_GROWTH = 0.38
ACTIVITY_GROWTH = {"views": 0.36, "watch_time_minutes": 0.38, "posts": 0.10}
# The share of the running total added in the history's days (the account is older than that).
ACTIVITY_SHARE = {"views": 0.45, "watch_time_minutes": 0.45, "posts": 0.3}


def _weekday_factor(d: date) -> float:
    return 0.6 if d.weekday() >= 5 else 1.0


def history(*, known: dict[str, int | None], on: date, days: int, platform: str, seed: str) -> dict[date, dict]:
    """Figures for each of the `days` days before `on`, given the figures `known` on `on`."""
    rng = random.Random(seed)
    dates = [on - timedelta(days=n) for n in range(days, 0, -1)]  # oldest first
    out: dict[date, dict] = {d: {} for d in dates}
    for metric, value in known.items():
        if value is None:
            continue
        if metric in ("followers", "likes"):
            values = _audience(value, dates, AUDIENCE_GROWTH.get(platform, DEFAULT_AUDIENCE_GROWTH), rng)
        else:
            values = _running_total(value, dates, ACTIVITY_GROWTH[metric], ACTIVITY_SHARE[metric], rng)
        for d, v in zip(dates, values, strict=True):
            out[d][metric] = v
    return out


def _audience(end: int, dates: list[date], growth: float, rng: random.Random) -> list[int]:
    start = end / (1 + growth) ** (len(dates) / 365)
    rises = [max(rng.gauss(1, 0.7), -0.4) * _weekday_factor(d) for d in _following(dates)]
    return _back_from(end, rises, (end - start) / (sum(rises) or 1))


def _running_total(end: int, dates: list[date], growth: float, share: float, rng: random.Random) -> list[int]:
    amounts = [(1 + growth) ** (i / 365) * _weekday_factor(d) * rng.uniform(0.5, 1.5)
               for i, d in enumerate(_following(dates))]
    return _back_from(end, amounts, end * share / (sum(amounts) or 1))


def _following(dates: list[date]) -> list[date]:
    """The day after each date: the day whose rise leads from that date's figure to the next."""
    return [d + timedelta(days=1) for d in dates]


def _back_from(end: int, rises: list[float], scale: float) -> list[int]:
    """The figures of the days before the known one, oldest first: the known figure less each
    later day's rise."""
    values, value = [], float(end)
    for rise in reversed(rises):
        value -= rise * scale
        values.append(max(round(value), 0))
    return values[::-1]
