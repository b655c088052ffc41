"""Encrypted storage for platform secrets (Fernet; rotate by prepending a key)."""
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """Text encrypted at rest. The database only ever holds the Fernet token."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            raise ImproperlyConfigured(
                "A stored secret cannot be decrypted: check TOKEN_ENCRYPTION_KEYS"
            ) from None

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return fernet().encrypt(value.encode()).decode()


class EncryptedKeyField(models.CharField):
    """django-otp's TOTP key (`TOTPDevice.key`, hex) encrypted at rest: accounts.apps makes the
    library's field one of these, and migration 0005 widened the column and encrypted the keys
    stored before. It deconstructs as the library's CharField, so the library's migrations stay
    as they are."""

    from_db_value = EncryptedTextField.from_db_value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return fernet().encrypt(value.encode()).decode()

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


def encrypt_totp_keys() -> None:
    """Make django-otp's TOTP key field encrypted (called from accounts.apps at start-up)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    field = TOTPDevice._meta.get_field("key")
    if not isinstance(field, EncryptedKeyField):
        field.__class__ = EncryptedKeyField
