from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _after_migrate(sender, **kwargs):
    from council_social import schedules

    from .services import roles_sync

    roles_sync()
    schedules.sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, services and channels"

    def ready(self):
        # Roles, their permissions and the periodic schedules exist after every migrate.
        post_migrate.connect(_after_migrate, dispatch_uid="accounts.after_migrate")  # after every app: its permissions exist by then
        from .fields import encrypt_totp_keys
        from .request_views import _register

        encrypt_totp_keys()  # authenticator seeds encrypted at rest

        _register()  # account requests and housekeeping: navigation and panels
