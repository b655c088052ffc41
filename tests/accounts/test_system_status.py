"""System status shows what run.py's supervisor recorded and raises an alarm for late heartbeats."""
import json
import time
from datetime import timedelta

from django.utils import timezone

from accounts.models import Heartbeat
from accounts.roles import Role
from council_social import liveness


def test_system_status_shows_restarts_and_late_heartbeats(staff, client_for, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    (tmp_path / "run").mkdir()
    now = time.time()
    (tmp_path / "run" / liveness.SUPERVISOR_FILE).write_text(json.dumps({
        "supervisor_pid": 1, "events": [
            {"at": now - 7200, "part": "web", "message": "web exited (exit 3); starting it again in 1 s."},
            {"at": now - 30, "part": "worker", "message": "worker no heartbeat for 95 s; starting it again in 1 s."},
        ],
        "parts": {"worker": {"pid": None, "running": False, "started_at": now - 300, "restarts": 1},
                  "web": {"pid": 42, "running": True, "started_at": now - 7000, "restarts": 1}}}))
    Heartbeat.objects.create(component="beat", seen_at=timezone.now() - timedelta(minutes=12), detail="scheduled by beat")
    Heartbeat.objects.create(component="worker", seen_at=timezone.now(), detail="scheduled by beat")
    page = client_for(staff[Role.WEB_TEAM]).get("/status/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Down: Beat." in text
    assert "Restarted in the last hour: worker." in text  # web's restart was two hours ago
    assert "worker no heartbeat for 95 s; starting it again in 1 s." in text
    assert "Running (process 42)" in text and "Restarting" in text


def test_no_alarm_when_all_is_well(staff, client_for, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    Heartbeat.objects.create(component="beat", seen_at=timezone.now(), detail="scheduled by beat")
    text = client_for(staff[Role.WEB_TEAM]).get("/status/").content.decode()
    assert "govuk-warning-text" not in text and "supervised by run.py" not in text


def test_the_liveness_command_judges_the_heartbeat_file(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    assert liveness.main(["worker", "60"]) == 1
    liveness.touch("worker", tmp_path)
    assert liveness.main(["worker", "60"]) == 0
    old = time.time() - 120
    import os

    os.utime(tmp_path / "run" / "worker.alive", (old, old))
    assert liveness.main(["worker", "60"]) == 1
