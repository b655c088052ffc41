"""Requests for new accounts (seed 004): every path of the workflow, who may decide, the
channel an approval creates, the pages and the API."""
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import requests
from accounts.audit import audit_for
from accounts.models import (
    AccountRequest,
    AccountRequestDecision,
    AuditEvent,
    BrandingChecklist,
    Channel,
    Notification,
)
from accounts.roles import Role

pytestmark = pytest.mark.django_db

State = AccountRequest.State
Outcome = AccountRequestDecision.Outcome

ANSWERS = {
    "platform": "instagram", "kind": "service", "proposed_handle": "@LibsKids",
    "proposed_display_name": "Libraries for children", "audience": "Parents and carers of under-12s.",
    "objectives": "More families at Rhyme Time.", "why_own_account": "Parents use Instagram; corporate does not.",
    "content_commitment": "Three posts a week by the children's librarians.",
    "out_of_hours": "The profile says 9 to 5, weekdays, and links to the website.",
}


@pytest.fixture
def libraries(services, staff):
    service = services["libraries"]
    service.head = staff[Role.HEAD_OF_SERVICE]
    service.save()
    return service


@pytest.fixture
def editor(staff, libraries):
    return staff[Role.SERVICE_EDITOR]


@pytest.fixture
def head(staff, libraries):
    return staff[Role.HEAD_OF_SERVICE]


@pytest.fixture
def web(staff):
    return staff[Role.WEB_TEAM]


def submit(editor, **changes):
    return requests.account_request_submit(actor=editor, monitors=[editor], **{**ANSWERS, **changes})


def subjects(user):
    return list(Notification.objects.filter(user=user).values_list("subject", flat=True))


# The workflow -------------------------------------------------------------------------------


def test_submitting_sends_the_request_to_the_head_of_the_requesting_service(editor, head, web):
    request = submit(editor)
    assert request.state == State.SUBMITTED and request.stage == AccountRequest.Stage.HEAD_OF_SERVICE
    assert request.service == editor.service and list(request.monitors.all()) == [editor]
    assert any("Decide a request" in s for s in subjects(head))
    assert any("was sent" in s for s in subjects(editor))
    assert subjects(web) == []  # the web team decides second
    assert audit_for(request).filter(action="account_request.submit", actor=editor).exists()


def test_approval_by_head_then_web_team_creates_the_channel_setting_up(editor, head, web, libraries):
    request = submit(editor)
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.WITH_WEB_TEAM and request.channel is None
    assert any("approved by the head of service" in s for s in subjects(web))

    requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED, reasons="Good case.")
    request.refresh_from_db()
    assert request.state == State.APPROVED and request.decided_at is not None
    channel = request.channel
    assert channel.status == Channel.Status.SETTING_UP
    assert channel.service == libraries and channel.handle == "@LibsKids" and channel.platform == "instagram"
    assert channel.web_team_has_access is False
    assert editor in channel.managers.all()
    assert BrandingChecklist.objects.filter(channel=channel).exists()
    assert AuditEvent.objects.filter(action="channel.create", object_id=str(channel.pk)).exists()
    assert [(d.stage, d.outcome, d.decided_by) for d in request.decisions.all()] == [
        ("head_of_service", "approved", head), ("web_team", "approved", web)]
    assert audit_for(request).filter(action="account_request.decide").count() == 2
    assert any("Request for @LibsKids approved" == s for s in subjects(editor))
    assert any("Request for @LibsKids approved" == s for s in subjects(head))


def test_head_of_service_refuses_with_reasons(editor, head, web):
    request = submit(editor)
    with pytest.raises(ValidationError) as exc:
        requests.account_request_decide(actor=head, request=request, outcome=Outcome.REFUSED, reasons="  ")
    assert "reasons" in exc.value.message_dict
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and not request.decisions.exists()

    requests.account_request_decide(actor=head, request=request, outcome=Outcome.REFUSED,
                                    reasons="Use the libraries account.")
    request.refresh_from_db()
    assert request.state == State.REFUSED and request.channel is None
    assert request.decisions.get().reasons == "Use the libraries account."
    assert any("refused" in s for s in subjects(editor))
    assert not Channel.objects.filter(handle="@LibsKids").exists()
    with pytest.raises(ValidationError):  # nothing left to decide
        requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED)


def test_web_team_refuses_with_reasons(editor, head, web):
    request = submit(editor)
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    requests.account_request_decide(actor=web, request=request, outcome=Outcome.REFUSED,
                                    reasons="Provide content for the corporate account instead.")
    request.refresh_from_db()
    assert request.state == State.REFUSED and request.channel is None
    assert any("refused" in s for s in subjects(editor)) and any("refused" in s for s in subjects(head))
    assert not Channel.objects.filter(handle="@LibsKids").exists()


def test_head_asks_for_more_information_and_the_resubmission_goes_back_to_the_head(editor, head, web):
    request = submit(editor)
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.MORE_INFORMATION,
                                    reasons="Who covers holidays?")
    request.refresh_from_db()
    assert request.state == State.MORE_INFORMATION and request.stage is None
    assert any("More information needed" in s for s in subjects(editor))
    with pytest.raises(ValidationError):  # nobody decides while it is with the requester
        requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)

    requests.account_request_resubmit(actor=editor, request=request, out_of_hours="Two librarians share cover.")
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and request.out_of_hours == "Two librarians share cover."
    assert any("resubmitted" in s for s in subjects(head))
    event = audit_for(request).get(action="account_request.resubmit")
    assert event.changes["out_of_hours"][1] == "Two librarians share cover."
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.APPROVED and request.channel.status == Channel.Status.SETTING_UP


def test_web_team_asks_for_more_information_and_the_resubmission_goes_back_to_the_web_team(editor, head, web):
    request = submit(editor)
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    requests.account_request_decide(actor=web, request=request, outcome=Outcome.MORE_INFORMATION,
                                    reasons="Choose a shorter handle.")
    request.refresh_from_db()
    assert request.state == State.MORE_INFORMATION and request.returned_from == "web_team"
    requests.account_request_resubmit(actor=editor, request=request, proposed_handle="@LibKids")
    request.refresh_from_db()
    assert request.state == State.WITH_WEB_TEAM and request.proposed_handle == "@LibKids"
    assert any("resubmitted" in s for s in subjects(web))
    requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.channel.handle == "@LibKids"


@pytest.mark.parametrize("who", [Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.SERVICE_EDITOR, Role.ADMINISTRATOR,
                                 Role.CUSTOMER_SERVICES, Role.MONITORING_OFFICER, "other_head"])
def test_only_the_head_of_the_requesting_service_decides_first(who, editor, staff, make_user, services):
    request = submit(editor)
    if who == "other_head":
        actor = make_user("head.leisure", Role.HEAD_OF_SERVICE, services["leisure"])
        services["leisure"].head = actor
        services["leisure"].save()
    else:
        actor = staff[who]
    with pytest.raises(PermissionDenied, match="Only Head, head of Libraries, can decide"):
        requests.account_request_decide(actor=actor, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and not request.decisions.exists()
    assert not requests.can_decide(actor, request)


@pytest.mark.parametrize("who", [Role.HEAD_OF_SERVICE, Role.COMMUNICATIONS_OFFICER, Role.SERVICE_EDITOR,
                                 Role.ADMINISTRATOR, Role.CUSTOMER_SERVICES])
def test_only_the_web_team_decides_second(who, editor, head, staff):
    request = submit(editor)
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    with pytest.raises(PermissionDenied, match="Only the web team"):
        requests.account_request_decide(actor=staff[who], request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.WITH_WEB_TEAM and request.channel is None


def test_a_head_of_service_role_without_being_the_services_head_cannot_decide(editor, make_user, libraries):
    deputy = make_user("deputy", Role.HEAD_OF_SERVICE, libraries)
    request = submit(editor)
    with pytest.raises(PermissionDenied):
        requests.account_request_decide(actor=deputy, request=request, outcome=Outcome.APPROVED)


def test_only_the_requester_resubmits_and_only_when_asked(editor, head, web):
    request = submit(editor)
    with pytest.raises(ValidationError, match="cannot be resubmitted"):
        requests.account_request_resubmit(actor=editor, request=request, audience="More")
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.MORE_INFORMATION, reasons="Why?")
    with pytest.raises(PermissionDenied, match="Only the person who made the request"):
        requests.account_request_resubmit(actor=head, request=request, audience="More")
    with pytest.raises(ValidationError) as exc:  # bad changes are refused and change nothing
        requests.account_request_resubmit(actor=editor, request=request, audience="", platform="myspace")
    assert set(exc.value.message_dict) == {"audience", "platform"}
    request.refresh_from_db()
    assert request.state == State.MORE_INFORMATION and request.audience == ANSWERS["audience"]


def test_bad_input_is_refused_with_clear_messages_and_changes_nothing(editor, channels):
    with pytest.raises(ValidationError) as exc:
        requests.account_request_submit(actor=editor, monitors=[], **{
            **ANSWERS, "audience": " ", "platform": "myspace", "kind": "corporate"})
    assert exc.value.message_dict == {
        "audience": ["Say who your audience is."], "platform": ["Choose a platform from the list."],
        "kind": ["Choose a service account or a campaign account."],
        "monitors": ["Choose who will monitor the account."]}
    with pytest.raises(ValidationError) as exc:  # the council already has it
        submit(editor, platform="x", proposed_handle="@libs")
    assert "already has a channel" in exc.value.message_dict["proposed_handle"][0]
    submit(editor)
    with pytest.raises(ValidationError) as exc:  # somebody asked already
        submit(editor, proposed_handle="@libskids")
    assert "already asked" in exc.value.message_dict["proposed_handle"][0]
    assert AccountRequest.objects.count() == 1


def test_who_cannot_request(staff, services, make_user):
    with pytest.raises(PermissionDenied, match="Councillors"):
        requests.account_request_submit(actor=staff[Role.COUNCILLOR], monitors=[staff[Role.COUNCILLOR]], **ANSWERS)
    with pytest.raises(PermissionDenied, match="no head of service"):  # Libraries has no head in this test
        requests.account_request_submit(actor=staff[Role.SERVICE_EDITOR], monitors=[staff[Role.SERVICE_EDITOR]],
                                        **ANSWERS)
    loner = make_user("loner", Role.SERVICE_EDITOR)
    with pytest.raises(PermissionDenied, match="not in a service"):
        requests.account_request_submit(actor=loner, monitors=[loner], **ANSWERS)
    assert not AccountRequest.objects.exists()


def test_approval_is_refused_when_the_handle_was_taken_meanwhile(editor, head, web, libraries):
    request = submit(editor)
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    Channel.objects.create(platform="instagram", handle="@libskids", display_name="x", service=libraries)
    with pytest.raises(ValidationError, match="already has a channel"):
        requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.WITH_WEB_TEAM and not request.decisions.filter(stage="web_team").exists()


def test_the_new_channel_becomes_active_only_with_web_team_access_and_branding(editor, head, web):
    request = submit(editor)
    requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED)
    channel = Channel.objects.get(pk=AccountRequest.objects.get().channel_id)
    with pytest.raises(ValidationError) as exc:
        requests.channel_activate(actor=web, channel=channel)
    assert exc.value.messages == ["The web team does not have access to the account yet.",
                                  "The branding checklist is not done."]
    channel.web_team_has_access = True
    channel.save()
    requests.branding_checklist_update(actor=web, channel=channel, profile_image=True, naming=True,
                                       official_bio=True, hours_and_contact=True)
    with pytest.raises(ValidationError, match="branding checklist is not done"):
        requests.channel_activate(actor=web, channel=channel)
    requests.branding_checklist_update(actor=editor, channel=channel, header_image=True)
    assert any("Branding done" in s for s in subjects(web))
    with pytest.raises(PermissionDenied):  # activating is the web team's
        requests.channel_activate(actor=editor, channel=channel)
    requests.channel_activate(actor=web, channel=channel)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.ACTIVE
    assert audit_for(channel).filter(action="channel.transition", changes__status=["setting_up", "active"]).exists()
    assert audit_for(channel).filter(action="channel.branding").count() == 2


def test_branding_checklist_is_changed_only_by_those_who_may_edit_the_channel(staff, channels):
    with pytest.raises(PermissionDenied):
        requests.branding_checklist_update(actor=staff[Role.CUSTOMER_SERVICES], channel=channels["libraries"],
                                           naming=True)
    with pytest.raises(ValidationError):
        requests.branding_checklist_update(actor=staff[Role.WEB_TEAM], channel=channels["libraries"], colour=True)
    assert not BrandingChecklist.objects.exists()


def test_requests_are_seen_by_requester_head_and_web_team_only(editor, head, web, staff, make_user, services):
    request = submit(editor)
    other_editor = make_user("leisure.editor", Role.SERVICE_EDITOR, services["leisure"])
    seen = {u.username: set(requests.account_request_list(user=u).values_list("pk", flat=True))
            for u in [editor, head, web, staff[Role.ADMINISTRATOR], other_editor, staff[Role.CUSTOMER_SERVICES],
                      staff[Role.COMMUNICATIONS_OFFICER], staff[Role.COUNCILLOR]]}
    assert seen == {"editor": {request.pk}, "head": {request.pk}, "web": {request.pk}, "admin": {request.pk},
                    "leisure.editor": set(), "cso": set(), "comms": set(), "cllr": set()}


# Pages --------------------------------------------------------------------------------------

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=", re.I)


def test_request_pages_walk_through_the_workflow(editor, head, web, client_for):
    client = client_for(editor)
    page = client.get("/account-requests/new/")
    html = page.content.decode()
    assert page.status_code == 200 and "Who is your audience?" in html and not INLINE.search(html)

    bad = client.post("/account-requests/new/", {**ANSWERS, "audience": "", "monitors": []})
    html = bad.content.decode()
    assert bad.status_code == 200 and "<title>Error:" in html and "govuk-error-summary" in html
    assert 'href="#id_audience"' in html and "Choose who will monitor the account." in html
    assert not AccountRequest.objects.exists()

    done = client.post("/account-requests/new/", {**ANSWERS, "monitors": [editor.pk]})
    request = AccountRequest.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/account-requests/{request.pk}/"
    assert "Record the decision" not in client.get(done["Location"]).content.decode()

    head_client = client_for(head)
    assert "Record the decision" in head_client.get(f"/account-requests/{request.pk}/").content.decode()
    assert "Waiting for you" in head_client.get("/").content.decode()
    no_reason = head_client.post(f"/account-requests/{request.pk}/decide/", {"outcome": "refused"})
    assert no_reason.status_code == 200 and "<title>Error:" in no_reason.content.decode()
    head_client.post(f"/account-requests/{request.pk}/decide/", {"outcome": "more_information", "reasons": "Why?"})
    request.refresh_from_db()
    assert request.state == State.MORE_INFORMATION

    form = client.get(f"/account-requests/{request.pk}/resubmit/")
    assert form.status_code == 200 and "Why?" in form.content.decode()
    client.post(f"/account-requests/{request.pk}/resubmit/", {**ANSWERS, "audience": "Families",
                                                              "monitors": [editor.pk]})
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and request.audience == "Families"

    assert web.pk and client_for(web).post(f"/account-requests/{request.pk}/decide/",
                                           {"outcome": "approved"}).status_code == 403
    head_client.post(f"/account-requests/{request.pk}/decide/", {"outcome": "approved"})
    client_for(web).post(f"/account-requests/{request.pk}/decide/", {"outcome": "approved"})
    request.refresh_from_db()
    assert request.state == State.APPROVED
    channel_page = client_for(web).get(request.channel.get_absolute_url()).content.decode()
    assert "Activate the channel" in channel_page and "Branding checklist" in channel_page
    assert not INLINE.search(channel_page)


def test_request_pages_are_scoped(editor, staff, client_for, make_user, services):
    request = submit(editor)
    other = make_user("leisure.editor", Role.SERVICE_EDITOR, services["leisure"])
    assert client_for(other).get(f"/account-requests/{request.pk}/").status_code == 404
    assert client_for(other).post(f"/account-requests/{request.pk}/decide/",
                                  {"outcome": "approved"}).status_code == 404
    assert client_for(staff[Role.COUNCILLOR]).get("/account-requests/new/").status_code == 403
    listing = client_for(staff[Role.WEB_TEAM]).get("/account-requests/").content.decode()
    assert "@LibsKids" in listing and not INLINE.search(listing)


# API ----------------------------------------------------------------------------------------


def api(client_for, user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_create_list_detail_decide_and_resubmit(editor, head, web, client_for):
    client = api(client_for, editor)
    created = client.post("/api/account-requests/", {**ANSWERS, "monitors": [editor.username]}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["state"] == "submitted" and created.json()["stage"] == "head_of_service"
    assert [r["id"] for r in client.get("/api/account-requests/").json()["results"]] == [pk]

    forbidden = api(client_for, web).post(f"/api/account-requests/{pk}/decide/", {"outcome": "approved"},
                                          format="json")
    assert forbidden.status_code == 403 and "Only Head" in forbidden.json()["detail"]
    asked = api(client_for, head).post(f"/api/account-requests/{pk}/decide/",
                                       {"outcome": "more_information", "reasons": "Who covers?"}, format="json")
    assert asked.status_code == 200 and asked.json()["state"] == "more_information"
    again = client.post(f"/api/account-requests/{pk}/resubmit/", {"out_of_hours": "Rota of two."}, format="json")
    assert again.status_code == 200 and again.json()["state"] == "submitted"
    api(client_for, head).post(f"/api/account-requests/{pk}/decide/", {"outcome": "approved"}, format="json")
    approved = api(client_for, web).post(f"/api/account-requests/{pk}/decide/", {"outcome": "approved"},
                                         format="json")
    body = approved.json()
    assert approved.status_code == 200 and body["state"] == "approved" and body["channel"]
    assert [d["outcome"] for d in body["decisions"]] == ["more_information", "approved", "approved"]
    assert Channel.objects.get(pk=body["channel"]).status == "setting_up"


def test_api_bad_input_is_400_with_a_clear_message_and_no_change(editor, head, client_for):
    client = api(client_for, editor)
    missing = client.post("/api/account-requests/", {"platform": "myspace"}, format="json")
    assert missing.status_code == 400
    assert "platform" in missing.json() and "audience" in missing.json() and "monitors" in missing.json()
    corporate = client.post("/api/account-requests/", {**ANSWERS, "kind": "corporate",
                                                       "monitors": [editor.username]}, format="json")
    assert corporate.status_code == 400 and "kind" in corporate.json()
    nobody = client.post("/api/account-requests/", {**ANSWERS, "monitors": ["nobody"]}, format="json")
    assert nobody.status_code == 400 and "monitors" in nobody.json()
    assert not AccountRequest.objects.exists()

    pk = client.post("/api/account-requests/", {**ANSWERS, "monitors": [editor.username]}, format="json").json()["id"]
    head_api = api(client_for, head)
    assert head_api.post(f"/api/account-requests/{pk}/decide/", {"outcome": "maybe"}, format="json").status_code == 400
    no_reason = head_api.post(f"/api/account-requests/{pk}/decide/", {"outcome": "refused"}, format="json")
    assert no_reason.status_code == 400 and "reasons" in no_reason.json()
    assert client.get("/api/account-requests/?state=nonsense").status_code == 400
    assert AccountRequest.objects.get().state == State.SUBMITTED and not AccountRequestDecision.objects.exists()


def test_api_is_scoped(editor, head, web, staff, client_for, make_user, services):
    pk = submit(editor).pk
    other = make_user("leisure.editor", Role.SERVICE_EDITOR, services["leisure"])
    assert api(client_for, other).get("/api/account-requests/").json()["results"] == []
    assert api(client_for, other).get(f"/api/account-requests/{pk}/").status_code == 404
    assert api(client_for, other).post(f"/api/account-requests/{pk}/decide/", {"outcome": "approved"},
                                       format="json").status_code == 404
    for user in (editor, head, web):
        assert api(client_for, user).get(f"/api/account-requests/{pk}/").status_code == 200
    from rest_framework.test import APIClient

    assert APIClient().get("/api/account-requests/").status_code in (401, 403)


# Rules first, then input; nobody decides their own request ------------------------------------


def test_a_councillor_posting_an_empty_request_gets_403_not_400(staff, client_for):
    client = api(client_for, staff[Role.COUNCILLOR])
    for body in ({}, {"platform": "myspace"}, {**ANSWERS, "monitors": []}):
        response = client.post("/api/account-requests/", body, format="json")
        assert response.status_code == 403, response.content
        assert "Councillors cannot request council accounts" in response.json()["detail"]
    assert not AccountRequest.objects.exists()


def test_someone_who_may_not_decide_gets_403_whatever_the_body(client_for, editor, head, web):
    request = submit(editor)
    for user in (web, editor):  # the web team decides second; the requester never
        response = api(client_for, user).post(f"/api/account-requests/{request.pk}/decide/", {}, format="json")
        assert response.status_code == 403, response.content
    response = api(client_for, head).post(f"/api/account-requests/{request.pk}/resubmit/", {"platform": "x"},
                                          format="json")
    assert response.status_code == 403
    assert api(client_for, head).post(f"/api/account-requests/{request.pk}/decide/", {},
                                      format="json").status_code == 400  # the head may, with a valid body


def test_a_head_of_service_cannot_decide_their_own_request(client_for, head, web, make_user, services):
    request = submit(head)
    assert any("Decide a request" in s for s in subjects(web)) and not any("Decide" in s for s in subjects(head))
    refused = api(client_for, head).post(f"/api/account-requests/{request.pk}/decide/", {"outcome": "approved"},
                                         format="json")
    assert refused.status_code == 403
    assert "You made this request" in refused.json()["detail"]
    page = client_for(head).post(f"/account-requests/{request.pk}/decide/", {"outcome": "approved"})
    assert page.status_code == 403
    with pytest.raises(PermissionDenied):
        requests.account_request_decide(actor=head, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.SUBMITTED and not request.decisions.exists()
    # Another head of service is not the Libraries' head: they may not decide it either.
    other = make_user("head2", Role.HEAD_OF_SERVICE, services["leisure"])
    with pytest.raises(PermissionDenied):
        requests.account_request_decide(actor=other, request=request, outcome=Outcome.APPROVED)
    # The web team decides both stages of a head's own request.
    requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.WITH_WEB_TEAM
    requests.account_request_decide(actor=web, request=request, outcome=Outcome.APPROVED)
    request.refresh_from_db()
    assert request.state == State.APPROVED
