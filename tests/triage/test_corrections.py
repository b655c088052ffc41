"""Learning from the council: every staff decision that says where a mention belonged is kept
as a label (with who, when and what the routing had said), in the transaction of the decision
and its audit row; "Routed wrongly? Move it to …" moves the case on the case page and in the
API; the labels export as CSV with formulas neutralised."""
import csv
import io

import pytest

from accounts.models import AuditEvent
from accounts.roles import Role
from triage import learning
from triage import services as triage_services
from triage.models import Case, CaseEvent, FoiRequest, RoutingLabel

pytestmark = pytest.mark.django_db

CS_TEXT = "nobody's been to empty ours since the 3rd, the bags are piling up by the gate"


@pytest.fixture
def case(post, case_of):
    case = case_of(post(CS_TEXT))
    # Whatever the classifier made of it, it sits on the no-action queue until staff move it.
    Case.objects.filter(pk=case.pk).update(route="no_action", state="monitoring", sla_due_at=None, sla_policy="")
    case.refresh_from_db()
    return case


def audit_actions(case):
    return list(AuditEvent.objects.filter(object_type="triage.case", object_id=str(case.pk))
                .order_by("at", "pk").values_list("action", flat=True))


def test_moving_a_case_on_the_case_page_moves_it_records_a_label_and_audits_it(case, services, staff, client_for):
    web = staff[Role.WEB_TEAM]
    client = client_for(web)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Routed wrongly? Move it to …" in page and 'name="reroute-route"' in page

    response = client.post(f"/cases/{case.pk}/reroute/", {
        "reroute-version": case.version, "reroute-route": "customer_service",
        "reroute-service": services["waste-and-recycling"].pk, "reroute-note": "Missed collection"})
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()

    case.refresh_from_db()
    assert (case.route, case.service, case.state) == ("customer_service", services["waste-and-recycling"], "new")
    assert case.sla_policy == "customer_service" and case.sla_due_at is not None  # on that queue's clock now
    label = RoutingLabel.objects.get()
    assert (label.mention_id, label.case, label.route, label.service, label.decision, label.actor) == (
        case.mention_id, case, "customer_service", services["waste-and-recycling"], "rerouted", web)
    said = learning.routing_said(case.mention.routing)  # what the routing had said, kept beside the label
    assert (label.predicted_route, label.predicted_service) == (said["route"], said["service"])
    assert label.predicted_route in dict(Case._meta.get_field("route").choices)
    event = CaseEvent.objects.get(case=case, kind="corrected")
    assert event.actor == web and "Moved from No action (monitoring) to Customer services" in event.text
    assert audit_actions(case)[-1] == "case.corrected"
    changes = AuditEvent.objects.filter(action="case.corrected").get().changes
    assert changes["route"] == ["no_action", "customer_service"] and "sla_due_at" in changes


def test_moving_a_case_in_the_api_and_to_and_from_foi(case, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    url = f"/api/cases/{case.pk}/reroute/"
    body = client.post(url, {"route": "foi", "version": case.version}, content_type="application/json").json()
    assert body["route"] == "foi" and body["foi"] is not None
    assert FoiRequest.objects.filter(case=case).exists()
    body = client.post(url, {"route": "web_team_response"}, content_type="application/json").json()
    assert body["route"] == "web_team_response" and body["foi"] is None
    assert not FoiRequest.objects.filter(case=case).exists()
    assert list(RoutingLabel.objects.order_by("at", "pk").values_list("route", "decision")) == [
        ("foi", "foi_marked"), ("web_team_response", "foi_unmarked")]
    assert audit_actions(case)[-2:] == ["case.corrected", "case.corrected"]

    refused = client.post(url, {"route": "web_team_response"}, content_type="application/json")
    assert refused.status_code == 400 and "already on Web team response" in refused.json()["detail"]
    bad = client.post(url, {"route": "nowhere"}, content_type="application/json")
    assert bad.status_code == 400 and "route" in bad.json()
    stale = client.post(url, {"route": "no_action", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert RoutingLabel.objects.count() == 2


def test_who_may_not_move_a_case_is_refused_before_the_input_is_read(cases_by_scope, staff, client_for):
    waste = cases_by_scope["cs_waste"]
    editor = client_for(staff[Role.SERVICE_EDITOR])  # Libraries: the waste case is out of scope
    for body in ({}, {"route": "nowhere"}, {"route": "foi"}):
        assert editor.post(f"/api/cases/{waste.pk}/reroute/", body,
                           content_type="application/json").status_code == 404
        assert editor.post(f"/cases/{waste.pk}/reroute/", {f"reroute-{k}": v for k, v in body.items()}
                           ).status_code == 404
    shared = cases_by_scope["comms_leisure"]  # a councillor may read it, not change it
    councillor = client_for(staff[Role.COUNCILLOR])
    assert councillor.post(f"/api/cases/{shared.pk}/reroute/", {}, content_type="application/json").status_code == 403
    assert councillor.post(f"/cases/{shared.pk}/reroute/", {}).status_code == 403
    assert not RoutingLabel.objects.filter(decision="rerouted").exists()
    assert Case.objects.get(pk=waste.pk).route == "customer_service"


def test_every_decision_about_where_a_mention_belonged_is_a_label(post, case_of, services, staff):
    web = staff[Role.WEB_TEAM]
    handed = case_of(post("The library in Kilburn had no heating all morning"))
    Case.objects.filter(pk=handed.pk).update(service=services["leisure"])  # a hand-over goes to another service
    handed.refresh_from_db()
    triage_services.case_hand_over(actor=web, case=handed, service=services["libraries"])
    escalated = case_of(post("Is it true the council is selling the park to developers?"))
    triage_services.case_escalate(actor=web, case=escalated, reason="Rumour spreading")
    closed = case_of(post("Lovely sunset over the river tonight"))
    triage_services.case_close(actor=web, case=closed, no_action=True)
    plain_close = case_of(post("Please can you collect my bulky waste, the sofa is in the front garden"))
    Case.objects.filter(pk=plain_close.pk).update(route="customer_service", state="new")
    triage_services.case_close(actor=web, case=plain_close, note="Booked")
    at_risk = case_of(post("My neighbour hasn't been seen for days and her curtains are still shut"))
    Case.objects.filter(pk=at_risk.pk).update(safeguarding=False, route="no_action", state="monitoring")
    triage_services.case_safeguarding(actor=web, case=at_risk, safeguarding=True)

    labels = {label.case_id: label for label in RoutingLabel.objects.all()}
    assert (labels[handed.pk].decision, labels[handed.pk].service) == ("handed_over", services["libraries"])
    assert (labels[escalated.pk].decision, labels[escalated.pk].route) == ("escalated", "comms_escalation")
    assert (labels[closed.pk].decision, labels[closed.pk].route) == ("closed_no_action", "no_action")
    assert plain_close.pk not in labels  # closing after the work was done says nothing about the route
    assert (labels[at_risk.pk].decision, labels[at_risk.pk].safeguarding) == ("safeguarding_marked", True)
    at_risk.refresh_from_db()
    assert at_risk.safeguarding and at_risk.priority == "urgent" and at_risk.route != "no_action"
    for label in labels.values():
        assert label.actor == web and label.actor_name == "Web" and label.at
        # written with the decision's own audit row
        assert AuditEvent.objects.filter(object_type="triage.case", object_id=str(label.case_id),
                                         actor=web).exists()


def test_a_refused_decision_leaves_no_label(case, staff):
    triage_services.case_close(actor=staff[Role.WEB_TEAM], case=case, no_action=True)
    with pytest.raises(triage_services.CaseActionError):
        triage_services.case_reroute(actor=staff[Role.WEB_TEAM], case=case, route="foi")
    assert list(RoutingLabel.objects.values_list("decision", flat=True)) == ["closed_no_action"]


def test_the_labels_export_is_csv_with_formulas_neutralised_and_audited(post, case_of, staff, client_for):
    web = staff[Role.WEB_TEAM]
    hostile = case_of(post('=HYPERLINK("http://evil.example","click") my bin was missed'))
    triage_services.case_reroute(actor=web, case=hostile, route="customer_service" if hostile.route != "customer_service"
                          else "web_team_response")
    response = client_for(web).get("/triage/quality/labels.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["at", "mention", "case", "text", "route"]
    assert rows[1][3].startswith("'=HYPERLINK(") and rows[1][7] == "rerouted" and rows[1][8] == "Web"
    assert AuditEvent.objects.filter(action="labels.export", actor=web).exists()
    assert client_for(staff[Role.SERVICE_EDITOR]).get("/triage/quality/labels.csv").status_code == 403


def test_mentions_in_the_api_carry_safeguarding_and_confidence(post, staff, client_for):
    post("Where do I renew my parking permit?")
    item = client_for(staff[Role.WEB_TEAM]).get("/api/mentions/").json()["results"][0]
    assert isinstance(item["safeguarding"], bool)
    assert item["confidence"] is None or 0.0 <= item["confidence"] <= 1.0
