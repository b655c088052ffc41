"""The fault drill, short: `benchmarks/fault_drill.py` with a thousand mentions, one SIGKILL of a
pool process of the worker, one Redis restart and one PostgreSQL crash, on a PostgreSQL and a Redis
of its own; and the same on the embedded default's filesystem broker (no Redis to restart; its
worker's threads pool has no child process, so the kill takes the whole worker).

The full drill (50,000 mentions, six kills) is `python benchmarks/fault_drill.py`; see the README.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.processes


def _missing() -> list[str]:
    missing = []
    if not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and not os.environ.get("PG_BIN"):
        missing.append("the PostgreSQL server binaries (initdb, pg_ctl)")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser (PostgreSQL will not run as root)")
    return missing


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_short_fault_drill_loses_nothing_and_carries_on(tmp_path, broker):
    missing = _missing()
    if broker == "filesystem" and missing == ["redis-server"]:
        missing = []
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the fault drill needs {', '.join(missing)}")
        pytest.skip(f"the fault drill needs {', '.join(missing)}")
    report = tmp_path / "drill.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/fault_drill.py", "--mentions", "1200", "--kills", "1", "--gap", "8",
         "--arrive-seconds", "30", "--youtube-search-every", "20", "--timeout", "420", "--settle", "240",
         "--broker", broker, "--json", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-4000:]

    drill = json.loads(report.read_text())
    figures = drill["figures"]
    assert drill["passed"] and drill["checks"] and all(c["passed"] for c in drill["checks"].values())
    assert {d["kind"] for d in figures["disruptions"]} == ({"kill", "redis", "postgres"} if broker == "redis"
                                                          else {"kill", "postgres"})
    (kill,) = [d for d in figures["disruptions"] if d["kind"] == "kill"]
    assert ("pool processes killed" if broker == "redis" else "no child process") in kill["what"]
    # The worker ran again after the kill: the next mention was stored, and how soon is reported.
    (recovered,) = [r for r in figures["recovery_seconds"] if r["what"] == kill["what"]]
    assert recovered["seconds_to_next_mention"] is not None
    assert all(d["stored"] < figures["mentions_generated"] for d in figures["disruptions"])
    assert figures["mentions_stored"] == figures["mentions_generated"] >= 1200
    # Faults really were served, bad bodies among them, and every bad body is accounted for.
    assert sum(figures["faults"].values()) > 0
    quarantine = figures["quarantine"]
    assert quarantine["bodies_served"] > 0
    assert quarantine["arrivals_counted"] + quarantine["lost_with_a_kill_or_the_database"] == quarantine["bodies_served"]
