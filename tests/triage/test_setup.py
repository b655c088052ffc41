"""How triage is wired in: the default matrix from the first migrate, the demo data (idempotent),
the configuration cache, administrators' changes in admin, and data protection."""
import pytest

from accounts.models import Service
from accounts.roles import Role
from monitoring import privacy
from triage import config, matrix
from triage.demo import load_demo_triage
from triage.models import CannedReply, Case, Rule, ServiceTopic, SlaPolicy, TriageSettings

pytestmark = pytest.mark.django_db


def test_the_default_matrix_and_sla_policies_exist_after_migrate():
    assert [r.name for r in Rule.objects.order_by("order")] == [r.name for r in matrix.DEFAULT_RULES]
    assert set(SlaPolicy.objects.values_list("name", flat=True)) >= {"customer_service", "foi"}
    assert SlaPolicy.objects.get(name="customer_service").as_policy() == {
        "kind": "elapsed_hours", "amount": 24, "roll_to_working": True}
    assert TriageSettings.objects.count() == 1


def test_the_demo_hook_loads_rules_topics_and_canned_replies_once(services):
    first = load_demo_triage()
    assert first["triage_canned_replies_created"] >= 5 and first["triage_service_topics_created"] == 5
    assert load_demo_triage() == {k: 0 for k in first}
    assert ServiceTopic.objects.get(service__slug="libraries").phrases[0] == "library"
    assert CannedReply.objects.filter(route="web_team_response").exists()


def test_the_demo_council_command_runs_the_hook(db):
    from django.core.management import call_command

    call_command("demo_council")
    assert Rule.objects.count() == len(matrix.DEFAULT_RULES) and CannedReply.objects.exists()


def test_a_service_topic_change_is_used_at_once(post, case_of, services, model_reads):
    model_reads("service_conversation")  # unsure that no service is concerned, so the phrases count
    # No phrase places it, so it falls to the channel's own service.
    assert case_of(post("The bandstand concert was lovely")).service == services["communications"]
    topic = ServiceTopic(service=services["leisure"], phrases=["bandstand"])
    from triage.services import config_object_save

    config_object_save(actor=None, obj=topic, created=True)
    assert case_of(post("The bandstand needs painting")).service == services["leisure"]


def test_the_configuration_is_cached_until_it_changes(django_assert_num_queries):
    config.current()
    with django_assert_num_queries(1):
        cached = config.current()
    config.config_changed()
    assert config.current() is not cached


def test_influence_thresholds_are_editable(post, case_of, model_reads):
    model_reads("service_conversation")
    settings_row = config.settings_get()
    settings_row.influential_followers = 500
    from triage.services import config_object_save

    config_object_save(actor=None, obj=settings_row, created=False)
    case = case_of(post("Lovely morning in the town centre, the new benches are great", followers=800))
    assert case.rule_name == "Influential commentator"


def test_invalid_settings_are_refused():
    from django.core.exceptions import ValidationError

    from triage.services import config_object_save

    settings_row = config.settings_get()
    settings_row.abuse_words = ["fine", 42]
    with pytest.raises(ValidationError):
        config_object_save(actor=None, obj=settings_row, created=False)
    with pytest.raises(ValidationError):
        config_object_save(actor=None, obj=SlaPolicy(name="odd", kind="working_days", amount=1.5), created=True)


def test_administrators_change_rules_in_admin_through_the_service(staff, client_for, post):
    rule = Rule.objects.get(name="Simple question (signposting)")
    client = client_for(staff[Role.ADMINISTRATOR])
    assert client.get(f"/admin/triage/rule/{rule.pk}/change/").status_code == 200
    response = client.post(f"/admin/triage/rule/{rule.pk}/change/", {
        "name": rule.name, "order": 60, "route": "web_team_response", "priority": "normal", "sla": "",
        "conditions": '{"simple_question": true}', "notify": '["web_team"]', "description": "", "enabled": ""})
    assert response.status_code == 302
    assert Rule.objects.get(pk=rule.pk).enabled is False
    assert post("What are the opening times for the library?").routing.rule_name != rule.name
    response = client.post(f"/admin/triage/rule/{rule.pk}/change/", {
        "name": rule.name, "order": 60, "route": "web_team_response", "priority": "normal", "sla": "",
        "conditions": '{"simple_question": "yes"}', "notify": "[]", "description": ""})
    assert response.status_code == 200 and "must be true or false" in response.content.decode()
    for url in ("/admin/triage/case/", "/admin/triage/foirequest/", "/admin/triage/slapolicy/",
                "/admin/triage/triagesettings/", "/admin/triage/cannedreply/", "/admin/triage/servicetopic/"):
        assert client.get(url).status_code == 200, url


def test_cases_being_worked_on_hold_their_mentions_and_purged_mentions_take_their_cases(post, case_of, staff):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() - timedelta(days=400)):
        working = case_of(post("My bin wasn't collected again, can you sort it please?", author="a"))
        closed = case_of(post("My recycling was missed again, can you sort it please?", author="b"))
        watched = case_of(post("Nice sunset over the town hall", author="c"))
    from triage import services

    services.case_close(actor=staff[Role.WEB_TEAM], case=closed)
    result = privacy.retention_purge()
    assert result["mentions"] == 2
    assert list(Case.objects.values_list("pk", flat=True)) == [working.pk]
    assert not Case.objects.filter(pk__in=[closed.pk, watched.pk]).exists()


def test_an_foi_request_is_kept_until_it_is_answered_and_its_case_closed(post, case_of, staff):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from triage import services
    from triage.services import CaseActionError

    with time_machine.travel(timezone.now() - timedelta(days=400)):
        waiting = case_of(post("FOI: please disclose the number of parking fines in 2025", author="a"))
        answered = case_of(post("FOI: please disclose the number of potholes repaired in 2025", author="b"))
        for case in (waiting, answered):
            services.foi_validate(actor=staff[Role.WEB_TEAM], foi=case.foi, requester="Ann Lee",
                                  address="ann@example.org")
        services.foi_respond(actor=staff[Role.WEB_TEAM], foi=answered.foi, kind="email")
        services.case_close(actor=staff[Role.WEB_TEAM], case=Case.objects.get(pk=answered.pk))
        with pytest.raises(CaseActionError, match="not been answered"):
            services.case_close(actor=staff[Role.WEB_TEAM], case=Case.objects.get(pk=waiting.pk))
    assert privacy.retention_purge()["mentions"] == 1
    assert list(Case.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert Case.objects.get(pk=waiting.pk).foi.requester == "Ann Lee"


def test_a_subject_access_export_includes_the_authors_cases(post, case_of, staff):
    from monitoring.models import Author

    case = case_of(post("FOI: please disclose the number of parking fines in 2025", author="sar", name="Ann Lee"))
    data = privacy.subject_access(Author.objects.get(handle="@sar"))
    assert data["cases"][0]["case"] == case.pk and data["foi_requests"][0]["requester"] == "Ann Lee"
    assert data["case_events"][0]["kind"] == "created"


def test_an_erasure_removes_the_cases_the_author_opened(post, case_of, staff):
    from monitoring.models import Author

    case = case_of(post("My bin wasn't collected again, can you sort it please?", author="erase_me"))
    privacy.author_erase(actor=staff[Role.WEB_TEAM], author=Author.objects.get(handle="@erase_me"),
                         reference="DSR-2026-14")
    assert not Case.objects.filter(pk=case.pk).exists()
    assert Service.objects.exists()


def test_the_web_team_edits_standard_replies_offered_on_the_case_page(post, case_of, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post("/rules/replies/add/", {"title": "Bulky waste", "text": "Book a bulky waste collection:",
                                                   "url": "not a link", "route": "customer_service"})
    assert response.status_code == 400 and "like https://www.example.com" in response.content.decode()
    response = client.post("/rules/replies/add/", {
        "title": "Bulky waste", "text": "Book a bulky waste collection here:",
        "url": "https://www.demo-council.example/bulky-waste", "route": "customer_service", "active": "on"})
    assert response.status_code == 302
    reply = CannedReply.objects.get(title="Bulky waste")
    assert "Bulky waste" in client.get("/rules/replies/").content.decode()
    case = case_of(post("My sofa was not collected, can you help me?"))
    page = client.get(case.get_absolute_url()).content.decode()
    assert f'<option value="{reply.pk}">Bulky waste</option>' in page
    assert client_for(staff[Role.CUSTOMER_SERVICES]).get("/rules/replies/").status_code == 403
