from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = "Policies, acknowledgements and training"

    def ready(self):
        from . import hooks  # noqa: F401  (registers navigation, the home panel and demo data)
