"""Policies (seeds 000 and 002): versions, acknowledgements, the publishing gate, compliance,
review reminders and safe rendering."""
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.views import exception_handler

from accounts.models import AuditEvent, Notification
from accounts.roles import Role
from policy import selectors
from policy import services as policy_services
from policy.markdown import render_markdown
from policy.models import Acknowledgement, PolicyDocument
from policy.services import PolicyNotAcknowledged, require_policy_acknowledged

pytestmark = pytest.mark.django_db


def test_must_acknowledge_lists_current_versions_for_the_users_audience(staff, staff_policy, members_policy,
                                                                         publish):
    staff_version = publish(staff_policy)
    members_version = publish(members_policy)
    PolicyDocument.objects.create(slug="guide", title="Guide", audience="staff", kind="guidance",
                                  requires_acknowledgement=False)
    for role in (Role.WEB_TEAM, Role.SERVICE_EDITOR, Role.HEAD_OF_SERVICE, Role.MONITORING_OFFICER,
                 Role.ADMINISTRATOR):
        assert selectors.must_acknowledge(staff[role]) == [staff_version]
    assert selectors.must_acknowledge(staff[Role.COUNCILLOR]) == [members_version]
    policy_services.policy_acknowledge(actor=staff[Role.SERVICE_EDITOR], version=staff_version)
    assert selectors.must_acknowledge(staff[Role.SERVICE_EDITOR]) == []


def test_a_new_version_requires_a_fresh_acknowledgement(staff, staff_policy, publish, today):
    editor = staff[Role.SERVICE_EDITOR]
    first = publish(staff_policy)
    policy_services.policy_acknowledge(actor=editor, version=first)
    require_policy_acknowledged(editor)

    later = publish(staff_policy, body="## Rules\n\nBe kinder.", days_ago=-7, change_type="delegated_minor",
                    approved_by="Corporate Officer", committee_reference="")
    assert selectors.current_version(staff_policy) == first  # not in effect yet
    require_policy_acknowledged(editor)
    assert selectors.must_acknowledge(editor, on=today + timedelta(days=7)) == [later]
    with pytest.raises(PolicyNotAcknowledged):
        require_policy_acknowledged(editor, on=today + timedelta(days=7))

    second = publish(staff_policy, body="## Rules\n\nBe kindest.", days_ago=-7, change_type="delegated_minor",
                     approved_by="Corporate Officer", committee_reference="")
    assert second.number == 3
    with pytest.raises(ValidationError, match="not the current one"):  # the version read must be the current one
        policy_services.policy_acknowledge(actor=editor, version=later, on=today + timedelta(days=7))
    policy_services.policy_acknowledge(actor=editor, version=second, on=today + timedelta(days=7))
    require_policy_acknowledged(editor, on=today + timedelta(days=7))


def test_require_policy_acknowledged_raises_with_a_message_and_the_policy_url(staff, staff_policy, publish):
    version = publish(staff_policy)
    editor = staff[Role.SERVICE_EDITOR]
    with pytest.raises(PolicyNotAcknowledged) as raised:
        require_policy_acknowledged(editor)
    exc = raised.value
    assert isinstance(exc, PermissionDenied)
    assert exc.url == "/policies/social-media-policy/" and exc.versions == [version]
    assert exc.code == "policy_not_acknowledged"
    assert exc.message == ("Before you submit posts or replies, read and acknowledge the Social media policy "
                           "(version 1): /policies/social-media-policy/")
    assert str(exc) == exc.message
    assert exc.as_dict()["policies"] == [{"slug": "social-media-policy", "title": "Social media policy",
                                          "version": 1}]
    with pytest.raises(PolicyNotAcknowledged, match="Before you reply"):
        require_policy_acknowledged(editor, action="reply")

    # The API and the pages answer 403 with the message, if a caller lets it through.
    response = exception_handler(exc, {})
    assert response.status_code == 403 and response.data["detail"] == exc.message

    policy_services.policy_acknowledge(actor=editor, version=version)
    assert require_policy_acknowledged(editor) is None


def test_nothing_to_acknowledge_means_nothing_is_required(staff, staff_policy):
    require_policy_acknowledged(staff[Role.SERVICE_EDITOR])  # the document has no version yet


def test_councillor_documents_do_not_block_staff(staff, members_policy, publish):
    publish(members_policy)
    require_policy_acknowledged(staff[Role.WEB_TEAM])
    with pytest.raises(PolicyNotAcknowledged, match="for members"):
        require_policy_acknowledged(staff[Role.COUNCILLOR])


def test_acknowledging_is_idempotent_audited_and_for_the_audience_only(staff, staff_policy, publish):
    version = publish(staff_policy)
    editor = staff[Role.SERVICE_EDITOR]
    first = policy_services.policy_acknowledge(actor=editor, version=version)
    again = policy_services.policy_acknowledge(actor=editor, version=version)
    assert first.pk == again.pk and Acknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action="policy.acknowledge", actor=editor).count() == 1
    with pytest.raises(ValidationError, match="for staff"):
        policy_services.policy_acknowledge(actor=staff[Role.COUNCILLOR], version=version)


def test_publishing_a_version_checks_approval(staff, staff_policy, web, today):
    def publish(**changes):
        fields = {"actor": web, "document": staff_policy, "body": "Text", "effective_from": today,
                  "change_type": "committee", "approved_by": "Policy Committee",
                  "committee_reference": "Minute 8", **changes}
        return policy_services.policy_version_publish(**fields)

    with pytest.raises(ValidationError) as exc:
        publish(change_type="delegated_minor", committee_reference="")
    assert exc.value.message_dict == {"change_type": ["The first version of a policy must be approved by committee."]}
    with pytest.raises(ValidationError) as exc:
        publish(committee_reference="", body=" ", approved_by="")
    assert set(exc.value.message_dict) == {"committee_reference", "body", "approved_by"}
    with pytest.raises(PermissionDenied):
        publish(actor=staff[Role.SERVICE_EDITOR])
    first = publish()
    assert first.review_due == policy_services.add_months(today, 12)  # the annual review
    with pytest.raises(ValidationError, match="cannot come into effect before"):
        publish(effective_from=today - timedelta(days=1), change_type="delegated_minor",
                approved_by="Corporate Officer in consultation with the Portfolio Holder")
    minor = publish(change_type="delegated_minor", committee_reference="",
                    approved_by="Corporate Officer in consultation with the Portfolio Holder")
    assert minor.number == 2 and minor.get_change_type_display() == "Minor amendment (delegated)"
    assert AuditEvent.objects.filter(action="policy.version").count() == 2
    assert Notification.objects.filter(user=staff[Role.SERVICE_EDITOR], subject__contains="read and acknowledge")\
        .count() == 2


def test_owner_is_reminded_once_before_the_annual_review(staff_policy, publish, web, today):
    version = publish(staff_policy, days_ago=340)  # review due in about 25 days; reminder 30 days ahead
    assert policy_services.policy_review_reminders(on=today - timedelta(days=10)) == 0
    assert policy_services.policy_review_reminders(on=today) == 1
    assert policy_services.policy_review_reminders(on=today) == 0
    note = Notification.objects.get(user=web, subject__startswith="The annual review")
    assert version.review_due.strftime("%d/%m/%Y") in note.subject and note.url == "/policies/social-media-policy/"
    from council_social.schedules import SCHEDULES

    assert any(task == "policy.review_reminders" for task, _, _ in SCHEDULES.values())


def test_markdown_is_rendered_safely():
    html = render_markdown(
        "# Title\n\n<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> <b onclick=\"x()\">b</b> "
        "[bad](javascript:alert(1)) [good](https://example.org) <a href=\"/p\" onmouseover=\"x()\">p</a>\n\n"
        "<style>body{}</style><iframe src=\"https://evil\"></iframe><p style=\"color:red\">s</p>")
    assert "<script" not in html and "alert(1)" not in html.replace('href="javascript', "")
    assert not re.search(r"\son[a-z]+\s*=", html) and "javascript:" not in html
    assert "<style" not in html and "style=" not in html and "<iframe" not in html and "<img" not in html
    assert '<h2 class="govuk-heading-m">Title</h2>' in html
    assert '<a href="https://example.org" class="govuk-link" rel="noopener noreferrer">good</a>' in html


# Pages --------------------------------------------------------------------------------------

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=", re.I)


def test_reading_and_acknowledging_on_the_page(staff, staff_policy, publish, client_for):
    version = publish(staff_policy, body="## Do\n\n- engage <script>alert(1)</script>")
    editor = staff[Role.SERVICE_EDITOR]
    client = client_for(editor)
    home = client.get("/").content.decode()
    assert "You still need to read and acknowledge" in home and "/policies/social-media-policy/" in home
    page = client.get("/policies/social-media-policy/")
    html = page.content.decode()
    assert page.status_code == 200 and "engage" in html and not INLINE.search(html)
    assert "I have read and understood the Social media policy (version 1)" in html
    unticked = client.post("/policies/social-media-policy/acknowledge/", {"version": 1})
    assert unticked.status_code == 200 and "<title>Error:" in unticked.content.decode()
    assert not Acknowledgement.objects.exists()
    done = client.post("/policies/social-media-policy/acknowledge/",
                       {"version": 1, "confirm": "on", "next": "/channels/"})
    assert done.status_code == 302 and done["Location"] == "/channels/"
    assert Acknowledgement.objects.get().version == version
    assert "You still need to read and acknowledge" not in client.get("/").content.decode()
    listing = client.get("/policies/").content.decode()
    assert "Acknowledged" in listing and not INLINE.search(listing)
    assert client.get("/policies/social-media-policy/versions/1/").status_code == 200


def test_publishing_a_version_on_the_page(staff, staff_policy, publish, client_for):
    publish(staff_policy)
    client = client_for(staff[Role.WEB_TEAM])
    form = client.get("/policies/social-media-policy/versions/new/")
    assert form.status_code == 200 and "Be kind." in form.content.decode()
    bad = client.post("/policies/social-media-policy/versions/new/", {
        "body": "New", "effective_from": "31/02/2026", "change_type": "committee", "approved_by": "PC"})
    html = bad.content.decode()
    assert "<title>Error:" in html and "Enter a real date" in html
    assert staff_policy.versions.count() == 1
    ok = client.post("/policies/social-media-policy/versions/new/", {
        "body": "New", "effective_from": "01/01/2099", "change_type": "delegated_minor", "approved_by": "CO"})
    assert ok.status_code == 302 and staff_policy.versions.count() == 2
    assert client_for(staff[Role.SERVICE_EDITOR]).get(
        "/policies/social-media-policy/versions/new/").status_code == 403


def test_compliance_page_shows_who_has_not_acknowledged_by_service(staff, staff_policy, members_policy, publish,
                                                                   client_for, make_user, services):
    version = publish(staff_policy)
    publish(members_policy)
    make_user("librarian", Role.SERVICE_EDITOR, services["libraries"], last_name="Shelf")
    policy_services.policy_acknowledge(actor=staff[Role.SERVICE_EDITOR], version=version)
    data = selectors.compliance(viewer=staff[Role.WEB_TEAM])
    by_service = {s.name: s for s in data["services"]}
    libraries = by_service["Libraries"]
    assert (libraries.people, libraries.compliant) == (3, 1)
    assert {p.username for p, _ in libraries.outstanding} == {"head", "librarian"}
    assert [p.username for p, _ in by_service["No service"].outstanding] == ["cllr", "mo"]

    html = client_for(staff[Role.WEB_TEAM]).get("/policies/compliance/").content.decode()
    assert "Libraries: 1 of 3 up to date" in html and "Librarian" in html and not INLINE.search(html)
    head_view = client_for(staff[Role.HEAD_OF_SERVICE]).get("/policies/compliance/").content.decode()
    assert "Libraries" in head_view and "Communications" not in head_view
    assert client_for(staff[Role.MONITORING_OFFICER]).get("/policies/compliance/").status_code == 200
    for role in (Role.SERVICE_EDITOR, Role.COUNCILLOR, Role.CUSTOMER_SERVICES):
        assert client_for(staff[role]).get("/policies/compliance/").status_code == 403


def test_compliance_page_has_a_fixed_number_of_queries(staff, staff_policy, publish, client_for, make_user,
                                                       services, django_assert_max_num_queries):
    publish(staff_policy)
    for i in range(30):
        make_user(f"person{i}", Role.SERVICE_EDITOR, services["leisure"])
    client = client_for(staff[Role.WEB_TEAM])
    with django_assert_max_num_queries(15):
        assert client.get("/policies/compliance/").status_code == 200


def test_guidance_pages_come_from_the_demo_policy_documents(client_for, db):
    from accounts.demo import load_demo_council
    from accounts.models import User
    from policy.demo import load_demo_policies

    load_demo_council()
    first = load_demo_policies()
    assert first["policy_versions_created"] == 7
    assert load_demo_policies()["policy_versions_created"] == 0  # idempotent
    client = client_for(User.objects.get(username="editor.libraries"))
    index = client.get("/guidance/").content.decode()
    for slug in ("house-rules", "personal-use", "foi-by-social-media", "requesting-an-account"):
        assert f"/policies/{slug}/" in index
    rules = client.get("/policies/house-rules/").content.decode()
    assert "take any political standpoint – just deal with the issue" in rules
    assert "consider how you will deal with messages received out of hours" in rules
    assert "These views are my own" in client.get("/policies/personal-use/").content.decode()
    foi = client.get("/policies/foi-by-social-media/").content.decode()
    assert "20 working days" in foi and "real name should be visible" in foi
    request = client.get("/policies/requesting-an-account/").content.decode()
    assert "Who is your audience?" in request and not INLINE.search(request)
    # The demo staff have acknowledged, apart from the ones left for the compliance page.
    assert selectors.must_acknowledge(User.objects.get(username="editor.libraries")) == []
    assert len(selectors.must_acknowledge(User.objects.get(username="editor.leisure"))) == 2
