"""Safeguarding: a mention that says a person may be at risk opens an urgent case for the
council's named safeguarding contact, who is told at once in the app and by email, out of
hours too; the case shows a banner. And each case says how its mention was classified."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils.html import escape

from accounts.models import Notification
from accounts.roles import Role
from triage import config, model_store
from triage.models import Case

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
AT_RISK = ("I'm really worried about the woman next door, I think it's domestic abuse, I hear him shouting "
           "and her crying most nights and she's stopped going out")


@pytest.fixture
def contact(make_user, services):
    """The council's named safeguarding contact: a head of service who is not on the web team."""
    user = make_user("safeguarding.lead", Role.HEAD_OF_SERVICE, services["customer-services"])
    row = config.settings_get()
    row.safeguarding_users.add(user)
    return user


def test_a_person_at_risk_out_of_hours_opens_an_urgent_case_and_tells_the_contact_at_once(
        post, case_of, contact, staff, client_for, django_capture_on_commit_callbacks):
    sunday_2am = datetime(2026, 3, 8, 2, 0, tzinfo=LONDON)
    with time_machine.travel(sunday_2am, tick=False), django_capture_on_commit_callbacks(execute=True):
        mention = post(AT_RISK, posted_at=sunday_2am)
    case = case_of(mention)
    assert case.safeguarding and case.priority == "urgent" and case.out_of_hours
    assert case.route != "no_action" and case.state == "new"

    note = Notification.objects.get(user=contact)
    assert note.subject.startswith("Safeguarding: a person may be at risk") and note.url == case.get_absolute_url()
    assert note.created_at == sunday_2am  # at once, not at the start of the next working day
    sent = [m for m in mail.outbox if contact.email in m.to]
    assert len(sent) == 1 and sent[0].subject == note.subject and case.get_absolute_url() in sent[0].body

    page = client_for(contact).get(case.get_absolute_url())  # shared with the contact, who can read it
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="app-safeguarding-banner' in html and 'id="safeguarding-title">Safeguarding</h2>' in html
    assert "A person may be at risk of harm" in html
    assert client_for(staff[Role.SERVICE_EDITOR]).get(case.get_absolute_url()).status_code == 404


def test_with_no_named_contact_the_web_team_is_told(post, case_of, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_of(post(AT_RISK))
    assert case.safeguarding
    assert Notification.objects.filter(user=staff[Role.WEB_TEAM], subject__startswith="Safeguarding").exists()


def test_the_contact_can_be_a_role_within_a_service(post, case_of, make_user, services,
                                                    django_capture_on_commit_callbacks):
    head = make_user("head.cs", Role.HEAD_OF_SERVICE, services["customer-services"])
    other = make_user("head.libs", Role.HEAD_OF_SERVICE, services["libraries"])
    row = config.settings_get()
    row.safeguarding_role, row.safeguarding_service = Role.HEAD_OF_SERVICE, services["customer-services"]
    row.save()
    with django_capture_on_commit_callbacks(execute=True):
        case_of(post(AT_RISK))
    assert Notification.objects.filter(user=head, subject__startswith="Safeguarding").exists()
    assert not Notification.objects.filter(user=other).exists()


def test_the_case_page_says_how_the_mention_was_classified(post, case_of, staff, client_for):
    model_store.classifier_ensure_live()
    case = case_of(post("Third week running the food waste hasn't been collected on Elm Road, absolute joke"))
    html = client_for(staff[Role.WEB_TEAM]).get(case.get_absolute_url()).content.decode()
    assert "How the mention was classified" in html and "Rule that fired" in html
    assert "The classifier&#x27;s confidence for each route" in html or "The classifier's confidence" in html
    said = case.mention.routing.classification["model"]
    top = max(said["route_probabilities"].values())
    assert f"{round(100 * top)}%" in html
    assert "The words that weighed most towards" in html
    words = model_store.live_predictor().explain(case.mention.text, route=said["intent"], top=8)
    assert words and all(escape(term) in html for term, _ in words[:3])


def test_a_thread_looked_at_again_that_now_reads_as_at_risk_makes_its_case_urgent(
        post, case_of, contact, django_capture_on_commit_callbacks):
    from triage import services

    case = case_of(post(AT_RISK))
    # As an earlier model read it: nothing to act on.
    Case.objects.filter(pk=case.pk).update(safeguarding=False, priority="low", route="no_action", state="monitoring")
    with django_capture_on_commit_callbacks(execute=True):
        services.mentions_rethink([case.mention_id])
    case.refresh_from_db()
    assert case.safeguarding and case.priority == "urgent" and case.state != "monitoring"
    assert Notification.objects.filter(user=contact, subject__startswith="Safeguarding").count() == 1


def test_a_reply_in_a_thread_that_says_someone_is_at_risk_makes_its_open_case_urgent(
        post, case_of, contact, django_capture_on_commit_callbacks):
    first = case_of(post("Any idea when the library reopens after the refurb?", conversation_id="thread-1"))
    assert not first.safeguarding
    with django_capture_on_commit_callbacks(execute=True):
        reply = post(AT_RISK, kind="reply", conversation_id="thread-1", author="neighbour")
    case = case_of(reply)
    assert case.pk == first.pk  # the reply joined the open case of its conversation
    assert case.safeguarding and case.priority == "urgent" and case.version > first.version
    assert Notification.objects.filter(user=contact, subject__startswith="Safeguarding").count() == 1


def test_a_raised_case_is_still_told_of(post, case_of):
    """Raising a joined case (not a safeguarding matter) tells its rule's roles as before."""
    from triage.models import CaseNotice

    first = post("Nice photo of the town hall", external_id="900", conversation_id="900")
    CaseNotice.objects.all().delete()
    post("This council is corrupt, I'm going to the papers", external_id="901", conversation_id="900", kind="reply")
    case = case_of(first)
    assert case.route == "comms_escalation"
    told = [ids for notice in CaseNotice.objects.all() for _, _, ids in notice.groups]
    assert any(case.pk in ids for ids in told)
