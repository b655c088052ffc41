"""Seed 004's escalation matrix, the SLA policies and the classifier settings, so that routing
works from the first migrate. Later edits are kept: only missing rows are created."""
from django.db import migrations


def load_defaults(apps, schema_editor):
    from triage.demo import load_default_rules, load_sla_policies

    load_sla_policies(apps.get_model("triage", "SlaPolicy"))
    load_default_rules(apps.get_model("triage", "Rule"))
    apps.get_model("triage", "TriageSettings").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
