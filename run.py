#!/usr/bin/env python3
"""Council Social in one command, on a machine with only Python 3.11 and git.

    python3 run.py          install, migrate, load the demo council and start everything
    python3 run.py test     install and run the whole test suite (extra args go to pytest)

Everything lives in .venv and var/; Ctrl-C stops every process cleanly.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
SIM_PORT = os.environ.get("SIMULATOR_PORT", "8700")


def say(text: str) -> None:
    print(f"\033[1m{text}\033[0m" if sys.stdout.isatty() else text, flush=True)


def install(extras: str = "") -> None:
    """Create .venv and install the tested versions (constraints.txt); skip if unchanged."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Council Social needs Python 3.11; this is {sys.version.split()[0]}.")
    if not PY.exists():
        say("Creating the virtual environment in .venv …")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed{extras}"
    digest = hashlib.sha256(
        b"".join((ROOT / f).read_bytes() for f in ("pyproject.toml", "constraints.txt")) + extras.encode()
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say("Installing dependencies …")
    target = f".{extras}" if extras else "."
    for cmd in ([PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                [PY, "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", target]):
        # pip's warnings are kept for when it fails, not shown on every start
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            sys.stdout.write(done.stdout + done.stderr)
            raise subprocess.CalledProcessError(done.returncode, cmd)
    stamp.write_text(digest)


def manage(*args: str, env=None, log: Path | None = None) -> None:
    """Run a management command; with `log`, its output goes to that file, shown only if it fails."""
    if log is None:
        subprocess.run([PY, "manage.py", *args], check=True, cwd=ROOT, env=env)
        return
    with open(log, "a") as out:
        done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        sys.stdout.write(log.read_text()[-4000:])
        raise subprocess.CalledProcessError(done.returncode, args)


# --- supervision ---------------------------------------------------------------------------
# A part that exits, or whose heartbeat file (council_social/liveness.py) goes stale, is started
# again after a back-off that doubles with each restart in a row (1 s up to 60 s) and returns to
# 1 s once the part has run for RESET_AFTER seconds. Each restart is logged here and recorded in
# var/run/supervisor.json, which the system status page shows.
BACKOFF_FIRST, BACKOFF_MAX, RESET_AFTER = 1.0, 60.0, 120.0
# name → (heartbeat file, seconds without a heartbeat before the part counts as wedged)
HEARTBEATS = {"worker": ("worker", float(os.environ.get("WORKER_STALE_SECONDS", "90"))),
              "beat": ("beat", float(os.environ.get("BEAT_STALE_SECONDS", "60")))}
GRACE = float(os.environ.get("SUPERVISOR_GRACE_SECONDS", "120"))  # a part's start-up, before its heartbeat counts


class Part:
    """One supervised process, in its own session so that its children stop with it."""

    def __init__(self, name: str, cmd: list, env: dict, var_dir: Path):
        self.name, self.cmd, self.env, self.var_dir = name, cmd, env, var_dir
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.restarts = 0
        self.backoff = BACKOFF_FIRST
        self.restart_at: float | None = None

    def start(self) -> None:
        # Each part's output goes to var/log/<part>.log, so the terminal shows only what a person needs.
        log_dir = self.var_dir / "log"
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(log_dir / f"{self.name}.log", "a") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, start_new_session=True,
                                         stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.started_at = time.time()
        self.restart_at = None

    def heartbeat_age(self) -> float | None:
        """Seconds since the part's heartbeat file was touched, counted from its start at most."""
        if self.name not in HEARTBEATS:
            return None
        path = self.var_dir / "run" / f"{HEARTBEATS[self.name][0]}.alive"
        try:
            touched = path.stat().st_mtime
        except OSError:
            touched = 0.0
        return time.time() - max(touched, self.started_at)

    def stale(self) -> float | None:
        if self.name not in HEARTBEATS or time.time() - self.started_at < GRACE:
            return None
        if self.name == "worker":
            # The worker's heartbeat comes from tasks beat schedules: judge it only while beat ticks.
            beat = self.var_dir / "run" / "beat.alive"
            try:
                if time.time() - beat.stat().st_mtime > HEARTBEATS["beat"][1]:
                    return None
            except OSError:
                return None
        age = self.heartbeat_age()
        return age if age is not None and age > HEARTBEATS[self.name][1] else None

    def supervise(self) -> str | None:
        """Restart the part if it is due; stop it if it exited or went stale. A message when it did."""
        now = time.time()
        if self.proc is None:
            if self.restart_at is not None and now >= self.restart_at:
                self.start()
                return f"{self.name} started again (restart {self.restarts})."
            return None
        if self.proc.poll() is None:
            if now - self.started_at > RESET_AFTER:
                self.backoff = BACKOFF_FIRST
            age = self.stale()
            if age is None:
                return None
            reason = f"no heartbeat for {age:.0f} s"
            self.signal(signal.SIGTERM)
            self.wait(time.time() + 10)
        else:
            reason = f"exited ({_exit_text(self.proc.returncode)})"
            self.signal(signal.SIGKILL)  # whatever of its session is left
        self.proc = None
        self.restarts += 1
        self.restart_at = now + self.backoff
        message = f"{self.name} {reason}; starting it again in {self.backoff:g} s."
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        return message

    def signal(self, sig: int) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def wait(self, deadline: float) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait()


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit {code}"


class Record:
    """var/run/supervisor.json: each part's pid, start and restarts, and the last 50 events."""

    def __init__(self, path: Path, parts: dict):
        self.path, self.parts, self.events, self.saved = path, parts, [], ""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)

    def event(self, name: str, message: str) -> None:
        self.events = [*self.events, {"at": time.time(), "part": name, "message": message}][-50:]

    def save(self) -> None:
        data = {"supervisor_pid": os.getpid(), "events": self.events, "parts": {
            name: {"pid": part.proc.pid if part.proc else None, "running": part.proc is not None,
                   "started_at": part.started_at, "restarts": part.restarts}
            for name, part in self.parts.items()}}
        text = json.dumps(data, indent=1)
        if text != self.saved:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(text)
            tmp.replace(self.path)
            self.saved = text


def serve() -> int:
    install()
    var_dir = Path(os.environ.get("VAR_DIR") or ROOT / "var")
    log_dir = var_dir / "log"
    log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The demo's emails (notifications, alerts) are written as files under var/log/emails/.
    env = {**os.environ, "SITE_URL": os.environ.get("SITE_URL", f"http://{HOST}:{PORT}"),
           "SIMULATOR_URL": os.environ.get("SIMULATOR_URL", f"http://127.0.0.1:{SIM_PORT}"),
           "EMAIL_URL": os.environ.get("EMAIL_URL", f"filemail://{log_dir / 'emails'}")}
    say("Preparing the database and the demo council …")
    setup_log = log_dir / "setup.log"
    manage("migrate", "--noinput", "-v0", env=env, log=setup_log)
    manage("collectstatic", "--noinput", "-v0", env=env, log=setup_log)
    manage("demo_council", env=env, log=setup_log)
    sign_ins = subprocess.run([PY, "manage.py", "shell", "-v", "0", "-c", "from accounts.demo import demo_sign_ins\n"
                               "for r, u, p in demo_sign_ins(): print(f'  {r:<28} {u:<20} {p}')"],
                              cwd=ROOT, env=env, capture_output=True, text=True).stdout
    processes = {
        "web": [BIN / "gunicorn", "council_social.wsgi", "--bind", f"{HOST}:{PORT}", "--workers", "2",
                "--threads", "4", "--access-logfile", "-"],
        "worker": [BIN / "celery", "-A", "council_social", "worker", "--loglevel", "INFO", "--concurrency", "2",
                   "-Q", "celery,polling,publishing"],
        "beat": [BIN / "celery", "-A", "council_social", "beat", "--loglevel", "INFO"],
        "jetstream": [PY, "manage.py", "jetstream"],
    }
    if (ROOT / "platforms" / "simulator" / "__main__.py").exists():
        processes["simulator"] = [PY, "-m", "platforms.simulator", "serve", "--port", SIM_PORT,
                                  "--generate-every", os.environ.get("SIMULATOR_GENERATE_EVERY", "20")]
    parts = {name: Part(name, cmd, env, var_dir) for name, cmd in processes.items()}
    for part in parts.values():
        part.start()
    url = f"http://{HOST}:{PORT}/"
    say(f"\nCouncil Social is running at {url}  (press Ctrl-C to stop)\n")
    say("Demo sign-ins (demo only):")
    print(sign_ins, end="", flush=True)
    say(f"API docs: {url}api/docs/   Admin: {url}admin/")
    print(f"Logs and the demo's emails: {log_dir}/\n", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    record = Record(var_dir / "run" / "supervisor.json", parts)
    while not stopping:
        for part in parts.values():
            event = part.supervise()
            if event:
                with open(log_dir / "supervisor.log", "a") as out:
                    out.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {event}\n")
                record.event(part.name, event)
        record.save()
        time.sleep(0.5)
    say("\nStopping …")
    for part in parts.values():
        part.signal(signal.SIGTERM)
    deadline = time.time() + 15
    for part in parts.values():
        part.wait(deadline)
    say("Stopped.")
    return 0


def test(args: list[str]) -> int:
    install("[test]")
    for hook in sorted((ROOT / "scripts").glob("setup_test_*.py")):
        subprocess.run([PY, hook], check=True, cwd=ROOT)
    return subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT).returncode


if __name__ == "__main__":
    os.chdir(ROOT)
    if shutil.which("git") is None:
        say("git is not on PATH; continuing.")
    if sys.argv[1:2] == ["test"]:
        sys.exit(test(sys.argv[2:]))
    if sys.argv[1:]:
        sys.exit(__doc__)
    sys.exit(serve())
