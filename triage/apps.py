from django.apps import AppConfig


class TriageAppConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage"

    def ready(self):
        from . import hooks  # noqa: F401  (routes new mentions; navigation, home panel, demo data)
