"""Every state change of a post and who may make it."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Notification
from accounts.roles import Role
from publishing import services as publishing
from publishing.models import Approval, ChannelApprovers, Post, PostTarget

from .conftest import approved, draft

pytestmark = pytest.mark.django_db


def test_a_draft_is_created_with_a_target_per_channel_and_audited(editor, channels):
    post = draft(editor, [channels["libraries"]], variants={"x": "Shorter for X"}, link="https://council.example/l")
    assert post.state == Post.State.DRAFT and post.service == editor.service and post.version == 1
    assert list(post.targets.values_list("channel__handle", "state")) == [("@Libs", PostTarget.State.PENDING)]
    assert AuditEvent.objects.filter(action="post.create", object_id=str(post.pk)).exists()


def test_a_councillor_cannot_write_posts(staff, channels):
    with pytest.raises(publishing.PostRefused, match="role does not let you write posts"):
        draft(staff[Role.COUNCILLOR], [channels["libraries"]])


def test_service_staff_cannot_post_to_another_services_channel(editor, channels):
    with pytest.raises(publishing.PostRefused, match="cannot post to Leisure"):
        draft(editor, [channels["leisure"]])
    assert not Post.objects.exists()


def test_an_image_without_alt_text_is_refused_and_nothing_is_saved(editor, channels):
    with pytest.raises(publishing.PostRefused, match="no alt text") as refused:
        draft(editor, [channels["libraries"]], images=[{"url": "https://council.example/a.jpg", "alt_text": " "}])
    assert refused.value.code == "alt_text_missing" and not Post.objects.exists()


def test_submit_sends_the_draft_to_its_approvers(editor, head, web, comms, channels):
    post = draft(editor, [channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    assert post.state == Post.State.SUBMITTED and post.submitted_at
    told = set(Notification.objects.filter(subject__startswith="A post is waiting").values_list("user__username",
                                                                                              flat=True))
    assert told == {head.username, web.username}  # a service channel: its head of service or the web team


def test_only_the_author_or_the_central_team_submits(editor, make_user, services, channels):
    colleague = make_user("colleague", Role.SERVICE_EDITOR, services["libraries"])
    post = draft(editor, [channels["libraries"]])
    with pytest.raises(publishing.PostRefused, match="Only the author"):
        publishing.post_submit(actor=colleague, post=post)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT


def test_nobody_approves_their_own_post(web, channels):
    post = draft(web, [channels["corporate"]])
    publishing.post_submit(actor=web, post=post)
    with pytest.raises(publishing.PostRefused, match="cannot approve your own post"):
        publishing.post_approve(actor=web, post=post)
    with pytest.raises(publishing.PostRefused, match="cannot approve your own post"):
        publishing.post_request_changes(actor=web, post=post, comment="I changed my mind")
    post.refresh_from_db()
    assert post.state == Post.State.SUBMITTED and not Approval.objects.exists()


@pytest.mark.parametrize("approver, allowed", [
    (Role.COMMUNICATIONS_OFFICER, True), (Role.WEB_TEAM, True), (Role.HEAD_OF_SERVICE, False),
    (Role.SERVICE_EDITOR, False), (Role.MONITORING_OFFICER, False), (Role.CUSTOMER_SERVICES, False),
])
def test_corporate_channels_are_approved_by_communications_officers_or_the_web_team(
        staff, make_user, services, channels, approver, allowed):
    author = make_user("author", Role.SERVICE_EDITOR, services["communications"])
    post = draft(author, [channels["corporate"]])
    publishing.post_submit(actor=author, post=post)
    if allowed:
        publishing.post_approve(actor=staff[approver], post=post, comment="Fine")
        assert post.state == Post.State.APPROVED and post.approved_by == staff[approver]
        assert Approval.objects.get(post=post).decided_by == staff[approver]
    else:
        with pytest.raises(publishing.PostRefused, match="a communications officer or the web team"):
            publishing.post_approve(actor=staff[approver], post=post)
        post.refresh_from_db()
        assert post.state == Post.State.SUBMITTED


def test_service_channels_are_approved_by_their_head_of_service_or_the_web_team(
        staff, make_user, services, channels):
    post = draft(staff[Role.SERVICE_EDITOR], [channels["libraries"]])
    publishing.post_submit(actor=staff[Role.SERVICE_EDITOR], post=post)
    other_head = make_user("otherhead", Role.HEAD_OF_SERVICE, services["leisure"])
    for refused in (other_head, staff[Role.COMMUNICATIONS_OFFICER], staff[Role.SERVICE_EDITOR]):
        with pytest.raises(publishing.PostRefused):
            publishing.post_approve(actor=refused, post=post)
    publishing.post_approve(actor=staff[Role.HEAD_OF_SERVICE], post=post)
    assert post.state == Post.State.APPROVED

    second = draft(staff[Role.SERVICE_EDITOR], [channels["libraries"]], text="Another one")
    publishing.post_submit(actor=staff[Role.SERVICE_EDITOR], post=second)
    publishing.post_approve(actor=staff[Role.WEB_TEAM], post=second)
    assert second.state == Post.State.APPROVED


def test_a_post_to_several_channels_needs_an_approver_of_every_one(staff, channels):
    post = draft(staff[Role.WEB_TEAM], [channels["libraries"], channels["corporate"]])
    publishing.post_submit(actor=staff[Role.WEB_TEAM], post=post)
    with pytest.raises(publishing.PostRefused, match="@Council: a communications officer"):
        publishing.post_approve(actor=staff[Role.HEAD_OF_SERVICE], post=post)


def test_approvers_configured_on_a_channel_replace_the_defaults(staff, make_user, services, channels):
    deputy = make_user("deputy", Role.SERVICE_EDITOR, services["libraries"])
    config = ChannelApprovers.objects.create(channel=channels["libraries"], roles=[Role.COMMUNICATIONS_OFFICER])
    config.users.add(deputy)
    post = draft(staff[Role.SERVICE_EDITOR], [channels["libraries"]])
    publishing.post_submit(actor=staff[Role.SERVICE_EDITOR], post=post)
    with pytest.raises(publishing.PostRefused, match="Communications officer, Deputy"):
        publishing.post_approve(actor=staff[Role.HEAD_OF_SERVICE], post=post)
    publishing.post_approve(actor=deputy, post=post)
    assert post.state == Post.State.APPROVED


def test_changes_requested_go_back_to_the_author_who_edits_and_resubmits(editor, head, channels):
    post = draft(editor, [channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    with pytest.raises(publishing.PostRefused, match="Say what needs to change"):
        publishing.post_request_changes(actor=head, post=post, comment="  ")
    publishing.post_request_changes(actor=head, post=post, comment="Add the new times.")
    assert post.state == Post.State.CHANGES_REQUESTED
    assert Notification.objects.filter(user=editor, body__contains="Add the new times.").exists()
    publishing.post_update(actor=editor, post=post, version=1, text="Opening hours: 9 to 5 from Monday.")
    assert post.version == 2
    publishing.post_submit(actor=editor, post=post)
    publishing.post_approve(actor=head, post=post, comment="Thanks")
    decisions = list(post.approvals.values_list("decision", "post_version", "comment"))
    assert decisions == [("changes_requested", 1, "Add the new times."), ("approved", 2, "Thanks")]


def test_a_stale_save_is_refused_and_changes_nothing(editor, web, channels):
    post = draft(editor, [channels["libraries"]])
    publishing.post_update(actor=web, post=post, version=1, text="The web team's wording")
    with pytest.raises(publishing.PostRefused, match="Someone else changed this post") as refused:
        publishing.post_update(actor=editor, post=Post.objects.get(pk=post.pk), version=1, text="Mine")
    assert refused.value.code == "stale"
    assert Post.objects.get(pk=post.pk).text == "The web team's wording"


def test_editing_a_submitted_post_sends_it_back_for_approval(editor, head, channels):
    post = draft(editor, [channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    publishing.post_update(actor=editor, post=post, version=post.version, text="Sneaky")
    assert post.state == Post.State.CHANGES_REQUESTED
    with pytest.raises(publishing.PostRefused, match="cannot approve a post that is changes requested"):
        publishing.post_approve(actor=head, post=post)


def test_a_published_post_cannot_be_edited(editor, head, channels):
    post = approved(editor, head, [channels["libraries"]])
    Post.objects.filter(pk=post.pk).update(state=Post.State.PUBLISHED)
    with pytest.raises(publishing.PostRefused, match="cannot change a post that is published"):
        publishing.post_update(actor=editor, post=post, version=post.version, text="Sneaky")


def test_only_an_approved_post_can_be_scheduled(editor, head, channels):
    post = draft(editor, [channels["libraries"]])
    with pytest.raises(publishing.PostRefused, match="cannot schedule a post that is draft"):
        publishing.post_schedule(actor=editor, post=post)
    publishing.post_submit(actor=editor, post=post)
    publishing.post_approve(actor=head, post=post)
    with pytest.raises(publishing.PostRefused, match="already passed"):
        publishing.post_schedule(actor=editor, post=post, scheduled_at=timezone.now() - timedelta(hours=1))
    when = timezone.now() + timedelta(days=1)
    publishing.post_schedule(actor=editor, post=post, scheduled_at=when)
    assert post.state == Post.State.SCHEDULED and post.scheduled_at == when


def test_someone_unrelated_cannot_schedule_or_cancel(editor, head, staff, make_user, services, channels):
    post = approved(editor, head, [channels["libraries"]])
    stranger = make_user("stranger", Role.SERVICE_EDITOR, services["leisure"])
    for fn in (publishing.post_schedule, publishing.post_cancel):
        with pytest.raises(publishing.PostRefused, match="Only the author"):
            fn(actor=stranger, post=post)


def test_cancel_stops_a_scheduled_post_but_not_a_published_one(editor, head, channels):
    post = approved(editor, head, [channels["libraries"]])
    publishing.post_schedule(actor=editor, post=post, scheduled_at=timezone.now() + timedelta(hours=2))
    publishing.post_cancel(actor=head, post=post, reason="Event called off")
    assert post.state == Post.State.CANCELLED
    assert set(post.targets.values_list("state", flat=True)) == {PostTarget.State.CANCELLED}
    assert Notification.objects.filter(user=editor, subject__startswith="Your post was cancelled").exists()
    Post.objects.filter(pk=post.pk).update(state=Post.State.PUBLISHED)
    with pytest.raises(publishing.PostRefused, match="cannot cancel a post that is published"):
        publishing.post_cancel(actor=editor, post=Post.objects.get(pk=post.pk))


def test_every_state_change_is_audited(editor, head, channels):
    post = approved(editor, head, [channels["libraries"]])
    publishing.post_schedule(actor=editor, post=post, scheduled_at=timezone.now() + timedelta(hours=2))
    publishing.post_cancel(actor=editor, post=post)
    actions = list(AuditEvent.objects.filter(object_id=str(post.pk), object_type="publishing.post")
                   .order_by("at", "id").values_list("action", flat=True))
    assert actions == ["post.create", "post.submit", "post.approve", "post.schedule", "post.cancel"]
