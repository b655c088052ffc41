#!/usr/bin/env python3
"""Where the running demo's mentions go: the share of each triage route over a stretch of the demo.

    .venv/bin/python benchmarks/demo_routes.py [--minutes 15] [--json FILE] [--keep]

It starts the demo as a person would (`python3 run.py`: web, worker, beat, the Jetstream reader
and the platform simulator) in a fresh temporary VAR_DIR with the embedded default (a SQLite file
and the filesystem broker, so no server is touched; DATABASE_URL and CELERY_BROKER_URL are
ignored) on free ports, waits until the web page answers, lets it run for --minutes, then reads
from the demo's database the mentions received in that window and how triage routed them: per
route, the mentions, their share, how many the classifier flagged as safeguarding and how many
opened a case of their own (the others joined their conversation's open case). Then it stops the
demo with Ctrl-C, as a person would, and kills whatever of it is left; it does so on an error or
Ctrl-C too. --keep leaves the temporary VAR_DIR (logs, database) for a look afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_ROUTED = "not_routed"


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- counting ------------------------------------------------------------------------------

def route_counts(start: datetime, end: datetime) -> dict:
    """The mentions received in [start, end) and their routing, per route (Django must be set up).

    {"mentions": n, "routes": [{"route", "words", "mentions", "share", "safeguarding", "cases_opened"}]}
    with routes in the matrix's order (Route's), then any mention not (yet) routed."""
    from council_social.words import in_words
    from monitoring.models import Mention
    from triage.models import Route

    rows = (Mention.objects.filter(received_at__gte=start, received_at__lt=end)
            .values_list("pk", "routing__route", "routing__classification", "routing__case__mention_id"))
    per: dict[str, dict] = {}
    total = 0
    for pk, route, classification, case_mention in rows:
        total += 1
        entry = per.setdefault(route or NOT_ROUTED, {"mentions": 0, "safeguarding": 0, "cases_opened": 0})
        entry["mentions"] += 1
        signals = (classification or {}).get("signals") or {}
        entry["safeguarding"] += bool(signals.get("safeguarding"))
        entry["cases_opened"] += case_mention == pk  # the case's first mention is this one
    order = [*Route.values, *sorted(set(per) - set(Route.values))]
    routes = [{"route": code, "words": "Not routed" if code == NOT_ROUTED else in_words(code, "route"),
               **per[code], "share": per[code]["mentions"] / total}
              for code in order if code in per]
    return {"mentions": total, "routes": routes}


def table(counts: dict) -> str:
    """The counts as a Markdown table, with a total row."""
    lines = ["| Route | Mentions | Share | Flagged safeguarding | Opened a case |",
             "|---|--:|--:|--:|--:|"]
    for r in counts["routes"]:
        lines.append(f"| {r['words']} | {r['mentions']} | {100 * r['share']:.1f}% | {r['safeguarding']} "
                     f"| {r['cases_opened']} |")
    total = counts["mentions"]
    lines.append(f"| **All** | **{total}** | **{100.0 if total else 0:.1f}%** "
                 f"| **{sum(r['safeguarding'] for r in counts['routes'])}** "
                 f"| **{sum(r['cases_opened'] for r in counts['routes'])}** |")
    return "\n".join(lines)


# --- running the demo ----------------------------------------------------------------------

class Demo:
    """`python3 run.py` in its own session, in a temporary VAR_DIR, on free ports."""

    def __init__(self, var_dir: Path):
        self.var_dir = var_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = var_dir / "run.log"
        self.proc: subprocess.Popen | None = None
        self.parts: dict[str, int] = {}

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "SITE_URL",
                            "SIMULATOR_URL", "EMAIL_URL", "HOST")}
        return {**env, "VAR_DIR": str(self.var_dir), "PORT": str(self.port), "SIMULATOR_PORT": str(free_port())}

    def start(self) -> None:
        python = shutil.which("python3") or sys.executable
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([python, "run.py"], cwd=ROOT, env=self.env(), start_new_session=True,
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_up(self, timeout: float) -> None:
        """Until run.py says it is running and the home page answers."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"run.py exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            if "Council Social is running" in self.log.read_text():
                try:
                    with urllib.request.urlopen(self.url, timeout=5) as response:
                        if response.status < 500:
                            return
                except urllib.error.HTTPError as error:
                    if error.code < 500:
                        return
                except OSError:
                    pass
            time.sleep(1)
        raise RuntimeError(f"the demo was not up after {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def _read_parts(self) -> None:
        """The parts' pids from run.py's record, to kill any run.py could not stop."""
        try:
            record = json.loads((self.var_dir / "run" / "supervisor.json").read_text())
        except (OSError, ValueError):
            return
        for name, part in record.get("parts", {}).items():
            if part.get("pid"):
                self.parts[name] = part["pid"]

    def stop(self) -> None:
        """Ctrl-C to run.py (which stops its parts), then SIGKILL to anything of it still there."""
        if self.proc is None:
            return
        self._read_parts()
        if self.proc.poll() is None:
            say("Stopping the demo …")
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for name, pid in self.parts.items():  # each part leads its own session
            try:
                os.killpg(pid, signal.SIGKILL)
                say(f"{name} was still running: killed.")
            except (ProcessLookupError, PermissionError):
                pass
        self.proc = None


def setup_django(var_dir: Path) -> None:
    """Django on the demo's own embedded database (this process only reads it)."""
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "council_social.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _interrupted(*_) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="how long to let the demo run (default 15)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary VAR_DIR")
    parser.add_argument("--startup-timeout", type=float, default=900.0, help="seconds to wait for the demo to start")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="council-social-demo-"))
    demo = Demo(var_dir)
    # Ctrl-C or a SIGTERM stops the demo (SIGINT is set too, as a shell ignores it in a background job).
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        say(f"Starting the demo (python3 run.py) at {demo.url}, VAR_DIR {var_dir} …")
        started = time.time()
        demo.start()
        demo.wait_up(args.startup_timeout)
        start = datetime.now(UTC)
        say(f"Up after {time.time() - started:.0f} s; letting it run for {args.minutes:g} minutes …")
        end_at = time.time() + args.minutes * 60
        while time.time() < end_at:
            if demo.proc.poll() is not None:
                raise RuntimeError(f"run.py exited ({demo.proc.returncode}) during the run")
            time.sleep(min(60.0, max(0.1, end_at - time.time())))
        end = datetime.now(UTC)
        setup_django(var_dir)
        counts = route_counts(start, end)
        demo.stop()
    except KeyboardInterrupt:
        say("Interrupted.")
        return 130
    finally:
        demo.stop()
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    minutes = (end - start).total_seconds() / 60
    print(f"\nMentions received by the demo in {minutes:.1f} minutes ({start:%Y-%m-%d %H:%M}–{end:%H:%M} UTC) "
          f"and how triage routed them:\n")
    print(table(counts))
    if args.json:
        args.json.write_text(json.dumps({"start": start.isoformat(), "end": end.isoformat(), "minutes": minutes,
                                         "command": " ".join([".venv/bin/python", "benchmarks/demo_routes.py", *sys.argv[1:]]),
                                         **counts}, indent=1) + "\n")
        print(f"\nFigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
