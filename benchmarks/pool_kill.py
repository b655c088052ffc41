#!/usr/bin/env python3
"""A pool process of the Celery worker is SIGKILLed: do tasks run again, and how soon?

    python benchmarks/pool_kill.py [--broker filesystem|redis://127.0.0.1:6379/9] [--pool threads]
                                   [--concurrency 2] [--tasks 400] [--kills 3] [--json FILE]

A real worker (the product's settings, its own SQLite file and VAR_DIR) is sent a stream of
heartbeat tasks, each naming itself; while they run, a pool process (prefork) is SIGKILLed
several times, or, with a pool that has no child processes (threads, solo), the whole worker is,
and a supervisor starts it again as run.py would. Then a last batch is sent and the command
measures how long after each kill a task ran again, and counts the tasks that ran.

Exit status 0 when tasks ran again after every kill and the last batch ran in full.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Run:
    def __init__(self, args):
        self.args = args
        self.base = Path(tempfile.mkdtemp(prefix="cs-pool-kill-"))
        broker = "filesystem://" if args.broker == "filesystem" else args.broker
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "council_social.settings",
                    "VAR_DIR": str(self.base / "var"), "DATABASE_URL": f"sqlite:///{self.base / 'db.sqlite3'}",
                    "CELERY_BROKER_URL": broker, "PYTHONUNBUFFERED": "1"}
        self.db = self.base / "db.sqlite3"
        self.worker: subprocess.Popen | None = None
        self.starts = 0

    def manage(self, *args: str) -> None:
        subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)

    def start_worker(self) -> None:
        cmd = [BIN / "celery", "-A", "council_social", "worker", "--loglevel", "INFO", "-Q", "celery",
               "--concurrency", str(self.args.concurrency), "-n", f"poolkill{self.starts}@%h"]
        if self.args.pool:
            cmd += ["--pool", self.args.pool]
        log = open(self.base / "worker.log", "a")
        self.worker = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.starts += 1

    def send(self, names: list[str]) -> None:
        code = ("from accounts.tasks import heartbeat\nimport sys\n"
                "for name in sys.stdin.read().split():\n    heartbeat.delay(name, 'pool kill')\n")
        subprocess.run([BIN / "python", "manage.py", "shell", "-c", code], cwd=ROOT, env=self.env, check=True,
                       input="\n".join(names), text=True, capture_output=True)

    def done(self) -> set[str]:
        try:
            with sqlite3.connect(self.db, timeout=30) as conn:
                return {row[0] for row in conn.execute("SELECT component FROM accounts_heartbeat")}
        except sqlite3.Error:
            return set()

    def first_after(self, since: float, timeout: float, exclude: set[str]) -> float | None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.worker.poll() is not None:  # the supervisor's job: start it again
                self.start_worker()
            if self.done() - exclude:
                return time.time() - since
            time.sleep(0.2)
        return None

    def kill(self, n: int) -> str:
        kids = children(self.worker.pid)
        if kids:
            os.kill(kids[n % len(kids)], signal.SIGKILL)
            return f"pool process {kids[n % len(kids)]} of {len(kids)}"
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()
        self.start_worker()
        return "the whole worker (its pool has no child processes); started again"

    def run(self) -> dict:
        args = self.args
        say(f"Working in {self.base}; broker {self.env['CELERY_BROKER_URL']}, pool {args.pool or 'settings'}")
        self.manage("migrate", "--noinput", "-v0")
        self.start_worker()
        self.send(["warm-up"])
        if self.first_after(time.time(), 120, set()) is None:
            raise SystemExit("the worker never ran a task:\n" + (self.base / "worker.log").read_text()[-3000:])
        sent = ["warm-up"]
        recoveries = []
        per = max(1, args.tasks // (args.kills + 1))
        for k in range(args.kills):
            batch = [f"t{k}-{i}" for i in range(per)]
            self.send(batch)
            sent += batch
            time.sleep(args.kill_after)
            before = self.done()
            at = time.time()
            what = self.kill(k)
            say(f"SIGKILL {what}")
            probe = [f"after-kill{k}-{i}" for i in range(4)]
            self.send(probe)
            sent += probe
            seconds = self.first_after(at, args.recover_timeout, before | set(batch))
            recoveries.append({"kill": what, "seconds_to_next_task": None if seconds is None else round(seconds, 1)})
            say(f"  a task sent after the kill ran {seconds:.1f} s after it" if seconds is not None else
                "  NO task ran after the kill: the worker is wedged")
            if seconds is None:
                break
        last = [f"last-{i}" for i in range(per)]
        self.send(last)
        sent += last
        # Wait for every task sent, not only the last batch: a task whose pool process was killed
        # is given back to the broker and may run after the last batch.
        deadline = time.time() + args.recover_timeout
        while time.time() < deadline and not set(sent) <= self.done():
            if self.worker.poll() is not None:
                self.start_worker()
            time.sleep(0.5)
        ran = self.done()
        report = {
            "broker": self.env["CELERY_BROKER_URL"], "pool": args.pool or "settings", "concurrency": args.concurrency,
            "sent": len(sent), "ran": len(ran & set(sent)), "last_batch_ran": len(ran & set(last)),
            "last_batch": len(last), "recoveries": recoveries, "worker_starts": self.starts,
        }
        report["passed"] = (all(r["seconds_to_next_task"] is not None for r in recoveries)
                            and len(recoveries) == args.kills and report["last_batch_ran"] == len(last))
        return report

    def stop(self) -> None:
        if self.worker and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            try:
                self.worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.worker.pid, signal.SIGKILL)
        if self.args.keep:
            say(f"Kept {self.base}")
        else:
            shutil.rmtree(self.base, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default="filesystem", help="'filesystem' or a redis:// URL")
    parser.add_argument("--pool", default="", help="prefork, threads or solo (default: the product's setting)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=400)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--kill-after", type=float, default=1.0, help="seconds after a batch is sent")
    parser.add_argument("--recover-timeout", type=float, default=90)
    parser.add_argument("--json")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    run = Run(args)
    try:
        report = run.run()
    finally:
        run.stop()
    print(json.dumps(report, indent=2), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
