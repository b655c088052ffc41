from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self):
        from . import hooks  # noqa: F401  (registers navigation, health and demo data)
