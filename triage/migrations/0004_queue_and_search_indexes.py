"""Indexes for the dashboard at scale (benchmarks/bench_dashboard.py, docs/performance.md).

On Case: the working queue in each sort order and a covering index for its counts.
On PostgreSQL only: trigram indexes for the text search (icontains compares UPPER(column)
LIKE UPPER(pattern), so the indexes are on UPPER(...)), built CONCURRENTLY so that polling
can go on writing mentions while they are built. SQLite has no pg_trgm and searches by scanning.
"""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

WORKING = models.Q(("state__in", ("new", "acknowledged", "in_progress", "with_service", "responded")))

TRIGRAM_INDEXES = [
    ("mention_text_trgm", "monitoring_mention", "text"),
    ("author_handle_trgm", "monitoring_author", "handle"),
]


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in TRIGRAM_INDEXES:
        schema_editor.execute(f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
                              f'USING gin (UPPER("{column}") gin_trgm_ops)')


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("accounts", "0004_user_sso_subject"),
        ("monitoring", "0003_exact_text"),
        ("triage", "0003_exact_text"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["sla_due_at", "-opened_at", "-id"], condition=WORKING, name="case_working_sla"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["-opened_at", "-id"], condition=WORKING, name="case_working_newest"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(models.OrderBy(models.Case(
                models.When(priority="low", then=models.Value(0)), models.When(priority="normal", then=models.Value(1)),
                models.When(priority="high", then=models.Value(2)), models.When(priority="urgent", then=models.Value(3)),
                default=models.Value(0), output_field=models.IntegerField()), descending=True),
                models.F("sla_due_at"), models.OrderBy(models.F("id"), descending=True),
                condition=WORKING, name="case_working_priority"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["route", "service"],
                               include=("id", "state", "sla_due_at", "sla_stopped_at", "assignee"),
                               condition=WORKING, name="case_working_counts"),
        ),
        TrigramExtension(),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
