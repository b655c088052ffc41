"""Replies under the same rules as posts, per-channel permissions and moderation on the record:
each test is a way round that no longer works."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from monitoring.models import Mention
from platforms.base import Published
from policy.models import PolicyDocument
from policy.services import policy_acknowledge, policy_version_publish
from publishing.models import BlockedWord
from triage import moderation, replies
from triage import services as triage_services
from triage.models import DataRequest, FoiRequest, ModerationAction, ReplyDraft, ReplyRule

pytestmark = pytest.mark.django_db

CS_TEXT = "My library card stopped working at Kilburn library, can you sort it please?"


class Platform:
    """A platform client that records what the product asked of it."""

    def __init__(self):
        self.calls = []

    def reply(self, in_reply_to, text):
        self.calls.append(("reply", in_reply_to, text))
        return Published(external_id=f"r{len(self.calls)}", url="https://x.com/Libs/status/9")

    def hide(self, external_id, *, hidden=True):
        self.calls.append(("hide" if hidden else "unhide", external_id))

    def delete(self, external_id):
        self.calls.append(("delete", external_id))


@pytest.fixture
def platform(monkeypatch):
    client = Platform()
    monkeypatch.setattr("monitoring.clients.client_for", lambda channel, **kw: client)
    return client


@pytest.fixture
def case(post, case_of):
    return case_of(post(CS_TEXT, channel="libraries", kind="comment", conversation_id="thread-1"))


# --- per-channel permissions ---------------------------------------------------------------------


def test_a_service_editor_not_among_the_managers_cannot_publish_there(staff, channels, make_user, services,
                                                                      client_for):
    from publishing import services as publishing
    from publishing.models import Post

    editor = staff[Role.SERVICE_EDITOR]
    manager = make_user("manager", Role.SERVICE_EDITOR, services["libraries"])
    channels["libraries"].managers.set([manager])
    with pytest.raises(publishing.PostRefused, match="cannot post to @Libs"):
        publishing.post_create(actor=editor, text="Story time.", channels=[channels["libraries"]])
    page = client_for(editor).get("/posts/new/").content.decode()
    assert "@Libs" not in page
    answer = client_for(editor).post("/api/posts/", {"text": "Story time.", "channels": [channels["libraries"].pk]},
                                     content_type="application/json")
    assert answer.status_code == 403 and answer.json()["code"] == "channel_not_allowed"
    assert not Post.objects.exists()
    # The named manager, the head of the service and the web team can.
    for user in (manager, staff[Role.HEAD_OF_SERVICE], staff[Role.WEB_TEAM]):
        publishing.post_create(actor=user, text="Story time.", channels=[channels["libraries"]])


def test_a_post_whose_author_lost_access_is_held_at_publishing(staff, channels, make_user, services):
    from publishing import publisher
    from publishing import services as publishing
    from publishing.models import Post

    editor, head = staff[Role.SERVICE_EDITOR], staff[Role.HEAD_OF_SERVICE]
    post = publishing.post_create(actor=editor, text="Story time.", channels=[channels["libraries"]])
    publishing.post_submit(actor=editor, post=post)
    publishing.post_approve(actor=head, post=post)
    publishing.post_schedule(actor=editor, post=post)
    channels["libraries"].managers.set([make_user("manager", Role.SERVICE_EDITOR, services["libraries"])])
    publisher.publish_sweep()
    post.refresh_from_db()
    assert post.state == Post.State.HELD and "may no longer publish to @Libs" in post.held_reason


def test_a_service_editor_not_among_the_managers_cannot_reply_there(case, staff, make_user, services, platform,
                                                                    client_for, channels):
    editor = staff[Role.SERVICE_EDITOR]
    channels["libraries"].managers.set([make_user("manager", Role.SERVICE_EDITOR, services["libraries"])])
    with pytest.raises(replies.NotAllowed, match="cannot reply on @Libs"):
        triage_services.case_reply(actor=editor, case=case, text="We will look into it.")
    page = client_for(editor).post(f"/cases/{case.pk}/reply/", {"reply-version": case.version,
                                                                 "reply-text": "We will look into it."})
    assert page.status_code == 403 and "cannot reply on @Libs" in page.content.decode()
    api = client_for(editor).post(f"/api/cases/{case.pk}/reply/", {"text": "We will look into it."},
                                  content_type="application/json")
    assert api.status_code == 403
    assert platform.calls == []


def test_the_channel_page_says_who_has_access(staff, channels, client_for, make_user, services):
    channel = channels["libraries"]
    page = client_for(staff[Role.WEB_TEAM]).get(f"/channels/{channel.pk}/").content.decode()
    assert "Who has access" in page and "no managers are named" in page
    channel.managers.set([make_user("manager", Role.SERVICE_EDITOR, services["libraries"])])
    page = client_for(staff[Role.WEB_TEAM]).get(f"/channels/{channel.pk}/").content.decode()
    assert "the managers named on the channel (Manager)" in page and "Moderate comments" in page


# --- replies under the same rules ------------------------------------------------------------------


def test_a_reply_on_a_channel_that_requires_approval_waits_for_it(case, staff, channels, platform, client_for):
    ReplyRule.objects.create(name="Libraries replies", channel=channels["libraries"],
                             approver_roles=[Role.HEAD_OF_SERVICE])
    editor, head = staff[Role.SERVICE_EDITOR], staff[Role.HEAD_OF_SERVICE]
    page = client_for(editor).post(f"/cases/{case.pk}/reply/", {"reply-version": case.version,
                                                                 "reply-text": "We have sent you a new card."},
                                   follow=True)
    assert "waiting for approval" in page.content.decode()
    assert platform.calls == []
    case.refresh_from_db()
    assert case.sla_stopped_at is None and case.first_response_at is None  # the clock runs on
    draft = ReplyDraft.objects.get()
    assert draft.state == "waiting" and draft.reasons == ["Rule \u201cLibraries replies\u201d"]
    with pytest.raises(replies.NotAllowed, match="approve your own reply"):
        replies.reply_approve(actor=editor, draft=draft)
    with pytest.raises(replies.NotAllowed, match="head of service"):
        replies.reply_approve(actor=staff[Role.CUSTOMER_SERVICES], draft=draft)
    decided = client_for(head).post(f"/cases/{case.pk}/reply-decision/", {
        "reply-decision-version": case.version, "reply-decision-reply": draft.pk,
        "reply-decision-decision": "approve"})
    assert decided.status_code == 302, decided.content.decode()[:3000]
    assert platform.calls == [("reply", case.mention.external_id, "We have sent you a new card.")]
    draft.refresh_from_db()
    case.refresh_from_db()
    assert draft.state == "sent" and draft.decided_by == head and case.first_response_at
    assert case.events.get(kind="reply").data["approved_by"] == "Head"


def test_a_reply_sent_back_needs_a_reason_and_new_staff_replies_need_approval(case, staff, platform, make_user,
                                                                             services, client_for):
    ReplyRule.objects.create(name="New staff", new_staff_months=6)
    newcomer = staff[Role.WEB_TEAM]
    triage_services.case_reply(actor=newcomer, case=case, text="Thanks, we are on it.")
    draft = ReplyDraft.objects.get()
    comms = staff[Role.COMMUNICATIONS_OFFICER]
    with pytest.raises(triage_services.CaseActionError, match="Say what needs to change"):
        replies.reply_send_back(actor=comms, draft=draft, comment=" ")
    api = client_for(comms).post(f"/api/cases/{case.pk}/reply-decision/", {
        "reply": draft.pk, "decision": "send_back", "comment": "Say when."}, content_type="application/json")
    assert api.status_code == 200
    draft.refresh_from_db()
    assert draft.state == "sent_back" and platform.calls == []
    # Someone who joined years ago replies at once.
    type(newcomer).objects.filter(pk=comms.pk).update(date_joined=timezone.now() - timedelta(days=900))
    comms.refresh_from_db()
    triage_services.case_reply(actor=comms, case=case, text="Thanks, we are on it.")
    assert [c[0] for c in platform.calls] == ["reply"]


def test_a_reply_with_a_blocked_word_goes_to_approval_whatever_the_rules(case, staff, platform):
    BlockedWord.objects.create(word="rubbish")
    triage_services.case_reply(actor=staff[Role.WEB_TEAM], case=case, text="What rubbish service, sorry!")
    assert platform.calls == [] and "blocked words: rubbish" in ReplyDraft.objects.get().reasons[0]


def test_a_reply_by_someone_who_has_not_acknowledged_the_policy_is_refused(case, staff, platform, client_for):
    web = staff[Role.WEB_TEAM]
    document = PolicyDocument.objects.create(slug="social-media-policy", title="Social media policy",
                                             audience="staff", kind="social_media_policy", owner=web)
    version = policy_version_publish(actor=web, document=document, body="Be kind.", change_type="committee",
                                     approved_by="Policy Committee", committee_reference="Minute 8",
                                     effective_from=timezone.localdate() - timedelta(days=1))
    with pytest.raises(replies.NotAllowed, match="read and acknowledge the Social media policy"):
        triage_services.case_reply(actor=web, case=case, text="Thanks, we are on it.")
    api = client_for(web).post(f"/api/cases/{case.pk}/reply/", {"text": "Thanks."}, content_type="application/json")
    assert api.status_code == 403 and "/policies/social-media-policy/" in api.json()["link"]
    assert platform.calls == []
    policy_acknowledge(actor=web, version=version)
    triage_services.case_reply(actor=web, case=case, text="Thanks, we are on it.")
    assert len(platform.calls) == 1


def test_a_reply_by_someone_whose_training_lapsed_is_refused(case, staff, platform):
    from policy.models import TrainingCompletion, TrainingModule

    web = staff[Role.WEB_TEAM]
    module = TrainingModule.objects.create(title="Social media e-learning", slug="e-learning", audience="staff",
                                           valid_for_months=12)
    TrainingCompletion.objects.create(user=web, module=module, completed_on=timezone.localdate() - timedelta(days=500),
                                      expires_on=timezone.localdate() - timedelta(days=135), recorded_by=web)
    with pytest.raises(replies.NotAllowed, match="renew your training: Social media e-learning"):
        triage_services.case_reply(actor=web, case=case, text="Thanks.")
    assert platform.calls == []


# --- moderation on the record ------------------------------------------------------------------------


def test_a_delete_in_a_thread_with_an_open_foi_request_is_refused_while_a_hide_is_allowed(
        case, staff, platform, post, case_of, client_for):
    foi_case = case_of(post("Under the Freedom of Information Act please send me the library budget. Jo Bloggs, "
                            "1 High Street", channel="libraries", kind="comment", conversation_id="thread-1",
                            author="jo"))
    assert FoiRequest.objects.filter(case=foi_case, responded_at__isnull=True).exists()
    web = staff[Role.WEB_TEAM]
    with pytest.raises(moderation.ModerationRefused, match="section 77"):
        moderation.moderate(actor=web, mention=case.mention, action="delete", reason="abusive",
                            note="Threatening a named officer", case=case)
    assert ("delete", case.mention.external_id) not in platform.calls
    refused = ModerationAction.objects.get(action="delete")
    assert refused.outcome == "refused" and "section 77" in refused.detail
    page = client_for(web).post(f"/cases/{case.pk}/moderate/", {
        "moderate-mention": case.mention.pk, "moderate-action": "hide", "moderate-reason": "abusive"})
    assert page.status_code == 302
    assert platform.calls == [("hide", case.mention.external_id)]
    assert Mention.objects.get(pk=case.mention.pk).hidden


def test_a_delete_while_a_subject_access_request_is_in_progress_is_refused(case, staff, platform):
    request = DataRequest.objects.create(kind="subject_access", author=case.mention.author, reference="SAR-1")
    with pytest.raises(moderation.ModerationRefused, match="subject-access or erasure"):
        moderation.moderate(actor=staff[Role.WEB_TEAM], mention=case.mention, action="delete", reason="spam",
                            note="Scam link")
    request.closed_at = timezone.now()
    request.save()
    moderation.moderate(actor=staff[Role.WEB_TEAM], mention=case.mention, action="delete", reason="spam",
                        note="Scam link")
    assert platform.calls == [("delete", case.mention.external_id)]


def test_moderation_needs_a_house_rules_reason_and_a_note_to_delete(case, staff, platform, client_for):
    web = staff[Role.WEB_TEAM]
    with pytest.raises(moderation.ModerationRefused, match="reason from the house rules"):
        moderation.moderate(actor=web, mention=case.mention, action="hide", reason="dislike")
    with pytest.raises(moderation.ModerationRefused, match="absolutely necessary"):
        moderation.moderate(actor=web, mention=case.mention, action="delete", reason="spam")
    page = client_for(web).post(f"/cases/{case.pk}/moderate/", {
        "moderate-mention": case.mention.pk, "moderate-action": "delete", "moderate-reason": "spam"})
    assert page.status_code == 400 and "Say why hiding it is not enough" in page.content.decode()
    assert platform.calls == [] and not ModerationAction.objects.exists()


def test_a_service_editor_not_among_the_managers_cannot_moderate(case, staff, channels, make_user, services,
                                                                platform):
    channels["libraries"].managers.set([make_user("manager", Role.SERVICE_EDITOR, services["libraries"])])
    with pytest.raises(replies.NotAllowed, match="cannot moderate comments on @Libs"):
        moderation.moderate(actor=staff[Role.SERVICE_EDITOR], mention=case.mention, action="hide", reason="spam")
    assert platform.calls == []


def test_every_moderation_action_is_on_the_log_with_its_snapshot(case, staff, platform, client_for):
    web = staff[Role.WEB_TEAM]
    original = case.mention.text
    for action in ("hide", "unhide"):
        moderation.moderate(actor=web, mention=case.mention, action=action, reason="abusive", case=case)
    moderation.moderate(actor=web, mention=case.mention, action="delete", reason="personal_data",
                        note="It gives a child's address", case=case)
    blocked = moderation.moderate(actor=web, mention=case.mention, action="block", reason="abusive", case=case)
    assert blocked.outcome == "failed" and "Not done on the platform" in blocked.detail
    Mention.objects.filter(pk=case.mention.pk).update(text="edited later")
    records = list(ModerationAction.objects.order_by("at", "pk"))
    assert [r.action for r in records] == ["hide", "unhide", "delete", "block"]
    assert all(r.text_snapshot == original and r.author_snapshot.startswith("@resident") and r.actor == web
               for r in records)
    assert AuditEvent.objects.filter(action__startswith="moderation.").count() == 4
    assert case.events.filter(data__has_key="moderation").count() == 4
    log = client_for(web).get("/moderation/").content.decode()
    assert log.count("Kilburn library") >= 4 and "It gives a child&#x27;s address" in log
    csv = client_for(web).get("/moderation/?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("at,action,outcome")
    assert csv.count("My library card stopped working") == 4 and "personal or confidential" in csv
    api = client_for(web).post(f"/api/cases/{case.pk}/moderate/", {
        "mention": case.mention.pk, "action": "hide", "reason": "spam"}, content_type="application/json")
    assert api.status_code == 200 and ModerationAction.objects.count() == 5


def test_blocked_words_hide_incoming_comments_automatically_and_each_is_reviewable(staff, post, platform,
                                                                                  client_for, monkeypatch):
    BlockedWord.objects.create(word="scumbags", hide_incoming=True)
    queued = []
    monkeypatch.setattr("triage.tasks.moderation_auto_hide.delay", queued.append)
    mention = post("You scumbags never empty the bins", channel="libraries", kind="comment")
    clean = post("Thanks for emptying the bins", channel="libraries", kind="comment")
    moderation.auto_hide([mention, clean])
    assert platform.calls == [("hide", mention.external_id)]
    record = ModerationAction.objects.get()
    assert record.automatic and record.reason == "blocked_word" and record.actor is None
    web = staff[Role.WEB_TEAM]
    assert "Mark reviewed" in client_for(web).get("/moderation/?show=automatic").content.decode()
    client_for(web).post(f"/moderation/{record.pk}/review/")
    record.refresh_from_db()
    assert record.reviewed_by == web


# --- taking it private, for real -----------------------------------------------------------------


class DirectMessages(Platform):
    def direct_message(self, recipient, text, *, in_reply_to=""):
        self.calls.append(("dm", recipient, text))
        return Published(external_id="dm-1", url="")


def test_a_direct_message_is_sent_from_the_case_and_stops_the_clock(case, staff, client_for):
    client = DirectMessages()
    triage_services.case_private_channel(actor=staff[Role.WEB_TEAM], case=case, note="Direct message",
                                         message="Please send us your card number privately.", client=client)
    assert client.calls == [("dm", case.mention.author.external_id, "Please send us your card number privately.")]
    case.refresh_from_db()
    assert case.state == "responded" and case.sla_stopped_at is not None
    assert case.events.get(kind="private_channel").external_id == "dm-1"


def test_where_the_platform_cannot_send_a_direct_message_the_clock_runs_until_a_response_is_recorded(
        case, staff, platform, client_for):
    web = staff[Role.WEB_TEAM]
    page = client_for(web).post(f"/cases/{case.pk}/private/", {
        "private-version": case.version, "private-note": "Direct message",
        "private-message": "Please send us your card number privately."})
    assert page.status_code == 302
    case.refresh_from_db()
    assert platform.calls == [] and case.sla_stopped_at is None and case.first_response_at is None
    event = case.events.get(kind="private_channel")
    assert "does not allow direct messages" in event.data["not_sent"]
    api = client_for(web).post(f"/api/cases/{case.pk}/private/", {"note": "Rang them", "responded": True},
                               content_type="application/json")
    assert api.status_code == 200
    case.refresh_from_db()
    assert case.state == "responded" and case.sla_stopped_at is not None


def test_replies_waiting_for_approval_are_on_the_to_approve_list_beside_posts(case, staff, platform, client_for):
    ReplyRule.objects.create(name="Every reply", approver_roles=[Role.COMMUNICATIONS_OFFICER])
    triage_services.case_reply(actor=staff[Role.WEB_TEAM], case=case, text="We are looking into it.")
    page = client_for(staff[Role.COMMUNICATIONS_OFFICER]).get("/posts/?list=to_approve").content.decode()
    assert "Replies to residents waiting for approval" in page and "We are looking into it." in page
    assert f"/cases/{case.pk}/#replies-waiting" in page
    mine = client_for(staff[Role.WEB_TEAM]).get("/posts/?list=to_approve").content.decode()
    assert "We are looking into it." not in mine  # nobody approves their own reply


def test_an_author_is_blocked_on_the_platform_where_it_allows_it(case, staff):
    class Blocking(Platform):
        def block(self, account_id):
            self.calls.append(("block", account_id))

    client = Blocking()
    record = moderation.moderate(actor=staff[Role.WEB_TEAM], mention=case.mention, action="block", reason="abusive",
                                 note="Threats to staff", case=case, client=client)
    assert client.calls == [("block", case.mention.author.external_id)]
    assert record.outcome == "done" and record.author_external_id == case.mention.author.external_id
