"""What is rising: hashtags, phrases and places in the council's mentions counted per hour, and a
plain statistical test of each topic against its own recent baseline.

The test (explained on the Rising page): a topic is rising when, in the last full or current hour,
it was mentioned at least MIN_COUNT times, at least RATIO times its hourly average over the
previous BASELINE_DAYS days, and more than SIGMAS standard deviations above that average (the
deviation is at least the square root of the average, as for counts that arrive at random, and
at least 1). The first hour that passes opens an episode and sends one alert; the episode ends
when the topic falls back below its average plus one standard deviation, and only then can a
new alert be raised for it.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import notify
from accounts.roles import Role
from accounts.selectors import staff_with_role

from . import bulk
from .models import Mention, SpikeAlert, TopicCount

MIN_COUNT = 5
RATIO = 3.0
SIGMAS = 3.0
BASELINE_DAYS = 7
HASHTAG = re.compile(r"(?<![\w&])#(\w{2,60})", re.UNICODE)
WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
STOPWORDS = frozenset("""a about above after again all also am an and any are as at be been before being below but
by can could did do does doing down during each few for from further had has have having he her here hers him his
how i if in into is it its just me more most my no nor not now of off on once only or other our out over own same
she should so some such than that the their them then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours via amp rt http https www
com co uk im its dont cant get got one new like""".split())
# Council words are in nearly every mention: they say nothing about what is rising.
COMMON = frozenset("council borough kingsmere kingsmerebc kingsmerecouncil".split())


def places() -> list[str]:
    return list(getattr(settings, "TREND_PLACES", []))


def topics_of(text: str, place_names: Sequence[str] = ()) -> set[tuple[str, str]]:
    """(kind, topic) pairs in a mention: each hashtag, each two-word phrase of meaningful words,
    each known place. Counted once per mention."""
    found: set[tuple[str, str]] = set()
    for tag in HASHTAG.findall(text):
        found.add((TopicCount.Kind.HASHTAG, "#" + tag.lower()))
    lowered = text.lower()
    for place in place_names:
        name = place.lower()
        # The plain substring test first: most mentions name no place, and it is far cheaper.
        if name in lowered and re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", lowered):
            found.add((TopicCount.Kind.PLACE, place))
    words = [w for w in (m.group(0).strip("'’-") for m in WORD.finditer(HASHTAG.sub(" ", lowered))) if w]
    for first, second in zip(words, words[1:], strict=False):
        if (first in STOPWORDS or second in STOPWORDS or first in COMMON or second in COMMON
                or len(first) < 3 or len(second) < 3):
            continue
        found.add((TopicCount.Kind.PHRASE, f"{first} {second}"[:100]))
    return found


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def mentions_count(mentions: Sequence[Mention]) -> int:
    """Add new mentions to the hourly counts (monitoring's NEW_MENTION_HOOKS, inside the page's
    transaction): one statement for the batch."""
    counts: Counter = Counter()
    names = places()
    for mention in mentions:
        hour = _hour(mention.received_at or timezone.now())
        for kind, topic in topics_of(mention.text or "", names):
            counts[(kind, topic, hour)] += 1
    bulk.tally(TopicCount, counts, key_fields=("kind", "topic", "hour"), count_field="count")
    return len(counts)


@dataclass(frozen=True)
class Test:
    count: int
    mean: float
    sd: float
    threshold: float
    rising: bool
    calm: bool  # back below mean + 1 sd: an open episode ends


def spike_test(count: int, history: Sequence[int]) -> Test:
    """The plain test of one hour's count against the hourly counts before it (zeros included)."""
    n = len(history) or 1
    mean = sum(history) / n
    var = sum((h - mean) ** 2 for h in history) / n
    sd = max(math.sqrt(var), math.sqrt(mean), 1.0)
    threshold = max(MIN_COUNT, RATIO * mean, mean + SIGMAS * sd)
    return Test(count, mean, sd, threshold, rising=count >= threshold, calm=count < mean + sd)


def explain(topic: str, test: Test) -> str:
    return (f"{topic} was in {test.count} mentions this hour; over the previous {BASELINE_DAYS} days it averaged "
            f"{test.mean:.1f} an hour (standard deviation {test.sd:.1f}), so anything from {math.ceil(test.threshold)} "
            f"an hour counts as rising.")


def spikes_detect(*, now: datetime | None = None) -> dict:
    """Test every topic seen this hour against its baseline; open one alert per new episode and
    tell the web team and communications officers (in the app and by email); end episodes that
    have calmed down."""
    now = now or timezone.now()
    hour = _hour(now)
    start = hour - timedelta(days=BASELINE_DAYS)
    current = {(r.kind, r.topic): r.count for r in TopicCount.objects.filter(hour=hour, count__gte=1)}
    open_alerts = {(a.kind, a.topic): a for a in SpikeAlert.objects.filter(ended_at__isnull=True)}
    candidates = {k for k, c in current.items() if c >= MIN_COUNT} | set(open_alerts)
    if not candidates:
        return {"tested": 0, "raised": 0, "ended": 0}
    history: dict[tuple[str, str], dict[datetime, int]] = {k: {} for k in candidates}
    for row in TopicCount.objects.filter(hour__gte=start, hour__lt=hour,
                                         topic__in={t for _, t in candidates}).values("kind", "topic", "hour",
                                                                                       "count"):
        key = (row["kind"], row["topic"])
        if key in history:
            history[key][row["hour"]] = row["count"]
    hours = [start + timedelta(hours=i) for i in range(BASELINE_DAYS * 24)]
    raised, ended = [], 0
    with transaction.atomic():
        for key in sorted(candidates):
            kind, topic = key
            test = spike_test(current.get(key, 0), [history[key].get(h, 0) for h in hours])
            alert = open_alerts.get(key)
            if alert is not None:
                if test.rising:
                    alert.last_rising_at, alert.peak = hour, max(alert.peak, test.count)
                    alert.save(update_fields=["last_rising_at", "peak"])
                elif test.calm or alert.last_rising_at < hour - timedelta(hours=6):
                    alert.ended_at = now
                    alert.save(update_fields=["ended_at"])
                    ended += 1
                continue
            if not test.rising:
                continue
            alert = SpikeAlert.objects.create(kind=kind, topic=topic, started_at=hour, last_rising_at=hour,
                                              count=test.count, peak=test.count, baseline_mean=test.mean,
                                              baseline_sd=test.sd, threshold=test.threshold,
                                              explanation=explain(topic, test))
            alert.mentions.set(_mentions_behind(kind, topic, hour))
            raised.append(alert)
        if raised:
            _tell(raised)
    return {"tested": len(candidates), "raised": len(raised), "ended": ended}


def _mentions_behind(kind: str, topic: str, hour: datetime, limit: int = 50) -> list[int]:
    recent = Mention.objects.filter(received_at__gte=hour, text__icontains=topic.lstrip("#") if kind != "hashtag"
                                    else topic).order_by("-received_at").values_list("pk", "text")[:limit * 4]
    names = places()
    return [pk for pk, text in recent if (kind, topic) in topics_of(text, names)][:limit]


def _tell(alerts: list[SpikeAlert]) -> None:
    users = list(staff_with_role(Role.WEB_TEAM)) + list(staff_with_role(Role.COMMUNICATIONS_OFFICER))
    url = reverse("rising")
    for alert in alerts:
        examples = list(alert.mentions.order_by("-received_at").values_list("text", flat=True)[:5])
        notify(users=users, subject=f"Rising now: {alert.topic}",
               body=alert.explanation + ("\n\nSome of the mentions behind it:\n" + "\n".join(
                   f"- {t[:200]}" for t in examples) if examples else ""), url=url)


# --- reads ------------------------------------------------------------------------------------


def rising_now(limit: int = 10):
    return SpikeAlert.objects.filter(ended_at__isnull=True).order_by("-started_at", "-peak")[:limit]


def trending(*, kind: str | None = None, hours: int = 24, limit: int = 10, now: datetime | None = None) -> list[dict]:
    """The topics most mentioned in the last `hours` (the day by default)."""
    now = now or timezone.now()
    rows = TopicCount.objects.filter(hour__gte=_hour(now) - timedelta(hours=hours - 1))
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.values("kind", "topic").annotate(total=Sum("count")).order_by("-total", "topic")[:limit])
