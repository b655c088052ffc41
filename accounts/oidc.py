"""Single sign-on with the council's identity provider over OpenID Connect (usually Microsoft
Entra ID), on mozilla-django-oidc.

mozilla-django-oidc runs the authorization-code flow with state, nonce and PKCE. This module
adds endpoints from the provider's discovery document, stricter ID token checks (audience,
issuer, expiry), finding the member of staff, roles from group claims when configured, MFA done
by the provider, and the audit trail. It does nothing unless OIDC_RP_CLIENT_ID is set.

Who is who: a person is found by the provider's id kept at their first sign-in (Entra's `oid`,
otherwise `sub`), then by email. Someone unknown gets an account with no role; an administrator
gives them one, unless OIDC_GROUP_ROLES maps the provider's groups to roles.
"""
import hashlib
import logging
import time

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from . import mfa
from .audit import audit_record
from .models import User
from .roles import Role
from .services import user_set_roles

logger = logging.getLogger(__name__)

# Settings that, when empty, are read from the discovery document.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}
DISCOVERY_TTL_SECONDS = 3600
_discovery_cache: dict[str, tuple[float, dict]] = {}
FAILED = ("Signing in with your council account did not work. Try again, or sign in with your username "
          "and password.")


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID and (settings.OIDC_OP_DISCOVERY or settings.OIDC_OP_AUTHORIZATION_ENDPOINT))


def _discovery() -> dict:
    url = settings.OIDC_OP_DISCOVERY
    if not url:
        return {}
    cached = _discovery_cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    document = response.json()
    _discovery_cache[url] = (time.monotonic() + DISCOVERY_TTL_SECONDS, document)
    return document


def oidc_setting(name: str, *default):
    """A mozilla-django-oidc setting; endpoints left empty come from the discovery document."""
    if name in DISCOVERED:
        return getattr(settings, name, "") or _discovery().get(DISCOVERED[name], "")
    return import_from_settings(name, *default)


def _setting(name: str):
    return property(lambda self: oidc_setting(name))


# Claims


def subject_of(claims: dict) -> str:
    return str(claims.get("oid") or claims["sub"])


def email_of(claims: dict) -> str:
    if claims.get("email_verified") is False:
        return ""
    for name in ("email", "preferred_username", "upn"):
        value = str(claims.get(name) or "").strip()
        if "@" in value:
            return value
    return ""


def idp_did_mfa(claims: dict) -> bool:
    amr = claims.get("amr") or []
    return "mfa" in ([amr] if isinstance(amr, str) else amr)


def group_roles(claims: dict) -> set[str] | None:
    """Roles from the provider's groups, or None when OIDC_GROUP_ROLES is not set or the token
    carries no groups (roles are then left as they are)."""
    mapping = settings.OIDC_GROUP_ROLES
    groups = claims.get(settings.OIDC_GROUPS_CLAIM)
    if not mapping or groups is None:
        return None
    unknown = set(mapping.values()) - set(Role.values)
    if unknown:
        raise ImproperlyConfigured(f"OIDC_GROUP_ROLES names unknown roles: {', '.join(sorted(unknown))}")
    return {mapping[group] for group in ([groups] if isinstance(groups, str) else groups) if group in mapping}


# Services


@transaction.atomic
def sso_sign_in(*, claims: dict) -> User | None:
    """The member of staff these verified claims are, created without a role if unknown and
    allowed; None when they may not sign in. Audited."""
    subject, email = subject_of(claims), email_of(claims)
    user = User.objects.select_for_update(of=("self",)).filter(sso_subject=subject).first()
    if user is None and email:
        matches = list(User.objects.select_for_update(of=("self",)).filter(email__iexact=email)[:2])
        if len(matches) > 1:
            logger.warning("Single sign-on refused: more than one user has the email address of subject %s", subject)
            return None
        if matches:
            user = matches[0]
            if user.sso_subject:
                audit_record(actor=None, action="user.sign_in_refused", obj=user, service=user.service,
                             note="council account: the email matches but the identity provider's id does not")
                return None
            user.sso_subject = subject
            user.save(update_fields=["sso_subject"])
            audit_record(actor=user, action="user.sso_link", obj=user, changes={"sso_subject": [None, subject]},
                         service=user.service, note="first sign-in with the council account")
    if user is None:
        if not settings.OIDC_CREATE_USER or not email:
            logger.info("Single sign-on refused: no account for subject %s", subject)
            return None
        user = User.objects.create_user(
            username=_free_username(email, subject), email=email, sso_subject=subject,
            first_name=str(claims.get("given_name") or "")[:150], last_name=str(claims.get("family_name") or "")[:150],
        )
        audit_record(actor=None, action="user.create", obj=user, changes={"username": [None, user.username]},
                     note="first sign-in with a council account; no role until an administrator gives one")
    if not user.is_active:
        audit_record(actor=None, action="user.sign_in_refused", obj=user, service=user.service,
                     note="council account: the user is deactivated")
        return None
    roles = group_roles(claims)
    if roles is not None:
        user_set_roles(actor=None, user=user, roles=sorted(roles))
    audit_record(actor=user, action="user.sign_in", obj=user, service=user.service,
                 note="council account (single sign-on)"
                      + ("; the identity provider did multi-factor sign-in" if idp_did_mfa(claims) else ""))
    return user


def _free_username(email: str, subject: str) -> str:
    username = email.lower()[:150]
    if User.objects.filter(username__iexact=username).exists():
        username = f"{username[:140]}-{hashlib.sha256(subject.encode()).hexdigest()[:8]}"
    return username


# mozilla-django-oidc, adapted


class CouncilOIDCBackend(OIDCAuthenticationBackend):
    """Authenticates the callback of the code flow; every other call returns None."""

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_TOKEN_ENDPOINT = _setting("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _setting("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _setting("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _setting("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _setting("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _setting("OIDC_RP_SIGN_ALGO")
    OIDC_RP_IDP_SIGN_KEY = None  # keys always come from the provider's JWKS

    def __init__(self, *args, **kwargs):
        # Django makes a backend for every sign-in and request: read settings lazily, no network.
        self.UserModel = User

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce, after checking the state it kept in the session.
        if request is None or not kwargs.get("nonce") or not sso_enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, jwt.PyJWTError, KeyError, ValueError) as exc:
            logger.warning("Single sign-on refused: %s", exc)
            return None

    def _verify_jws(self, payload, key):
        algorithm = self.OIDC_RP_SIGN_ALGO
        if jwt.get_unverified_header(payload).get("alg") != algorithm:
            raise SuspiciousOperation(f"The ID token is not signed with {algorithm}.")
        issuer = oidc_setting("OIDC_OP_ISSUER")
        try:
            return jwt.decode(
                payload, key, algorithms=[algorithm], audience=self.OIDC_RP_CLIENT_ID,
                # Entra's multi-tenant discovery has "{tenantid}" in the issuer: nothing to compare.
                issuer=issuer if issuer and "{" not in issuer else None, leeway=60,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"The ID token was refused: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims (oid, amr, groups) completed by the userinfo endpoint's."""
        if not self.OIDC_OP_USER_ENDPOINT:
            return dict(payload)
        info = super().get_userinfo(access_token, id_token, payload)
        if info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo endpoint answered for someone else.")
        return {**info, **payload}

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            raise SuspiciousOperation("The ID token names no one.")
        user = sso_sign_in(claims=claims)
        if user is not None:
            user.sso_mfa = idp_did_mfa(claims)
        return user


class SignInRequestView(OIDCAuthenticationRequestView):
    """Sends the browser to the identity provider."""

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_AUTH_ENDPOINT = _setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_RP_CLIENT_ID = _setting("OIDC_RP_CLIENT_ID")

    def __init__(self, *args, **kwargs):
        View.__init__(self, *args, **kwargs)  # settings are read when used, not here

    def get(self, request):
        if not sso_enabled():
            raise Http404
        try:
            return super().get(request)
        except requests.RequestException as exc:
            logger.warning("Identity provider unreachable: %s", exc)
            messages.error(request, FAILED)
            return redirect("login")


class SignInCallbackView(OIDCAuthenticationCallbackView):
    """Where the identity provider sends the browser back with a code."""

    def get(self, request):
        if not sso_enabled():
            raise Http404
        return super().get(request)

    def login_success(self):
        response = super().login_success()
        if getattr(self.user, "sso_mfa", False):
            mfa.session_mark_verified(self.request, method=mfa.IDENTITY_PROVIDER)
        return response

    def login_failure(self):
        messages.error(self.request, FAILED)
        return redirect("login")
