"""Freshness: from a post appearing on a platform to its case in /api/cases/, with the real processes.

    python benchmarks/bench_freshness.py [--posts 100] [--interval 5] [--platforms x,facebook,...]

Starts, as separate processes, the platform simulator, gunicorn, a Celery worker and Celery
beat on a fresh PostgreSQL database (cs_bench_freshness) with Redis as the broker
(CELERY_BROKER_URL, by default redis://127.0.0.1:6379/7), loads the demo council (its channels
connected to the simulator, one beat schedule per channel endpoint at --interval seconds), and
waits for the first polls. Then it injects --posts posts through the simulator's
/_sim/inject, at random moments, across the platforms, while a watcher reads
GET /api/cases/?status=all&sort=newest with a web team member's API token every 0.1 s.
Each post's freshness is the time from just before its injection to the first response
that lists its case. Prints p50, p95 and the worst, per platform too.
Goal: p95 ≤ the poll interval + 2 s.
"""
import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import _django
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PLATFORMS = ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky")
# What residents write to the council's main account, each opening a conversation (and so a case)
# of its own: a comment on Facebook or Instagram joins the open case of the post it is under.
KINDS = {"x": "mention", "facebook": "mention", "instagram": "mention", "youtube": "comment",
         "mastodon": "mention", "bluesky": "mention"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


class Stack:
    """The simulator, web, worker and beat as child processes; stopped by their process groups."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.procs = env, log_dir, {}

    def start(self, name: str, *cmd: str) -> None:
        log = open(self.log_dir / f"{name}.log", "w")
        self.procs[name] = subprocess.Popen(list(cmd), cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"{name} stopped (exit {proc.returncode}); see {self.log_dir / (name + '.log')}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def wait_for(check, timeout: float, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check()
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise SystemExit(f"timed out waiting for {what}; logs in {stack.log_dir}")


class Watcher(threading.Thread):
    """Reads the newest cases every `every` seconds and notes when each marker first appears."""

    def __init__(self, url: str, token: str, every: float = 0.1):
        super().__init__(daemon=True)
        self.url, self.every = url, every
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.seen: dict[str, float] = {}
        self.wanted: set[str] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests = 0
        self.errors = 0

    def want(self, marker: str) -> None:
        with self.lock:
            self.wanted.add(marker)

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                response = self.session.get(self.url, params={"status": "all", "sort": "newest", "limit": 100},
                                            timeout=10)
                self.requests += 1
                if response.status_code != 200:
                    self.errors += 1
                else:
                    now = time.monotonic()
                    texts = [case["mention"]["text"] for case in response.json()["results"]]
                    with self.lock:
                        for marker in list(self.wanted):
                            if any(marker in text for text in texts):
                                self.seen[marker] = now
                                self.wanted.discard(marker)
            except requests.RequestException:
                self.errors += 1
            self.stopping.wait(max(0.0, self.every - (time.monotonic() - started)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--interval", type=int, default=5, help="poll interval, seconds (the product's shortest)")
    parser.add_argument("--platforms", default=",".join(PLATFORMS))
    parser.add_argument("--database", default="cs_bench_freshness")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    platforms = args.platforms.split(",")
    rng = random.Random(args.seed)

    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")
    web_port, sim_port = free_port(), free_port()
    var = ROOT / "var" / "bench-freshness"
    var.mkdir(parents=True, exist_ok=True)
    sim_url = f"http://127.0.0.1:{sim_port}"
    os.environ.update({"CELERY_BROKER_URL": broker, "POLL_INTERVAL_SECONDS": str(args.interval),
                       "SIMULATOR_URL": sim_url, "VAR_DIR": str(var), "LOG_LEVEL": "WARNING",
                       "DJANGO_SETTINGS_MODULE": "council_social.settings"})
    database_url = _django.setup(args.database)
    from django.core.management import call_command

    call_command("demo_council", verbosity=0)
    from accounts.models import User
    from accounts.roles import Role
    from monitoring.models import PollState

    assert set(PollState.objects.values_list("interval_seconds", flat=True)) == {args.interval}
    user = User.objects.filter(groups__name=Role.WEB_TEAM, is_active=True).first()
    from accounts.tokens import api_token_create

    token = api_token_create(actor=None, user=user, name="freshness benchmark", scope="read_write")[1]
    # Demo channels the simulator has no account for are refused at their first poll and wait
    # for re-authorisation: the measured channels are the others.
    polled = PollState.objects.filter(enabled=True, channel__connection__isnull=False)
    states = polled.count()
    print(f"Machine: {_django.machine()}; PostgreSQL {_django.pg_version()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{states} channel endpoints polled every {args.interval} s; broker {broker}")

    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    subprocess.run([str(BIN / "celery"), "-A", "council_social", "purge", "-f", "-Q", "celery,polling,publishing"],
                   cwd=ROOT, env=env, capture_output=True, check=False)
    log_dir = var / "logs"
    log_dir.mkdir(exist_ok=True)
    stack = Stack(env, log_dir)
    base = f"http://127.0.0.1:{web_port}"
    try:
        stack.start("simulator", sys.executable, "-m", "platforms.simulator", "serve", "--port", str(sim_port))
        stack.start("web", str(BIN / "gunicorn"), "council_social.wsgi", "--bind", f"127.0.0.1:{web_port}",
                    "--workers", "2", "--threads", "4")
        stack.start("worker", str(BIN / "celery"), "-A", "council_social", "worker", "--loglevel", "WARNING",
                    "--concurrency", "2", "-Q", "celery,polling,publishing")
        stack.start("beat", str(BIN / "celery"), "-A", "council_social", "beat", "--loglevel", "WARNING",
                    "--schedule", str(var / "beat-schedule"))
        wait_for(lambda: requests.get(f"{sim_url}/_sim/", timeout=2).ok, 60, "the simulator", stack)
        api = {"Authorization": f"Token {token}"}
        wait_for(lambda: requests.get(f"{base}/api/cases/", headers=api, timeout=5).ok, 90, "the web server",
                 stack)
        # The first polls read the simulator's backlog; measure from a steady state.
        wait_for(lambda: not polled.filter(last_success_at__isnull=True,
                                           channel__connection__needs_reauth=False).exists(),
                 120, "the first poll of every channel endpoint", stack)
        time.sleep(args.interval)

        watcher = Watcher(f"{base}/api/cases/", token)
        watcher.start()
        injected: dict[str, tuple[str, float]] = {}
        session = requests.Session()
        for n in range(args.posts):
            stack.check()
            platform = platforms[n % len(platforms)]
            marker = f"fresh-{uuid.uuid4().hex[:12]}"
            text = f"@KingsmereBC the street light on Elm Grove is out again, can someone fix it? {marker}"
            watcher.want(marker)
            start = time.monotonic()
            answer = session.post(f"{sim_url}/_sim/inject", timeout=10, json={
                "platform": platform, "text": text, "kind": KINDS[platform],
                "author": {"handle": f"resident{n}", "name": "Sam Resident", "followers": 40}})
            answer.raise_for_status()
            injected[marker] = (platform, start)
            time.sleep(rng.uniform(0.2, 2.0))  # random moments, so every phase of the poll cycle is sampled
        deadline = time.monotonic() + args.interval + 60
        while watcher.wanted and time.monotonic() < deadline:
            stack.check()
            time.sleep(0.2)
        watcher.stopping.set()
        watcher.join()
    finally:
        stack.stop()

    latencies = {m: watcher.seen[m] - start for m, (_, start) in injected.items() if m in watcher.seen}
    missing = len(injected) - len(latencies)
    values = list(latencies.values())
    goal = args.interval + 2
    print(f"\n{len(values)} of {len(injected)} posts seen ({missing} not within interval + 60 s); "
          f"{watcher.requests} API reads, {watcher.errors} failed")
    if not values:
        raise SystemExit("no post was seen")
    print(f"\n{'platform':<12}{'posts':>6}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
    for platform in platforms:
        mine = [v for m, v in latencies.items() if injected[m][0] == platform]
        if mine:
            print(f"{platform:<12}{len(mine):>6}{percentile(mine, 50):>8.2f}{percentile(mine, 95):>8.2f}"
                  f"{max(mine):>8.2f}")
    p50, p95 = percentile(values, 50), percentile(values, 95)
    print(f"{'all':<12}{len(values):>6}{p50:>8.2f}{p95:>8.2f}{max(values):>8.2f}   "
          f"(mean {statistics.mean(values):.2f})")
    print(f"\np95 = {p95:.2f} s against the goal ≤ poll interval + 2 s = {goal} s: "
          f"{'met' if p95 <= goal and not missing else 'MISSED'}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
