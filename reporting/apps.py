from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self):
        from . import hooks  # noqa: F401  (navigation, home panel, demo metric history)
