"""The whole system as real processes: web (gunicorn), Celery worker and beat.

Embedded: SQLite and kombu's filesystem broker, nothing else running.
Production: council_social.settings_production on PostgreSQL and Redis on this machine.
A request is served, and a task queued by the web process runs in the separate worker.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def need(host, port, what):
    if not reachable(host, port):
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not reachable on {host}:{port}")
        pytest.skip(f"{what} is not running on {host}:{port}")


def manage(env, *args):
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def start(env, name, *cmd, log_dir):
    log = open(log_dir / f"{name}.log", "w")
    return subprocess.Popen(list(cmd), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(procs):
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_for(check, timeout, what, logs):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    detail = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(logs.glob("*.log")))
    pytest.fail(f"timed out waiting for {what}\n{detail}")


def run_stack(env, tmp_path, headers=None):
    headers = headers or {}
    port = free_port()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    # An operator with an API token, and the beat heartbeat every 2 s instead of every minute.
    token = manage(env, "shell", "-c", (
        "from accounts.models import User; from accounts.services import user_set_roles\n"
        "from accounts.tokens import api_token_create\n"
        "from django_celery_beat.models import IntervalSchedule, PeriodicTask\n"
        "u, _ = User.objects.get_or_create(username='ops')\n"
        "user_set_roles(actor=None, user=u, roles=['web_team'])\n"
        "i, _ = IntervalSchedule.objects.get_or_create(every=2, period='seconds')\n"
        "PeriodicTask.objects.filter(name='Scheduler heartbeat').update(interval=i)\n"
        "print(api_token_create(actor=None, user=u, name='ops', scope='read_write')[1])")).strip().splitlines()[-1]
    procs = [
        start(env, "web", str(BIN / "gunicorn"), "council_social.wsgi", "--bind", f"127.0.0.1:{port}",
              "--workers", "2", log_dir=tmp_path),
        start(env, "worker", str(BIN / "celery"), "-A", "council_social", "worker", "--concurrency", "1",
              "--loglevel", "INFO", log_dir=tmp_path),
        start(env, "beat", str(BIN / "celery"), "-A", "council_social", "beat", "--loglevel", "INFO",
              "--schedule", str(tmp_path / "beat-schedule"), log_dir=tmp_path),
    ]
    base = f"http://127.0.0.1:{port}"
    api = {"Authorization": f"Token {token}", **headers}
    try:
        wait_for(lambda: requests.get(f"{base}/sign-in/", headers=headers, timeout=5).status_code == 200, 60,
                 "the web server", tmp_path)
        page = requests.get(f"{base}/sign-in/", headers=headers, timeout=5)
        assert "govuk-template" in page.text and "Sign in" in page.text
        css = requests.get(f"{base}/static/govuk/council-social.min.css", headers=headers, timeout=5)
        assert css.status_code == 200 and "govuk" in css.text

        # The web process queues a task; the separate worker runs it.
        assert requests.post(f"{base}/api/status/ping/", headers=api, timeout=5).status_code == 202

        def seen(component):
            beats = requests.get(f"{base}/api/status/", headers=api, timeout=5).json()
            return any(b["component"] == component for b in beats)

        wait_for(lambda: seen("worker"), 90, "the worker to run the web's task", tmp_path)
        wait_for(lambda: seen("beat"), 90, "beat to schedule a task that the worker runs", tmp_path)
    finally:
        stop(procs)


def test_embedded_default_runs_web_worker_and_beat(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({"VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "council_social.settings"})
    run_stack(env, tmp_path)
    assert (tmp_path / "var" / "council_social.sqlite3").exists()
    assert (tmp_path / "var" / "broker" / "queue").is_dir()


def test_production_stack_on_postgresql_and_redis(tmp_path):
    need("127.0.0.1", 5432, "PostgreSQL")
    need("127.0.0.1", 6379, "Redis")
    import psycopg

    db = f"cs_stack_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    env = {**os.environ,
           "DJANGO_SETTINGS_MODULE": "council_social.settings_production",
           "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db}",
           "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
           "SECRET_KEY": "stack-test-" + uuid.uuid4().hex + uuid.uuid4().hex,
           "TOKEN_ENCRYPTION_KEYS": "x3Jr3b6rW0v2T9QnKQ0oT3m1Z9QmN2dP5w2uYk8oX0A=",
           "ALLOWED_HOSTS": "127.0.0.1",
           "VAR_DIR": str(tmp_path / "var")}
    try:
        # gunicorn behind a TLS-terminating proxy: the proxy says the request was HTTPS.
        run_stack(env, tmp_path, headers={"X-Forwarded-Proto": "https"})
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        shutil.rmtree(tmp_path / "var", ignore_errors=True)
