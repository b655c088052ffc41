"""The default matrix decides by the learned model's reading (intent, safeguarding) instead of
the phrase lists: rules still as the phrase-list defaults are updated, the safeguarding rules
are added, and the two phrase-list rules the model replaces are turned off. Rules the web team
has edited are kept as they are."""
from django.db import migrations

OLD = {
    "Controversial issue": {"criticality_in": ["high"]},
    "Influential commentator": {"influential": True},
    "Person needing customer services": {"customer_service": True},
    "Simple question (signposting)": {"simple_question": True},
    "Conversation about a service": {"service_known": True, "min_thread_growth": 2},
}
TURNED_OFF = {
    "General comment on a well-understood issue": "keywords_any",
    "Comment on a service channel": "channel_kind_in",
}


def forwards(apps, schema_editor):
    from triage.demo import load_default_rules
    from triage.matrix import DEFAULT_RULES

    Rule = apps.get_model("triage", "Rule")
    new = {rule.name: rule for rule in DEFAULT_RULES}
    for name, conditions in OLD.items():
        Rule.objects.filter(name=name, conditions=conditions).update(conditions=dict(new[name].conditions))
    for name, key in TURNED_OFF.items():
        for row in Rule.objects.filter(name=name, enabled=True):
            if set(row.conditions) == set(new[name].conditions) and key in row.conditions:
                row.enabled = False
                row.save(update_fields=["enabled"])
    load_default_rules(Rule)
    settings = apps.get_model("triage", "TriageSettings").objects.filter(pk=1)
    settings.update(config_token="learned-matrix")


class Migration(migrations.Migration):
    dependencies = [("triage", "0006_classifier_version_and_safeguarding_phrases")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
