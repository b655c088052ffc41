"""Multi-factor sign-in through the real sign-in pages: the web team and administrators set up
an authenticator app before anything else, codes are computed here as a phone would, wrong
codes are throttled, backup codes work once, and token authentication is left alone."""
import base64
import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import mfa
from accounts.models import AuditEvent
from accounts.roles import Role
from accounts.tokens import api_token_create
from tests.accounts.test_pages import assert_clean
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
REQUIRED = [Role.WEB_TEAM, Role.ADMINISTRATOR]
SETUP, CODE = "/sign-in/set-up-authenticator/", "/sign-in/code/"


def sign_in(client, user, next_url=""):
    return client.post(f"/sign-in/?next={next_url}" if next_url else "/sign-in/",
                       {"username": user.username, "password": PASSWORD})


def code_for(device, at=None) -> str:
    """What the authenticator app shows (RFC 6238) at a given time."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def wrong_code_for(device, at=None) -> str:
    right = {code_for(device, (at or time.time()) + s) for s in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def actions(user):
    return list(AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk))
                .order_by("id").values_list("action", flat=True))


def set_up(client, user, next_url="/"):
    """Complete setup as a person would: read the key off the page, type the app's code."""
    page = client.get(f"{SETUP}?next={next_url}").content.decode()
    key = re.search(r'id="totp-secret"><code>([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert base64.b32decode(key) == device.bin_key
    return client.post(SETUP, {"code": code_for(device), "next": next_url})


@pytest.mark.parametrize("role", REQUIRED)
def test_web_team_and_administrators_reach_nothing_before_setting_up_mfa(role, staff, channels):
    user, client = staff[role], Client()
    response = sign_in(client, user, next_url="/channels/")
    assert response["Location"] == "/channels/"
    assert client.get("/channels/")["Location"] == f"{SETUP}?next=%2Fchannels%2F"
    for url in ("/", "/audit/", "/status/", f"/channels/{channels['libraries'].pk}/", "/admin/",
                "/admin/accounts/user/", "/account/multi-factor/backup-codes/"):
        assert client.get(url)["Location"].startswith(SETUP), url
    api = client.get("/api/channels/")
    assert api.status_code == 403 and api.json() == {"detail": "Finish multi-factor sign-in first."}
    assert client.post(f"/channels/{channels['libraries'].pk}/edit/", {})["Location"] == SETUP
    assert client.get(CODE)["Location"].startswith(SETUP)
    assert client.post("/sign-out/").status_code == 302 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", REQUIRED)
def test_setup_with_a_computed_code_opens_pages_admin_and_shows_backup_codes_once(role, staff):
    user, client = staff[role], Client()
    sign_in(client, user, next_url="/audit/")
    page = client.get(f"{SETUP}?next=/audit/")
    html = page.content.decode()
    assert page.status_code == 200 and "must use multi-factor sign-in" in html
    assert_clean(html, SETUP)
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    svg = base64.b64decode(qr).decode()
    assert svg.count("<path") == 1 and "script" not in svg and "style" not in svg

    response = set_up(client, user, next_url="/audit/")
    assert response["Location"] == "/account/multi-factor/backup-codes/?next=%2Faudit%2F"
    shown = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown)
    assert len(codes) == mfa.BACKUP_CODE_COUNT and 'href="/audit/"' in shown
    assert_clean(shown, "backup codes")
    again = client.get("/account/multi-factor/backup-codes/").content.decode()
    assert not any(code in again for code in codes) and "10 unused backup codes" in again

    assert client.get("/audit/").status_code == 200 and client.get("/").status_code == 200
    assert client.get("/api/channels/").status_code == 200
    if role == Role.ADMINISTRATOR:
        assert client.get("/admin/").status_code == 200
    assert client.session[mfa.SESSION_KEY] == {**client.session[mfa.SESSION_KEY], "user": user.pk,
                                               "method": mfa.APP}
    assert actions(user)[-1] == "mfa.setup"
    assert StaticToken.objects.filter(device__user=user).count() == mfa.BACKUP_CODE_COUNT


def test_the_next_sign_in_asks_for_a_code_and_cannot_replace_the_app(staff):
    user, client = staff[Role.WEB_TEAM], Client()
    device = confirmed_device(user)
    assert sign_in(client, user, next_url="/status/")["Location"] == "/status/"
    assert client.get("/status/")["Location"] == f"{CODE}?next=%2Fstatus%2F"
    assert client.get(SETUP)["Location"].startswith(CODE)  # a password alone cannot add a new app
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    page = client.get(f"{CODE}?next=/status/").content.decode()
    assert_clean(page, CODE)
    response = client.post(CODE, {"code": code_for(device), "next": "/status/"})
    assert response["Location"] == "/status/" and client.get("/status/").status_code == 200
    # The same code cannot be used again, in another browser.
    other = Client()
    sign_in(other, user)
    assert other.post(CODE, {"code": code_for(device)}).status_code == 200
    assert other.get("/")["Location"].startswith(CODE)


def test_a_wrong_code_is_refused_then_throttled(staff):
    user, client = staff[Role.ADMINISTRATOR], Client()
    device = confirmed_device(user)
    sign_in(client, user)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        response = client.post(CODE, {"code": wrong_code_for(device)})
        html = response.content.decode()
        assert response.status_code == 200 and "<title>Error:" in html and "The code is not right" in html
        assert 'href="#id_code"' in html  # the error summary links to the field
        clock.move_to(start + timedelta(seconds=1))
        client.post(CODE, {"code": wrong_code_for(device)})
        clock.move_to(start + timedelta(seconds=3))
        client.post(CODE, {"code": wrong_code_for(device)})
        # Three wrong codes in a row: even the right code waits 4 seconds.
        right = client.post(CODE, {"code": code_for(device)})
        assert "Too many wrong codes. Wait 4 seconds" in right.content.decode()
        assert client.get("/admin/")["Location"].startswith(CODE)
        clock.move_to(start + timedelta(seconds=7))
        assert client.post(CODE, {"code": code_for(device)})["Location"] == "/"
    assert client.get("/admin/").status_code == 200
    failures = AuditEvent.objects.filter(action="mfa.failure", object_id=str(user.pk)).order_by("id")
    assert [f.note for f in failures] == [
        "authenticator app: wrong code (1 in a row)", "authenticator app: wrong code (2 in a row)",
        "authenticator app: wrong code (3 in a row)", "authenticator app: refused for 4 s after 3 wrong codes",
    ]
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_wrong_code_while_setting_up_is_refused_and_audited(staff):
    user, client = staff[Role.WEB_TEAM], Client()
    sign_in(client, user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(SETUP, {"code": wrong_code_for(device)})
    assert response.status_code == 200 and "The code is not right" in response.content.decode()
    assert client.post(SETUP, {"code": "12ab"}).status_code == 200
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert actions(user)[-1] == "mfa.failure" and "setting up" in AuditEvent.objects.latest("id").note


def test_a_backup_code_works_once(staff):
    user = staff[Role.WEB_TEAM]
    client = Client()
    sign_in(client, user)
    set_up(client, user)
    codes = client.session[mfa.NEW_BACKUP_CODES_SESSION_KEY]
    client.post("/sign-out/")

    client = Client()
    sign_in(client, user)
    response = client.post(CODE, {"code": f" {codes[0][:4]}-{codes[0][4:].upper()} "}, follow=True)
    assert response.redirect_chain[0][0] == "/" and "You have 9 left" in response.content.decode()
    assert actions(user)[-1] == "mfa.backup_code_used"
    client.post("/sign-out/")

    client = Client()
    sign_in(client, user)
    again = client.post(CODE, {"code": codes[0]})
    assert again.status_code == 200 and "has been used" in again.content.decode()
    assert client.get("/")["Location"].startswith(CODE)
    assert actions(user)[-1] == "mfa.failure"


def test_new_backup_codes_replace_the_old_ones(staff):
    user = staff[Role.ADMINISTRATOR]
    client = Client()
    sign_in(client, user)
    set_up(client, user)
    old = client.session[mfa.NEW_BACKUP_CODES_SESSION_KEY]
    client.get("/account/multi-factor/backup-codes/")
    response = client.post("/account/multi-factor/backup-codes/", follow=True)
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert actions(user)[-1] == "mfa.backup_codes"


@pytest.mark.parametrize("role", sorted(set(Role) - set(REQUIRED)))
def test_other_roles_sign_in_without_mfa(role, staff):
    client = Client()
    assert sign_in(client, staff[role])["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Set up multi-factor sign-in" in home.content.decode()


def test_other_roles_may_turn_mfa_on_and_off(staff):
    user, client = staff[Role.SERVICE_EDITOR], Client()
    sign_in(client, user)
    assert "Not set up" in client.get("/account/multi-factor/").content.decode()
    set_up(client, user, next_url="/account/multi-factor/")
    manage = client.get("/account/multi-factor/").content.decode()
    assert "10 unused" in manage and "Turn off multi-factor sign-in" in manage
    assert_clean(manage, "/account/multi-factor/")
    client.post("/sign-out/")

    client = Client()
    sign_in(client, user)
    assert client.get("/")["Location"].startswith(CODE)
    device = TOTPDevice.objects.get(user=user)
    client.post(CODE, {"code": code_for(device, time.time() + 30)})  # the next step: the first was used
    assert client.get("/").status_code == 200
    client.post("/account/multi-factor/turn-off/")
    assert not TOTPDevice.objects.filter(user=user).exists() and actions(user)[-1] == "mfa.remove"
    client.post("/sign-out/")
    client = Client()
    sign_in(client, user)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", REQUIRED)
def test_the_web_team_and_administrators_cannot_turn_mfa_off(role, staff):
    user, client = staff[role], Client()
    sign_in(client, user)
    set_up(client, user)
    response = client.post("/account/multi-factor/turn-off/", follow=True)
    assert "must use multi-factor sign-in" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert "Turn off" not in client.get("/account/multi-factor/").content.decode()


def test_an_administrator_may_reset_someone_elses_mfa(staff):
    web, admin = staff[Role.WEB_TEAM], staff[Role.ADMINISTRATOR]
    confirmed_device(web)
    mfa.mfa_remove(actor=admin, user=web)
    event = AuditEvent.objects.get(action="mfa.remove")
    assert (event.actor, event.object_id) == (admin, str(web.pk))
    client = Client()
    sign_in(client, web)
    assert client.get("/")["Location"].startswith(SETUP)


def test_every_session_is_checked_however_it_began(staff, settings):
    """A session made without the sign-in page (force_login, admin's sign-in) is not trusted."""
    web, admin = staff[Role.WEB_TEAM], staff[Role.ADMINISTRATOR]
    client = Client()
    client.force_login(web)
    assert client.get("/")["Location"].startswith(SETUP)
    admin_client = Client()
    admin_client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert admin_client.get("/admin/")["Location"].startswith(SETUP)
    # Admin checks MFA itself too, should the middleware ever be missing.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "accounts.middleware.MFARequiredMiddleware"]
    bare = Client()
    bare.force_login(admin)
    assert bare.get("/admin/")["Location"].startswith("/admin/login/")
    session = bare.session
    session[mfa.SESSION_KEY] = {"user": admin.pk, "method": mfa.APP}
    session.save()
    assert bare.get("/admin/").status_code == 200


def test_a_verified_session_does_not_carry_over_to_another_user(staff):
    admin, comms = staff[Role.ADMINISTRATOR], staff[Role.COMMUNICATIONS_OFFICER]
    client = Client()
    sign_in(client, comms)
    session = client.session
    session[mfa.SESSION_KEY] = {"user": comms.pk, "method": mfa.APP}
    session.save()
    # Admin's sign-in page lets someone signed in without admin rights sign in as an administrator.
    client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(admin.pk) and mfa.SESSION_KEY not in client.session
    assert client.get("/admin/")["Location"].startswith(SETUP)


def test_api_token_authentication_is_not_affected(staff):
    user = staff[Role.WEB_TEAM]
    _, key = api_token_create(actor=None, user=user, name="script", scope="read_write")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/channels/").status_code == 200
    session = Client()
    sign_in(session, user)
    assert session.get("/api/channels/").status_code == 403


def test_htmx_requests_are_sent_to_the_mfa_step(staff):
    client = Client()
    sign_in(client, staff[Role.WEB_TEAM])
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == SETUP
