from django.urls import path

from . import mfa_views, views

urlpatterns = [
    path("sign-in/code/", mfa_views.verify, name="mfa_verify"),
    path("sign-in/set-up-authenticator/", mfa_views.setup, name="mfa_setup"),
    path("account/multi-factor/", mfa_views.manage, name="mfa_manage"),
    path("account/multi-factor/backup-codes/", mfa_views.backup_codes, name="mfa_backup_codes"),
    path("account/multi-factor/turn-off/", mfa_views.remove, name="mfa_remove"),
]

# The home page tells everyone whether multi-factor sign-in is on, with a link to these pages.
if mfa_views.home_panel not in views.HOME_PANELS:
    views.HOME_PANELS.append(mfa_views.home_panel)
