"""Fault injection: failures a client must survive, chosen by a seeded random draw.

A fault never loses data. On a read the client only gets an error (or a page with a
repeated or shuffled item) and the same data is served again when it retries, because
cursors hold boundaries, not server-side state. A fault on a write is injected instead of
the write: nothing is created, so a retry creates the post once.
"""
from __future__ import annotations

import dataclasses
import random

STATUS_KINDS = ("429", "500", "502", "503")
TRANSPORT_KINDS = ("timeout", "drop")  # no response at all
BODY_KINDS = ("malformed", "truncated")  # a 200 whose body cannot be parsed
PAGE_KINDS = ("duplicate", "out_of_order")  # only on listings
KINDS = STATUS_KINDS + TRANSPORT_KINDS + BODY_KINDS + PAGE_KINDS


@dataclasses.dataclass
class Rule:
    rate: float = 1.0  # chance that a matching request fails
    kinds: tuple[str, ...] = KINDS
    platform: str = ""  # "" matches every platform
    endpoint: str = ""  # a part of the endpoint name, e.g. "mentions" or "POST /2/tweets"
    seed: int = 0
    delay: float = 30.0  # timeout: seconds before the connection is closed unanswered
    retry_after: float = 1.0  # 429: seconds until the injected block ends
    count: int | None = None  # stop after this many faults
    injected: int = 0
    rng: random.Random = dataclasses.field(default=None, repr=False)

    def __post_init__(self) -> None:
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {list(KINDS)}")
        if not 0 <= self.rate <= 1:
            raise ValueError("rate must be between 0 and 1")
        self.kinds = tuple(self.kinds)
        self.rng = random.Random(self.seed)

    def matches(self, platform: str, endpoint: str) -> bool:
        if self.platform and self.platform != platform:
            return False
        return not self.endpoint or self.endpoint in endpoint

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out.pop("rng")
        out["kinds"] = list(self.kinds)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Rule:
        fields = {f.name for f in dataclasses.fields(cls)} - {"rng", "injected"}
        unknown = set(data) - fields
        if unknown:
            raise ValueError(f"unknown fault settings {sorted(unknown)}")
        data = dict(data)
        if isinstance(data.get("kinds"), str):
            data["kinds"] = [k.strip() for k in data["kinds"].split(",") if k.strip()]
        return cls(**data)


class Faults:
    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.log: list[dict] = []

    def clear(self) -> None:
        self.rules = []
        self.log = []

    def add(self, rule: Rule) -> None:
        self.rules.append(rule)

    def pick(self, platform: str, endpoint: str, *, listing: bool, now: float) -> tuple[Rule, str] | None:
        """The fault to inject into this request, if any. The first matching rule decides."""
        for rule in self.rules:
            if not rule.matches(platform, endpoint):
                continue
            if rule.count is not None and rule.injected >= rule.count:
                continue
            kinds = [k for k in rule.kinds if listing or k not in PAGE_KINDS]
            if not kinds:
                return None
            if rule.rng.random() >= rule.rate:
                return None
            kind = kinds[rule.rng.randrange(len(kinds))]
            rule.injected += 1
            self.log.append({"platform": platform, "endpoint": endpoint, "kind": kind, "at": now})
            return rule, kind
        return None
