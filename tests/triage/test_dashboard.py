"""The review dashboard and the case page: who sees what, filters, a fixed number of SQL
queries per page, hostile text escaped, GOV.UK pages without inline script or style, live
updates with htmx on a page that works without it, and the rules editor."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from triage.models import Case, Rule

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.I)


def listed(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'id="case-row-(\d+)"', html)}


def assert_clean(html: str):
    assert 'class="govuk-template"' in html
    assert not INLINE_SCRIPT.search(html), "inline script"
    assert not INLINE_STYLE.search(html), "inline style"
    assert not HANDLER_ATTRIBUTE.search(html), "event handler attribute"
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate ids"


EXPECTED = {
    Role.WEB_TEAM: {"cs_waste", "cs_libraries", "web_libraries", "service_leisure", "comms_leisure", "foi"},
    Role.COMMUNICATIONS_OFFICER: {"cs_waste", "cs_libraries", "web_libraries", "service_leisure", "comms_leisure",
                                  "foi"},
    Role.CUSTOMER_SERVICES: {"cs_waste", "cs_libraries"},
    Role.SERVICE_EDITOR: {"cs_libraries", "web_libraries"},
    Role.HEAD_OF_SERVICE: {"cs_libraries", "web_libraries"},
    Role.COUNCILLOR: {"comms_leisure"},
    Role.MONITORING_OFFICER: set(),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_its_cases_on_the_dashboard(role, cases_by_scope, staff, client_for):
    client = client_for(staff[role])
    html = client.get("/cases/").content.decode()
    assert listed(html) == {cases_by_scope[name].pk for name in EXPECTED[role]}
    for name, case in cases_by_scope.items():
        status = client.get(case.get_absolute_url()).status_code
        assert status == (200 if name in EXPECTED[role] else 404), (name, status)


def test_a_councillor_reads_a_shared_case_but_cannot_act_on_it(cases_by_scope, staff, client_for):
    client = client_for(staff[Role.COUNCILLOR])
    case = cases_by_scope["comms_leisure"]
    page = client.get(case.get_absolute_url()).content.decode()
    assert "leisure centre closure" in page and 'id="actions"' not in page
    assert client.post(f"/cases/{case.pk}/note/", {"note-text": "Noted"}).status_code == 403
    assert client.post("/cases/bulk/", {"bulk-action": "close", "bulk-cases": [case.pk]}).status_code == 403


def test_assigned_cases_are_seen_by_their_assignee(cases_by_scope, staff, client_for):
    from triage import services

    services.case_assign(actor=staff[Role.WEB_TEAM], case=cases_by_scope["foi"],
                         assignee=staff[Role.SERVICE_EDITOR])
    html = client_for(staff[Role.SERVICE_EDITOR]).get("/cases/?assignee=me").content.decode()
    assert listed(html) == {cases_by_scope["foi"].pk}


def test_queues_by_route_and_service_with_counts(cases_by_scope, staff, client_for):
    html = client_for(staff[Role.WEB_TEAM]).get("/cases/").content.decode()
    assert re.search(r'id="count-route-customer_service">2<', html)
    assert re.search(r'id="count-route-comms_escalation">1<', html)
    assert re.search(r'id="count-service-leisure">2<', html)
    html = client_for(staff[Role.CUSTOMER_SERVICES]).get("/cases/").content.decode()
    assert re.search(r'id="count-route-customer_service">2<', html)
    assert re.search(r'id="count-route-foi">0<', html)


@pytest.mark.parametrize(("query", "expected"), [
    ("route=customer_service", {"cs_waste", "cs_libraries"}),
    ("service=leisure", {"service_leisure", "comms_leisure"}),
    ("priority=urgent", {"comms_leisure"}),
    ("status=in_progress", {"comms_leisure"}),
    ("q=library+card", {"cs_libraries"}),
    ("platform=facebook", set()),
    ("sla=breached", set()),
    ("status=closed", set()),
])
def test_filters(query, expected, cases_by_scope, staff, client_for):
    html = client_for(staff[Role.WEB_TEAM]).get(f"/cases/?{query}").content.decode()
    assert listed(html) == {cases_by_scope[name].pk for name in expected}


def test_sorted_by_sla_due(cases_by_scope, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    due = dict(Case.objects.values_list("pk", "sla_due_at"))

    def order(query):
        return [int(pk) for pk in re.findall(r'id="case-row-(\d+)"', client.get(f"/cases/?{query}").content.decode())]

    soonest = [due[pk] for pk in order("sort=sla")]
    latest = [due[pk] for pk in order("sort=-sla")]
    dated = sorted(d for d in due.values() if d)
    assert soonest == dated + [None] * (len(due) - len(dated))  # no deadline last
    assert latest == dated[::-1] + [None] * (len(due) - len(dated))


def test_bad_filters_say_what_is_wrong(cases_by_scope, staff, client_for):
    response = client_for(staff[Role.WEB_TEAM]).get("/cases/?since=yesterday&route=nowhere")
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert "Enter opened from as a real date, in the form YYYY-MM-DD" in html


def test_the_queue_uses_the_same_number_of_queries_whatever_the_page_size(post, staff, client_for,
                                                                          django_assert_num_queries):
    texts = ["My bin wasn't collected again, can you sort it please?", "What time does the library open?",
             "The council is a shambles and a disgrace, cuts everywhere", "FOI: please provide a breakdown of spend"]
    for i in range(110):
        post(texts[i % 4], author=f"resident{i % 7}")
    client = client_for(staff[Role.WEB_TEAM])
    client.get("/cases/?size=25")  # sessions and caches warm
    with CaptureQueriesContext(connection) as small:
        html = client.get("/cases/?size=25").content.decode()
    assert len(listed(html)) == 25
    with django_assert_num_queries(len(small)):
        html = client.get("/cases/?size=100").content.decode()
    assert len(listed(html)) == 100
    with django_assert_num_queries(len(small)):
        client.get("/cases/?size=100&page=2&route=customer_service&sort=priority")
    # A search is a condition on the case's own search column: no query more, however many match.
    client.get("/cases/?q=bin")
    with CaptureQueriesContext(connection) as many:
        html = client.get("/cases/?q=bin&size=100").content.decode()
    assert len(listed(html)) > 20 and len(many) == len(small)
    with django_assert_num_queries(len(many)):
        html = client.get("/cases/?q=library").content.decode()
    assert 0 < len(listed(html)) < 40
    with CaptureQueriesContext(connection) as none:  # nothing found: nothing to count or load
        assert not listed(client.get("/cases/?q=nothing+like+this").content.decode())
    assert len(none) <= len(many)


def test_hostile_mention_text_is_escaped_on_the_dashboard_and_the_case_page(post, case_of, staff, client_for):
    hostile = ('<script>alert("x")</script><img src=x onerror="alert(1)"> my bin was not collected, '
               'can you sort it please? \u202egnp.exe <a href="javascript:alert(2)">link</a>')
    case = case_of(post(hostile, name='<b onmouseover="alert(3)">Eve</b>', author="eve"))
    client = client_for(staff[Role.WEB_TEAM])
    for url in ("/cases/", case.get_absolute_url(), "/dashboard/", "/"):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript:' not in html
        assert "<b onmouseover" not in html
        assert_clean(html.replace("&lt;img src=x onerror=", ""))
    page = client.get(case.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert 'class="app-mention-text govuk-body" dir="auto"' in page
    assert "&lt;b onmouseover=&quot;alert(3)&quot;&gt;Eve&lt;/b&gt;" in page


@pytest.mark.parametrize("role", [Role.WEB_TEAM, Role.CUSTOMER_SERVICES, Role.COUNCILLOR, Role.SERVICE_EDITOR])
def test_triage_pages_are_govuk_without_inline_script_or_style(role, cases_by_scope, staff, client_for):
    client = client_for(staff[role])
    case = next(iter(cases_by_scope.values()))
    for url in ("/dashboard/", "/cases/", "/cases/?sla=due_soon", case.get_absolute_url(), "/foi/", "/rules/",
                "/rules/add/", f"/rules/{Rule.objects.first().pk}/", "/rules/replies/", "/rules/replies/add/", "/"):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        assert_clean(response.content.decode())


def test_live_updates_are_htmx_from_our_own_static_files_on_a_page_that_works_without(cases_by_scope, staff,
                                                                                    client_for):
    html = client_for(staff[Role.WEB_TEAM]).get("/cases/").content.decode()
    assert '<script src="/static/js/htmx.min.js" defer></script>' in html
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false,"allowEval":false}\'>' in html
    assert 'role="status" aria-live="polite"' in html
    # Without JavaScript: the rows, the filters (GET) and the bulk form (POST) are plain HTML.
    assert '<form method="get"' in html and 'action="/cases/bulk/"' in html and 'form="bulk-form"' in html


def test_the_updates_fragment_brings_only_new_cases_in_scope(cases_by_scope, post, staff, client_for, model_reads):
    since = max(c.pk for c in cases_by_scope.values())
    model_reads({"council tax": "customer_service", "leisure centre": "web_team_response"})
    mine = post("My council tax bill is wrong again, can you help me?")
    others = post("What time does the leisure centre open?")
    cso = client_for(staff[Role.CUSTOMER_SERVICES]).get(f"/cases/updates/?since={since}").content.decode()
    assert listed(cso) == {Case.objects.get(mention=mine).pk}
    assert Case.objects.get(mention=others).pk not in listed(cso)
    assert "1 new case: Customer services" in cso


# --- actions from the page -----------------------------------------------------------------

def test_an_action_from_the_case_page_is_on_the_timeline(cases_by_scope, staff, client_for):
    case = cases_by_scope["cs_waste"]
    client = client_for(staff[Role.CUSTOMER_SERVICES])
    response = client.post(f"/cases/{case.pk}/assign/", {"assign-version": case.version,
                                                         "assign-assignee": staff[Role.CUSTOMER_SERVICES].pk})
    assert response.status_code == 302
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Assigned to Cso." in page and "The case is assigned." in page


def test_a_standard_reply_is_posted_when_the_reply_box_is_left_empty(cases_by_scope, staff, client_for,
                                                                     monkeypatch):
    from platforms.base import Published
    from triage.models import CannedReply

    sent = []

    class Client:
        def reply(self, in_reply_to, text):
            sent.append(text)
            return Published(external_id="77")

    monkeypatch.setattr("monitoring.clients.client_for", lambda channel, **kw: Client())
    canned = CannedReply.objects.create(title="Opening hours", text="Opening hours are here:",
                                        url="https://www.demo-council.example/libraries/opening-hours")
    case = cases_by_scope["web_libraries"]
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post(f"/cases/{case.pk}/reply/", {"reply-version": case.version, "reply-text": ""})
    assert response.status_code == 400 and "Write the reply, or choose a standard reply." in response.content.decode()
    response = client.post(f"/cases/{case.pk}/reply/", {"reply-version": case.version, "reply-canned": canned.pk,
                                                        "reply-text": ""})
    assert response.status_code == 302
    assert sent == ["Opening hours are here: https://www.demo-council.example/libraries/opening-hours"]


def test_a_stale_save_is_refused_and_keeps_what_was_written(cases_by_scope, staff, client_for):
    case = cases_by_scope["cs_waste"]
    opened = case.version
    first = client_for(staff[Role.WEB_TEAM])
    second = client_for(staff[Role.CUSTOMER_SERVICES])
    assert first.post(f"/cases/{case.pk}/acknowledge/", {"acknowledge-version": opened}).status_code == 302
    response = second.post(f"/cases/{case.pk}/close/", {"close-version": opened, "close-note": "Sorted by phone"})
    html = response.content.decode()
    assert response.status_code == 409 and "<title>Error:" in html
    assert "Someone else changed this case after you opened it" in html
    assert "Sorted by phone" in html and f'name="close-version" value="{opened + 1}"' in html
    case.refresh_from_db()
    assert case.state == "acknowledged"


def test_invalid_action_input_changes_nothing(cases_by_scope, staff, client_for):
    case = cases_by_scope["cs_waste"]
    response = client_for(staff[Role.WEB_TEAM]).post(f"/cases/{case.pk}/hand-over/", {
        "hand-over-version": case.version, "hand-over-service": "99999"})
    html = response.content.decode()
    assert response.status_code == 400 and 'href="#id_hand-over-service"' in html
    assert Case.objects.get(pk=case.pk).version == case.version


def test_bulk_acknowledge_assign_and_close_from_the_dashboard(cases_by_scope, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    ids = [cases_by_scope[n].pk for n in ("cs_waste", "cs_libraries", "web_libraries")]
    response = client.post("/cases/bulk/", {"bulk-action": "acknowledge", "bulk-cases": ids,
                                            "query": "route=customer_service"})
    assert response.status_code == 302 and response["Location"] == "/cases/?route=customer_service"
    assert set(Case.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"acknowledged"}

    response = client.post("/cases/bulk/", {"bulk-action": "assign", "bulk-cases": ids,
                                            "bulk-assignee": staff[Role.CUSTOMER_SERVICES].pk}, follow=True)
    assert "3 cases assigned." in response.content.decode()
    assert set(Case.objects.filter(pk__in=ids).values_list("assignee", flat=True)) == {
        staff[Role.CUSTOMER_SERVICES].pk}

    response = client.post("/cases/bulk/", {"bulk-action": "close", "bulk-cases": [*ids, cases_by_scope["foi"].pk]},
                           follow=True)
    html = response.content.decode()
    assert "3 cases closed." in html and f"Case {cases_by_scope['foi'].pk} was not changed" in html
    assert Case.objects.get(pk=cases_by_scope["foi"].pk).state == "new"


def test_bulk_changes_only_the_cases_the_user_may_see(cases_by_scope, staff, client_for):
    theirs, not_theirs = cases_by_scope["cs_waste"], cases_by_scope["comms_leisure"]
    client_for(staff[Role.CUSTOMER_SERVICES]).post("/cases/bulk/", {"bulk-action": "acknowledge",
                                                                      "bulk-cases": [theirs.pk, not_theirs.pk]})
    assert Case.objects.get(pk=theirs.pk).state == "acknowledged"
    assert Case.objects.get(pk=not_theirs.pk).state == "in_progress"


def test_bulk_assign_needs_someone(cases_by_scope, staff, client_for):
    response = client_for(staff[Role.WEB_TEAM]).post("/cases/bulk/", {
        "bulk-action": "assign", "bulk-cases": [cases_by_scope["cs_waste"].pk]}, follow=True)
    assert "Choose who to assign the cases to." in response.content.decode()


# --- overview and rules --------------------------------------------------------------------

def test_the_dashboard_overview_and_home_panel(cases_by_scope, staff, client_for):
    from triage import services

    services.case_assign(actor=staff[Role.WEB_TEAM], case=cases_by_scope["cs_waste"],
                         assignee=staff[Role.CUSTOMER_SERVICES])
    client = client_for(staff[Role.CUSTOMER_SERVICES])
    html = client.get("/dashboard/").content.decode()
    assert f"Case {cases_by_scope['cs_waste'].pk}" in html and "Assigned to you" in html
    assert "Assigned to you</a>: 1" in client.get("/").content.decode()


def test_only_the_web_team_edits_rules(staff, client_for):
    for role in (Role.COMMUNICATIONS_OFFICER, Role.CUSTOMER_SERVICES, Role.COUNCILLOR):
        assert client_for(staff[role]).get("/rules/").status_code == 403
    html = client_for(staff[Role.WEB_TEAM]).get("/rules/").content.decode()
    assert "Freedom of Information request" in html and "Person needing customer services" in html


def test_a_rule_edit_with_mistakes_says_what_is_wrong(staff, client_for):
    rule = Rule.objects.get(name="Simple question (signposting)")
    response = client_for(staff[Role.WEB_TEAM]).post(f"/rules/{rule.pk}/", {
        "name": rule.name, "order": 60, "enabled": "on", "route": "web_team_response", "priority": "normal",
        "conditions": '{"criticality_in": ["catastrophic"], "colour": "red"}', "save": "1"})
    html = response.content.decode()
    assert response.status_code == 400 and "<title>Error:" in html
    assert "Unknown condition &#x27;colour&#x27;" in html
    assert "&#x27;criticality_in&#x27; may only contain low, medium, high." in html
    response = client_for(staff[Role.WEB_TEAM]).post(f"/rules/{rule.pk}/", {
        "name": rule.name, "order": 60, "route": "web_team_response", "priority": "normal",
        "conditions": '{"intent_in": ["web_team_response"]', "save": "1"})
    assert "The conditions are not valid JSON" in response.content.decode()
    assert Rule.objects.get(pk=rule.pk).conditions == {"intent_in": ["web_team_response"]}


def test_a_rule_change_is_previewed_on_recent_mentions_before_it_is_saved(post, staff, client_for):
    post("What are the opening times for Kilburn library on Saturday?")
    post("How do I apply for a parking permit?")
    post("My bin wasn't collected again, can you sort it please?")
    rule = Rule.objects.get(name="Simple question (signposting)")
    data = {"name": rule.name, "order": 60, "enabled": "on", "route": "customer_service", "priority": "high",
            "conditions": '{"simple_question": true}', "notify": ["customer_services"], "preview": "1"}
    client = client_for(staff[Role.WEB_TEAM])
    html = client.post(f"/rules/{rule.pk}/", data).content.decode()
    assert "Preview: not saved yet" in html
    assert "2 of the last 3 mentions would be routed differently" in html
    assert re.search(r"Customer services</th>\s*<td[^>]*>1</td>\s*<td[^>]*>3</td>\s*<td[^>]*>\+2</td>", html)
    assert "How do I apply for a parking permit?" in html
    assert Rule.objects.get(pk=rule.pk).route == "web_team_response"

    data.pop("preview")
    data["save"] = "1"
    assert client.post(f"/rules/{rule.pk}/", data).status_code == 302
    assert Rule.objects.get(pk=rule.pk).route == "customer_service"
    mention = post("Where can I find the form to report fly-tipping?")
    assert mention.routing.route == "customer_service"


def test_a_new_rule_is_added_in_the_ui(staff, client_for, post):
    client = client_for(staff[Role.WEB_TEAM])
    response = client.post("/rules/add/", {
        "name": "Asbestos", "order": 5, "enabled": "on", "route": "comms_escalation", "priority": "urgent",
        "conditions": '{"keywords_any": ["asbestos"]}', "notify": ["communications_officer"], "save": "1"})
    assert response.status_code == 302
    assert post("Is there asbestos in the school roof?").routing.rule_name == "Asbestos"


def test_the_page_size_select_shows_the_size_in_use(post, staff, client_for):
    client = client_for(staff[Role.WEB_TEAM])
    selected = re.compile(r'<option value="(\d+)"[^>]*selected')
    for url, size in (("/cases/", "50"), ("/cases/?route=customer_service", "50"), ("/cases/?size=25", "25"),
                      ("/cases/?size=100&sort=newest", "100")):
        html = client.get(url).content.decode()
        box = html[html.index('name="size"'):]
        assert selected.search(box[:box.index("</select>")]).group(1) == size, url
