from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from . import hooks  # noqa: F401  (registers navigation, home panels and demo data)
