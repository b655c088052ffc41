"""Every role's main journey in a real browser, on a live server loaded with the demo council and
the simulator's mentions. Every page visited passes the checks of tests/browser/harness.py: axe-core
with no WCAG 2.2 A or AA violation, no console error, no uncaught exception and no CSP violation."""
import re

import pytest

from tests.browser.harness import fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def queue_link(checked, name: str) -> None:
    """Follow a queue's link on the dashboard (its count is beside it, not in it)."""
    checked.follow(name)


def test_customer_services_answers_a_case(demo_mentions, signed_in, sim_control):
    from triage.models import Case, CaseEvent

    cso = signed_in("customer.services")
    cso.follow("Dashboard", check="dashboard")
    queue_link(cso, "Customer services")
    assert "route=customer_service" in cso.path
    rows = cso.page.locator("#case-rows tr")
    assert rows.count() >= 1
    cso.page.locator("#case-rows tr a.govuk-link").first.click()  # the case in the preview pane
    cso.check("the queue with a case chosen")
    case = Case.objects.get(pk=int(re.search(r"(?:/cases/|[?&]case=)(\d+)", cso.path).group(1)))
    assert case.route == "customer_service"
    cso.goto(f"/cases/{case.pk}/", check="the case")

    # An empty reply is refused, and nothing reaches the platform.
    cso.submit("Post the reply", check=None)
    summary = cso.error_summary()
    cso.check("the case: an empty reply refused")
    assert "Write the reply, or choose a standard reply." in summary
    assert sim_control("created?action=reply")["created"] == []

    reply = "Sorry about that. Please report the missed collection here and we will arrange it."
    fill(cso.page, "Reply (optional)", reply)
    cso.submit("Post the reply", check="the case: replied")
    assert "The reply is posted." in cso.page.locator(".govuk-notification-banner").inner_text()
    posted = [c for c in sim_control("created?action=reply")["created"] if c["text"] == reply]
    assert len(posted) == 1 and posted[0]["in_reply_to"] == case.mention.external_id
    event = CaseEvent.objects.get(case=case, kind="reply")
    assert event.external_id == posted[0]["id"]
    assert f"Posted as {event.external_id}" in cso.page.locator("#timeline ~ ol").inner_text()

    cso.page.get_by_text("Close the case", exact=True).first.click()
    fill(cso.page, "Outcome (optional)", "Missed collection reported; the crew goes back tomorrow.")
    cso.submit("Close the case", check="the case: closed")
    assert "The case is closed." in cso.page.locator(".govuk-notification-banner").inner_text()
    case.refresh_from_db()
    assert case.state == "closed" and case.first_response_at is not None
    assert cso.page.locator("h3", has_text="Reopen the case").count() == 1


def test_head_of_service_decides_an_account_request(signed_in):
    from accounts.models import AccountRequest, Channel

    head = signed_in("head.libraries")
    head.follow("Account requests", check="account requests")
    head.follow("@DemoLibrariesKids", check="the request")
    request = AccountRequest.objects.get(proposed_handle="@DemoLibrariesKids")
    assert request.state == "submitted"

    # A refusal without reasons is refused: the requester must be told why.
    head.page.get_by_label("Refuse", exact=True).check()
    head.submit("Record the decision", check=None)
    summary = head.error_summary()
    head.check("the request: a refusal without reasons")
    assert "Give your reasons: the requester will read them." in summary
    request.refresh_from_db()
    assert request.state == "submitted" and not request.decisions.exists()

    head.page.get_by_label("Approve", exact=True).check()
    head.submit("Record the decision", check="the request: approved by the head of service")
    assert "You chose to approve" in head.page.locator(".govuk-notification-banner").inner_text()
    request.refresh_from_db()
    decision = request.decisions.get()
    assert (decision.outcome, decision.decided_by.username) == ("approved", "head.libraries")
    assert request.state != "submitted" and not Channel.objects.filter(handle="@DemoLibrariesKids").exists()
    head.follow("Back to account requests", check="account requests")


def test_an_editor_drafts_a_post_and_a_communications_officer_approves_it(signed_in):
    from accounts.models import Channel
    from accounts.roles import Role
    from publishing.models import ChannelApprovers, Post

    # The demo council, as a council sets it up, has communications officers among the approvers
    # of its service channels (channel approvers, set in admin).
    libraries = Channel.objects.get(handle="@KingsmereLibs")
    assert Role.COMMUNICATIONS_OFFICER in ChannelApprovers.objects.get(channel=libraries).roles

    editor = signed_in("editor.libraries")
    editor.follow("Posts", check="posts")
    editor.follow("Write a post", check="post editor")
    editor.submit("Save the draft", check=None)
    summary = editor.error_summary()
    editor.check("post editor: an empty form")
    assert "Choose at least one channel." in summary

    text = "Rhyme Time is back at Kingsmere Central Library every Tuesday at 10:30. Free, no booking needed."
    fill(editor.page, "Text", text)
    editor.page.get_by_label("@KingsmereLibs (X (Twitter), Libraries)", exact=True).check()
    editor.submit("Save the draft", check="the post: a draft")
    post = Post.objects.get(text=text)
    assert post.state == "draft" and post.author.username == "editor.libraries"
    editor.submit("Send for approval", check="the post: sent for approval")
    post.refresh_from_db()
    assert post.state == "submitted"
    from tests.browser.harness import sign_out
    sign_out(editor)

    comms = signed_in("comms")
    comms.follow("Posts", check="posts")
    comms.follow("To approve", check="posts to approve")
    comms.follow(text[:60], exact=False, check="the post to approve")
    comms.page.get_by_label("Approve", exact=True).check()
    comms.submit("Record the decision", check="the post: approved")
    assert "You approved the post." in comms.page.locator(".govuk-notification-banner").inner_text()
    post.refresh_from_db()
    assert post.state == "approved"
    comms.follow("Calendar", check="calendar")


def test_an_administrator_edits_a_rule_of_the_escalation_matrix(demo_mentions, signed_in):
    import json

    from triage.models import Rule

    admin = signed_in("admin")
    assert "key" in admin.learnt and len(admin.learnt["backup_codes"]) == 10
    admin.follow("Rules", check="rules")
    rule = Rule.objects.get(name="Controversial issue")
    admin.follow(rule.name, check="the rule")
    before = dict(rule.conditions)

    conditions = admin.page.get_by_label("Conditions", exact=True)
    conditions.fill('{"intent_in": ["comms_escalation", "customer_service"')
    admin.submit("Save the rule", check=None)
    summary = admin.error_summary()
    admin.check("the rule: bad JSON")
    assert "The conditions are not valid JSON" in summary
    rule.refresh_from_db()
    assert rule.conditions == before

    assert before == {"intent_in": ["comms_escalation"]}
    changed = {"intent_in": ["comms_escalation", "customer_service"]}
    conditions.fill(json.dumps(changed, indent=2))
    admin.submit("Preview on the last 1,000 mentions", check="the rule: preview")
    assert "Preview: not saved yet" in admin.page.locator("#preview-title").inner_text()
    assert re.search(r"With this change, \d+ of the last \d+ mentions? would be routed differently",
                     admin.page.locator(".govuk-notification-banner").first.inner_text())
    rule.refresh_from_db()
    assert rule.conditions == before
    admin.submit("Save the rule", check="rules: saved")
    assert f"The rule '{rule.name}' is saved" in admin.page.locator(".govuk-notification-banner").inner_text()
    rule.refresh_from_db()
    assert rule.conditions == changed


def test_a_resident_signs_up_for_email_alerts(demo, browser_page, mailoutbox):
    from publishing.models import AlertSubscriber

    mailoutbox.clear()  # the demo's own notifications
    resident = browser_page()
    resident.goto("/alerts/", check="sign up")
    email_field = resident.page.get_by_label("Email address", exact=True)
    assert email_field.get_attribute("autocomplete") == "email" and email_field.get_attribute("type") == "email"
    resident.submit("Sign up", check=None)
    summary = resident.error_summary()
    resident.check("sign up: an empty form")
    assert "Enter your email address" in summary and "Choose at least one topic." in summary
    # The topics' error is read out with their question, as GOV.UK's checkboxes do.
    described = resident.page.locator("fieldset:has(#id_topics_0)").get_attribute("aria-describedby").split()
    assert "id_topics-error" in described
    assert mailoutbox == []

    email_field.fill("amara.okafor@example.org")
    resident.page.locator(".govuk-checkboxes__input").first.check()
    resident.submit("Sign up", check="check your email")
    assert resident.page.locator("h1").inner_text() == "Check your email"
    assert not AlertSubscriber.objects.exists()  # nothing until the address is confirmed
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["amara.okafor@example.org"]
    link = re.search(r"https?://\S+/alerts/confirm/\S+/", mailoutbox[0].body).group(0)
    resident.goto(re.sub(r"^https?://[^/]+", "", link), check="confirm")
    resident.submit("Confirm", check="signed up")
    assert resident.page.locator("h1").inner_text() == "You are signed up"
    subscriber = AlertSubscriber.objects.get()
    assert subscriber.email == "amara.okafor@example.org" and subscriber.confirmed_at is not None


def test_a_communications_officer_stops_and_restarts_live_updates(demo_mentions, signed_in):
    comms = signed_in("comms")
    comms.goto("/cases/?route=customer_service&sort=newest", check="cases: live")
    poller = comms.page.locator("#case-poller")
    assert poller.count() == 1 and poller.get_attribute("hx-trigger") == "every 5s"
    with comms.page.expect_request(re.compile(r"/cases/updates/")):  # it really polls
        pass
    comms.follow("Stop live updates", check="cases: stopped")
    assert "live=off" in comms.path and "route=customer_service" in comms.path and "sort=newest" in comms.path
    assert comms.page.locator("#case-poller").count() == 0
    assert "Live updates are off" in comms.page.locator("main").inner_text()
    assert comms.page.get_by_label("Route (optional)").input_value() == "customer_service"
    comms.follow("Turn live updates on", check="cases: live again")
    assert "live=off" not in comms.path and "route=customer_service" in comms.path and "sort=newest" in comms.path
    assert comms.page.locator("#case-poller").count() == 1


def _in_main(checked) -> bool:
    return checked.page.evaluate("() => document.getElementById('main-content').contains(document.activeElement)")


def _skip_to_main(checked) -> None:
    """The first Tab stop is the skip link; Enter on it moves focus to the main content, past the
    header and the menu, and the next Tab stop is inside it."""
    first = checked.tab()
    assert first["text"] == "Skip to main content" and first["href"] == "#main-content", first
    checked.press("Enter")
    assert checked.page.evaluate("() => document.activeElement.id") == "main-content"


def test_a_communications_officer_triages_and_escalates_with_the_keyboard_alone(demo_mentions, browser_page):
    """Tab, Enter, Space and typing only: no mouse, no clicks, no focus set by the test. Every Tab
    stop has a visible focus indicator and is on screen."""
    from accounts.models import User
    from triage.models import Case, CaseEvent

    councillor = User.objects.get(username="cllr.patel")
    comms = browser_page()

    comms.goto("/sign-in/", check="sign-in")
    assert comms.tab()["text"] == "Skip to main content"
    comms.tab_to(lambda s: s["id"] == "id_username")
    comms.type("comms")
    assert comms.tab()["id"] == "id_password"
    comms.type("demo-comms-pass")
    comms.press("Enter", navigates=True)
    comms.check("home")
    assert comms.path == "/"

    # Home: the skip link first, then on through the menu to the dashboard.
    assert comms.tab()["text"] == "Skip to main content"
    comms.tab_to_text("Inbox")  # the Inbox section opens on the dashboard
    comms.press("Enter", navigates=True)
    comms.check("dashboard")

    _skip_to_main(comms)
    comms.tab_to_text("New cases")
    assert _in_main(comms)
    comms.press("Enter", navigates=True)
    comms.check("new cases")
    assert "status=new" in comms.path

    # The first case listed that has a service (its head is told) and is not yet with communications.
    listed = [int(m.group(1)) for href in comms.page.eval_on_selector_all(
        "main a[href*='case=']", "links => links.map(a => a.getAttribute('href'))")
        if (m := re.search(r"case=(\d+)$", href))]
    candidates = list(Case.objects.filter(pk__in=listed, service__isnull=False).exclude(route="comms_escalation"))
    assert candidates, "the New cases page lists a case with a service"
    target = min(candidates, key=lambda c: listed.index(c.pk))
    # A safeguarding case is already shared with the safeguarding contacts; escalating adds the councillor.
    shared_before = set(target.shared_with.all())

    # The inbox: Enter on a case shows it beside the list; its full page is one link away.
    _skip_to_main(comms)
    comms.tab_to(lambda s: s["href"].endswith(f"case={target.pk}"), limit=200)
    comms.press("Enter")
    comms.page.wait_for_selector(f'#case-preview-body[data-case="{target.pk}"]')
    comms.check("new cases: preview")
    comms.tab_to(lambda s: s["href"] == f"/cases/{target.pk}/", limit=200)
    comms.press("Enter", navigates=True)
    comms.check("the case")

    # Acknowledge: a button pressed with Space.
    _skip_to_main(comms)
    comms.tab_to_text("Acknowledge")
    comms.press("Space", navigates=True)
    comms.check("the case: acknowledged")
    assert "The case is acknowledged." in comms.page.locator(".govuk-notification-banner").inner_text()
    target.refresh_from_db()
    assert target.state == "acknowledged"

    # Escalate: the details section opens with Enter; sent empty first. The success banner has
    # focus (GOV.UK's pattern, so that it is read out), and Tab goes on from there.
    assert comms.page.evaluate("() => document.activeElement.classList.contains('govuk-notification-banner')")
    comms.tab_to_text("Escalate to communications")
    comms.press("Enter")
    assert comms.page.locator("details:has-text('Escalate to communications')").get_attribute("open") is not None
    comms.check("the case: escalation opened")
    comms.tab_to_text("Escalate")
    comms.press("Enter", navigates=True)
    comms.error_summary()
    comms.check("the case: escalation without a reason")
    # The error summary has focus; its link takes focus to the field.
    link = comms.tab()
    assert link["href"] == "#id_escalate-reason" and link["text"] == "Say why the case needs communications", link
    comms.press("Enter")
    assert comms.page.evaluate("() => document.activeElement.id") == "id_escalate-reason"
    comms.type("The resident is organising a petition and the local paper has picked it up.")
    box = comms.tab()
    assert box["label"] == "Tell the head of the case's service" and box["type"] == "checkbox", box
    comms.press("Space")
    patel = comms.tab_to(lambda s: s["label"] == str(councillor))
    assert patel["type"] == "checkbox"
    comms.press("Space")
    assert comms.page.locator(f"#{patel['id']}").is_checked()
    comms.tab_to_text("Escalate")
    comms.press("Enter", navigates=True)
    comms.check("the case: escalated")
    assert "The case is escalated" in comms.page.locator(".govuk-notification-banner").inner_text()

    target.refresh_from_db()
    assert (target.route, target.state) == ("comms_escalation", "in_progress")
    assert councillor not in shared_before
    assert set(target.shared_with.all()) == shared_before | {councillor}
    event = CaseEvent.objects.filter(case=target, kind="escalated").get()
    assert event.actor.username == "comms" and "petition" in event.text


def test_a_communications_officer_reads_every_report_and_makes_the_committee_report(demo_mentions, signed_in,
                                                                                    monkeypatch):
    """Every report page, filtered by service and period, then the committee report: asked for,
    generated by the Celery task's function (run here, as tests/reporting does, in a thread of its
    own while the page polls), its progress seen on the page, the PDF and CSV downloaded."""
    import csv
    import io
    import threading
    from datetime import timedelta

    from django.db import connections
    from django.utils import timezone
    from pypdf import PdfReader

    from reporting import pdf as reporting_pdf
    from reporting import tasks
    from reporting.models import ReportRun

    queued: list[int] = []
    monkeypatch.setattr(tasks.committee_report, "delay", queued.append)  # no broker: the test runs it
    comms = signed_in("comms")
    comms.follow("Reports", check="reports: summary")
    assert comms.page.locator("#headlines li").count() >= 1
    for name in ("Channel growth", "Mention volume", "Triage performance", "Posts published"):
        comms.follow(name, check=f"reports: {name}")
        assert comms.page.locator("h1").inner_text() == name
        for chart in comms.page.locator("section svg[role=img]").all():  # no chart without its table
            figure = chart.locator("xpath=ancestor::section[1]")
            assert figure.locator("table").count() == 1 and chart.get_attribute("aria-labelledby")

    # The last 30 days, Libraries only.
    today = timezone.localdate()
    start = today - timedelta(days=30)
    for legend, day in (("Period starts", start), ("Period ends", today)):
        group = comms.page.get_by_role("group", name=legend)
        group.get_by_label("Day").fill(str(day.day))
        group.get_by_label("Month").fill(str(day.month))
        group.get_by_label("Year").fill(str(day.year))
    comms.page.get_by_label("Service (optional)").select_option(label="Libraries")
    comms.submit("Show figures", check="reports: Publishing, Libraries, 30 days")
    assert comms.page.locator(".govuk-caption-l").inner_text() == "Reports · Libraries"
    assert "service=libraries" in comms.path and f"start_year={start.year}" in comms.path
    comms.follow("Summary", check="reports: summary, Libraries, 30 days")  # the menu keeps the filters
    assert comms.page.locator(".govuk-caption-l").inner_text() == "Reports · Libraries"

    reached, go = threading.Event(), threading.Event()
    real_pdf = reporting_pdf.committee_pdf

    def pdf_when_told(*args, **kwargs):
        reached.set()
        assert go.wait(60)
        return real_pdf(*args, **kwargs)

    monkeypatch.setattr(reporting_pdf, "committee_pdf", pdf_when_told)
    comms.submit("Create the committee report", check="committee report: queued")
    run = ReportRun.objects.get()
    assert queued == [run.pk] and (run.period_start, run.period_end, run.service.slug) == (start, today, "libraries")
    assert "Waiting to start" in comms.page.locator("#run-progress").inner_text()

    def worker():
        try:
            tasks.committee_report(run.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker, name="committee-report")
    thread.start()
    try:
        assert reached.wait(60)
        # The page, polling every 2 seconds, shows how far the task has got.
        comms.page.wait_for_selector("#run-progress progress[value='75']")
        assert "75% done: writing the pdf" in comms.page.locator("#run-progress").inner_text()
        comms.check("committee report: in progress")
    finally:
        go.set()
        thread.join(60)
    comms.page.wait_for_selector("text=The report is ready.")
    comms.check("committee report: ready")
    run.refresh_from_db()
    assert (run.state, run.progress) == ("done", 100)

    with comms.page.expect_download() as pdf_download:
        comms.page.get_by_role("link", name="Download the report (PDF)").click()
    with open(pdf_download.value.path(), "rb") as f:
        pdf_bytes = f.read()
    assert pdf_bytes.startswith(b"%PDF") and pdf_download.value.suggested_filename == (
        f"committee-report-{start:%Y-%m-%d}-to-{today:%Y-%m-%d}.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages).split())
    assert "Social media report to committee" in text and "Libraries" in text

    with comms.page.expect_download() as csv_download:
        comms.page.get_by_role("link", name="Download the figures (CSV)").click()
    with open(csv_download.value.path(), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows and {"table", "row", "column", "value"} <= set(rows[0])
    comms.check("committee report: downloaded")
