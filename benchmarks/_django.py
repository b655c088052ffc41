"""Set up Django on a fresh PostgreSQL database for a benchmark run."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def setup(name: str, *, server: str = DEFAULT_SERVER, fresh: bool = True) -> str:
    """Point Django at database `name` on `server` (dropped and created when fresh), migrate, return its URL."""
    import psycopg

    sys.path.insert(0, str(ROOT))
    url = f"{server}/{name}"
    if fresh:
        with psycopg.connect(f"{server.replace('postgres://', 'postgresql://')}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "council_social.settings")
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return url


def machine() -> str:
    import platform

    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def pg_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]
