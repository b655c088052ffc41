"""FOI and SLA due dates as stored on cases, across weekends, Christmas and Easter 2026–2027;
out-of-hours marking; the FOI register, its validity check, reminders and responses; the SLA
watch that warns and escalates."""
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import Role
from triage import services
from triage.models import Case, FoiRequest

pytestmark = pytest.mark.django_db

FOI_TEXT = ("Under the Freedom of Information Act please disclose how much was spent on agency staff in 2025. "
            "Regards, Jane Smith, 12 Acacia Road, London NW10 2AB")
CS_TEXT = "My bin wasn't collected on Church Lane again this week, can you sort it please?"
SIGNPOST_TEXT = "What are the opening times for Kilburn library on Saturday?"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def arrive(post, case_of, text, when):
    with time_machine.travel(when, tick=False):
        return case_of(post(text, posted_at=when))


@pytest.mark.parametrize(("received", "due_date"), [
    (at(2026, 12, 24, 11, 0), date(2027, 1, 26)),  # Christmas Day, Boxing Day (Monday 28th), New Year's Day
    (at(2027, 3, 25, 10, 0), date(2027, 4, 26)),  # Good Friday and Easter Monday 2027
    (at(2026, 4, 4, 10, 0), date(2026, 5, 5)),  # a Saturday in Easter 2026; the early May bank holiday
    (at(2026, 12, 18, 23, 30), date(2027, 1, 20)),  # a Friday night; Christmas and New Year
])
def test_foi_due_dates_on_cases(post, case_of, received, due_date):
    case = arrive(post, case_of, FOI_TEXT, received)
    foi = FoiRequest.objects.get(case=case)
    assert foi.due_date == due_date and foi.received_at == received
    # The case's SLA is the end of that working day, 17:00 London time.
    assert timezone.localtime(case.sla_due_at).date() == due_date
    assert timezone.localtime(case.sla_due_at).strftime("%H:%M") == "17:00"


@pytest.mark.parametrize(("received", "due", "out_of_hours"), [
    # Customer service: 24 hours from the clock start; a deadline out of hours moves to the next working moment.
    (at(2026, 12, 18, 16, 0), at(2026, 12, 21, 9, 0), False),  # Friday → Saturday 16:00 → Monday 09:00
    (at(2026, 12, 24, 15, 0), at(2026, 12, 29, 9, 0), False),  # Christmas Eve → Tuesday 29th (Boxing Day on the 28th)
    (at(2026, 12, 26, 12, 0), at(2026, 12, 30, 9, 0), True),  # Boxing Day: the clock starts Tuesday 09:00
    (at(2027, 3, 26, 10, 0), at(2027, 3, 31, 8, 0), True),  # Good Friday 2027: starts Tuesday 30th 09:00 BST
    (at(2026, 4, 6, 9, 0), at(2026, 4, 8, 8, 0), True),  # Easter Monday 2026: starts Tuesday 7th 09:00 BST
])
def test_customer_service_sla_on_cases(post, case_of, received, due, out_of_hours):
    case = arrive(post, case_of, CS_TEXT, received)
    assert case.route == "customer_service"
    assert case.sla_due_at == due and case.out_of_hours is out_of_hours


@pytest.mark.parametrize(("received", "due", "clock_start"), [
    (at(2026, 12, 24, 10, 0), at(2026, 12, 24, 17, 0), at(2026, 12, 24, 10, 0)),  # same working day
    (at(2026, 12, 24, 16, 30), at(2026, 12, 29, 17, 0), at(2026, 12, 24, 16, 30)),  # after the 16:00 cut-off
    (at(2027, 3, 27, 12, 0), at(2027, 3, 30, 16, 0), at(2027, 3, 30, 8, 0)),  # Easter Saturday → Tuesday (BST)
    (at(2027, 1, 1, 9, 30), at(2027, 1, 4, 17, 0), at(2027, 1, 4, 9, 0)),  # New Year's Day → Monday
])
def test_web_team_response_sla_on_cases(post, case_of, received, due, clock_start):
    case = arrive(post, case_of, SIGNPOST_TEXT, received)
    assert case.route == "web_team_response"
    assert case.sla_due_at == due and case.clock_started_at == clock_start
    assert case.out_of_hours is (received != clock_start)


def test_out_of_hours_cases_are_marked_on_the_dashboard(post, case_of, staff, client_for):
    case = arrive(post, case_of, CS_TEXT, at(2026, 12, 26, 12, 0))
    with time_machine.travel(at(2026, 12, 29, 10, 0), tick=False):
        page = client_for(staff[Role.WEB_TEAM]).get("/cases/").content.decode()
        detail = client_for(staff[Role.WEB_TEAM]).get(case.get_absolute_url()).content.decode()
    assert "Arrived out of hours" in page and "Arrived out of hours" in detail


# --- the register ------------------------------------------------------------------------------

def test_an_invalid_request_is_made_valid_and_its_clock_restarts(post, case_of, staff):
    case = arrive(post, case_of, "FOI: please provide the number of potholes repaired in 2025",
                  at(2026, 12, 10, 10, 0))
    foi = case.foi
    assert not foi.valid
    with time_machine.travel(at(2026, 12, 24, 11, 0), tick=False):
        services.foi_validate(actor=staff[Role.WEB_TEAM], foi=foi, requester="Sam Patel",
                              address="sam.patel@example.org")
    foi.refresh_from_db()
    case.refresh_from_db()
    assert foi.valid and foi.clock_start == date(2026, 12, 24) and foi.due_date == date(2027, 1, 26)
    assert timezone.localtime(case.sla_due_at).date() == date(2027, 1, 26)
    assert case.events.filter(kind="foi_validated").exists()


def test_validating_needs_a_name_and_an_address(post, case_of, staff):
    foi = case_of(post("FOI: please provide the number of potholes repaired in 2025")).foi
    with pytest.raises(services.CaseActionError, match="name and an address"):
        services.foi_validate(actor=staff[Role.WEB_TEAM], foi=foi, requester="Sam Patel", address=" ")
    foi.refresh_from_db()
    assert not foi.valid


def test_a_reminder_is_sent_once_before_the_answer_is_due(post, case_of, staff, django_capture_on_commit_callbacks):
    case = arrive(post, case_of, FOI_TEXT, at(2026, 12, 24, 11, 0))  # due Tuesday 26 January 2027
    assert services.foi_reminders_send(now=at(2027, 1, 18, 9, 0)) == 0  # 6 working days before
    with django_capture_on_commit_callbacks(execute=True):
        assert services.foi_reminders_send(now=at(2027, 1, 19, 9, 0)) == 1  # 5 working days before
    assert services.foi_reminders_send(now=at(2027, 1, 20, 9, 0)) == 0
    assert case.events.filter(kind="foi_reminder").count() == 1
    assert Notification.objects.filter(user=staff[Role.WEB_TEAM], subject__startswith="FOI answers due soon").exists()


def test_the_response_is_recorded_as_a_web_page_linked_in_a_reply(post, case_of, staff):
    case = case_of(post(FOI_TEXT))
    with pytest.raises(services.CaseActionError, match="web page"):
        services.foi_respond(actor=staff[Role.WEB_TEAM], foi=case.foi, kind="web_page")
    services.foi_respond(actor=staff[Role.WEB_TEAM], foi=case.foi, kind="web_page",
                         url="https://www.demo-council.example/foi/2026-118")
    case.refresh_from_db()
    assert case.foi.responded_at is not None and case.foi.response_kind == "web_page"
    assert case.state == "responded" and case.sla_stopped_at is not None
    services.case_close(actor=staff[Role.WEB_TEAM], case=case)


def test_a_valid_unanswered_request_cannot_be_closed(post, case_of, staff):
    case = case_of(post(FOI_TEXT))
    with pytest.raises(services.CaseActionError, match="Record the FOI response"):
        services.case_close(actor=staff[Role.WEB_TEAM], case=case)
    case.refresh_from_db()
    assert case.state == "new"


def test_a_reply_does_not_stop_the_foi_clock(post, case_of, staff):
    class Client:
        def reply(self, in_reply_to, text):
            from platforms.base import Published

            return Published(external_id="9001")

    case = case_of(post(FOI_TEXT))
    services.case_reply(actor=staff[Role.WEB_TEAM], case=case, text="Thanks, we have logged your request.",
                        client=Client())
    case.refresh_from_db()
    assert case.first_response_at is not None and case.sla_stopped_at is None


def test_the_foi_register_page(post, case_of, staff, client_for):
    case = case_of(post(FOI_TEXT))
    page = client_for(staff[Role.WEB_TEAM]).get("/foi/").content.decode()
    assert f"Case {case.pk}" in page and "Jane Smith" in page and "Valid" in page
    assert f"Case {case.pk}" not in client_for(staff[Role.WEB_TEAM]).get("/foi/?status=answered").content.decode()


def test_the_foi_actions_on_the_case_page(post, case_of, staff, client_for):
    case = case_of(post("FOI: please provide the number of potholes repaired in 2025"))
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post(f"/cases/{case.pk}/foi-validate/", {"foi-validate-requester": "Sam Patel",
                                                                "foi-validate-address": ""})
    assert response.status_code == 400 and "<title>Error:" in response.content.decode()
    response = client.post(f"/cases/{case.pk}/foi-validate/", {"foi-validate-requester": "Sam Patel",
                                                                "foi-validate-address": "1 High Road, NW10 1AA"})
    assert response.status_code == 302
    response = client.post(f"/cases/{case.pk}/foi-respond/", {"foi-respond-kind": "email"})
    assert response.status_code == 302
    assert FoiRequest.objects.get(case=case).response_kind == "email"


# --- the SLA watch -----------------------------------------------------------------------------

def test_the_sla_watch_warns_the_assignee_then_escalates_to_the_web_team(post, case_of, staff,
                                                                        django_capture_on_commit_callbacks):
    case = arrive(post, case_of, CS_TEXT, at(2026, 12, 18, 16, 0))  # due Monday 21 December 09:00
    services.case_assign(actor=staff[Role.WEB_TEAM], case=case, assignee=staff[Role.CUSTOMER_SERVICES])
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sla_watch(now=at(2026, 12, 21, 7, 30)) == {"warned": 0, "breached": 0}
        assert services.sla_watch(now=at(2026, 12, 21, 8, 15)) == {"warned": 1, "breached": 0}
        assert services.sla_watch(now=at(2026, 12, 21, 8, 20)) == {"warned": 0, "breached": 0}
        assert services.sla_watch(now=at(2026, 12, 21, 9, 0)) == {"warned": 0, "breached": 1}
        assert services.sla_watch(now=at(2026, 12, 21, 10, 0)) == {"warned": 0, "breached": 0}
    cso = Notification.objects.filter(user=staff[Role.CUSTOMER_SERVICES]).values_list("subject", flat=True)
    assert "Due soon: respond before the SLA is breached" in cso and "SLA breached on your case" in cso
    assert Notification.objects.filter(user=staff[Role.WEB_TEAM], subject="SLA breached: 1 case").exists()
    assert list(case.events.filter(kind__startswith="sla").values_list("kind", flat=True)) == [
        "sla_warning", "sla_breach"]


def test_an_answered_case_is_not_escalated(post, case_of, staff):
    case = arrive(post, case_of, CS_TEXT, at(2026, 12, 18, 16, 0))
    services.case_private_channel(actor=staff[Role.CUSTOMER_SERVICES], case=case, note="Rang them back",
                                  responded=True)
    assert services.sla_watch(now=at(2026, 12, 22, 9, 0)) == {"warned": 0, "breached": 0}
    case.refresh_from_db()
    assert case.first_response_at is not None and case.sla_breached_at is None


def test_the_sla_watch_task_is_scheduled():
    from council_social.schedules import SCHEDULES

    tasks = {task for task, _, _ in SCHEDULES.values()}
    assert {"triage.sla_watch", "triage.foi_reminders"} <= tasks
    from triage import tasks as triage_tasks

    assert triage_tasks.sla_watch.name == "triage.sla_watch"
    assert Case.objects.count() == 0 and triage_tasks.sla_watch() == {"warned": 0, "breached": 0}
