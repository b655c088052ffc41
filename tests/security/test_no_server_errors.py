"""Bad input found by probing the running demo gets 400, never a server error."""
import json

import pytest

from accounts.middleware import JSON_MAX_DEPTH, json_depth
from accounts.roles import Role

pytestmark = pytest.mark.django_db

DEEP = ("[" * 50_000 + "]" * 50_000).encode()


def test_json_depth_counts_brackets_outside_strings_only():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[[{{{{", "b": "\\"[[[["}') == 1
    assert json_depth(b'"\\\\"[[]]') == 2  # an escaped backslash ends the string
    assert json_depth(DEEP) == 50_000


@pytest.mark.parametrize("path", ["/api/channels/", "/api/account-requests/", "/api/posts/", "/api/rules/",
                                  "/api/status/ping/"])
def test_a_50000_deep_json_body_gets_400(staff, client_for, path):
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post(path, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {"detail": f"The JSON body nests more than {JSON_MAX_DEPTH} levels deep."}


def test_deep_json_is_refused_before_csrf_and_sign_in(client):
    """Even unauthenticated and without a CSRF token: the body is not read by anything else first."""
    response = client.post("/api/cases/1/note/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert client.post("/sign-in/", DEEP, content_type="application/json").status_code == 400


def test_ordinary_nesting_is_read_as_usual(staff, client_for):
    body = {"name": "x", "conditions": [[[[["fine"]]]]]}
    response = client_for(staff[Role.WEB_TEAM]).post("/api/rules/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and "nests more than" not in response.content.decode()


@pytest.mark.parametrize("query", ["start=9999-12-31", "start=0001-01-01", "start=3000-01-08"])
def test_the_fortnight_calendar_refuses_dates_out_of_range(staff, client_for, query):
    response = client_for(staff[Role.COMMUNICATIONS_OFFICER]).get(f"/calendar/fortnight/?{query}")
    assert response.status_code == 400
    assert b"The calendar shows the years 1900 to 2999." in response.content


@pytest.mark.parametrize("query", ["year=9999&month=12", "year=1&month=1", "year=99999999999999999999&month=1"])
def test_the_month_calendar_refuses_dates_out_of_range(staff, client_for, query):
    response = client_for(staff[Role.COMMUNICATIONS_OFFICER]).get(f"/calendar/?{query}")
    assert response.status_code in (400, 200)  # a year that is not a number at all shows this month
    if "99999999999999999999" not in query:
        assert response.status_code == 400


def test_the_calendars_still_show_ordinary_dates(staff, client_for):
    client = client_for(staff[Role.COMMUNICATIONS_OFFICER])
    assert client.get("/calendar/fortnight/?start=2026-12-07").status_code == 200
    assert client.get("/calendar/?year=2999&month=12").status_code == 200


@pytest.mark.parametrize("value", ["278260456795195928742255919104", str(2**63)])
def test_an_over_long_integer_gets_400(staff, client_for, value):
    response = client_for(staff[Role.WEB_TEAM]).get(f"/api/mentions/?channel={value}")
    assert response.status_code == 400
    assert response.json() == {"channel": "Give a channel id."}


def test_an_api_address_that_matches_nothing_answers_json(staff, client_for):
    response = client_for(staff[Role.WEB_TEAM]).get("/api/account-requests/1.5e-99/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
