"""Per-endpoint rate limits with the real platforms' budgets and windows.

A route charges one or more buckets (Mastodon charges its global bucket and, for posting,
the statuses bucket too). A request is refused when any bucket it charges is spent; the
response then describes that bucket, otherwise the one closest to exhaustion.

`scale` compresses time: every window lasts window / scale seconds, so a benchmark sees
a 15-minute X window pass in 9 seconds at scale 100.

After a refusal the bucket is marked blocked until its reset; requests charging it before
then are counted as "early" (a client that honours the reset never makes one).
"""
from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from zoneinfo import ZoneInfo

PER_ACCOUNT = "account"
PER_APP = "app"
PER_IP = "ip"


@dataclasses.dataclass(frozen=True)
class Bucket:
    name: str
    limit: int
    window: float  # seconds, at scale 1
    aligned: bool = False  # windows start at multiples of `window` (else at first use)
    pacific_midnight: bool = False  # YouTube's day starts at midnight Pacific time
    per: str = PER_ACCOUNT


@dataclasses.dataclass
class Decision:
    allowed: bool
    bucket: Bucket | None = None
    limit: int = 0
    remaining: int = 0
    reset: float = 0.0  # epoch seconds when the bucket's window ends
    window: float = 0.0  # the bucket's window length after scaling
    early: bool = False
    injected: bool = False  # refused by an injected fault, not a spent budget


def _pacific_offset(now: float) -> float:
    """Seconds from a UTC midnight to the next Pacific midnight (8 h, or 7 h in summer)."""
    offset = datetime.fromtimestamp(now, ZoneInfo("America/Los_Angeles")).utcoffset()
    return -offset.total_seconds() if offset is not None else 8 * 3600


class Limiter:
    def __init__(self) -> None:
        self.scale = 1.0
        self.overrides: dict[tuple[str, str], int] = {}
        self.reset()

    def reset(self) -> None:
        self._windows: dict[tuple, list[float]] = {}  # key → [reset, used]
        self._blocked: dict[tuple, float] = {}

    def set_limit(self, platform: str, bucket: str, limit: int | None) -> None:
        if limit is None:
            self.overrides.pop((platform, bucket), None)
        else:
            self.overrides[(platform, bucket)] = int(limit)

    def limit_of(self, platform: str, bucket: Bucket) -> int:
        return self.overrides.get((platform, bucket.name), bucket.limit)

    def window_of(self, bucket: Bucket) -> float:
        return bucket.window / self.scale

    def _window(self, key: tuple, bucket: Bucket, now: float) -> list[float]:
        length = self.window_of(bucket)
        found = self._windows.get(key)
        if found is not None and now < found[0]:
            return found
        if bucket.aligned:
            offset = _pacific_offset(now) if bucket.pacific_midnight and self.scale == 1 else 0.0
            start = math.floor((now - offset) / length) * length + offset
        else:
            start = now
        found = self._windows[key] = [start + length, 0]
        return found

    def consume(self, platform: str, charges: list[tuple[Bucket, int, str]], now: float) -> Decision:
        """Charge `cost` to each (bucket, cost, who); refuse if any bucket is spent."""
        if not charges:
            return Decision(allowed=True)
        early = False
        states = []
        for bucket, cost, who in charges:
            key = (platform, bucket.name, who)
            blocked_until = self._blocked.get(key)
            if blocked_until is not None:
                if now < blocked_until:
                    early = True
                else:
                    del self._blocked[key]
            states.append((bucket, cost, key, self._window(key, bucket, now), self.limit_of(platform, bucket)))

        for bucket, cost, key, window, limit in states:
            if window[1] + cost > limit:
                self._blocked[key] = max(self._blocked.get(key, 0.0), window[0])
                return Decision(
                    allowed=False,
                    bucket=bucket,
                    limit=limit,
                    remaining=max(0, int(limit - window[1])),
                    reset=window[0],
                    window=self.window_of(bucket),
                    early=early,
                )
        tightest = None
        for bucket, cost, _key, window, limit in states:
            window[1] += cost
            remaining = max(0, int(limit - window[1]))
            share = remaining / limit if limit else 0.0
            if tightest is None or share < tightest[0]:
                tightest = (share, Decision(True, bucket, limit, remaining, window[0], self.window_of(bucket), early))
        return tightest[1]

    def usage(self, platform: str, bucket: Bucket, who: str, now: float) -> tuple[int, int, float]:
        """(used, limit, reset) of a bucket charged by what a response holds rather than per
        request (X's monthly cap on posts read)."""
        window = self._window((platform, bucket.name, who), bucket, now)
        return int(window[1]), self.limit_of(platform, bucket), window[0]

    def add(self, platform: str, bucket: Bucket, who: str, amount: int, now: float) -> None:
        self._window((platform, bucket.name, who), bucket, now)[1] += amount

    def block(self, platform: str, charges: list[tuple[Bucket, int, str]], until: float) -> Decision:
        """Refuse as if the first bucket were spent until `until` (an injected 429)."""
        bucket, _, who = charges[0]
        key = (platform, bucket.name, who)
        self._blocked[key] = max(self._blocked.get(key, 0.0), until)
        return Decision(False, bucket, self.limit_of(platform, bucket), 0, until, self.window_of(bucket),
                        injected=True)
