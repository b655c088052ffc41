"""Heartbeat files for the supervisor: each long-running part touches its own file under
VAR_DIR/run/ while it works, and whoever supervises it (run.py, a container health check,
systemd's watchdog script) restarts a part whose file has gone stale.

- the worker touches `worker.alive` after every task it runs (beat schedules a worker heartbeat
  every 15 s, so a working worker's file is never older than that for long);
- beat touches `beat.alive` at every tick of its scheduler (at most every 5 s).

A pool wedged on a lock runs no task, so its file goes stale even though the process lives.

    python -m council_social.liveness worker 120     exit 1 if worker.alive is older than 120 s
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

SUPERVISOR_FILE = "supervisor.json"  # run.py's record of the parts and their restarts


def run_dir(var_dir: str | Path | None = None) -> Path:
    if var_dir is None:
        from django.conf import settings

        var_dir = settings.VAR_DIR
    return Path(var_dir) / "run"


def touch(component: str, var_dir: str | Path | None = None) -> None:
    path = run_dir(var_dir) / f"{component}.alive"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch()
        os.utime(path)
    except OSError:
        pass  # a heartbeat must never break the work it reports on


def age(component: str, var_dir: str | Path | None = None) -> float | None:
    """Seconds since the part last touched its file, or None if it never has."""
    try:
        return max(0.0, time.time() - (run_dir(var_dir) / f"{component}.alive").stat().st_mtime)
    except OSError:
        return None


def main(argv: list[str]) -> int:
    component, max_age = argv[0], float(argv[1]) if len(argv) > 1 else 120.0
    seconds = age(component, os.environ.get("VAR_DIR") or Path(__file__).resolve().parents[1] / "var")
    if seconds is None or seconds > max_age:
        print(f"{component}: no heartbeat for {'ever' if seconds is None else f'{seconds:.0f} s'}", file=sys.stderr)
        return 1
    print(f"{component}: heartbeat {seconds:.0f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def supervisor_report(var_dir: str | Path | None = None, *, now: float | None = None) -> dict | None:
    """What run.py recorded (None when run.py is not supervising, e.g. under Docker or systemd):
    each part with its restarts, the recent events, and the parts that restarted in the last hour."""
    import json
    from datetime import UTC, datetime

    try:
        data = json.loads((run_dir(var_dir) / SUPERVISOR_FILE).read_text())
    except (OSError, ValueError):
        return None
    now = time.time() if now is None else now
    events = [{**e, "at": datetime.fromtimestamp(e["at"], tz=UTC)} for e in reversed(data.get("events", []))]
    recent = sorted({e["part"] for e in data.get("events", []) if now - e["at"] < 3600})
    parts = [{"name": name, **info,
              "started_at": datetime.fromtimestamp(info["started_at"], tz=UTC) if info.get("started_at") else None,
              "heartbeat_age": age(name, var_dir) if name in ("worker", "beat") else None}
             for name, info in sorted(data.get("parts", {}).items())]
    return {"parts": parts, "events": events, "restarted_recently": recent}
