from django.db import migrations

TOPICS = [
    ("news", "News", "News from the council."),
    ("emergencies", "Emergencies", "Major incidents, severe weather and what to do."),
    ("roadworks", "Roadworks and travel", "Road closures, roadworks and changes to parking."),
    ("bins", "Bins and recycling", "Changes to collections, for example over bank holidays."),
    ("events", "Events", "Events in the borough and at council venues."),
    ("consultations", "Consultations", "Have your say on council plans."),
    ("jobs", "Jobs", "Vacancies at the council."),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("publishing", "Topic")
    for order, (slug, name, description) in enumerate(TOPICS):
        Topic.objects.get_or_create(slug=slug, defaults={"name": name, "description": description, "order": order})


class Migration(migrations.Migration):
    dependencies = [("publishing", "0001_initial")]

    operations = [migrations.RunPython(add_topics, migrations.RunPython.noop)]
