"""Approval no one can get round: editors never approve, an edit after approval sends the post
back, chains of stages per channel, bulk approval and a reason to send back."""
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.roles import Role
from publishing import services as publishing
from publishing.models import ApprovalStage, Post, PostEdit, PostTarget

from .conftest import approved, draft

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _two_stages(channel, *, second_users=()):
    ApprovalStage.objects.create(channel=channel, order=1, name="Head of service", roles=[Role.HEAD_OF_SERVICE])
    second = ApprovalStage.objects.create(channel=channel, order=2, name="Communications",
                                          roles=[] if second_users else [Role.COMMUNICATIONS_OFFICER])
    second.users.set(second_users)
    return second


def test_the_editor_of_someone_elses_draft_cannot_approve_it_through_the_pages(editor, web, channels, client_for):
    post = draft(editor, [channels["libraries"]])
    page = client_for(web).post(f"/posts/{post.pk}/edit/", {"text": "The web team's own words.",
                                                          "channels": [channels["libraries"].pk],
                                                          "version": post.version})
    assert page.status_code == 302
    assert PostEdit.objects.filter(post=post, editor=web).exists()
    client_for(editor).post(f"/posts/{post.pk}/submit/")
    post.refresh_from_db()
    assert post.state == Post.State.SUBMITTED
    detail = client_for(web).get(f"/posts/{post.pk}/")
    assert b"You changed this post, so you cannot approve it" in detail.content
    answer = client_for(web).post(f"/posts/{post.pk}/decide/", {"decision-decision": "approve"}, follow=True)
    assert b"You changed this post, so you cannot approve it" in answer.content
    post.refresh_from_db()
    assert post.state == Post.State.SUBMITTED and not post.approvals.exists()


def test_the_editor_cannot_approve_through_the_api_after_patch_and_submit(editor, web, head, channels):
    post = draft(editor, [channels["libraries"]])
    patched = api(web).patch(f"/api/posts/{post.pk}/", {"text": "Patched by the web team.", "version": 1},
                             format="json")
    assert patched.status_code == 200, patched.json()
    body = patched.json()
    assert body["text"] == "Patched by the web team." and body["version"] == 2
    assert [(e["by"], e["via"]) for e in body["edits"]] == [("Editor", "page"), ("Web", "api")]
    assert api(web).post(f"/api/posts/{post.pk}/submit/").json()["state"] == "submitted"
    refused = api(web).post(f"/api/posts/{post.pk}/approve/", {}, format="json")
    assert refused.status_code == 403 and "You changed this post" in refused.json()["detail"]
    assert Post.objects.get(pk=post.pk).state == Post.State.SUBMITTED
    # Someone who did not touch it can.
    assert api(head).post(f"/api/posts/{post.pk}/approve/", {}, format="json").json()["state"] == "approved"


def test_patch_checks_the_version_and_the_editor_and_refuses_bad_input(editor, staff, channels, make_user, services):
    post = draft(editor, [channels["libraries"]])
    assert api(editor).patch(f"/api/posts/{post.pk}/", {"text": "x"}, format="json").status_code == 400
    stale = api(editor).patch(f"/api/posts/{post.pk}/", {"text": "x", "version": 7}, format="json")
    assert stale.status_code == 400 and stale.json()["code"] == "stale"
    colleague = make_user("colleague", Role.SERVICE_EDITOR, services["libraries"])
    assert api(colleague).patch(f"/api/posts/{post.pk}/", {"text": "x", "version": 1},
                                format="json").status_code == 403
    assert api(editor).put(f"/api/posts/{post.pk}/", {"text": "x", "version": 1},
                           format="json").status_code == 405
    moved = api(editor).patch(f"/api/posts/{post.pk}/", {"version": 1, "channels": [channels["leisure"].pk]},
                              format="json")
    assert moved.status_code == 400  # a channel the editor cannot see does not exist for them
    assert Post.objects.get(pk=post.pk).text == "Library opening hours change next week."


def test_an_edit_after_approval_sends_the_post_back(editor, head, web, channels):
    post = approved(editor, head, [channels["libraries"]])
    publishing.post_schedule(actor=editor, post=post, scheduled_at=timezone.now() + timedelta(days=2))
    publishing.post_update(actor=web, post=post, version=post.version, text="A late change of words.")
    post.refresh_from_db()
    assert post.state == Post.State.CHANGES_REQUESTED
    assert set(post.targets.values_list("state", flat=True)) == {PostTarget.State.PENDING}
    assert AuditEvent.objects.filter(action="post.update", object_id=str(post.pk),
                                     note__contains="sent back for approval").exists()
    publishing.post_submit(actor=editor, post=post)
    with pytest.raises(publishing.PostRefused, match="You changed this post"):
        publishing.post_approve(actor=web, post=post)
    publishing.post_approve(actor=head, post=post)
    assert post.state == Post.State.APPROVED


def test_an_approver_edits_only_by_sending_it_back(editor, head, channels):
    post = draft(editor, [channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    publishing.post_update(actor=head, post=post, version=post.version, text="The head's wording.")
    assert post.state == Post.State.CHANGES_REQUESTED
    publishing.post_submit(actor=editor, post=post)
    with pytest.raises(publishing.PostRefused, match="You changed this post"):
        publishing.post_approve(actor=head, post=post)


def test_a_second_stage_approver_who_edited_is_refused(editor, head, comms, make_user, services, channels):
    channel = channels["libraries"]
    _two_stages(channel)
    other_comms = make_user("comms2", Role.COMMUNICATIONS_OFFICER, services["communications"])
    post = draft(editor, [channel])
    publishing.post_submit(actor=editor, post=post)
    with pytest.raises(publishing.PostRefused, match="Head of service"):
        publishing.post_approve(actor=comms, post=post)  # not stage 1's approver
    publishing.post_approve(actor=head, post=post)
    assert post.state == Post.State.SUBMITTED  # one stage to go
    publishing.post_update(actor=comms, post=post, version=post.version, text="Comms' wording.")
    assert post.state == Post.State.CHANGES_REQUESTED
    publishing.post_submit(actor=editor, post=post)
    publishing.post_approve(actor=head, post=post)  # stage 1 again: a new round
    with pytest.raises(publishing.PostRefused, match="You changed this post"):
        publishing.post_approve(actor=comms, post=post)
    publishing.post_approve(actor=other_comms, post=post)
    assert post.state == Post.State.APPROVED
    assert [(a.stage, a.decided_by_name) for a in post.approvals.filter(round=post.approval_round)] == [
        (1, "Head"), (2, "Comms2")]


def test_named_people_approve_a_stage_and_nobody_approves_two_stages(editor, head, web, comms, channels):
    channel = channels["libraries"]
    ApprovalStage.objects.create(channel=channel, order=1, name="Service", roles=[Role.HEAD_OF_SERVICE,
                                                                                  Role.WEB_TEAM])
    second = ApprovalStage.objects.create(channel=channel, order=2, name="Named", roles=[Role.WEB_TEAM])
    second.users.set([comms])
    post = draft(editor, [channel])
    publishing.post_submit(actor=editor, post=post)
    publishing.post_approve(actor=web, post=post)
    with pytest.raises(publishing.PostRefused, match="approved an earlier stage"):
        publishing.post_approve(actor=web, post=post)
    with pytest.raises(publishing.PostRefused, match="Named"):
        publishing.post_approve(actor=head, post=post)
    publishing.post_approve(actor=comms, post=post)
    assert post.state == Post.State.APPROVED


def test_sending_back_needs_a_reason_on_the_page_and_the_api(editor, head, channels, client_for):
    post = draft(editor, [channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    with pytest.raises(publishing.PostRefused, match="Say what needs to change"):
        publishing.post_request_changes(actor=head, post=post, comment="  ")
    assert api(head).post(f"/api/posts/{post.pk}/request-changes/", {"comment": ""},
                          format="json").status_code == 400
    client_for(head).post(f"/posts/{post.pk}/decide/", {"decision-decision": "request_changes"})
    post.refresh_from_db()
    assert post.state == Post.State.SUBMITTED and not post.approvals.exists()


def test_bulk_approval_approves_what_it_may_and_says_why_not_for_the_rest(editor, head, channels, client_for):
    mine = draft(head, [channels["libraries"]])
    publishing.post_submit(actor=head, post=mine)
    others = [draft(editor, [channels["libraries"]], text=f"Post number {n}.") for n in range(3)]
    for post in others:
        publishing.post_submit(actor=editor, post=post)
    page = client_for(head).post("/posts/approve/", {"posts": [p.pk for p in others[:2]] + [mine.pk]}, follow=True)
    assert page.status_code == 200
    assert b"You approved 2 posts" in page.content and b"cannot approve your own post" in page.content
    states = dict(Post.objects.values_list("pk", "state"))
    assert [states[p.pk] for p in others] == ["approved", "approved", "submitted"] and states[mine.pk] == "submitted"
    answer = api(head).post("/api/posts/approve-bulk/", {"posts": [others[2].pk, mine.pk, 999999]},
                            format="json").json()
    assert answer["approved"] == [others[2].pk]
    assert {r["post"] for r in answer["refused"]} == {mine.pk, 999999}


def test_the_chain_is_shown_on_the_api_and_the_page(editor, head, channels, client_for):
    _two_stages(channels["libraries"])
    post = draft(editor, [channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    publishing.post_approve(actor=head, post=post)
    chain = api(head).get(f"/api/posts/{post.pk}/chain/").json()
    assert [(s["stage"], s["name"], s["approved_by"]) for s in chain] == [
        (1, "Head of service", "Head"), (2, "Communications", None)]
    page = client_for(editor).get(f"/posts/{post.pk}/").content.decode()
    assert "Approval chain" in page and "Stage 2" in page and "Edit history" in page


def test_the_web_team_sets_a_chain_on_the_channel_page_and_others_only_see_it(web, head, comms, channels,
                                                                               client_for):
    channel = channels["libraries"]
    url = f"/channels/{channel.pk}/approval-chain/"
    browser = client_for(web)
    assert b"One approval" in browser.get(f"/channels/{channel.pk}/").content
    empty = browser.post(url, {"name": "Head of service"})
    assert empty.status_code == 200 and b"Error: " in empty.content and b"at least one role" in empty.content
    browser.post(url, {"name": "Head of service", "roles": [Role.HEAD_OF_SERVICE]})
    browser.post(url, {"name": "Communications", "users": [comms.pk]})
    assert list(channel.approval_stages.values_list("order", "name")) == [(1, "Head of service"),
                                                                          (2, "Communications")]
    assert AuditEvent.objects.filter(action="channel.approval_stage_add", object_id=str(channel.pk)).count() == 2
    page = client_for(head).get(url)
    assert page.status_code == 200 and b"Communications: Comms" in page.content and b"Add a stage" not in page.content
    assert client_for(head).post(url, {"name": "Mine", "roles": [Role.SERVICE_EDITOR]}).status_code == 403
    first = channel.approval_stages.get(order=1)
    browser.post(f"/channels/{channel.pk}/approval-chain/{first.pk}/remove/")
    assert list(channel.approval_stages.values_list("order", "name")) == [(1, "Communications")]
