"""A pool process of the Celery worker is SIGKILLed while tasks flow (benchmarks/pool_kill.py):
on the embedded default's filesystem broker and on Redis, tasks run again within the recovery
time the README states, and every task sent runs.

On the filesystem broker the worker runs a threads pool (its prefork pool wedged for good when
a pool process was killed), so there is no pool process to kill: the whole worker is killed and
started again, as run.py does. On Redis the prefork pool replaces the killed process."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.processes
RECOVERY_SECONDS = 30  # README, "Processes that heal"


def redis_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else "redis://127.0.0.1:6379/15"


def _redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.parametrize("broker", ["filesystem", "redis"])
def test_tasks_run_again_after_a_pool_process_is_killed(broker, tmp_path):
    url = "filesystem" if broker == "filesystem" else redis_url()
    if broker == "redis" and not _redis_up(url):
        if os.environ.get("CI"):
            pytest.fail(f"no Redis at {url}")
        pytest.skip(f"no Redis at {url}")
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "VAR_DIR")}
    result = subprocess.run(
        [sys.executable, "benchmarks/pool_kill.py", "--broker", url, "--tasks", "120", "--kills", "2",
         "--recover-timeout", "90", "--json", str(report)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert report.exists(), result.stdout[-4000:] + result.stderr[-4000:]
    figures = json.loads(report.read_text())
    print(json.dumps(figures, indent=1))
    assert figures["pool"] == "settings"  # the product's own choice of pool for this broker
    kills = [r["kill"] for r in figures["recoveries"]]
    if broker == "redis":
        assert all(k.startswith("pool process") for k in kills), kills
    else:
        assert all(k.startswith("the whole worker") for k in kills), kills
    seconds = [r["seconds_to_next_task"] for r in figures["recoveries"]]
    assert len(seconds) == 2 and all(s is not None and s <= RECOVERY_SECONDS for s in seconds), seconds
    # Nothing lost: every task sent ran (each records its own name once).
    assert figures["ran"] == figures["sent"] and figures["last_batch_ran"] == figures["last_batch"], figures
    assert figures["passed"]
