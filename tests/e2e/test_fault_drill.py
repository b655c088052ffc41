"""The fault drill, short: `benchmarks/fault_drill.py` with a thousand mentions, one SIGKILL of the
worker, one Redis restart and one PostgreSQL crash, on a PostgreSQL and a Redis of its own.

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


def test_short_fault_drill_loses_nothing_and_carries_on(tmp_path):
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the fault drill needs {', '.join(missing)}")
        pytest.skip(f"the fault drill needs {', '.join(missing)}")
    report = tmp_path / "drill.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/fault_drill.py", "--mentions", "1200", "--kills", "1", "--gap", "8",
         "--arrive-seconds", "30", "--youtube-search-every", "20", "--timeout", "420", "--settle", "240",
         "--json", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-4000:]

    drill = json.loads(report.read_text())
    figures = drill["figures"]
    assert drill["passed"] and drill["checks"] and all(c["passed"] for c in drill["checks"].values())
    assert {d["kind"] for d in figures["disruptions"]} == {"kill", "redis", "postgres"}
    assert all(d["stored"] < figures["mentions_generated"] for d in figures["disruptions"])
    assert figures["mentions_stored"] == figures["mentions_generated"] >= 1200
    # Faults really were served, bad bodies among them, and every bad body is accounted for.
    assert sum(figures["faults"].values()) > 0
    quarantine = figures["quarantine"]
    assert quarantine["bodies_served"] > 0
    assert quarantine["arrivals_counted"] + quarantine["lost_with_a_kill_or_the_database"] == quarantine["bodies_served"]
