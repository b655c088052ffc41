"""Schemathesis against the API's own OpenAPI schema (/api/schema/), in process through the WSGI
application, on the test database with the council of tests/security/conftest.py.

Every operation of the schema gets valid and invalid input generated from its schema, as the
web team (who may see and do the most) and as a service editor (who sees one service). Each
answer must not be a server error, must be JSON where the schema says JSON, must have a status
the schema documents (the 400, 401, 403, 404 and 409 answers are documented by
council_social/schema.py), and must match the schema's response for its status. (Schemathesis's check that invalid
input is refused is left out: the API reads some invalid input leniently by design, such as
an unreadable page offset as the first page or an empty optional field as not given. Bad input
that matters is in tests/security/test_bad_input.py.)

Short in the suite: a few generated examples per operation with a fixed seed, and no coverage
phase (schemathesis's boundary values for every field, hundreds per operation). A deeper run,
with the coverage phase, more examples and a new seed each time:

    SCHEMATHESIS_EXAMPLES=200 SCHEMATHESIS_SEED=random SCHEMATHESIS_COVERAGE=1 \
        .venv/bin/python -m pytest tests/security/test_schemathesis.py
"""
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.roles import Role

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "5"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "fixed")
COVERAGE = os.environ.get("SCHEMATHESIS_COVERAGE", "") not in ("", "0")
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance, status_code_conformance]
HYPOTHESIS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED == "fixed", print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def api_schema(world, settings):
    """The schema as the site serves it. As Django's own test client does, requests keep the
    test's database connection (and its transaction) open rather than closing it at the end."""
    settings.ALLOWED_HOSTS = ["localhost"]  # the host schemathesis's WSGI client uses
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}})
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=config)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


KEYS: dict[int, str] = {}


def token(user) -> dict:
    from accounts.models import ApiToken
    from accounts.tokens import _digest, api_token_create

    key = KEYS.get(user.pk)
    if key is None or not ApiToken.objects.filter(user=user, key_hash=_digest(key)).exists():
        KEYS[user.pk] = api_token_create(actor=None, user=user, name="schemathesis", scope="read_write")[1]
    return {"Authorization": f"Token {KEYS[user.pk]}"}


def call_and_validate(case, user):
    """Each example in a savepoint rolled back after it: every example meets the same council,
    and a database error in one (a server error, reported) does not spoil the next."""
    headers = token(user)
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS, headers=headers)


@schema.parametrize()
@HYPOTHESIS
def test_the_api_as_the_web_team(case, staff):
    call_and_validate(case, staff[Role.WEB_TEAM])


@schema.parametrize()
@HYPOTHESIS
def test_the_api_as_a_service_editor(case, staff):
    call_and_validate(case, staff[Role.SERVICE_EDITOR])
