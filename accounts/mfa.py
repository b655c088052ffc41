"""Multi-factor sign-in: an authenticator app (TOTP, RFC 6238) and backup codes, on django-otp.

The web team and administrators must use it; anyone else may turn it on. A signed-in session
counts as verified only when this module has marked it so for the signed-in user: after a
right code here, or after single sign-on where the identity provider did MFA (accounts.oidc).
accounts.middleware sends every other session of someone who needs MFA here first.
"""
import base64
import io
import math
from dataclasses import dataclass, field
from datetime import datetime

import qrcode
import qrcode.image.svg
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .roles import Role

REQUIRED_ROLES = (Role.WEB_TEAM, Role.ADMINISTRATOR)
SESSION_KEY = "mfa_verified"
NEW_BACKUP_CODES_SESSION_KEY = "mfa_new_backup_codes"
BACKUP_CODE_COUNT = 10

# What a session still has to do before it may go anywhere else.
VERIFY = "verify"
SET_UP = "set_up"

# How a session was verified.
APP = "authenticator app"
BACKUP_CODE = "backup code"
IDENTITY_PROVIDER = "identity provider"


@dataclass
class Attempt:
    ok: bool
    method: str
    wait_seconds: int = 0  # > 0 when the try was refused because of earlier wrong codes
    backup_codes_left: int | None = None
    backup_codes: list[str] = field(default_factory=list)


def mfa_required(user) -> bool:
    return user.has_role(*REQUIRED_ROLES)


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Sessions


def session_is_verified(request) -> bool:
    mark = request.session.get(SESSION_KEY)
    return isinstance(mark, dict) and mark.get("user") == request.user.pk


def session_mark_verified(request, *, method: str) -> None:
    """Mark the session verified for the signed-in user, under a new session key."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"user": request.user.pk, "method": method, "at": timezone.now().isoformat()}


def session_next_step(request) -> str | None:
    """VERIFY, SET_UP, or None when the session may go on."""
    user = request.user
    if not user.is_authenticated or session_is_verified(request):
        return None
    if has_authenticator(user):
        return VERIFY
    if mfa_required(user):
        return SET_UP
    return None


def can_set_up(request) -> bool:
    """A session that has not proved the current authenticator may not replace it."""
    return session_is_verified(request) or not has_authenticator(request.user)


# Authenticator app


def totp_setup_start(*, user) -> TOTPDevice:
    """The user's unconfirmed authenticator, created once so the QR code stays the same."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32 in groups of four."""
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as an SVG QR code (no script, no style) in a data: URI."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


@transaction.atomic
def totp_setup_confirm(*, user, code: str) -> Attempt:
    """Confirm the new authenticator with a code from it; replace any earlier one and the
    backup codes. The new backup codes are returned once and never stored in clear again."""
    device = TOTPDevice.objects.select_for_update(of=("self",)).filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        return Attempt(ok=False, method=APP)
    refused = _refused(device, user=user, method=APP, during="setting up")
    if refused:
        return refused
    if not device.verify_token(_normalise(code)):
        return _failed(device, user=user, method=APP, during="setting up")
    earlier = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk)
    replaced = earlier.exists()
    earlier.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _backup_codes_replace(user)
    audit_record(actor=user, action="mfa.setup", obj=user,
                 changes={"authenticator_app": ["replaced" if replaced else None, "set up"]},
                 note=f"{len(codes)} new backup codes", service=user.service)
    return Attempt(ok=True, method=APP, backup_codes=codes)


def mfa_verify(*, user, code: str) -> Attempt:
    """Check a code from the authenticator app (6 digits) or a backup code (used up)."""
    code = _normalise(code)
    if code.isdigit() and len(code) == 6:
        method, device = APP, TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()
    else:
        method, device = BACKUP_CODE, StaticDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        audit_record(actor=user, action="mfa.failure", obj=user, note=f"{method}: none set up",
                     service=user.service)
        return Attempt(ok=False, method=method)
    refused = _refused(device, user=user, method=method)
    if refused:
        return refused
    # django-otp locks the device row and counts the failure for throttling.
    token = code if method == APP else backup_code_digest(code)  # backup codes are kept as hashes
    if verify_token(user, device.persistent_id, token) is None:
        device.refresh_from_db()
        return _failed(device, user=user, method=method)
    if method == APP:
        return Attempt(ok=True, method=method)
    left = backup_codes_left(user)
    audit_record(actor=user, action="mfa.backup_code_used", obj=user, note=f"{left} backup codes left",
                 service=user.service)
    return Attempt(ok=True, method=method, backup_codes_left=left)


@transaction.atomic
def backup_codes_renew(*, actor) -> list[str]:
    if not has_authenticator(actor):
        raise PermissionDenied("Set up an authenticator app first.")
    codes = _backup_codes_replace(actor)
    audit_record(actor=actor, action="mfa.backup_codes", obj=actor, note=f"{len(codes)} new backup codes",
                 service=actor.service)
    return codes


@transaction.atomic
def mfa_remove(*, actor, user) -> None:
    """Turn off multi-factor sign-in: by the user when their role does not require it, or by
    an administrator for someone who lost their device (they set up again at next sign-in)."""
    if actor.pk == user.pk and mfa_required(user):
        raise PermissionDenied("The web team and administrators must use multi-factor sign-in.")
    if actor.pk != user.pk and not actor.has_role(Role.ADMINISTRATOR):
        raise PermissionDenied
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    if removed:
        audit_record(actor=actor, action="mfa.remove", obj=user, changes={"authenticator_app": ["set up", None]},
                     service=user.service)


def _backup_codes_replace(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=backup_code_digest(code)) for code in codes])
    return codes


BACKUP_CODE_SALT = "accounts.mfa.backup_code"


def backup_code_digest(code: str) -> str:
    """What is stored of a backup code: the first 16 hex digits of an HMAC-SHA256 of it keyed by
    SECRET_KEY (django-otp's column holds 16 characters, and compares the stored value with what
    it is given). A code has only 40 random bits: without the key, which is not in the database,
    a copy of the database does not let anyone try codes against the hashes. Changing SECRET_KEY
    makes the backup codes unusable: people then make new ones after signing in with their app."""
    return salted_hmac(BACKUP_CODE_SALT, _normalise(code), algorithm="sha256").hexdigest()[:16]


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _wait(device) -> int:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return 0
    until: datetime = info["locked_until"]
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def _refused(device, *, user, method: str, during: str = "") -> Attempt | None:
    wait = _wait(device)
    if not wait:
        return None
    audit_record(actor=user, action="mfa.failure", obj=user, service=user.service,
                 note=f"{method}{' ' + during if during else ''}: refused for {wait} s after "
                      f"{device.throttling_failure_count} wrong codes")
    return Attempt(ok=False, method=method, wait_seconds=wait)


def _failed(device, *, user, method: str, during: str = "") -> Attempt:
    audit_record(actor=user, action="mfa.failure", obj=user, service=user.service,
                 note=f"{method}{' ' + during if during else ''}: wrong code "
                      f"({device.throttling_failure_count} in a row)")
    return Attempt(ok=False, method=method)
