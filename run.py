#!/usr/bin/env python3
"""Council Social in one command, on a machine with only Python 3.11 and git.

    python3 run.py          install, migrate, load the demo council and start everything
    python3 run.py test     install and run the whole test suite (extra args go to pytest)

Everything lives in .venv and var/; Ctrl-C stops every process cleanly.
"""
import hashlib
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
    subprocess.run([PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([PY, "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", target],
                   check=True, cwd=ROOT)
    stamp.write_text(digest)


def manage(*args: str, env=None) -> None:
    subprocess.run([PY, "manage.py", *args], check=True, cwd=ROOT, env=env)


def serve() -> int:
    install()
    env = {**os.environ, "SITE_URL": os.environ.get("SITE_URL", f"http://{HOST}:{PORT}"),
           "SIMULATOR_URL": os.environ.get("SIMULATOR_URL", f"http://127.0.0.1:{SIM_PORT}")}
    say("Preparing the database and the demo council …")
    manage("migrate", "--noinput", "-v0", env=env)
    manage("collectstatic", "--noinput", "-v0", env=env)
    manage("demo_council", env=env)
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
    running = {name: subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
               for name, cmd in processes.items()}
    url = f"http://{HOST}:{PORT}/"
    say(f"\nCouncil Social is running at {url}  (press Ctrl-C to stop)\n")
    say("Demo sign-ins (demo only):")
    manage("shell", "-c", "from accounts.demo import demo_sign_ins\n"
           "for r, u, p in demo_sign_ins(): print(f'  {r:<28} {u:<20} {p}')", env=env)
    say(f"API docs: {url}api/docs/   Admin: {url}admin/\n")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, proc in running.items():
            if proc.poll() is not None:
                say(f"{name} stopped unexpectedly (exit {proc.returncode}); stopping everything.")
                stopping, code = True, 1
                break
        time.sleep(0.5)
    say("\nStopping …")
    for proc in running.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.time() + 15
    for proc in running.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    say("Stopped.")
    return code


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
