"""Capped allowances (monitoring.budget): X's monthly cap on posts read and YouTube's daily quota,
counted in ApiUsage, paced over their period, never overrun; and how a poll carries on through a
backlog within its rate limit (monitoring.tasks.poll)."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from monitoring import budget, tasks
from monitoring.models import ApiUsage, Mention, PollState
from monitoring.services import poll_run
from tests.monitoring.scripted import ScriptedClient, item, page

pytestmark = pytest.mark.django_db


# --- the arithmetic --------------------------------------------------------------------------

def test_periods_are_calendar_months_utc_days_and_pacific_days():
    now = datetime(2026, 2, 14, 12, 0, tzinfo=UTC)
    assert budget.period_bounds("month", now) == (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert budget.period_bounds("day", now) == (datetime(2026, 2, 14, tzinfo=UTC), datetime(2026, 2, 15, tzinfo=UTC))
    # 07:00 UTC is still the day before in California (UTC-8 in winter).
    start, end = budget.period_bounds("pacific_day", datetime(2026, 2, 14, 7, 0, tzinfo=UTC))
    assert (start, end) == (datetime(2026, 2, 13, 8, 0, tzinfo=UTC), datetime(2026, 2, 14, 8, 0, tzinfo=UTC))
    # The day the clocks go forward has 23 hours.
    start, end = budget.period_bounds("pacific_day", datetime(2026, 3, 8, 20, 0, tzinfo=UTC))
    assert end - start == timedelta(hours=23)


def test_a_paced_cap_allows_the_share_of_the_period_run_plus_a_day():
    mid_november = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # 15 of 30 days run
    assert budget.allowance(3000, "month", mid_november) == 1600  # (15 + 1) / 30
    assert budget.allowance(3000, "month", mid_november, pace=False) == 3000
    assert budget.allowance(3000, "month", datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == 3000
    six_am = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
    assert budget.allowance(2400, "day", six_am) == 700  # (6 + 1) / 24


def test_wait_until_says_when_a_request_fits():
    now = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
    assert budget.wait_until(3000, "month", used=1500, cost=100, now=now) is None
    # 1700 of 3000 fits once 17/30 - 1/30 of the month has run: 16 days.
    assert budget.wait_until(3000, "month", used=1600, cost=100, now=now) == datetime(
        2026, 11, 17, 0, 0, 1, tzinfo=UTC)
    # Past the cap: not before next month, paced or not.
    assert budget.wait_until(3000, "month", used=2950, cost=100, now=now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert budget.wait_until(3000, "month", used=2950, cost=100, now=now, pace=False) == datetime(
        2026, 12, 1, tzinfo=UTC)
    assert budget.wait_until(3000, "month", used=2900, cost=100, now=now, pace=False) is None


# --- the stored counter ----------------------------------------------------------------------

def test_usage_is_counted_per_platform_app_and_period(settings):
    settings.API_CAPS = {"x": 10000}
    cap = budget.Cap(platform="x", app="council", limit=10000, period="month")
    november, december = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
    budget.spend(cap, 100, november)
    budget.spend(cap, 40, november)
    budget.spend(cap, 7, december)
    budget.spend(budget.Cap(platform="x", app="other", limit=10000, period="month"), 5, november)
    assert (budget.used(cap, november), budget.used(cap, december)) == (140, 7)
    assert ApiUsage.objects.get(app="council", period_start=datetime(2026, 11, 1, tzinfo=UTC)).used == 140


def test_a_reservation_takes_the_room_so_a_second_poll_cannot_take_it_too():
    cap = budget.Cap(platform="x", app="council", limit=1000, period="month", pace=False)
    budget.spend(cap, 850)
    assert budget.reserve(cap, 100) is None  # 950 of 1000 taken
    assert budget.reserve(cap, 100) == budget.period_bounds("month", timezone.now())[1]  # no room: next month
    budget.spend(cap, 37 - 100)  # the request read 37 posts: the rest goes back
    assert budget.used(cap) == 887
    assert budget.reserve(cap, 100) is None and budget.used(cap) == 987


def test_the_first_reservation_of_a_period_creates_its_counter():
    cap = budget.Cap(platform="youtube", app="council", limit=10000, period="pacific_day", pace=False)
    assert budget.reserve(cap, 101) is None and budget.used(cap) == 101


class CappedClient(ScriptedClient):
    """A scripted X client that counts the posts it reads, as XClient does."""

    cap_period = "month"

    def __init__(self, script):
        super().__init__(script)
        self.posts_read = 0

    @property
    def cap_spent(self):
        return self.posts_read

    def cap_cost(self, endpoint):
        return 100

    def fetch(self, endpoint, cursor, *, watch_terms=()):
        result = super().fetch(endpoint, cursor, watch_terms=watch_terms)
        self.posts_read += 100  # a full page read from the platform (some may be the council's own)
        return result


def backlog(pages):
    return [page([item(n * 100 + i) for i in range(100)], f"c{n}", has_more=n < pages - 1) for n in range(pages)]


@time_machine.travel(datetime(2026, 11, 16, 0, 0, tzinfo=UTC), tick=False)
def test_a_poll_stops_at_the_paced_allowance_and_says_when_to_go_on(polled, settings):
    settings.API_CAPS = {"x": 3000}
    budget.spend(budget.Cap(platform="x", app="", limit=3000, period="month"), 1400)  # used earlier this month
    client = CappedClient(backlog(5))
    result = poll_run(state_id=polled.pk, client=client)
    # 1400 + 100 + 100 = 1600, the allowance by now; a third page could take it to 1700.
    assert len(client.calls) == 2 and result["capped"] and result["pages"] == 2
    polled.refresh_from_db()
    assert polled.not_before == datetime(2026, 11, 17, 0, 0, 1, tzinfo=UTC) and polled.leased_until is None
    assert ApiUsage.objects.get().used == 1600 and Mention.objects.count() == 200
    assert poll_run(state_id=polled.pk, client=client)["skipped"]  # not due yet: no request
    assert len(client.calls) == 2


@time_machine.travel(datetime(2026, 11, 16, 0, 0, tzinfo=UTC), tick=False)
def test_an_unpaced_cap_is_used_to_the_last_page_that_fits_and_then_waits_for_next_month(polled, settings):
    settings.API_CAPS = {"x": {"limit": 2950, "pace": False}}
    budget.spend(budget.Cap(platform="x", app="", limit=2950, period="month"), 2700)
    client = CappedClient(backlog(5))
    result = poll_run(state_id=polled.pk, client=client)
    assert len(client.calls) == 2 and result["capped"]  # 2900; another page could reach 3000
    polled.refresh_from_db()
    assert polled.not_before == datetime(2026, 12, 1, tzinfo=UTC)


def test_a_failed_request_still_counts(polled, settings):
    from platforms.base import TransientError

    settings.API_CAPS = {"x": {"limit": 10000, "pace": False}}

    class Failing(CappedClient):
        def fetch(self, endpoint, cursor, *, watch_terms=()):
            self.posts_read += 3  # what the platform charged before the connection dropped
            raise TransientError("x: dropped")

    poll_run(state_id=polled.pk, client=Failing([]))
    assert ApiUsage.objects.get().used == 3


def test_without_a_cap_set_nothing_is_counted(polled, settings):
    settings.API_CAPS = {}
    poll_run(state_id=polled.pk, client=CappedClient(backlog(1)))
    assert not ApiUsage.objects.exists() and Mention.objects.count() == 100


# --- carrying on through a backlog -----------------------------------------------------------

def test_a_poll_with_backlog_left_carries_on_at_once(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.services, "poll_run", lambda state_id: {"created": 2000, "pages": 20, "more": True})
    monkeypatch.setattr(tasks.poll, "apply_async", lambda args, **kw: queued.append((args, kw)))
    tasks.poll(7)
    assert queued == [((7,), {"queue": "polling"})]


def test_a_poll_paused_by_a_rate_limit_runs_again_at_the_reset(monkeypatch):
    queued = []
    reset = timezone.now() + timedelta(minutes=14)
    results = iter([{"pages": 3, "paused_until": reset.isoformat()},
                    {"pages": 3, "paused_until": (timezone.now() + timedelta(hours=9)).isoformat()},
                    {"pages": 1, "paused_until": reset.isoformat(), "capped": True},
                    {"pages": 1}])
    monkeypatch.setattr(tasks.services, "poll_run", lambda state_id: next(results))
    monkeypatch.setattr(tasks.poll, "apply_async", lambda args, **kw: queued.append((args, kw)))
    for _ in range(4):
        tasks.poll(7)
    # Only the first: a daily quota's reset is left to the schedule, a cap's pause too, and a
    # poll that read everything waits for its next run.
    assert queued == [((7,), {"eta": reset, "queue": "polling"})]


def test_the_paused_poll_makes_no_request_before_its_reset(polled):
    PollState.objects.filter(pk=polled.pk).update(not_before=timezone.now() + timedelta(seconds=30))
    client = ScriptedClient([])
    assert poll_run(state_id=polled.pk, client=client)["skipped"] and client.calls == []
