import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import Channel, Service, User
from accounts.roles import Role

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_council_is_idempotent_and_has_every_role():
    call_command("demo_council")
    counts = (Service.objects.count(), User.objects.count(), Channel.objects.count())
    call_command("demo_council")
    assert (Service.objects.count(), User.objects.count(), Channel.objects.count()) == counts
    for role in Role:
        assert User.objects.filter(groups__name=role).exists() or role == Role.ADMINISTRATOR
    assert User.objects.filter(is_superuser=True).exists()
    platforms = set(Channel.objects.values_list("platform", flat=True))
    assert {"x", "facebook", "youtube", "instagram", "flickr", "linkedin", "mastodon", "bluesky"} <= platforms
    assert Channel.objects.filter(platform="x").count() == 5


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "council_social.settings_production",
    "SECRET_KEY": "k" * 10 + "-production-secret-key-with-enough-length-and-variety-0123456789",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "TOKEN_ENCRYPTION_KEYS": "x3Jr3b6rW0v2T9QnKQ0oT3m1Z9QmN2dP5w2uYk8oX0A=",
    "ALLOWED_HOSTS": "social.council.example",
}


def test_check_deploy_with_production_settings_has_no_warnings(tmp_path):
    env = {**os.environ, **PRODUCTION_ENV, "VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_refuse_to_start_without_secrets(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env.update({"DJANGO_SETTINGS_MODULE": "council_social.settings_production", "VAR_DIR": str(tmp_path)})
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "Set the SECRET_KEY environment variable" in result.stderr
