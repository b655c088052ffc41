import os

import pytest
from django.conf import settings

from accounts.models import Channel, Service, User
from accounts.roles import Role
from accounts.services import user_set_roles

PASSWORD = "correct-horse-battery-staple"

# Processes the tests start (each with a VAR_DIR of its own) load the model trained on the
# shipped corpus from this run's folder instead of training it again.
os.environ.setdefault("CLASSIFIER_CACHE_DIR", str(settings.CLASSIFIER_CACHE_DIR))


@pytest.fixture
def make_user(db):
    def make(username, role=None, service=None, **extra):
        user = User.objects.create_user(username=username, password=PASSWORD, first_name=username.title(),
                                        email=f"{username}@council.example", service=service, **extra)
        if role:
            user_set_roles(actor=None, user=user, roles=[role])
        return user

    return make


@pytest.fixture
def services(db):
    return {slug: Service.objects.create(name=name, slug=slug) for name, slug in [
        ("Libraries", "libraries"), ("Leisure", "leisure"), ("Communications", "communications"),
        ("Customer Services", "customer-services"), ("Waste and Recycling", "waste-and-recycling"),
    ]}


@pytest.fixture
def staff(make_user, services):
    """One user in every role; service staff in Libraries."""
    return {
        Role.WEB_TEAM: make_user("web", Role.WEB_TEAM, services["communications"]),
        Role.COMMUNICATIONS_OFFICER: make_user("comms", Role.COMMUNICATIONS_OFFICER, services["communications"]),
        Role.HEAD_OF_SERVICE: make_user("head", Role.HEAD_OF_SERVICE, services["libraries"]),
        Role.SERVICE_EDITOR: make_user("editor", Role.SERVICE_EDITOR, services["libraries"]),
        Role.CUSTOMER_SERVICES: make_user("cso", Role.CUSTOMER_SERVICES, services["customer-services"]),
        Role.COUNCILLOR: make_user("cllr", Role.COUNCILLOR),
        Role.MONITORING_OFFICER: make_user("mo", Role.MONITORING_OFFICER),
        Role.ADMINISTRATOR: make_user("admin", Role.ADMINISTRATOR, services["communications"], is_staff=True,
                                      is_superuser=True),
    }


@pytest.fixture
def channels(services):
    return {
        "libraries": Channel.objects.create(platform="x", handle="@Libs", display_name="Libraries",
                                            service=services["libraries"], kind="service"),
        "leisure": Channel.objects.create(platform="facebook", handle="Leisure", display_name="Leisure",
                                          service=services["leisure"], kind="service"),
        "corporate": Channel.objects.create(platform="x", handle="@Council", display_name="Council",
                                            service=services["communications"], kind="corporate"),
    }


@pytest.fixture
def client_for(db):
    """A separate signed-in browser per user, past multi-factor sign-in. The mark is written
    straight into the session store, as accounts.mfa does after a right code; the MFA steps
    themselves are tested in tests/accounts/test_mfa.py."""
    from django.test import Client

    from accounts import mfa

    def login(user):
        client = Client()
        client.force_login(user)
        session = client.session
        session[mfa.SESSION_KEY] = {"user": user.pk, "method": "test"}
        session.save()
        return client

    return login


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render pages without running collectstatic first."""
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.WHITENOISE_AUTOREFRESH = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
