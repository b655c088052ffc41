"""/api/cases/ and /api/rules/: the same scope, filters and services as the dashboard; bad
input is a 400 with a clear message and changes nothing."""
import pytest

from accounts.roles import Role
from triage.models import Case, CaseEvent, Rule

pytestmark = pytest.mark.django_db

EXPECTED = {
    Role.WEB_TEAM: {"cs_waste", "cs_libraries", "web_libraries", "service_leisure", "comms_leisure", "foi"},
    Role.COMMUNICATIONS_OFFICER: {"cs_waste", "cs_libraries", "web_libraries", "service_leisure", "comms_leisure",
                                  "foi"},
    Role.CUSTOMER_SERVICES: {"cs_waste", "cs_libraries"},
    Role.SERVICE_EDITOR: {"cs_libraries", "web_libraries"},
    Role.COUNCILLOR: {"comms_leisure"},
}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_its_cases_in_the_api(role, cases_by_scope, staff, client_for):
    client = client_for(staff[role])
    assert ids(client.get("/api/cases/")) == {cases_by_scope[name].pk for name in EXPECTED[role]}
    for name, case in cases_by_scope.items():
        assert client.get(f"/api/cases/{case.pk}/").status_code == (200 if name in EXPECTED[role] else 404)


def test_case_list_filters_and_fields(cases_by_scope, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    assert ids(client.get("/api/cases/?route=customer_service")) == {
        cases_by_scope["cs_waste"].pk, cases_by_scope["cs_libraries"].pk}
    assert ids(client.get("/api/cases/?service=leisure&priority=urgent")) == {cases_by_scope["comms_leisure"].pk}
    item = client.get("/api/cases/?q=library+card").json()["results"][0]
    assert item["route"] == "customer_service" and item["service"] == "libraries"
    assert item["mention"]["text"] == "I've lost my library card, can you help me?"
    assert item["sla_state"] in ("on_track", "due_soon") and item["version"] == 1
    detail = client.get(f"/api/cases/{item['id']}/").json()
    assert detail["events"][0]["kind"] == "created" and detail["rule"] and detail["explanation"]


def test_bad_filters_are_a_400_saying_what_is_wrong(cases_by_scope, staff, client_for):
    response = client_for(staff[Role.WEB_TEAM]).get("/api/cases/?route=nowhere&since=soon")
    assert response.status_code == 400
    body = response.json()
    assert "route" in body and "since" in body and "Enter a valid date." in str(body["since"])


def test_actions(cases_by_scope, staff, client_for):
    case = cases_by_scope["cs_waste"]
    client = client_for(staff[Role.WEB_TEAM])
    url = f"/api/cases/{case.pk}"
    body = client.post(f"{url}/acknowledge/", {"version": 1}, content_type="application/json").json()
    assert (body["state"], body["version"]) == ("acknowledged", 2)
    body = client.post(f"{url}/assign/", {"assignee": "cso"}, content_type="application/json").json()
    assert body["assignee"] == "cso" and body["state"] == "in_progress"
    body = client.post(f"{url}/note/", {"text": "Crew informed"}, content_type="application/json").json()
    assert body["events"][-1]["kind"] == "note"
    body = client.post(f"{url}/hand-over/", {"service": "libraries", "note": "Wrong service"},
                       content_type="application/json").json()
    assert (body["state"], body["service"]) == ("with_service", "libraries")
    body = client.post(f"{url}/escalate/", {"reason": "Press interest", "councillors": ["cllr"]},
                       content_type="application/json").json()
    assert (body["route"], body["priority"]) == ("comms_escalation", "urgent")
    body = client.post(f"{url}/close/", {"note": "Done"}, content_type="application/json").json()
    assert body["state"] == "closed"
    body = client.post(f"{url}/reopen/", {}, content_type="application/json").json()
    assert body["state"] == "in_progress"


def test_a_reply_through_the_api_goes_through_the_platform_client(cases_by_scope, staff, client_for, monkeypatch):
    from platforms.base import Published

    sent = []

    class Client:
        def reply(self, in_reply_to, text):
            sent.append(text)
            return Published(external_id="1999", url="https://x.com/Council/status/1999")

    monkeypatch.setattr("monitoring.clients.client_for", lambda channel, **kw: Client())
    case = cases_by_scope["web_libraries"]
    body = client_for(staff[Role.WEB_TEAM]).post(f"/api/cases/{case.pk}/reply/", {
        "text": "Kilburn library opens at 10:00."}, content_type="application/json").json()
    assert sent == ["Kilburn library opens at 10:00."]
    assert body["state"] == "responded" and body["events"][-1]["external_id"] == "1999"


@pytest.mark.parametrize(("action", "data", "message"), [
    ("assign", {"assignee": "nobody"}, "Object with username=nobody does not exist."),
    ("assign", {"assignee": "cllr"}, "Cllr cannot be given cases."),
    ("note", {"text": ""}, "This field may not be blank."),
    ("hand-over", {"service": "atlantis"}, "Object with slug=atlantis does not exist."),
    ("escalate", {}, "This field is required."),
    ("reply", {"text": " "}, "Write the reply, or give a canned reply."),
    ("acknowledge", {"version": "two"}, "A valid integer is required."),
])
def test_bad_action_input_is_a_400_and_changes_nothing(action, data, message, cases_by_scope, staff, client_for):
    case = cases_by_scope["cs_waste"]
    events = CaseEvent.objects.filter(case=case).count()
    response = client_for(staff[Role.WEB_TEAM]).post(f"/api/cases/{case.pk}/{action}/", data,
                                                     content_type="application/json")
    assert response.status_code == 400 and message in str(response.json())
    assert Case.objects.get(pk=case.pk).version == case.version
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_stale_version_is_a_409(cases_by_scope, staff, client_for):
    case = cases_by_scope["cs_waste"]
    client = client_for(staff[Role.WEB_TEAM])
    client.post(f"/api/cases/{case.pk}/acknowledge/", {"version": 1}, content_type="application/json")
    response = client.post(f"/api/cases/{case.pk}/close/", {"version": 1}, content_type="application/json")
    assert response.status_code == 409 and "Someone else changed this case" in response.json()["detail"]
    assert Case.objects.get(pk=case.pk).state == "acknowledged"


def test_outside_scope_and_read_only_users(cases_by_scope, staff, client_for):
    hidden = cases_by_scope["comms_leisure"]
    cso = client_for(staff[Role.CUSTOMER_SERVICES])
    assert cso.post(f"/api/cases/{hidden.pk}/close/", {}, content_type="application/json").status_code == 404
    cllr = client_for(staff[Role.COUNCILLOR])
    assert cllr.post(f"/api/cases/{hidden.pk}/note/", {"text": "hi"},
                     content_type="application/json").status_code == 403
    assert CaseEvent.objects.filter(case=hidden, kind="note").count() == 0


# --- rules -------------------------------------------------------------------------------------

def test_rules_are_listed_in_order(staff, client_for):
    body = client_for(staff[Role.WEB_TEAM]).get("/api/rules/").json()
    names = [r["name"] for r in body["results"]]
    assert names[0] == "Person who may be at risk, raised in public" and "Person needing customer services" in names
    assert names.index("Freedom of Information request") < names.index("Controversial issue")


def test_the_web_team_creates_and_updates_rules_with_validation(staff, client_for, post, model_reads):
    model_reads("customer_service")
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post("/api/rules/", {"name": "Bad", "order": 1, "route": "nowhere",
                                           "conditions": {"colour": "red"}}, content_type="application/json")
    assert response.status_code == 400
    assert "route" in response.json() or "Unknown route" in str(response.json())
    response = client.post("/api/rules/", {"name": "Bad", "order": 1, "route": "foi",
                                           "conditions": {"colour": "red"}}, content_type="application/json")
    assert response.status_code == 400 and "Unknown condition 'colour'" in str(response.json())
    assert not Rule.objects.filter(name="Bad").exists()

    response = client.post("/api/rules/", {
        "name": "Fire safety", "order": 5, "route": "comms_escalation", "priority": "urgent",
        "conditions": {"keywords_any": ["cladding", "fire door"]}, "notify": ["communications_officer"]},
        content_type="application/json")
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    assert post("The fire door on our block has been broken for weeks").routing.rule_name == "Fire safety"

    response = client.patch(f"/api/rules/{rule_id}/", {"enabled": False}, content_type="application/json")
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert post("The fire door is still broken").routing.rule_name != "Fire safety"
    response = client.patch(f"/api/rules/{rule_id}/", {"priority": "extreme"}, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(("role", "read", "write"), [
    (Role.COMMUNICATIONS_OFFICER, 200, 403), (Role.CUSTOMER_SERVICES, 200, 403), (Role.COUNCILLOR, 403, 403),
])
def test_others_read_rules_or_are_refused(role, read, write, staff, client_for):
    client = client_for(staff[role])
    assert client.get("/api/rules/").status_code == read
    rule = Rule.objects.first()
    response = client.patch(f"/api/rules/{rule.pk}/", {"enabled": False}, content_type="application/json")
    assert response.status_code == write
    assert Rule.objects.get(pk=rule.pk).enabled


def test_the_openapi_schema_describes_cases_and_rules(staff, client_for):
    schema = client_for(staff[Role.WEB_TEAM]).get("/api/schema/").content.decode()
    assert "/api/cases/{id}/escalate/" in schema and "/api/rules/" in schema
