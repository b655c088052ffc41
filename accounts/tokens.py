"""API tokens with a scope and an expiry (accounts.models.ApiToken). The key is made here,
returned once, and only its SHA-256 is kept; DRF authenticates `Authorization: Token <key>`
with TokenAuthentication below. A read-only key is refused any write (403), an expired or
revoked one is not accepted at all (401)."""
import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from .audit import audit_record
from .models import ApiToken

DEFAULT_LIFETIME = timedelta(days=90)
PREFIX_LENGTH = 8


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor, user, name: str, scope: str = ApiToken.Scope.READ,
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` and its key, which is shown once and never stored."""
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"Unknown scope {scope!r}")
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip() or "API token", prefix=key[:PREFIX_LENGTH],
                                    key_hash=_digest(key), scope=scope,
                                    expires_at=expires_at or timezone.now() + DEFAULT_LIFETIME)
    audit_record(actor=actor, action="api_token.create", obj=user,
                 changes={"api_token": [None, f"{token.prefix}… {scope} until {token.expires_at:%Y-%m-%d}"]},
                 note=token.name, service=getattr(user, "service", None))
    return token, key


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", obj=token.user,
                     changes={"api_token": [f"{token.prefix}…", "revoked"]}, note=token.name,
                     service=getattr(token.user, "service", None))


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` against the stored hashes, with scope and expiry."""

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(key_hash=_digest(key)).first()
        now = timezone.now()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed("This token has expired: make a new one.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and result[1].scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This token may only read: make a read and write token to change data.")
        return result


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": 'An API token: "Token <key>". Read-only tokens are refused writes (403).'}
