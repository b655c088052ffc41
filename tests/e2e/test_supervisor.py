"""run.py supervises every part: a part that is killed, or whose heartbeat goes stale, is started
again with back-off, and the restart is logged and shown on system status."""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.test_stack import free_port

ROOT = Path(__file__).resolve().parents[2]


def load_run():
    spec = importlib.util.spec_from_file_location("run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_part_whose_heartbeat_is_stale_is_restarted_with_back_off(tmp_path, monkeypatch):
    """A real process that lives but never touches its heartbeat file (a wedged worker) is
    stopped and started again; each restart in a row waits twice as long."""
    run = load_run()
    monkeypatch.setattr(run, "GRACE", 0.0)
    monkeypatch.setitem(run.HEARTBEATS, "beat", ("beat", 1.0))
    (tmp_path / "run").mkdir()
    part = run.Part("beat", [sys.executable, "-c", "import time; time.sleep(600)"], dict(os.environ), tmp_path)
    part.start()
    try:
        first = part.proc
        (tmp_path / "run" / "beat.alive").touch()
        assert part.supervise() is None  # fresh
        time.sleep(1.2)
        message = part.supervise()
        assert message.startswith("beat no heartbeat for 1 s; starting it again in 1 s"), message
        assert first.poll() is not None and part.proc is None
        time.sleep(1.05)
        assert part.supervise() == "beat started again (restart 1)."
        assert part.proc.pid != first.pid and part.proc.poll() is None
        part.proc.kill()
        part.proc.wait()
        assert part.supervise() == "beat exited (signal SIGKILL); starting it again in 2 s."
        assert part.supervise() is None  # still waiting out the back-off
    finally:
        part.signal(signal.SIGKILL)


@pytest.mark.processes
def test_run_restarts_a_killed_beat_simulator_and_worker(tmp_path):
    port, sim_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    var = tmp_path / "var"
    env.update({"PORT": str(port), "SIMULATOR_PORT": str(sim_port), "VAR_DIR": str(var), "PYTHONUNBUFFERED": "1"})
    log = open(tmp_path / "run.log", "w+")
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)

    def output():
        log.flush()
        return (tmp_path / "run.log").read_text()

    def record():
        try:
            return json.loads((var / "run" / "supervisor.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait(check, what, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert proc.poll() is None, output()
            result = check()
            if result:
                return result
            time.sleep(0.5)
        pytest.fail(f"timed out waiting for {what}\n{output()[-6000:]}")

    try:
        wait(lambda: f"running at http://127.0.0.1:{port}/" in output(), "run.py to start", 300)
        wait(lambda: (var / "run" / "beat.alive").exists(), "beat's heartbeat")
        for name in ("beat", "simulator", "worker"):
            old = wait(lambda n=name: record().get("parts", {}).get(n, {}).get("pid"), f"{name}'s pid")
            killed = time.time()
            os.kill(old, signal.SIGKILL)
            wait(lambda n=name, o=old: (record()["parts"][n]["running"] and record()["parts"][n]["pid"] != o),
                 f"{name} to be started again")
            print(f"{name} running again {time.time() - killed:.1f} s after SIGKILL")
            # The terminal stays quiet: restarts are logged in var/log/supervisor.log.
            assert f"{name} exited (signal SIGKILL); starting it again in 1 s." in (
                var / "log" / "supervisor.log").read_text()
            assert record()["parts"][name]["restarts"] == 1
        # The simulator answers again, and beat ticks again.
        wait(lambda: _answers(f"http://127.0.0.1:{sim_port}/_sim/"), "the simulator to answer")
        restarted = time.time()
        wait(lambda: (var / "run" / "beat.alive").stat().st_mtime > restarted, "beat to tick again")
        wait(lambda: (var / "run" / "worker.alive").stat().st_mtime > restarted, "the worker to run a task again",
             timeout=180)
        # System status reads the record run.py keeps (tests/accounts/test_system_status.py renders it).
        shown = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                                "from council_social import liveness\n"
                                "print(liveness.supervisor_report()['restarted_recently'])"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert "['beat', 'simulator', 'worker']" in shown.stdout, shown.stdout + shown.stderr
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert "Stopped." in output()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code < 500
    except requests.RequestException:
        return False
