"""Authenticator (TOTP) keys encrypted at rest and backup codes kept only as hashes.

django-otp's key column holds 80 characters; a Fernet token of a 40-character key is 140, so
the column is widened (PostgreSQL; SQLite does not enforce lengths). Keys stored before are
encrypted, and backup codes stored in clear are replaced by their hashes (accounts.mfa)."""
from django.db import migrations
from django.utils.crypto import salted_hmac


def forwards(apps, schema_editor):
    from accounts.fields import fernet

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, key FROM otp_totp_totpdevice")
        for pk, key in cursor.fetchall():
            if key and len(key) <= 80 and all(c in "0123456789abcdefABCDEF" for c in key):
                cursor.execute("UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s",
                               [fernet().encrypt(key.encode()).decode(), pk])
        cursor.execute("SELECT id, token FROM otp_static_statictoken")
        for pk, token in cursor.fetchall():
            # accounts.mfa.backup_code_digest, as it was when this migration was written
            digest = salted_hmac("accounts.mfa.backup_code", token, algorithm="sha256").hexdigest()[:16]
            cursor.execute("UPDATE otp_static_statictoken SET token = %s WHERE id = %s", [digest, pk])


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE otp_totp_totpdevice ALTER COLUMN key TYPE varchar(255)")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_sso_subject"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(widen, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
    ]
