"""New mentions, stored by monitoring's ingestion, are classified and routed into cases by the
hook: each outcome of seed 004's matrix with a realistic mention, its explanation on the case
page, conversations joining their open case, threads that grow, and who is told."""
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification
from accounts.roles import Role
from monitoring.models import Author, Mention
from triage import services
from triage.models import Case, CaseEvent, CaseNotice, FoiRequest, MentionRouting

pytestmark = pytest.mark.django_db


def page_of(client, case) -> str:
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    return html.unescape(response.content.decode())


# --- each outcome of the matrix ------------------------------------------------------------------

def test_of_no_particular_consequence_is_monitored(post, case_of, staff, client_for, model_reads):
    model_reads("no_action")
    mention = post("Lovely morning walk through Gladstone Park, the autumn colours are beautiful", followers=240)
    case = case_of(mention)
    assert mention.routing.route == "no_action" and mention.routing.rule_name == "No particular consequence"
    assert case.state == "monitoring" and case.sla_due_at is None
    text = page_of(client_for(staff[Role.WEB_TEAM]), case)
    assert ("No rule applied, so no action beyond monitoring: the model reads it as nothing to act on (90%), "
            "the tone is positive (0.83)") in text


def test_a_person_needing_customer_services(post, case_of, services, staff, client_for, model_reads):
    model_reads("customer_service")
    mention = post("My bin wasn't collected on Church Lane again this week, can you sort it please?", followers=85)
    case = case_of(mention)
    assert (case.route, case.priority, case.state) == ("customer_service", "high", "new")
    assert case.service == services["waste-and-recycling"]
    assert case.sla_policy == "customer_service" and case.sla_due_at is not None
    text = page_of(client_for(staff[Role.WEB_TEAM]), case)
    assert ("Routed by rule 'Person needing customer services': the model reads it as a request for customer "
            "services (90%).") in text


def test_simple_confusion_gets_a_web_team_response(post, case_of, services, staff, client_for, model_reads):
    model_reads("web_team_response")
    case = case_of(post("What are the opening times for Kilburn library on Saturday?", followers=310))
    assert case.route == "web_team_response" and case.service == services["libraries"]
    text = page_of(client_for(staff[Role.WEB_TEAM]), case)
    assert "Routed by rule 'Simple question (signposting)': the model reads it as a simple question the " \
           "website answers (90%)." in text
    assert "the web team responds directly, signposting to the website" in text


def test_a_conversation_on_a_service_channel_goes_to_the_service(post, case_of, services, staff, client_for,
                                                                 model_reads):
    model_reads("service_conversation")
    case = case_of(post("Great storytime at Kilburn library today, the kids loved it", channel="libraries",
                        kind="comment", followers=150))
    assert case.route == "service_conversation" and case.service == services["libraries"]
    text = page_of(client_for(staff[Role.SERVICE_EDITOR]), case)
    assert "Routed by rule 'Conversation about a service': the model reads it as a conversation about a " \
           "service (90%)." in text


def test_a_controversial_issue_goes_to_communications(post, case_of, staff, client_for, model_reads):
    model_reads("comms_escalation")
    case = case_of(post("The council is closing Kensal Rise library. A scandal. Sign the petition!", followers=420))
    assert (case.route, case.priority) == ("comms_escalation", "urgent")
    text = page_of(client_for(staff[Role.COMMUNICATIONS_OFFICER]), case)
    assert "Routed by rule 'Controversial issue': the model reads it as a controversial or reputational " \
           "matter (90%) and the tone is negative (-0.49)." in text


def test_a_highly_influential_commentator_goes_to_communications(post, case_of, staff, client_for, model_reads):
    model_reads("service_conversation")
    case = case_of(post("Interesting to read the council's new recycling plans this morning", followers=58_000,
                        verified=True, author="localjournalist"))
    assert case.route == "comms_escalation" and case.rule_name == "Influential commentator"
    text = page_of(client_for(staff[Role.COMMUNICATIONS_OFFICER]), case)
    assert "the author has 58,000 followers (threshold 10,000) on a verified account" in text
    assert Author.objects.get(handle="@localjournalist").influence >= 65


def test_a_freedom_of_information_request_enters_the_register(post, case_of, staff, client_for, model_reads):
    model_reads("foi")
    mention = post("Under the Freedom of Information Act please disclose how much was spent on agency staff in "
                   "2025. Regards, Jane Smith, 12 Acacia Road, London NW10 2AB", followers=40)
    case = case_of(mention)
    assert case.route == "foi" and case.sla_policy == "foi"
    foi = FoiRequest.objects.get(case=case)
    assert foi.valid and foi.requester == "Jane Smith"
    assert "a name (Jane Smith) and an address for correspondence (postcode) are given" in foi.validity_reason
    text = page_of(client_for(staff[Role.WEB_TEAM]), case)
    assert "Routed by rule 'Freedom of Information request': it is a request for recorded information " \
           "(the model, 90%) and it is valid" in text
    assert "Freedom of Information request" in text and "Jane Smith" in text


def test_an_foi_request_from_a_profile_with_a_real_name_is_valid(post, case_of):
    case = case_of(post("FOI request: please disclose the number of parking tickets issued on Harrow Road in 2025",
                        name="Amara Okafor", followers=40))
    foi = case.foi
    assert foi.valid and foi.requester == "Amara Okafor" and "real name is visible" in foi.validity_reason


def test_an_foi_request_without_a_name_is_registered_but_not_yet_valid(post, case_of):
    case = case_of(post("FOI: please provide the number of potholes repaired in 2025", name="pothole_watcher_77"))
    assert case.route == "foi" and case.foi.valid is False
    assert "it is not yet valid: no real name visible and no name and address given" in case.explanation


# --- batches, conversations, threads -----------------------------------------------------------

def test_a_batch_is_routed_with_the_same_number_of_queries_whatever_its_size(channels, django_assert_num_queries):
    from django.db import transaction
    from django.utils import timezone

    from monitoring.services import ingest_items
    from platforms.base import Author as ItemAuthor
    from platforms.base import Item

    texts = ["My bin wasn't collected again, can you sort it please?", "What time does the library open?",
             "Lovely park", "The council is a shambles and a disgrace, cuts everywhere"]

    def batch(n, start):
        return [Item(platform="x", external_id=f"b{start + i}", kind="mention", text=texts[i % 4],
                     posted_at=timezone.now(), author=ItemAuthor(external_id=f"au{start + i}", handle=f"@au{i}",
                                                                 followers=100 + i)) for i in range(n)]

    def count(items):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            ingest_items(channel=channels["corporate"], items=items, raw=None)
        return len(queries)

    count(batch(2, 0))  # the configuration is now cached, as it is after the first page
    # (Sizes below SQLite's limit of variables per INSERT, which splits bigger bulk inserts.)
    assert count(batch(6, 100)) == count(batch(30, 1000))
    assert MentionRouting.objects.count() == 38 and Case.objects.count() == 38


def test_later_mentions_of_a_conversation_join_its_open_case(post, case_of, model_reads):
    model_reads("customer_service")
    first = post("My bin wasn't collected on Church Lane again, can you sort it please?", external_id="100",
                 conversation_id="100")
    reply = post("Still waiting, nobody has come", external_id="101", conversation_id="100", kind="reply",
                 author="neighbour")
    case = case_of(first)
    assert case_of(reply) == case and Case.objects.count() == 1
    assert list(case.events.values_list("kind", flat=True)) == ["created", "joined"]


def test_a_joining_mention_that_goes_further_raises_the_case(post, case_of):
    first = post("Nice photo of the town hall", external_id="200", conversation_id="200")
    assert case_of(first).state == "monitoring"
    post("This council is corrupt, I'm going to the papers", external_id="201", conversation_id="200", kind="reply")
    case = case_of(first)
    assert (case.route, case.state, case.priority) == ("comms_escalation", "new", "urgent")
    assert case.sla_due_at is not None and case.version == 2
    assert case.events.filter(kind="rerouted").exists()


def test_an_foi_request_in_a_conversation_opens_its_own_case(post, case_of):
    first = post("My bin wasn't collected again, can you sort it please?", external_id="250", conversation_id="250")
    foi = post("FOI request: please disclose how many bin collections were missed in 2025", name="Amara Okafor",
               external_id="251", conversation_id="250", kind="reply")
    later = post("Any news?", external_id="252", conversation_id="250", kind="reply")
    assert case_of(foi) != case_of(first) and case_of(foi).foi.valid
    assert case_of(later) == case_of(first)


def test_a_closed_case_is_not_joined(post, case_of, staff):
    first = post("My bin wasn't collected again, can you sort it please?", external_id="300", conversation_id="300")
    services.case_close(actor=staff[Role.WEB_TEAM], case=case_of(first))
    later = post("Thanks, sorted", external_id="301", conversation_id="300", kind="reply")
    assert case_of(later) != case_of(first)


def test_a_monitored_item_whose_thread_grows_is_looked_at_again(post, case_of, channels):
    from django.db import transaction

    from monitoring.services import ingest_items
    from platforms.base import Author as ItemAuthor
    from platforms.base import Item

    mention = post("The new parking rules are awful", external_id="400", replies=1)
    case = case_of(mention)
    assert case.state == "monitoring"
    grown = Item(platform="x", external_id="400", kind="mention", text=mention.text, posted_at=mention.posted_at,
                 author=ItemAuthor(external_id="id-resident", handle="@resident"), replies=30, reshares=12)
    with transaction.atomic():
        ingest_items(channel=channels["corporate"], items=[grown], raw=None)
    case.refresh_from_db()
    mention.routing.refresh_from_db()
    assert mention.routing.route == "comms_escalation" and mention.routing.thread_growth == 42
    assert (case.route, case.state) == ("comms_escalation", "new")
    assert "the thread has grown to 42 replies and reshares" in case.explanation


def test_a_mention_routed_twice_is_routed_once(post):
    mention = post("What time does the library open?")
    assert services.mentions_route([mention.pk]) == 0
    assert MentionRouting.objects.filter(mention=mention).count() == 1


def test_the_roles_a_rule_names_are_told_after_commit(post, staff, services, django_capture_on_commit_callbacks,
                                                      mailoutbox, monkeypatch):
    from triage import tasks
    from triage.services import case_notices_send

    queued = []
    monkeypatch.setattr(tasks.case_notices, "delay", lambda: queued.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        post("My bin wasn't collected again, can you sort it please?")
    assert queued == [1] and not Notification.objects.exists()  # the page's commit queues the sending
    with django_capture_on_commit_callbacks(execute=True):  # email after the sending's commit
        assert case_notices_send() == 1
    told = Notification.objects.filter(user=staff[Role.CUSTOMER_SERVICES])
    assert told.count() == 1 and "New on the dashboard: 1 case" in told.get().subject
    assert [m.to for m in mailoutbox] == [[staff[Role.CUSTOMER_SERVICES].email]]
    assert not Notification.objects.filter(user=staff[Role.COUNCILLOR]).exists()


def test_nothing_is_told_when_the_page_is_rolled_back(channels, staff, django_capture_on_commit_callbacks):
    from django.db import transaction
    from django.utils import timezone

    from monitoring.services import ingest_items
    from platforms.base import Author as ItemAuthor
    from platforms.base import Item

    item = Item(platform="x", external_id="rb1", kind="mention", text="My bin wasn't collected, can you sort it?",
                posted_at=timezone.now(), author=ItemAuthor(external_id="rb", handle="@rb"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            ingest_items(channel=channels["corporate"], items=[item], raw=None)
            raise RuntimeError("the cursor moved")
    assert not callbacks and not Mention.objects.filter(external_id="rb1").exists()
    assert not Notification.objects.exists() and not CaseEvent.objects.exists()
    assert not CaseNotice.objects.exists()


def test_mentions_api_items_carry_route_service_and_rule(post, staff, client_for):
    post("My bin wasn't collected again this week, can you sort it please?")
    item = client_for(staff[Role.WEB_TEAM]).get("/api/mentions/").json()["results"][0]
    assert (item["route"], item["service"], item["rule"]) == (
        "customer_service", "waste-and-recycling", "Person needing customer services")


@pytest.mark.parametrize(("display_name", "real"), [
    ("Jane Smith", True), ("Mary-Jane O'Neil", True), ("Ann Li", True), ("jane smith", False), ("Jane", False),
    ("Demo Borough Council", False), ("Kilburn Residents Group", False), ("BinWatch99", False), ("J S", False),
])
def test_a_real_name_visible_on_the_profile(display_name, real):
    from triage.classify import looks_like_real_name

    assert looks_like_real_name(display_name) is real


def test_routing_only_goes_up():
    from triage.matrix import rank

    assert rank("comms_escalation", "urgent") > rank("customer_service", "high") > rank("no_action", "low")
    assert rank("customer_service", "normal") > rank("web_team_response", "normal")
