"""Secrets and data at rest: a private var/ and database file, authenticator keys encrypted,
backup codes hashed, API tokens with scope and expiry shown once, no-store on every signed-in
answer, and no false audit row from the demo loader."""
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import mfa
from accounts.models import ApiToken, AuditEvent
from accounts.roles import Role
from accounts.tokens import api_token_create

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_var_and_the_sqlite_file_are_private(tmp_path):
    """A fresh embedded default: var/ 0700 and the database 0600 (and a var/ made 0755 before is
    made private at the next start)."""
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="council_social.settings")
    subprocess.run([sys.executable, "-c", "import django; django.setup()\n"
                    "from django.db import connection; connection.cursor().execute('CREATE TABLE t (x)')"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    database = var / "council_social.sqlite3"
    assert database.stat().st_size > 0 and stat.S_IMODE(database.stat().st_mode) == 0o600
    for name in ("secret_key", "token_key"):
        assert stat.S_IMODE((var / name).stat().st_mode) == 0o600


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def test_authenticator_keys_are_encrypted_and_backup_codes_hashed(staff):
    user = staff[Role.WEB_TEAM]
    device = mfa.totp_setup_start(user=user)
    key = device.key
    (stored,) = _raw("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
    assert stored != key and key not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert TOTPDevice.objects.get(pk=device.pk).key == key  # read back as the library expects

    from django_otp.oath import totp

    attempt = mfa.totp_setup_confirm(user=user, code=f"{totp(device.bin_key):06d}")
    assert attempt.ok and len(attempt.backup_codes) == mfa.BACKUP_CODE_COUNT
    stored_codes = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert not stored_codes & set(attempt.backup_codes)
    assert stored_codes == {mfa.backup_code_digest(c) for c in attempt.backup_codes}
    used = mfa.mfa_verify(user=user, code=attempt.backup_codes[0])
    assert used.ok and used.backup_codes_left == mfa.BACKUP_CODE_COUNT - 1
    assert not mfa.mfa_verify(user=user, code=attempt.backup_codes[0]).ok  # used up
    assert not mfa.mfa_verify(user=user, code=mfa.backup_code_digest(attempt.backup_codes[1])).ok  # the hash is no code


def api(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


RULE = {"name": "Token rule", "order": 900, "route": "no_action", "conditions": {"keywords_any": ["token"]}}


def test_a_read_only_token_reads_but_is_refused_a_write(staff):
    token, key = api_token_create(actor=staff[Role.ADMINISTRATOR], user=staff[Role.WEB_TEAM], name="dashboard")
    assert token.scope == ApiToken.Scope.READ
    client = api(key)
    assert client.get("/api/rules/").status_code == 200
    refused = client.post("/api/rules/", RULE, format="json")
    assert refused.status_code == 403 and "may only read" in refused.json()["detail"]
    assert client.post("/api/status/ping/").status_code == 403
    _, write_key = api_token_create(actor=None, user=staff[Role.WEB_TEAM], name="sync", scope="read_write")
    assert api(write_key).post("/api/rules/", RULE, format="json").status_code == 201


def test_an_expired_or_revoked_token_is_refused(staff):
    from accounts.tokens import api_token_revoke

    user = staff[Role.WEB_TEAM]
    token, key = api_token_create(actor=None, user=user, name="old", scope="read_write",
                                  expires_at=timezone.now() + timedelta(seconds=30))
    assert api(key).get("/api/rules/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # DRF answers a failed token 403, not 401, as the first authentication scheme (the session) has no
    # WWW-Authenticate challenge to offer.
    for response in (api(key).get("/api/rules/"), api(key).post("/api/rules/", RULE, format="json")):
        assert response.status_code == 403 and "expired" in response.json()["detail"]
    token, key = api_token_create(actor=None, user=user, name="revoked", scope="read_write")
    api_token_revoke(actor=staff[Role.ADMINISTRATOR], token=token)
    assert api(key).post("/api/rules/", RULE, format="json").status_code == 403
    assert api("not-a-key").get("/api/rules/").json()["detail"] == "Invalid token."
    from triage.models import Rule

    assert not Rule.objects.filter(name="Token rule").exists()


def test_the_key_is_stored_only_as_a_hash_and_audited(staff):
    token, key = api_token_create(actor=staff[Role.ADMINISTRATOR], user=staff[Role.WEB_TEAM], name="report")
    stored = _raw("SELECT key_hash FROM accounts_apitoken WHERE id = %s", [token.pk])[0]
    assert key not in stored and token.prefix == key[:8] and len(key) > 40
    event = AuditEvent.objects.get(action="api_token.create")
    assert key not in str(event.changes) and key[:8] in str(event.changes)


def test_admin_shows_the_key_once_and_then_a_prefix_only(staff, client_for):
    admin = client_for(staff[Role.ADMINISTRATOR])
    expires = (timezone.localtime() + timedelta(days=30))
    made = admin.post("/admin/accounts/apitoken/add/", {
        "user": staff[Role.WEB_TEAM].pk, "name": "Reporting script", "scope": "read",
        "expires_at_0": expires.strftime("%Y-%m-%d"), "expires_at_1": expires.strftime("%H:%M:%S")}, follow=True)
    text = made.content.decode()
    token = ApiToken.objects.get(name="Reporting script")
    import re

    key = re.search(r"The key of Reporting script: (\S+) — copy it now", text).group(1)
    assert key.startswith(token.prefix) and api(key).get("/api/rules/").status_code == 200
    listing = admin.get("/admin/accounts/apitoken/").content.decode()
    change = admin.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    for page in (listing, change):
        assert f"{token.prefix}…" in page and key not in page
    assert admin.get("/admin/authtoken/tokenproxy/").status_code == 404  # DRF's clear-key list is gone


@pytest.mark.parametrize("path", ["/", "/dashboard/", "/audit/", "/audit/?format=csv", "/alerts/subscribers/export.csv",
                                  "/api/channels/", "/status/"])
def test_every_signed_in_answer_is_no_store(staff, client_for, path):
    response = client_for(staff[Role.WEB_TEAM]).get(path)
    assert response.status_code == 200, path
    assert response["Cache-Control"] == "no-store, private"


def test_token_answers_are_no_store_and_public_pages_are_not(staff, client):
    _, key = api_token_create(actor=None, user=staff[Role.WEB_TEAM], name="x")
    assert api(key).get("/api/channels/")["Cache-Control"] == "no-store, private"
    assert "no-store" not in client.get("/alerts/").get("Cache-Control", "")


def test_the_demo_loader_writes_no_false_audit_row(db):
    from accounts.demo import load_demo_council

    load_demo_council()
    first = AuditEvent.objects.filter(action="user.roles").count()
    assert first > 0  # the first load gives everyone their role: true changes
    load_demo_council()
    load_demo_council()
    assert AuditEvent.objects.filter(action="user.roles").count() == first
