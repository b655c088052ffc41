"""X's monthly cap on posts read, against the simulator, which enforces it as X does (429
"usage-capped"): with the cap set, polling stops short of it and never meets the refusal."""
import pytest

from monitoring.models import ApiUsage, Mention, PollState
from monitoring.services import poll_run
from tests.monitoring import test_against_simulator as against
from tests.monitoring.test_against_simulator import ctl, poll_until_quiet

sim, simulated = against.sim, against.simulated  # the simulator fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def x_statuses(url):
    return ctl(url, "GET", "stats")["statuses"].get("x", {})


def test_polling_stops_short_of_the_monthly_cap_and_meets_no_refusal(simulated, settings):
    url, channels = simulated
    ctl(url, "POST", "ratelimits", {"limits": {"x": {"post_cap": 250}}})
    settings.API_CAPS = {"x": {"limit": 250, "pace": False}}
    ctl(url, "POST", "generate", {"platform": "x", "count": 600, "spread_seconds": 3600})
    poll_until_quiet()
    read = ApiUsage.objects.get(platform="x").used
    assert 100 < read <= 250 and "429" not in x_statuses(url)
    assert 0 < Mention.objects.filter(platform="x").count() <= read
    capped = PollState.objects.filter(channel=channels["x"])
    assert all(s.not_before and s.not_before.day == 1 for s in capped)  # waits for next month
    assert all(poll_run(state_id=s.pk).get("skipped") for s in capped)


def test_without_the_cap_set_the_platform_refuses_and_polling_backs_off(simulated, settings):
    url, channels = simulated
    ctl(url, "POST", "ratelimits", {"limits": {"x": {"post_cap": 250}}})
    settings.API_CAPS = {}
    ctl(url, "POST", "generate", {"platform": "x", "count": 600, "spread_seconds": 3600})
    results = [poll_run(state_id=s.pk) for s in PollState.objects.filter(channel=channels["x"]) for _ in range(3)]
    assert "429" in x_statuses(url)
    assert any(r.get("error") == "rate_limited" for r in results)
