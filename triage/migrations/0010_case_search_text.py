"""The cases' text search reads one column of the case (Case.search_text: the opening mention's
text and author, case-folded) instead of joining every case to its mention and author.

Existing cases are filled in batches. On PostgreSQL the column gets its own trigram index, built
CONCURRENTLY so that polling can go on opening cases meanwhile; SQLite searches by scanning.
"""
from django.db import migrations, models

BATCH = 5000


def fill(apps, schema_editor):
    from triage.models import case_search_text

    Case = apps.get_model("triage", "Case")
    last = 0
    while True:
        rows = list(Case.objects.filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "mention__text", "mention__author__handle")[:BATCH])
        if not rows:
            return
        Case.objects.bulk_update([Case(pk=pk, search_text=case_search_text(text, handle))
                                  for pk, text, handle in rows], ["search_text"], batch_size=1000)
        last = rows[-1][0]


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('CREATE INDEX CONCURRENTLY IF NOT EXISTS "case_search_trgm" ON "triage_case" '
                              'USING gin ("search_text" gin_trgm_ops)')


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX CONCURRENTLY IF EXISTS "case_search_trgm"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("triage", "0009_merge_20261206_0247"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False,
                                   help_text="The opening mention's text and author, case-folded, for the text "
                                             "search (case_search_text; a trigram index on PostgreSQL)."),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(add_index, drop_index, elidable=False),
    ]
