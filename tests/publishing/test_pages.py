"""The publishing pages: thin views over the same services, scoped like the API."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.roles import Role
from publishing import services as publishing
from publishing.models import Campaign, ElectionPeriod, Post

from .conftest import approved, draft, scheduled

pytestmark = pytest.mark.django_db


def test_writing_a_post_with_an_image_and_sending_it_for_approval(editor, head, channels, client_for, settings,
                                                                  tmp_path):
    settings.MEDIA_ROOT = tmp_path
    browser = client_for(editor)
    assert browser.get("/posts/new/").status_code == 200
    image = SimpleUploadedFile("reading.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    page = browser.post("/posts/new/", {"text": "Reading group tonight.", "channels": [channels["libraries"].pk],
                                        "image_1_file": image, "image_1_alt": "Six people reading in a circle"})
    post = Post.objects.get()
    assert page.status_code == 302 and page["Location"] == f"/posts/{post.pk}/"
    assert post.images.get().alt_text == "Six people reading in a circle" and post.images.get().file
    detail = browser.get(f"/posts/{post.pk}/")
    assert b"passes every check" in detail.content and b"Send for approval" in detail.content
    browser.post(f"/posts/{post.pk}/submit/")
    post.refresh_from_db()
    assert post.state == Post.State.SUBMITTED

    approver = client_for(head)
    assert b"Record the decision" in approver.get(f"/posts/{post.pk}/").content
    approver.post(f"/posts/{post.pk}/decide/", {"decision-decision": "approve", "decision-comment": "Good"})
    post.refresh_from_db()
    assert post.state == Post.State.APPROVED
    browser.post(f"/posts/{post.pk}/schedule/", {"date": (timezone.localdate() + timedelta(days=1)).isoformat(),
                                                 "time": "09:30"})
    post.refresh_from_db()
    assert post.state == Post.State.SCHEDULED and timezone.localtime(post.scheduled_at).hour == 9


def test_an_invalid_form_shows_an_error_summary_and_saves_nothing(editor, channels, client_for):
    page = client_for(editor).post("/posts/new/", {"text": "", "image_1_url": "https://a.gov.uk/x.png"})
    assert page.status_code == 200
    assert b"<title>Error:" in page.content and b"There is a problem" in page.content
    assert b"Choose at least one channel." in page.content and b"Enter alt text for image 1" in page.content
    assert not Post.objects.exists()


def test_a_blocking_check_is_explained_on_the_page_and_on_submit(editor, channels, client_for):
    post = draft(editor, [channels["libraries"]], text="Her NI number is AB123456C.")
    browser = client_for(editor)
    assert b"Must fix" in browser.get(f"/posts/{post.pk}/").content
    page = browser.post(f"/posts/{post.pk}/submit/", follow=True)
    assert b"National Insurance number" in page.content
    assert Post.objects.get(pk=post.pk).state == Post.State.DRAFT


def test_a_stale_edit_is_refused_on_the_page(editor, web, channels, client_for):
    post = draft(editor, [channels["libraries"]])
    publishing.post_update(actor=web, post=post, version=1, text="Newer")
    page = client_for(editor).post(f"/posts/{post.pk}/edit/", {"text": "Older", "version": 1,
                                                               "channels": [channels["libraries"].pk]})
    assert b"Someone else changed this post" in page.content
    assert Post.objects.get(pk=post.pk).text == "Newer"


def test_asking_for_changes_needs_a_comment(editor, head, channels, client_for):
    post = draft(editor, [channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    page = client_for(head).post(f"/posts/{post.pk}/decide/", {"decision-decision": "request_changes"},
                                 follow=True)
    assert b"Say what needs to change." in page.content
    assert Post.objects.get(pk=post.pk).state == Post.State.SUBMITTED


def test_the_monitoring_officer_sees_and_decides_a_referred_post(editor, mo, channels, client_for):
    today = timezone.localdate()
    ElectionPeriod.objects.create(name="Elections", start=today, end=today + timedelta(days=9),
                                  candidates="Jane Smith")
    post = draft(editor, [channels["libraries"]], text="Jane Smith visited.")
    client_for(editor).post(f"/posts/{post.pk}/refer/")
    officer = client_for(mo)
    assert f"/posts/{post.pk}/".encode() in officer.get("/posts/?list=to_approve").content
    officer.post(f"/posts/{post.pk}/monitoring-officer/", {"mo-decision": "approve", "mo-comment": "Fine"})
    assert Post.objects.get(pk=post.pk).mo_approved


def test_lists_show_the_right_posts_and_stay_within_a_fixed_number_of_queries(
        editor, head, comms, web, channels, client_for, django_assert_max_num_queries):
    for n in range(3):
        draft(editor, [channels["libraries"]], text=f"Draft {n}")
        scheduled(comms, web, [channels["corporate"], channels["libraries"]], text=f"Scheduled {n}")
    waiting = draft(editor, [channels["libraries"]], text="Waiting for the head")
    publishing.post_submit(actor=editor, post=waiting)
    browser = client_for(head)
    assert b"Waiting for the head" in browser.get("/posts/?list=to_approve").content
    central, author = client_for(comms), client_for(editor)
    with django_assert_max_num_queries(12):
        page = central.get("/posts/?list=scheduled")
    assert page.content.count(b"Scheduled 0") == 1 and b"Draft 0" not in page.content
    with django_assert_max_num_queries(12):
        assert author.get("/posts/?list=mine").content.count(b"Draft ") == 3


def test_service_staff_do_not_see_other_services_posts(staff, make_user, services, channels, client_for):
    theirs = draft(make_user("leisure", Role.SERVICE_EDITOR, services["leisure"]), [channels["leisure"]],
                   text="Leisure only")
    editor = client_for(staff[Role.SERVICE_EDITOR])
    assert editor.get(f"/posts/{theirs.pk}/").status_code == 404
    assert editor.post(f"/posts/{theirs.pk}/cancel/").status_code == 404
    assert b"Leisure only" not in editor.get("/posts/?list=all").content
    assert b"Leisure only" in client_for(staff[Role.WEB_TEAM]).get("/posts/?list=all").content
    assert client_for(staff[Role.COUNCILLOR]).get("/posts/").status_code == 403


def test_the_forward_planner_the_fortnightly_grid_and_the_ics_export(comms, web, head, channels, services,
                                                                     client_for):
    post = scheduled(comms, web, [channels["corporate"]], text="Council tax bills are on their way")
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() + timedelta(hours=1))
    campaign = Campaign.objects.create(name="Recycling week", service=services["communications"],
                                       start_date=timezone.localdate(),
                                       end_date=timezone.localdate() + timedelta(days=6))
    browser = client_for(comms)
    month = browser.get("/calendar/")
    assert b"Council tax bills" in month.content and b"Campaign: Recycling week" in month.content
    fortnight = browser.get("/calendar/fortnight/")
    assert b"@Council" in fortnight.content and b"Campaigns" in fortnight.content
    filtered = browser.get("/calendar/", {"channel": channels["libraries"].pk})
    assert b"Council tax bills" not in filtered.content
    ics = browser.get("/calendar/plan.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    body = ics.content.decode()
    assert "BEGIN:VEVENT" in body and f"UID:post-{post.pk}@" in body and f"UID:campaign-{campaign.pk}@" in body
    # Service staff see only their service's plan.
    assert b"Council tax bills" not in client_for(head).get("/calendar/").content


def test_planning_a_campaign(head, client_for):
    browser = client_for(head)
    bad = browser.post("/campaigns/new/", {"name": "Backwards", "service": head.service_id,
                                           "start_date": "2026-07-02", "end_date": "2026-07-01"})
    assert b"<title>Error:" in bad.content and not Campaign.objects.exists()
    page = browser.post("/campaigns/new/", {"name": "Summer reading", "service": head.service_id,
                                            "start_date": "2026-07-01", "end_date": "2026-08-31"})
    campaign = Campaign.objects.get()
    assert page["Location"] == f"/campaigns/{campaign.pk}/" and campaign.owner == head


def test_the_home_page_tells_approvers_what_waits(editor, head, channels, client_for):
    publishing.post_submit(actor=editor, post=draft(editor, [channels["libraries"]]))
    assert b"1 post waiting for your approval" in client_for(head).get("/").content


def test_the_best_time_is_suggested_and_explained(editor, head, channels, client_for):
    post = approved(editor, head, [channels["libraries"]])
    page = client_for(editor).get(f"/posts/{post.pk}/")
    assert b"Best time for @Libs" in page.content and b"too few to tell" in page.content
