"""Single sign-on against a real OpenID Connect provider on 127.0.0.1: the browser (Django's
test client) goes to the provider and back (requests follows the provider's redirect), and the
backend fetches discovery, the token, the JWKS and userinfo over HTTP."""
import time
from urllib.parse import urlparse

import pytest
import requests
from django.contrib.messages import get_messages
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import oidc
from accounts.models import AuditEvent, User
from accounts.roles import Role

from .oidc_provider import OIDCProvider, new_rsa_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    provider = OIDCProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def sso(settings, provider):
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_OP_DISCOVERY = provider.discovery_url
    settings.OIDC_GROUP_ROLES = {}
    return provider


def sso_sign_in(client, provider, next_url="/"):
    """Click "Sign in with your council account"; the provider consents at once."""
    start = client.get("/oidc/authenticate/", {"next": next_url})
    assert start.status_code == 302 and start["Location"].startswith(f"{provider.url}/authorize?"), start
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    back = urlparse(at_provider.headers["Location"])
    assert back.path == "/oidc/callback/"
    return client.get(f"{back.path}?{back.query}")


def signed_in_as(client):
    return User.objects.filter(pk=client.session.get("_auth_user_id")).first()


def refused(response, client) -> bool:
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    return (response.status_code == 302 and response["Location"] == "/sign-in/" and signed_in_as(client) is None
            and any("did not work" in m for m in messages))


def test_sign_in_page_offers_the_council_account_only_when_configured(client, settings, provider):
    assert "Sign in with your council account</a>" not in client.get("/sign-in/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_OP_DISCOVERY = provider.client_id, provider.discovery_url
    html = client.get("/sign-in/?next=/channels/").content.decode()
    assert 'href="/oidc/authenticate/?next=%2Fchannels%2F"' in html and "Sign in with your council account</a>" in html


def test_good_sign_in_finds_staff_by_email_then_by_their_id(client, staff, sso):
    editor = staff[Role.SERVICE_EDITOR]
    sso.person = {"sub": "pairwise-1", "oid": "entra-oid-1", "email": "EDITOR@council.example", "name": "Ed"}
    response = sso_sign_in(client, sso, next_url="/channels/")
    assert response.status_code == 302 and response["Location"] == "/channels/"
    assert signed_in_as(client) == editor and client.get("/channels/").status_code == 200
    editor.refresh_from_db()
    assert editor.sso_subject == "entra-oid-1" and editor.roles == {Role.SERVICE_EDITOR}
    assert set(AuditEvent.objects.filter(object_id=str(editor.pk)).values_list("action", flat=True)) >= {
        "user.sso_link", "user.sign_in"}

    # Later the email changes at the provider: the kept id still finds the same person.
    client.post("/sign-out/")
    sso.person = {**sso.person, "email": "edith.renamed@council.example"}
    sso_sign_in(client, sso)
    assert signed_in_as(client) == editor
    assert AuditEvent.objects.filter(object_id=str(editor.pk), action="user.sign_in").count() == 2


def test_explicit_endpoints_work_without_discovery(client, staff, settings, provider):
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = provider.client_id, provider.client_secret
    settings.OIDC_OP_DISCOVERY = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.url}/jwks"
    settings.OIDC_OP_ISSUER = provider.url
    provider.person = {"sub": "s-cso", "email": "cso@council.example"}
    sso_sign_in(client, provider)
    assert signed_in_as(client) == staff[Role.CUSTOMER_SERVICES]


def test_a_token_signed_with_another_key_is_refused(client, staff, sso, caplog):
    sso.person = {"sub": "s-editor", "email": "editor@council.example"}
    sso.signing_key = new_rsa_key()  # same key id, wrong key: a forgery
    assert refused(sso_sign_in(client, sso), client)
    assert "Signature verification failed" in caplog.text
    assert not AuditEvent.objects.filter(action="user.sign_in").exists()
    assert User.objects.get(username="editor").sso_subject is None


@pytest.mark.parametrize("claims, reason", [
    ({"aud": "another-application"}, "Audience doesn't match"),
    ({"iss": "https://login.example/someone-else/v2.0"}, "Invalid issuer"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "Signature has expired"),
    ({"nonce": "not-the-nonce-we-sent"}, "Nonce verification failed"),
], ids=["wrong audience", "wrong issuer", "expired", "wrong nonce"])
def test_an_id_token_for_someone_else_or_out_of_date_is_refused(claims, reason, client, staff, sso, caplog):
    sso.person = {"sub": "s-editor", "email": "editor@council.example"}
    sso.id_token_claims = claims
    assert refused(sso_sign_in(client, sso), client)
    assert reason in caplog.text
    assert not AuditEvent.objects.filter(action="user.sign_in").exists()


def test_a_code_cannot_be_used_twice(client, staff, sso):
    sso.person = {"sub": "s-editor", "email": "editor@council.example"}
    start = client.get("/oidc/authenticate/")
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302 and signed_in_as(client) is not None
    client.post("/sign-out/")
    assert client.get(f"{back.path}?{back.query}").status_code in (302, 400)
    assert signed_in_as(client) is None


def test_an_unknown_person_without_group_claims_gets_an_account_with_no_role(client, staff, sso, settings):
    settings.OIDC_GROUP_ROLES = {"group-web": Role.WEB_TEAM}
    sso.person = {"sub": "s-new", "oid": "oid-new", "email": "New.Starter@council.example",
                  "given_name": "New", "family_name": "Starter"}
    sso_sign_in(client, sso)
    user = signed_in_as(client)
    assert user.username == "new.starter@council.example" and user.sso_subject == "oid-new"
    assert user.roles == set() and not user.is_staff and not user.has_usable_password()
    assert "You have no role yet" in client.get("/").content.decode()
    assert client.get("/audit/").status_code == 403
    created = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert "no role until an administrator gives one" in created.note


def test_an_unknown_person_is_refused_when_accounts_are_not_created(client, staff, sso, settings):
    settings.OIDC_CREATE_USER = False
    sso.person = {"sub": "s-stranger", "email": "stranger@council.example"}
    assert refused(sso_sign_in(client, sso), client)
    assert not User.objects.filter(email="stranger@council.example").exists()


def test_group_claims_map_to_roles_when_configured(client, staff, sso, settings):
    settings.OIDC_GROUP_ROLES = {"group-web": Role.WEB_TEAM, "group-comms": Role.COMMUNICATIONS_OFFICER}
    sso.person = {"sub": "s-new", "email": "new@council.example", "groups": ["group-comms", "group-other"]}
    sso_sign_in(client, sso)
    user = signed_in_as(client)
    assert user.roles == {Role.COMMUNICATIONS_OFFICER}
    assert AuditEvent.objects.filter(action="user.roles", object_id=str(user.pk)).exists()

    # Moved to the web team at the provider: the web team must use MFA, so setup comes first.
    client.post("/sign-out/")
    sso.person = {**sso.person, "groups": ["group-web"]}
    response = sso_sign_in(client, sso)
    assert User.objects.get(pk=user.pk).roles == {Role.WEB_TEAM}
    assert client.get(response["Location"])["Location"].startswith("/sign-in/set-up-authenticator/")


def test_a_deactivated_user_is_refused_and_it_is_audited(client, staff, sso):
    User.objects.filter(username="editor").update(is_active=False)
    sso.person = {"sub": "s-editor", "email": "editor@council.example"}
    assert refused(sso_sign_in(client, sso), client)
    assert AuditEvent.objects.filter(action="user.sign_in_refused", object_repr="Editor").exists()


@pytest.mark.parametrize("role", [Role.WEB_TEAM, Role.ADMINISTRATOR])
def test_mfa_at_the_identity_provider_is_honoured(role, client, staff, sso):
    user = staff[role]
    sso.person = {"sub": f"s-{user.username}", "email": user.email, "amr": ["pwd", "mfa"]}
    response = sso_sign_in(client, sso)
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/audit/").status_code == 200
    if role == Role.ADMINISTRATOR:
        assert client.get("/admin/").status_code == 200
    assert client.session["mfa_verified"]["method"] == "identity provider"
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", [Role.WEB_TEAM, Role.ADMINISTRATOR])
def test_without_mfa_at_the_identity_provider_the_local_rule_applies(role, client, staff, sso):
    user = staff[role]
    sso.person = {"sub": f"s-{user.username}", "email": user.email, "amr": ["pwd"]}
    response = sso_sign_in(client, sso, next_url="/audit/")
    assert response["Location"] == "/audit/"
    assert client.get("/audit/")["Location"] == "/sign-in/set-up-authenticator/?next=%2Faudit%2F"
    assert client.get("/admin/")["Location"].startswith("/sign-in/set-up-authenticator/")
    assert client.get("/api/channels/").status_code == 403


def test_a_person_with_an_authenticator_is_asked_for_a_code_after_sso_without_mfa(client, staff, sso):
    editor = staff[Role.SERVICE_EDITOR]
    TOTPDevice.objects.create(user=editor, name="Authenticator app", confirmed=True)
    sso.person = {"sub": "s-editor", "email": editor.email}
    sso_sign_in(client, sso)
    assert client.get("/channels/")["Location"].startswith("/sign-in/code/")


def test_sign_in_claims_helpers():
    assert oidc.idp_did_mfa({"amr": "mfa"}) and not oidc.idp_did_mfa({"amr": ["pwd", "otp"]})
    assert oidc.email_of({"preferred_username": "a@b.example"}) == "a@b.example"
    assert oidc.email_of({"email": "a@b.example", "email_verified": False}) == ""
    assert oidc.subject_of({"sub": "s", "oid": "o"}) == "o"
