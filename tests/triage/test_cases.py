"""Case actions as services: each one changes the case in one transaction, puts an event on the
timeline and a record on the audit trail, tells people after commit, and refuses stale saves
and impossible changes with a message."""
import pytest

from accounts.models import AuditEvent, Notification, Service
from accounts.roles import Role
from platforms.base import Published, TransientError
from triage import services
from triage.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

CS_TEXT = "My bin wasn't collected on Church Lane again this week, can you sort it please?"


class FakeClient:
    """A platform client that records replies (the simulator tests post for real)."""

    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def reply(self, in_reply_to, text):
        if self.fail:
            raise TransientError("x: 503 Service Unavailable", status=503)
        self.sent.append((in_reply_to, text))
        return Published(external_id=f"reply-{len(self.sent)}", url="https://x.com/council/status/1")


@pytest.fixture
def case(post, case_of):
    return case_of(post(CS_TEXT))


def audit_actions(case):
    return list(AuditEvent.objects.filter(object_type="triage.case", object_id=str(case.pk))
                .order_by("at", "pk").values_list("action", flat=True))


def test_acknowledge_assign_note_and_close(case, staff):
    web, cso = staff[Role.WEB_TEAM], staff[Role.CUSTOMER_SERVICES]
    case = services.case_acknowledge(actor=web, case=case, version=1)
    assert (case.state, case.version) == ("acknowledged", 2) and case.acknowledged_at
    case = services.case_assign(actor=web, case=case, assignee=cso, version=2)
    assert (case.state, case.assignee) == ("in_progress", cso)
    services.case_note(actor=cso, case=case, text="Rang the crew; collecting tomorrow.")
    case = services.case_close(actor=cso, case=case, note="Collected", version=3)
    assert case.state == "closed" and case.resolved_at
    events = list(case.events.values_list("kind", "actor_name"))
    assert events == [("created", "system"), ("acknowledged", "Web"), ("assigned", "Web"), ("note", "Cso"),
                      ("closed", "Cso")]
    assert audit_actions(case) == ["case.acknowledged", "case.assigned", "case.note", "case.closed"]
    assert AuditEvent.objects.filter(action="case.assigned").get().changes["assignee"] == [None, "Cso"]


def test_a_stale_version_is_refused_and_changes_nothing(case, staff):
    services.case_acknowledge(actor=staff[Role.WEB_TEAM], case=case, version=1)
    with pytest.raises(services.StaleCase, match="Someone else changed this case"):
        services.case_close(actor=staff[Role.CUSTOMER_SERVICES], case=case, version=1)
    case.refresh_from_db()
    assert case.state == "acknowledged" and case.version == 2
    assert not CaseEvent.objects.filter(case=case, kind="closed").exists()


def test_a_note_does_not_make_other_forms_stale(case, staff):
    services.case_note(actor=staff[Role.WEB_TEAM], case=case, text="Looking into it")
    services.case_acknowledge(actor=staff[Role.CUSTOMER_SERVICES], case=case, version=1)


def test_impossible_changes_are_refused(case, staff):
    web = staff[Role.WEB_TEAM]
    services.case_acknowledge(actor=web, case=case)
    with pytest.raises(services.CaseActionError, match="already acknowledged"):
        services.case_acknowledge(actor=web, case=case)
    with pytest.raises(services.CaseActionError, match="cannot be given cases"):
        services.case_assign(actor=web, case=case, assignee=staff[Role.COUNCILLOR])
    with pytest.raises(services.CaseActionError, match="Write the note"):
        services.case_note(actor=web, case=case, text="  ")
    with pytest.raises(services.CaseActionError, match="is not closed"):
        services.case_reopen(actor=web, case=case)
    services.case_close(actor=web, case=case)
    with pytest.raises(services.CaseActionError, match="Reopen it before you reply"):
        services.case_reply(actor=web, case=case, text="Hello", client=FakeClient())
    services.case_reopen(actor=web, case=case, note="They wrote back")
    case.refresh_from_db()
    assert case.state == "in_progress" and case.resolved_at is None


def test_the_assignee_is_told_after_commit(case, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.case_assign(actor=staff[Role.WEB_TEAM], case=case, assignee=staff[Role.CUSTOMER_SERVICES])
    note = Notification.objects.get(user=staff[Role.CUSTOMER_SERVICES], subject__contains="assigned to you")
    assert note.url == case.get_absolute_url()


def test_hand_over_to_a_service_tells_its_officers(case, staff, django_capture_on_commit_callbacks):
    libraries = Service.objects.get(slug="libraries")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_hand_over(actor=staff[Role.WEB_TEAM], case=case, service=libraries,
                                       note="About a library card, really")
    assert (case.state, case.service) == ("with_service", libraries)
    told = set(Notification.objects.filter(subject__startswith="Handed over to Libraries").values_list(
        "user__username", flat=True))
    assert told == {"head", "editor"}


def test_escalation_tells_comms_and_where_chosen_the_head_of_service_and_councillors(
        post, case_of, staff, django_capture_on_commit_callbacks, client_for):
    case = case_of(post("Why is Kilburn library closing on Sundays?", channel="libraries"))
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_escalate(actor=staff[Role.WEB_TEAM], case=case, reason="Local paper is asking",
                                      tell_head_of_service=True, councillors=[staff[Role.COUNCILLOR]])
    assert (case.route, case.priority, case.state) == ("comms_escalation", "urgent", "in_progress")
    assert case.escalated_at and case.sla_policy == "comms_escalation"
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert {"comms", "head", "cllr"} <= told and "editor" not in told
    assert client_for(staff[Role.COUNCILLOR]).get(case.get_absolute_url()).status_code == 200
    event = case.events.get(kind="escalated")
    assert event.data["told"] == ["communications officers", "the head of Libraries", "Cllr"]


def test_only_the_web_team_and_comms_tell_councillors(case, staff):
    with pytest.raises(services.CaseActionError, match="Only the web team and communications officers"):
        services.case_escalate(actor=staff[Role.CUSTOMER_SERVICES], case=case, councillors=[staff[Role.COUNCILLOR]])
    with pytest.raises(services.CaseActionError, match="is not a councillor"):
        services.case_escalate(actor=staff[Role.WEB_TEAM], case=case, councillors=[staff[Role.SERVICE_EDITOR]])
    assert Case.objects.get(pk=case.pk).route == "customer_service"


def test_a_reply_goes_through_the_platform_client_and_stops_the_clock(case, staff):
    client = FakeClient()
    event = services.case_reply(actor=staff[Role.WEB_TEAM], case=case, text="Sorry, we'll collect it tomorrow.",
                                version=1, client=client)
    assert client.sent == [(case.mention.external_id, "Sorry, we'll collect it tomorrow.")]
    assert (event.kind, event.external_id) == ("reply", "reply-1")
    case.refresh_from_db()
    assert case.state == "responded" and case.first_response_at == case.sla_stopped_at


def test_a_reply_the_platform_refuses_records_nothing_and_the_same_form_is_not_sent_twice(case, staff):
    with pytest.raises(services.CaseActionError, match="did not take the reply, so nothing was posted"):
        services.case_reply(actor=staff[Role.WEB_TEAM], case=case, text="Hello", version=1,
                            client=FakeClient(fail=True))
    assert not case.events.filter(kind="reply").exists()
    with pytest.raises(services.StaleCase):
        services.case_reply(actor=staff[Role.WEB_TEAM], case=case, text="Hello", version=1, client=FakeClient())


def test_a_reply_blocked_by_the_pre_publish_checks_is_refused_with_the_checks_message(case, staff):
    client = FakeClient()
    with pytest.raises(services.CaseActionError, match="National Insurance"):
        services.case_reply(actor=staff[Role.WEB_TEAM], case=case, client=client,
                            text="Thanks Mr Jones, we have your NI number JG 10 37 26 A on file.")
    assert client.sent == []


def test_a_reply_may_give_the_councils_own_contact_details(case, staff):
    Service.objects.filter(slug="libraries").update(email="libraries@kingsmere.gov.uk")
    client = FakeClient()
    with pytest.raises(services.CaseActionError, match="email address that is not the council's"):
        services.case_reply(actor=staff[Role.WEB_TEAM], case=case, client=client,
                            text="Please write to jo.bloggs@gmail.com about it.")
    services.case_reply(actor=staff[Role.WEB_TEAM], case=case, client=client,
                        text="Please email libraries@kingsmere.gov.uk and we will sort it.")
    assert len(client.sent) == 1


def test_taken_to_a_private_channel(case, staff):
    services.case_private_channel(actor=staff[Role.CUSTOMER_SERVICES], case=case, note="Phone call booked")
    case.refresh_from_db()
    assert case.sla_stopped_at is None and not case.first_response_at  # only recorded: the clock runs on
    services.case_private_channel(actor=staff[Role.CUSTOMER_SERVICES], case=case, note="Rang them back",
                                  responded=True)
    case.refresh_from_db()
    assert case.state == "responded" and case.first_response_at
    assert case.events.filter(kind="private_channel", text="Rang them back").exists()


def test_bulk_actions_skip_what_cannot_be_done(post, case_of, staff):
    cases = [case_of(post(CS_TEXT, author=f"r{i}")) for i in range(3)]
    services.case_acknowledge(actor=staff[Role.WEB_TEAM], case=cases[0])
    result = services.cases_bulk(actor=staff[Role.WEB_TEAM], cases=cases, action="acknowledge")
    assert result.done == [cases[1].pk, cases[2].pk]
    assert result.skipped == [(cases[0].pk, f"Case {cases[0].pk} is already acknowledged.")]
    result = services.cases_bulk(actor=staff[Role.WEB_TEAM], cases=cases, action="assign",
                                 assignee=staff[Role.CUSTOMER_SERVICES])
    assert len(result.done) == 3
    assert set(Case.objects.values_list("state", flat=True)) == {"in_progress"}
    with pytest.raises(services.CaseActionError, match="Choose who"):
        services.cases_bulk(actor=staff[Role.WEB_TEAM], cases=cases, action="assign")


def test_a_hand_over_to_the_case_s_own_service_is_refused_and_the_timeline_says_where(case, staff, client_for):
    libraries, leisure = Service.objects.get(slug="libraries"), Service.objects.get(slug="leisure")
    case = services.case_hand_over(actor=staff[Role.WEB_TEAM], case=case, service=libraries)
    with pytest.raises(services.CaseActionError, match="already Libraries'"):
        services.case_hand_over(actor=staff[Role.WEB_TEAM], case=case, service=libraries)
    services.case_hand_over(actor=staff[Role.WEB_TEAM], case=case, service=leisure)
    page = client_for(staff[Role.WEB_TEAM]).get(case.get_absolute_url()).content.decode()
    assert "Handed over to Libraries" in page
    assert "Handed over to Leisure (from Libraries)" in page
