#!/usr/bin/env python3
"""Fault drill: the real system ingests mentions while it is knocked about, then nothing is lost,
nothing is stored twice, and it carries on by itself.

    python benchmarks/fault_drill.py [--mentions 50000] [--kills 6] [--fault-rate 0.2] [--json FILE]

What runs, as real processes under council_social.settings_production:
  - a PostgreSQL cluster and a Redis server of the drill's own, on free ports in a temporary
    directory (the machine's own servers are never touched);
  - the platform simulator, injecting faults into a share of requests: 429, 500, 502, 503,
    timeouts (longer than the clients wait), dropped connections, malformed and truncated bodies,
    duplicated and shuffled items; YouTube's daily quota is raised (--youtube-quota), as a spent
    quota is not a fault and the client rightly waits for midnight Pacific time;
  - gunicorn, a Celery worker and Celery beat, polling the demo council's channels every 5 s.

While the mentions are ingested the drill kills the worker with SIGKILL several times (first one
of its pool processes, then the whole worker, in turn) and starts it again, as run.py, systemd or
Docker would; with --broker filesystem (the embedded default's kombu filesystem transport, whose
worker runs a threads pool with no child process to kill) a pool kill takes the whole worker. It kills Redis
(no persistence, so every queued task is lost) and starts it again; and crashes PostgreSQL
(immediate stop, so recovery replays the log) and starts it again. Beat and gunicorn are never
restarted: they must get over the outages by themselves.

Then the faults stop and the drill checks:
  1. every mention the simulator generated is stored, exactly once, and nothing else is;
  2. every stored mention was routed once, and a mention opened at most one case, with one
     "created" event;
  3. the cursors: each poll state's count of stored items equals the mentions stored from its
     pages; reading on from each cursor to the end of its walk finds nothing that is not stored;
     every endpoint has had a good poll since the faults stopped;
  4. the quarantine holds every malformed and truncated body the simulator served (by SHA-256, as
     the product deduplicates them, with its count of arrivals), and nothing else; a body is
     excused only if a kill or the database outage came within seconds of serving it, which can
     lose it before it is written (the page itself is fetched again, so no mention is lost);
  5. the system carries on: a mention posted after the faults is stored, the web process serves
     and queues work, beat still schedules, and beat and gunicorn never exited;
  6. every disruption came while mentions were still being ingested.

Each disruption happens when a share of the mentions is stored (at least --gap seconds apart).

Exit status 0 when every check passed. --json writes the figures.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pwd
import secrets
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
BIN = Path(sys.executable).parent
DATABASE = "council_social"
FAULT_KINDS = ["429", "500", "502", "503", "timeout", "drop", "malformed", "truncated", "duplicate",
               "out_of_order"]
BODY_KINDS = ("malformed", "truncated")
CLIENT_TIMEOUT = 15.0  # platforms.base.PlatformClient's default
EXCUSE_SECONDS = 10.0  # a body served this long before a kill or a database outage may be lost with it


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # the thing being waited for is not up yet
            last = exc
        time.sleep(every)
    raise DrillError(f"timed out after {timeout:.0f} s waiting for {what}" + (f" (last error: {last})" if last else ""))


class DrillError(Exception):
    pass


# --- servers of the drill's own ------------------------------------------------------------------


def pg_bin() -> Path:
    wanted = os.environ.get("PG_BIN")
    candidates = [Path(wanted)] if wanted else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for path in candidates:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    raise DrillError("PostgreSQL server binaries not found (set PG_BIN to the directory with initdb and pg_ctl)")


class Postgres:
    """A throwaway cluster. As root, its files belong to the postgres user, which runs it."""

    def __init__(self, base: Path, port: int):
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.port = port
        self.bin = pg_bin()
        self.as_user: list[str] = []
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=timeout,
                                cwd=self.dir)
        if result.returncode != 0:
            raise DrillError(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}")

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"),
                  "-w", "-t", "120", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def crash_and_restart(self, down: float) -> tuple[float, float]:
        """Stop without a checkpoint (as a crash or power cut would), wait, start; recovery replays the log."""
        stopped = time.time()
        self.stop("immediate")
        time.sleep(down)
        self.start()
        return stopped, time.time()

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


class Redis:
    """A Redis with no persistence: a restart loses every queued and unacknowledged task."""

    def __init__(self, base: Path, port: int):
        self.dir = base / "redis"
        self.dir.mkdir()
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise DrillError("redis-server is not installed")
        log = open(self.dir / "log", "a")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.ping, 30, "Redis")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def queued(self, queue: str) -> int | None:
        """Tasks waiting in a Celery queue (None while Redis is down)."""
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=1).llen(queue)
        except redis.RedisError:
            return None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def crash_and_restart(self, down: float) -> tuple[float, float]:
        stopped = time.time()
        self.kill()
        time.sleep(down)
        self.start()
        return stopped, time.time()


# --- the product's processes -------------------------------------------------------------------------


class Process:
    """One long-running process in its own session, logging to a file."""

    def __init__(self, name: str, cmd: list, env: dict, logs: Path):
        self.name, self.cmd, self.env, self.logs = name, [str(c) for c in cmd], env, logs
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.started_at = 0.0
        self.unexpected_exits: list[str] = []

    def start(self) -> None:
        log = open(self.logs / f"{self.name}.log", "a")
        log.write(f"\n=== start {self.starts + 1} at {time.strftime('%H:%M:%S')} ===\n")
        log.flush()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.starts += 1
        self.started_at = time.time()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check(self) -> bool:
        """False (and recorded) if it has exited without being told to."""
        if self.proc is not None and self.proc.poll() is not None:
            self.unexpected_exits.append(f"exit {self.proc.returncode} at {time.strftime('%H:%M:%S')}")
            self.proc = None
            return False
        return True

    def children(self) -> list[int]:
        if not self.alive():
            return []
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def kill_all(self) -> None:
        """SIGKILL the process and every process of its session (the pool), as the kernel's OOM
        killer or `docker kill` would."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def tail(self, lines: int = 40) -> str:
        path = self.logs / f"{self.name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None, timeout: float = 30):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw and raw[:1] in b"[{" else raw.decode())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


# --- the drill --------------------------------------------------------------------------------------


class Drill:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.base = Path(tempfile.mkdtemp(prefix="cs-fault-drill-"))
        self.base.chmod(0o755)
        self.logs = self.base / "logs"
        self.logs.mkdir()
        self.events: list[dict] = []  # disruptions, in order
        self.report: dict = {"checks": {}, "figures": {}}
        self.failures: list[str] = []
        self.processes: dict[str, Process] = {}
        self.pg: Postgres | None = None
        self.redis: Redis | None = None
        self.sim: Process | None = None
        self.wedges: list[float] = []  # when the supervisor found the worker wedged

    # -- set-up ------------------------------------------------------------------------------------

    def environment(self) -> dict:
        from cryptography.fernet import Fernet

        ports = self.ports
        keep = {k: v for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "VAR_DIR", "SIMULATOR_URL",
                             "USE_SIMULATOR", "PLATFORM_URLS", "PLATFORM_APPS")}
        return {
            **keep,
            "DJANGO_SETTINGS_MODULE": "council_social.settings_production",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{ports['pg']}/{DATABASE}",
            "CELERY_BROKER_URL": (f"redis://127.0.0.1:{ports['redis']}/0" if self.args.broker == "redis"
                                  else "filesystem://"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{ports['web']}",
            "USE_SIMULATOR": "true",
            "SIMULATOR_URL": self.sim_url,
            "POLL_INTERVAL_SECONDS": "5",
            "VAR_DIR": str(self.base / "var"),
            "EMAIL_URL": "dummymail://",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }

    def set_up(self) -> None:
        self.ports = {"pg": free_port(), "redis": free_port(), "sim": free_port(), "web": free_port()}
        self.sim_url = f"http://127.0.0.1:{self.ports['sim']}"
        self.web_url = f"http://127.0.0.1:{self.ports['web']}"
        say(f"Working in {self.base}")
        self.pg = Postgres(self.base, self.ports["pg"])
        self.pg.init()
        self.pg.start()
        self.pg.create_database(DATABASE)
        say(f"PostgreSQL {self.pg.bin.parent.name} on port {self.pg.port}")
        if self.args.broker == "redis":
            self.redis = Redis(self.base, self.ports["redis"])
            self.redis.start()
            say(f"Redis on port {self.redis.port}")
        else:
            say(f"Broker: kombu's filesystem transport under {self.base / 'var' / 'broker'}")
        self.env = self.environment()
        os.environ.update(self.env)
        self.sim = Process("simulator", [sys.executable, "-m", "platforms.simulator", "serve", "--port",
                                         self.ports["sim"], "--seed", self.args.seed, "--backlog", "0",
                                         "--scale", self.args.scale], self.env, self.logs)
        self.sim.start()
        wait_until(lambda: self.ctl("GET", "") is not None, 60, "the simulator")
        say(f"Simulator on {self.sim_url} (rate-limit windows divided by {self.args.scale})")

        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("demo_council", verbosity=0)
        self.configure()
        say(f"Migrated and loaded the demo council in {time.monotonic() - started:.0f} s")

    def start_processes(self) -> None:
        web = [BIN / "gunicorn", "council_social.wsgi", "--bind", f"127.0.0.1:{self.ports['web']}", "--workers", "2",
               "--timeout", "60"]
        worker = [BIN / "celery", "-A", "council_social", "worker", "-Q", "celery,polling,publishing",
                  "--concurrency", self.args.concurrency, "--loglevel", "INFO", "-n", "drill@%h"]
        beat = [BIN / "celery", "-A", "council_social", "beat", "--loglevel", "INFO"]
        for name, cmd in (("web", web), ("worker", worker), ("beat", beat)):
            self.processes[name] = Process(name, cmd, self.env, self.logs)
            self.processes[name].start()
        wait_until(lambda: self.web_get("/healthz")[0] == 200, 90, "gunicorn")
        self.ping_worker(timeout=120)
        wait_until(lambda: self.heartbeat("beat"), 120, "beat's first heartbeat")
        say("gunicorn, the worker and beat are up")

    def configure(self) -> None:
        """An operator with an API token; beat's heartbeat every 2 s (so the drill sees beat working)."""
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        from accounts.models import User
        from accounts.services import user_set_roles
        from monitoring.models import PollState
        from monitoring.services import poll_interval_set

        user, _ = User.objects.get_or_create(username="drill-ops")
        user_set_roles(actor=None, user=user, roles=["web_team"])
        from accounts.tokens import api_token_create

        self.token = api_token_create(actor=None, user=user, name="fault drill", scope="read_write")[1]
        every, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.filter(name="Scheduler heartbeat").update(interval=every)
        # A YouTube search costs 100 quota units: every 5 s would spend even an extended day's quota
        # in an hour, and the client then waits for midnight Pacific time.
        for state in PollState.objects.filter(channel__platform="youtube", endpoint="search"):
            poll_interval_set(actor=None, state=state, seconds=self.args.youtube_search_every)
        self.report["figures"]["poll_endpoints"] = PollState.objects.filter(enabled=True).count()

    # -- helpers ------------------------------------------------------------------------------------

    def ctl(self, method: str, path: str, body: dict | None = None, timeout: float = 120):
        status, answer = http(method, f"{self.sim_url}/_sim/{path}", body, timeout=timeout)
        if status >= 300:
            raise DrillError(f"simulator refused {method} /_sim/{path}: {status} {answer}")
        return answer

    def web_get(self, path: str, timeout: float = 10):
        return http("GET", self.web_url + path, headers={"X-Forwarded-Proto": "https",
                                                          "Authorization": f"Token {getattr(self, 'token', '')}"},
                    timeout=timeout)

    def heartbeat(self, component: str):
        status, beats = self.web_get("/api/status/")
        if status != 200:
            return None
        from django.utils.dateparse import parse_datetime

        for beat in beats:
            if beat["component"] == component:
                return parse_datetime(beat["seen_at"]).timestamp()
        return None

    def ping_worker(self, timeout: float) -> float:
        """Web queues a task through Redis; the worker runs it. Seconds it took."""
        asked = time.time()

        def answered():
            seen = self.heartbeat("worker")
            return seen is not None and seen >= asked - 1

        def ask():
            status, _ = http("POST", self.web_url + "/api/status/ping/",
                             headers={"X-Forwarded-Proto": "https", "Authorization": f"Token {self.token}"})
            return status == 202

        wait_until(ask, timeout, "the web process to queue a ping")
        wait_until(answered, timeout, "the worker to answer the web's ping")
        return time.time() - asked

    def db(self, fn, default=None):
        """Run a query; while the database is down give `default` and reconnect next time."""
        from django.db import connections
        from django.db.utils import DatabaseError, InterfaceError

        try:
            return fn()
        except (DatabaseError, InterfaceError):
            connections.close_all()
            return default

    def stored_count(self) -> int | None:
        from monitoring.models import Mention

        return self.db(lambda: Mention.objects.count())

    def supervise(self) -> None:
        """Restart the worker if it has gone or is wedged (the supervisor's job). Beat and web exiting
        is a failure."""
        if self.wedged():
            say(f"!! the worker's heartbeat is older than {self.args.stale:g} s: wedged; restarting it")
            self.wedges.append(time.time())
            self.processes["worker"].kill_all()
            self.processes["worker"].start()
        for name, proc in self.processes.items():
            if not proc.check():
                say(f"!! {name} exited by itself: {proc.unexpected_exits[-1]}")
                if name == "worker":
                    proc.start()
                else:
                    self.failures.append(f"{name} exited by itself ({proc.unexpected_exits[-1]}); restarted")
                    proc.start()

    # -- disruptions -----------------------------------------------------------------------------

    def kill_worker(self, n: int) -> None:
        """Kill n: even kills SIGKILL one pool process (the worker must replace it and carry on, or,
        wedged, is restarted by the supervisor when its heartbeat goes stale); odd kills SIGKILL the
        whole worker, which the supervisor starts again."""
        worker = self.processes["worker"]
        at = time.time()
        children = worker.children() if n % 2 == 0 else []
        if children:
            os.kill(children[0], signal.SIGKILL)
            say(f"SIGKILL one of the worker's {len(children)} pool processes (kill {n + 1}); the worker replaces it")
            self.events.append({"at": at, "kind": "kill", "what": f"one of the worker's {len(children)} pool "
                                                                  "processes killed"})
            return
        worker.kill_all()
        pool = " (its pool has no child process)" if n % 2 == 0 else ""
        say(f"SIGKILL the whole worker{pool} (kill {n + 1}); starting it again in {self.args.restart_delay:g} s")
        time.sleep(self.args.restart_delay)
        worker.start()
        self.events.append({"at": at, "kind": "kill", "what": f"worker killed (main process and pool){pool}"})

    def wedged(self) -> bool:
        """The supervisor's heartbeat check (run.py, the containers' health checks): the worker's
        heartbeat file is older than --stale seconds although beat is ticking."""
        from council_social import liveness

        worker = self.processes.get("worker")
        if worker is None or not worker.alive() or time.time() - worker.started_at < self.args.stale:
            return False
        var = self.base / "var"
        beat_age, worker_age = liveness.age("beat", var), liveness.age("worker", var)
        return beat_age is not None and beat_age < 30 and (worker_age is None or worker_age > self.args.stale)

    def restart_redis(self) -> None:
        say(f"Killing Redis; starting it again in {self.args.down:g} s (every queued task is lost)")
        stopped, ready = self.redis.crash_and_restart(self.args.down)
        self.events.append({"at": stopped, "until": ready, "kind": "redis", "what": "Redis killed and restarted"})

    def restart_postgres(self) -> None:
        say(f"Crashing PostgreSQL (immediate stop); starting it again in {self.args.down:g} s")
        stopped, ready = self.pg.crash_and_restart(self.args.down)
        self.events.append({"at": stopped, "until": ready, "kind": "postgres",
                            "what": "PostgreSQL stopped (immediate) and restarted"})

    def schedule(self) -> list[tuple[float, str]]:
        """Disruptions at shares of the mentions stored: kills spread over the run, Redis at a third,
        PostgreSQL at two thirds."""
        kills = self.args.kills
        plan = [((i + 1) / (kills + 1) * 0.9, f"kill:{i}") for i in range(kills)]
        plan += [(0.33, "redis")] if self.args.broker == "redis" else []
        plan += [(0.62, "postgres")]
        return sorted(plan)

    # -- the run -------------------------------------------------------------------------------------

    def run(self) -> dict:
        args = self.args
        self.set_up()
        from monitoring.models import Mention

        before = Mention.objects.count()
        if before:
            raise DrillError(f"{before} mentions stored before the drill began")
        platforms = args.platforms.split(",")
        per = -(-args.mentions // len(platforms))
        backlog = round(per * args.backlog_share)
        arrive = args.arrive_seconds if args.arrive_seconds is not None else max(30.0, args.mentions / 100)
        self.ctl("POST", "faults", {"rate": args.fault_rate, "seed": args.seed, "kinds": FAULT_KINDS,
                                    "delay": CLIENT_TIMEOUT + 1, "retry_after": 1.0})
        if "youtube" in platforms:
            # A spent quota is not a fault: the client rightly waits for midnight Pacific time,
            # which the simulator's scaled day does not shorten.
            self.ctl("POST", "ratelimits", {"limits": {"youtube": {"quota": args.youtube_quota}}})
        self.expected = {p: set() for p in platforms}

        def generate(count: int, **when) -> None:
            if count:
                made = self.ctl("POST", "generate", {"platform": platforms, "count": count, **when}, timeout=900)
                for platform in platforms:
                    self.expected[platform] |= {item["id"] for item in made[platform]["items"]}

        # The backlog: posted over the last six hours, waiting for the first polls.
        generate(backlog, spread_seconds=6 * 3600)
        self.start_processes()
        started = time.time()
        # The rest arrive while the drill runs.
        generate(per - backlog, spread_seconds=arrive, future=True)
        total = sum(len(v) for v in self.expected.values())
        say(f"{total:,} mentions on {len(platforms)} platforms: {backlog * len(platforms):,} posted over the last six "
            f"hours, {(per - backlog) * len(platforms):,} arriving over the next {arrive:.0f} s; faults in "
            f"{args.fault_rate:.0%} of requests")
        self.report["figures"].update({"mentions_generated": total, "platforms": platforms,
                                       "fault_rate": args.fault_rate, "arrival_seconds": arrive})

        plan = self.schedule()
        deadline = time.monotonic() + args.timeout
        progress: list[tuple[float, int]] = []
        last_report = last_disruption = 0.0
        queued = []
        while True:
            self.supervise()
            stored = self.stored_count()
            now = time.time()
            queued.append((self.redis.queued("polling") if self.redis else None) or 0)
            if stored is not None:
                progress.append((now, stored))
            if stored is not None and now - last_report >= 15:
                rate = self._rate(progress)
                say(f"{stored:,} / {total:,} stored ({rate:,.0f}/s over the last minute), {queued[-1]} polls queued"
                    f"{self._behind(stored, total)}")
                last_report = now
            # The next disruption when its share is stored, and not within --gap seconds of the last one.
            if (plan and stored is not None and stored >= plan[0][0] * total
                    and time.monotonic() - last_disruption >= args.gap):
                _, action = plan.pop(0)
                last_disruption = time.monotonic()
                if action.startswith("kill:"):
                    self.kill_worker(int(action.split(":")[1]))
                elif action == "redis":
                    self.restart_redis()
                else:
                    self.restart_postgres()
                self.events[-1]["stored"] = stored
            if not plan and stored is not None and stored >= total:
                break
            if time.monotonic() > deadline:
                self.failures.append(f"ingestion did not finish within {args.timeout} s ({stored} of {total} stored)")
                break
            time.sleep(0.5)
        ingest_seconds = time.time() - started

        removed = self.ctl("DELETE", "faults")
        self.faults_off = faults_off = time.time()
        self.fault_log = removed["log"]
        say(f"Faults off after {ingest_seconds:.0f} s; {len(self.fault_log):,} faults injected")
        self.settle(faults_off)
        self.report["figures"].update({
            "ingest_seconds": round(ingest_seconds, 1),
            "mentions_per_second": round(total / ingest_seconds, 1),
            "disruptions": [{k: v for k, v in e.items() if k in ("kind", "what", "stored")} | {
                "at_seconds": round(e["at"] - started, 1),
                **({"down_seconds": round(e["until"] - e["at"], 1)} if "until" in e else {})} for e in self.events],
            "worker_starts": self.processes["worker"].starts,
            "broker": self.args.broker,
            "worker_wedged_and_restarted": len(self.wedges),
            "polls_queued_at_most": max(queued, default=0),
            "recovery_seconds": self.recoveries(progress),
            "seconds_to_store": {f"{share:.0%}": next((round(t - started, 1) for t, n in progress if n >= share * total),
                                                      None) for share in (0.5, 0.9, 0.99, 1.0)},
        })
        late = [e["what"] for e in self.events if e["stored"] >= total]
        self.check("every disruption came during ingestion", len(self.events) == len(self.schedule()) and not late,
                   f"{len(self.events)} disruptions, each with between {min(e['stored'] for e in self.events):,} and "
                   f"{max(e['stored'] for e in self.events):,} of {total:,} mentions stored; after the last one: "
                   f"{late or 0}" if self.events else "none happened")
        self.checks(faults_off)
        self.carries_on()
        self.report["passed"] = not self.failures
        self.report["failures"] = self.failures
        return self.report

    def _behind(self, stored: int, total: int) -> str:
        """Near the end, which platforms are still short."""
        if stored < 0.9 * total:
            return ""
        from monitoring.models import Mention

        def short():
            counts = dict(Mention.objects.values_list("platform").annotate(n=Count("id")).values_list("platform", "n"))
            return {p: len(ids) - counts.get(p, 0) for p, ids in self.expected.items() if len(ids) > counts.get(p, 0)}

        from django.db.models import Count

        missing = self.db(short, {})
        return "; short: " + ", ".join(f"{p} {n}" for p, n in missing.items()) if missing else ""

    @staticmethod
    def _rate(progress: list[tuple[float, int]], window: float = 60) -> float:
        if len(progress) < 2:
            return 0.0
        end_t, end_n = progress[-1]
        start_t, start_n = next(((t, n) for t, n in progress if t >= end_t - window), progress[0])
        return (end_n - start_n) / (end_t - start_t) if end_t > start_t else 0.0

    def recoveries(self, progress: list[tuple[float, int]]) -> list[dict]:
        """For each disruption: seconds until the next mention was stored after it."""
        out = []
        for event in self.events:
            since = event.get("until", event["at"])
            base = max((n for t, n in progress if t <= event["at"]), default=0)
            after = next((t for t, n in progress if t > since and n > base), None)
            out.append({"what": event["what"], "seconds_to_next_mention": round(after - event["at"], 1)
                        if after else None})
        return out

    def settle(self, faults_off: float) -> None:
        """Wait, without touching anything, until every mention is in and each endpoint has had a clean
        poll since the faults stopped."""
        from monitoring.models import Mention, PollState
        from monitoring.services import polled_elsewhere

        def stored_all() -> bool:
            for platform, ids in self.expected.items():
                have = set(Mention.objects.filter(platform=platform).values_list("external_id", flat=True))
                if not ids <= have:
                    return False
            return True

        def clean_round() -> bool:
            self.supervise()
            since = datetime.fromtimestamp(faults_off, tz=UTC)
            behind = PollState.objects.filter(enabled=True, channel__connection__needs_reauth=False).exclude(
                last_success_at__gt=since).select_related("channel")
            return not [s for s in behind if not polled_elsewhere(s)]  # a shared search polls on one channel

        started = time.time()
        try:
            wait_until(lambda: self.db(stored_all, False), self.args.settle, "every mention to be stored", every=2)
            wait_until(lambda: self.db(clean_round, False), self.args.settle,
                       "a clean poll of every endpoint after the faults", every=2)
        except DrillError as exc:
            self.failures.append(str(exc))
        self.report["figures"]["settle_seconds"] = round(time.time() - started, 1)

    # -- checks ------------------------------------------------------------------------------------------

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.report["checks"][name] = {"passed": bool(ok), "detail": detail}
        if not ok:
            self.failures.append(f"{name}: {detail}")
        say(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")

    def checks(self, faults_off: float) -> None:
        from django.db import connections

        connections.close_all()
        self.check_mentions()
        self.check_routing()
        self.check_cursors()
        self.check_quarantine()

    def check_mentions(self) -> None:
        from django.db.models import Count

        from monitoring.models import Mention

        lost, extra = {}, {}
        for platform, ids in self.expected.items():
            have = set(Mention.objects.filter(platform=platform).values_list("external_id", flat=True))
            if ids - have:
                lost[platform] = len(ids - have)
            if have - ids:
                extra[platform] = sorted(have - ids)[:5]
        others = Mention.objects.exclude(platform__in=list(self.expected)).count()
        twice = list(Mention.objects.values("platform", "external_id").annotate(n=Count("id")).filter(n__gt=1)[:5])
        stored = Mention.objects.count()
        expected = sum(len(v) for v in self.expected.values())
        self.report["figures"]["mentions_stored"] = stored
        self.check("every mention stored exactly once",
                   not lost and not extra and not others and not twice and stored == expected,
                   f"{stored:,} stored of {expected:,} generated; lost {lost or 0}, stored twice {twice or 0}, "
                   f"not generated {extra or 0}, on other platforms {others}")

    def check_routing(self) -> None:
        from django.db.models import Count, F

        from monitoring.models import Mention
        from triage.models import Case, CaseEvent, MentionRouting

        mentions = Mention.objects.count()
        routed = MentionRouting.objects.count()
        opened = MentionRouting.objects.filter(case__mention_id=F("mention_id")).count()
        joined = MentionRouting.objects.filter(case__isnull=False).exclude(case__mention_id=F("mention_id")).count()
        cases = Case.objects.count()
        two_cases = Case.objects.values("mention_id").annotate(n=Count("id")).filter(n__gt=1).count()
        created_events = dict(CaseEvent.objects.filter(kind="created").values("case_id").annotate(n=Count("id"))
                              .values_list("case_id", "n"))
        bad_events = sum(1 for n in created_events.values() if n != 1) + (cases - len(created_events))
        self.report["figures"].update({"cases": cases, "mentions_joining_a_case": joined})
        self.check("each mention routed once, each case created once",
                   routed == mentions and two_cases == 0 and cases == opened and bad_events == 0,
                   f"{routed:,} routings for {mentions:,} mentions; {cases:,} cases, {opened:,} routings opened one "
                   f"({joined:,} joined an open case); mentions with two cases {two_cases}; cases without exactly "
                   f"one 'created' event {bad_events}")

    def check_cursors(self) -> None:
        from django.db.models import Count

        from monitoring.clients import client_for
        from monitoring.models import Mention, PollState
        from monitoring.services import (
            is_shared_search,
            polled_elsewhere,
            watch_terms_for,
            watch_terms_for_platform,
        )
        from platforms.base import PlatformError

        states = list(PollState.objects.filter(enabled=True).select_related("channel", "channel__connection"))
        from_pages = collections.Counter({
            (row["raw_payload__channel_id"], row["raw_payload__endpoint"]): row["n"]
            for row in Mention.objects.filter(raw_payload__isnull=False).values(
                "raw_payload__channel_id", "raw_payload__endpoint").annotate(n=Count("id"))})
        counted = {(s.channel_id, s.endpoint): s.items_total for s in states}
        mismatched = [f"{s.channel} {s.endpoint}: says {s.items_total}, pages hold {from_pages[(s.channel_id, s.endpoint)]}"
                      for s in states if s.items_total != from_pages[(s.channel_id, s.endpoint)]]
        untracked = sum(n for key, n in from_pages.items() if key not in counted)
        self.check("each cursor's count matches the stored pages", not mismatched and not untracked,
                   f"{len(states)} poll states, {sum(counted.values()):,} mentions counted by them; "
                   f"mismatches {mismatched[:3] or 0}; stored by no poll state {untracked}")

        ahead, unread, errors, pages = [], [], [], 0
        read = [s for s in states if getattr(s.channel, "connection", None) and not s.channel.connection.needs_reauth
                and not polled_elsewhere(s)]  # a shared search is read where it polls
        # These reads are the drill's, not the product's: they must not wait on, or use up, the rate limits
        # and quotas the product's polls have been spending (a YouTube search costs 100 of 10,000 units).
        buckets = self.ctl("GET", "ratelimits")["buckets"]
        self.ctl("POST", "ratelimits", {"limits": {p: {b: 10**9 for b in bs} for p, bs in buckets.items()}})
        for state in read:
            # Read on from the stored cursor as the next polls would, to the end of the walk, storing nothing.
            client = client_for(state.channel, connection=state.channel.connection)
            terms = (watch_terms_for_platform(state.channel.platform) if is_shared_search(state.channel.platform, state.endpoint)
                     else watch_terms_for(state.channel))
            cursor, missing = state.cursor, 0
            for _ in range(100):
                try:
                    page = self._fetch(client, state.endpoint, cursor, terms)
                except PlatformError as exc:
                    errors.append(f"{state.channel} {state.endpoint}: {exc}")
                    break
                pages += 1
                ids = {i.external_id for i in page.items}
                missing += len(ids - set(Mention.objects.filter(platform=state.channel.platform, external_id__in=ids)
                                         .values_list("external_id", flat=True)))
                cursor = page.next_cursor or ""
                if not page.has_more:
                    break
            else:
                unread.append(f"{state.channel} {state.endpoint}")
            if missing:
                ahead.append(f"{state.channel} {state.endpoint}: {missing} not stored")
        since = datetime.fromtimestamp(self.faults_off, tz=UTC)
        stale = [f"{s.channel} {s.endpoint}" for s in read if not (s.last_success_at and s.last_success_at > since)]
        self.check("nothing past the cursors is missing", not ahead and not unread and not errors and not stale,
                   f"read on from {len(read)} cursors to the end ({pages} pages): items not stored {ahead or 0}; "
                   f"walks that did not end {unread or 0}; errors {errors or 0}; endpoints without a good poll since "
                   f"the faults stopped {stale or 0}")

    @staticmethod
    def _fetch(client, endpoint: str, cursor: str, terms: list[str]):
        """One page, waiting out the platform's rate limit (the faults are off, its own limits are not)."""
        from platforms.base import RateLimited

        for attempt in range(4):
            try:
                return client.fetch(endpoint, cursor or None, watch_terms=terms)
            except RateLimited as exc:
                if attempt == 3:
                    raise
                time.sleep(min(60.0, max(1.0, exc.retry_at.timestamp() - time.time())))

    def check_quarantine(self) -> None:
        from monitoring.models import Quarantine

        served = [e for e in self.fault_log if e["kind"] in BODY_KINDS]
        polled = [e for e in served if e["endpoint"].startswith("GET ")]
        writes = len(served) - len(polled)
        by_key: dict[tuple[str, str], list[dict]] = collections.defaultdict(list)
        for entry in polled:
            by_key[(entry["platform"], entry["sha256"])].append(entry)
        held = collections.Counter()
        for platform, digest, seen in Quarantine.objects.filter(source="poll").values_list(
                "platform", "body_sha256", "seen_count"):
            held[(platform, digest)] += seen
        phantom = [k for k in held if k not in by_key]
        over = [k for k in held if k in by_key and held[k] > len(by_key[k])]
        windows = [(e["at"] - EXCUSE_SECONDS, e.get("until", e["at"])) for e in self.events
                   if e["kind"] in ("kill", "postgres")]
        excused, unexplained = [], []
        for key, entries in by_key.items():
            missing = len(entries) - held.get(key, 0)
            if missing <= 0:
                continue
            exposed = [e for e in entries if any(lo <= e["at"] <= hi for lo, hi in windows)]
            (excused if len(exposed) >= missing else unexplained).append((key, missing, entries))
        kinds = collections.Counter(e["kind"] for e in polled)
        self.report["figures"]["quarantine"] = {
            "bodies_served": len(polled), "malformed": kinds["malformed"], "truncated": kinds["truncated"],
            "distinct": len(by_key), "rows": len(held), "arrivals_counted": sum(held.values()),
            "lost_with_a_kill_or_the_database": sum(m for _, m, _ in excused),
            "bad_bodies_served_to_writes": writes,
        }
        self.check("malformed and truncated bodies are in quarantine",
                   not phantom and not over and not unexplained,
                   f"{len(polled):,} served to polls ({kinds['malformed']} malformed, {kinds['truncated']} truncated), "
                   f"{len(by_key):,} distinct; quarantine holds {len(held):,} distinct, {sum(held.values()):,} arrivals; "
                   f"lost in flight to a kill or the database outage {sum(m for _, m, _ in excused)}; "
                   f"unexplained {[(k, m) for k, m, _ in unexplained][:3] or 0}; not served {phantom[:3] or 0}; "
                   f"counted more than served {over[:3] or 0}")

    def carries_on(self) -> None:
        """Nobody restarts anything: a new mention is picked up, the web serves and queues, beat ticks."""
        from monitoring.models import Mention

        text = f"@KingsmereBC is the Eastgate recycling centre open after the storm? ref {secrets.token_hex(4)}"
        posted = time.time()
        injected = self.ctl("POST", "inject", {"platform": "x", "text": text, "kind": "mention"})

        def stored():
            self.supervise()
            return Mention.objects.filter(platform="x", external_id=injected["id"]).exists()

        try:
            wait_until(lambda: self.db(stored, False), 120, "a mention posted after the faults")
            seconds = time.time() - posted
            self.check("a new mention is stored after the faults", True, f"stored {seconds:.1f} s after it was posted")
            self.report["figures"]["new_mention_seconds"] = round(seconds, 1)
        except DrillError as exc:
            self.check("a new mention is stored after the faults", False, str(exc))
        try:
            health = self.web_get("/healthz")[0]
            seconds = self.ping_worker(timeout=60)
            last_disruption = max((e.get("until", e["at"]) for e in self.events), default=0)
            beat = wait_until(lambda: (lambda seen: seen if seen > max(last_disruption, time.time() - 10) else None)(
                self.heartbeat("beat") or 0), 60, "a heartbeat scheduled by beat")
            self.check("web, worker and beat work after the faults", health == 200,
                       f"/healthz {health}; a task queued by the web ran on the worker in {seconds:.1f} s; "
                       f"beat's last heartbeat {time.time() - beat:.0f} s ago")
        except DrillError as exc:
            self.check("web, worker and beat work after the faults", False, str(exc))
        exits = {name: proc.unexpected_exits for name, proc in self.processes.items() if proc.unexpected_exits}
        self.check("no process needed a restart but the killed worker", not exits,
                   f"worker started {self.processes['worker'].starts} times (once plus the drill's restarts); "
                   f"beat and gunicorn started once; exits by themselves {exits or 0}")

    # -- teardown ------------------------------------------------------------------------------------

    def tear_down(self) -> None:
        for proc in self.processes.values():
            proc.stop()
        if self.sim:
            self.sim.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up
            pass
        if self.redis:
            self.redis.kill()
        if self.pg and self.pg.running():
            try:
                self.pg.stop("immediate")
            except DrillError as exc:
                say(f"Could not stop PostgreSQL: {exc}")
        if self.args.keep:
            say(f"Kept {self.base}")
        else:
            shutil.rmtree(self.base, ignore_errors=True)


def summary(report: dict) -> str:
    f = report["figures"]
    lines = ["", "Fault drill: " + ("PASSED" if report.get("passed") else "FAILED"), ""]
    if "mentions_generated" in f:
        lines.append(f"  mentions generated    {f['mentions_generated']:,} on {', '.join(f['platforms'])}")
    if "ingest_seconds" in f:
        lines.append(f"  ingested in           {f['ingest_seconds']:,.0f} s ({f['mentions_per_second']:,.0f} mentions/s) "
                     f"with faults in {f['fault_rate']:.0%} of requests")
    if "seconds_to_store" in f:
        lines.append("  stored after          " + ", ".join(f"{k} in {v} s" for k, v in f["seconds_to_store"].items()))
    if "polls_queued_at_most" in f:
        lines.append(f"  poll tasks queued     {f['polls_queued_at_most']:,} at most ({f['poll_endpoints']} endpoints)")
    if "faults" in f:
        lines.append("  faults injected       " + ", ".join(f"{k} {v}" for k, v in f["faults"].items()))
    for d in f.get("disruptions", []):
        down = f", down {d['down_seconds']} s" if "down_seconds" in d else ""
        lines.append(f"  at {d['at_seconds']:>7.1f} s          {d['what']}{down} ({d['stored']:,} stored)")
    for r in f.get("recovery_seconds", []):
        lines.append(f"  next mention stored   {r['seconds_to_next_mention']} s after: {r['what']}")
    for name, check in report.get("checks", {}).items():
        lines.append(f"  {'PASS' if check['passed'] else 'FAIL'}  {name}: {check['detail']}")
    for failure in report.get("failures", []):
        if not any(failure.startswith(name) for name in report.get("checks", {})):
            lines.append(f"  FAIL  {failure}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=50_000, help="mentions generated in all (default 50,000)")
    parser.add_argument("--platforms", default="x,facebook,instagram,youtube,mastodon,bluesky",
                        help="comma-separated platforms the mentions are spread over")
    parser.add_argument("--kills", type=int, default=6, help="SIGKILLs of the worker during ingestion")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="share of platform requests given a fault")
    parser.add_argument("--down", type=float, default=3.0, help="seconds Redis and PostgreSQL stay down")
    parser.add_argument("--gap", type=float, default=10.0, help="at least this many seconds between disruptions")
    parser.add_argument("--restart-delay", type=float, default=2.0,
                        help="seconds before the killed worker is started again (the supervisor's delay)")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's pool processes")
    parser.add_argument("--broker", choices=("redis", "filesystem"), default="redis",
                        help="Redis (production) or kombu's filesystem transport (the embedded default)")
    parser.add_argument("--stale", type=float, default=90.0,
                        help="seconds without a worker heartbeat before the supervisor restarts it (run.py's)")
    parser.add_argument("--scale", type=float, default=20.0, help="the simulator's rate-limit windows divided by this")
    parser.add_argument("--backlog-share", type=float, default=0.5,
                        help="share of the mentions already posted when polling starts; the rest arrive during the run")
    parser.add_argument("--arrive-seconds", type=float, default=None,
                        help="seconds over which the rest arrive (default: mentions / 100, at least 30)")
    parser.add_argument("--youtube-search-every", type=int, default=20,
                        help="seconds between YouTube searches (each reads one page of 50 videos for 100 quota "
                             "units; 20 s reads the backlog of about 1,800 videos in about 15 minutes)")
    parser.add_argument("--youtube-quota", type=int, default=50_000,
                        help="YouTube quota units a day (default 50,000, an extension Google grants on request; "
                             "the standard 10,000 runs out before 8,000 YouTube items are read in an hour)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed for the ingestion")
    parser.add_argument("--settle", type=float, default=300, help="seconds allowed to settle after the faults")
    parser.add_argument("--json", help="write the figures and checks to this file")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, database)")
    args = parser.parse_args(argv)

    drill = Drill(args)
    interrupted = False
    try:
        report = drill.run()
    except (DrillError, KeyboardInterrupt) as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        drill.failures.append(f"the drill stopped: {exc or type(exc).__name__}")
        report = {**drill.report, "passed": False, "failures": drill.failures}
    finally:
        if getattr(drill, "fault_log", None) is not None:
            drill.report["figures"]["faults"] = dict(collections.Counter(e["kind"] for e in drill.fault_log)
                                                     .most_common())
        if drill.failures:
            for proc in [*drill.processes.values(), drill.sim]:
                if proc is not None:
                    print(f"\n--- last lines of {proc.name}.log\n{proc.tail()}", flush=True)
        drill.tear_down()
    print(summary(report), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    return 130 if interrupted else (0 if report.get("passed") else 1)


if __name__ == "__main__":
    sys.exit(main())
