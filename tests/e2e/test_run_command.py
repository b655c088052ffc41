"""The README's first command: `python3 run.py` serves the demo and stops on Ctrl-C."""
import base64
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django_otp.oath import totp

from tests.e2e.test_stack import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.processes
POLL_INTERVAL = 5  # seconds: the shortest interval the product allows
SLACK = 3  # the poll task's own run time on a shared machine


def test_run_serves_the_demo_and_the_worker_runs_the_webs_tasks(tmp_path):
    port, sim_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"PORT": str(port), "SIMULATOR_PORT": str(sim_port), "VAR_DIR": str(tmp_path / "var"),
                "PYTHONUNBUFFERED": "1", "POLL_INTERVAL_SECONDS": str(POLL_INTERVAL)})
    log = open(tmp_path / "run.log", "w+")
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def output():
        log.flush()
        return (tmp_path / "run.log").read_text()

    try:
        deadline = time.time() + 240
        while f"running at {base}/" not in output():
            assert proc.poll() is None, output()
            assert time.time() < deadline, output()
            time.sleep(0.5)
        assert re.search(r"Web team\s+webteam\s+demo-webteam-pass", output() + _wait_for(output, "Admin:"))
        session = requests.Session()
        for _ in range(60):
            try:
                page = session.get(f"{base}/", timeout=30)
                break
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.5)
        assert page.url.startswith(f"{base}/sign-in/") and "govuk-template" in page.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        setup = session.post(f"{base}/sign-in/", data={"username": "webteam", "password": "demo-webteam-pass",
                                                       "csrfmiddlewaretoken": token}, headers={"Referer": page.url})
        # The web team must use MFA: set up an authenticator app as a person would, from the key shown.
        assert setup.url.startswith(f"{base}/sign-in/set-up-authenticator/"), setup.url
        key = re.search(r'id="totp-secret"><code>([A-Z2-7 ]+)</code>', setup.text).group(1).replace(" ", "")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', setup.text).group(1)
        codes = session.post(setup.url, data={"code": f"{totp(base64.b32decode(key)):06d}", "next": "/",
                                              "csrfmiddlewaretoken": token}, headers={"Referer": setup.url})
        assert "Your backup codes" in codes.text, codes.text
        home = session.get(f"{base}/")
        assert "Hello, Wendy Webb" in home.text
        status = session.get(f"{base}/status/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', status.text).group(1)
        session.post(f"{base}/status/ping/", data={"csrfmiddlewaretoken": token}, headers={"Referer": status.url})
        for _ in range(120):
            if "asked by Wendy Webb" in session.get(f"{base}/status/").text:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the worker did not run the task queued by the web process\n" + output())
        # A post injected into the simulator appears in the mentions view within one poll interval.
        text = f"@KingsmereBC the bins on Elm Grove were missed again {time.time():.0f}"
        subprocess.run([sys.executable, "-m", "platforms.simulator", "inject", "--platform", "x", "--text", text,
                        "--url", f"http://127.0.0.1:{sim_port}"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        injected = time.monotonic()
        while time.monotonic() - injected < POLL_INTERVAL + SLACK:
            if "Elm Grove were missed again" in session.get(f"{base}/mentions/?q=Elm+Grove+were+missed").text:
                break
            time.sleep(0.25)
        else:
            pytest.fail(f"the injected post did not appear within {POLL_INTERVAL + SLACK} s\n" + output())
        print(f"injected post seen after {time.monotonic() - injected:.1f} s (poll interval {POLL_INTERVAL} s)")
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert code == 0, output()
    assert "Stopped." in output()
    # A quiet start: the address and the sign-ins together, nothing else from the processes, whose
    # output (and the demo's emails) is under var/log/; a normal stop logs no ERROR.
    text = output()
    start = text.index("Council Social is running at")
    block = text[start:text.index("Logs and the demo's emails:")].splitlines()
    assert block[2] == "Demo sign-ins (demo only):" and all(line.startswith("  ") for line in block[3:-1]), block
    assert "Subject:" not in text and "INFO" not in text and "WARNING" not in text, text
    logs = tmp_path / "var" / "log"
    assert {p.name for p in logs.glob("*.log")} >= {"setup.log", "web.log", "worker.log", "beat.log"}
    errors = [line for p in logs.glob("*.log") for line in p.read_text().splitlines() if " ERROR " in line
              or line.startswith("[ERROR") or "ERROR/" in line]
    assert not errors, errors


def _wait_for(output, marker, timeout=60):
    deadline = time.time() + timeout
    while marker not in output() and time.time() < deadline:
        time.sleep(0.2)
    return output()
