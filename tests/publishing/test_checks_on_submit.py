"""Each pre-publish check, surfaced to the author through submit (and schedule)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Channel, Notification
from accounts.roles import Role
from publishing import services as publishing
from publishing.models import Approval, ElectionPeriod, FrequencyCap, Post

from .conftest import approved, draft

pytestmark = pytest.mark.django_db
URL = "https://www.demo-council.gov.uk/libraries/opening-hours-for-the-summer-holidays"


def submit(author, post):
    return publishing.post_submit(actor=author, post=post)


def refused_code(author, post) -> str:
    with pytest.raises(publishing.PostRefused) as refused:
        submit(author, post)
    post.refresh_from_db()
    assert post.state == Post.State.DRAFT
    return refused.value.code


@pytest.fixture
def bluesky(services):
    return Channel.objects.create(platform="bluesky", handle="council.bsky.social", display_name="Council",
                                  service=services["communications"], kind="corporate")


@pytest.fixture
def instagram(services):
    return Channel.objects.create(platform="instagram", handle="council", display_name="Council",
                                  service=services["communications"], kind="corporate")


def test_x_counts_a_link_as_23_characters(web, channels):
    fits = draft(web, [channels["corporate"]], text="a" * 256 + " " + URL)  # 256 + 1 + 23 = 280
    assert not [r for r in submit(web, fits) if r.is_block]
    too_long = draft(web, [channels["corporate"]], text="a" * 257 + " " + URL)
    assert refused_code(web, too_long) == "too_long"


def test_x_counts_most_emoji_as_two(web, channels):
    assert submit(web, draft(web, [channels["corporate"]], text="\U0001F600" * 140)) == ()
    assert refused_code(web, draft(web, [channels["corporate"]], text="\U0001F600" * 141)) == "too_long"


def test_a_platform_variant_is_checked_against_its_own_limit(web, channels, mastodon):
    post = draft(web, [channels["corporate"], mastodon], text="a" * 400, variants={"x": "Short for X"})
    assert submit(web, post) == ()  # X gets its variant; Mastodon takes 500
    long_toot = draft(web, [mastodon], text="a" * 501)
    with pytest.raises(publishing.PostRefused, match="Mastodon is 501 characters"):
        submit(web, long_toot)


def test_bluesky_counts_graphemes_up_to_300(web, bluesky):
    accented = "e\u0301"  # one grapheme, two code points
    assert submit(web, draft(web, [bluesky], text=accented * 300)) == ()
    assert refused_code(web, draft(web, [bluesky], text="b" * 301)) == "too_long"


def test_instagram_needs_an_image(web, instagram):
    assert refused_code(web, draft(web, [instagram], text="Look at this")) == "image_required"
    post = draft(web, [instagram], text="Look at this", images=[
        {"url": "https://www.council.example/park.jpg", "alt_text": "Children on the new swings in Victoria Park"}])
    assert submit(web, post) == ()


def test_alt_text_that_is_a_file_name_is_a_warning(web, instagram):
    post = draft(web, [instagram], text="Look", images=[{"url": "https://x.example/IMG_2041.jpg",
                                                         "alt_text": "IMG_2041.jpg"}])
    results = submit(web, post)
    assert [r.code for r in results] == ["alt_text_unhelpful"] and post.state == Post.State.SUBMITTED


@pytest.mark.parametrize("text, code", [
    ("Call Jane about her claim, NI number AB 12 34 56 C.", "ni_number"),
    ("Email jane.doe@gmail.com for details.", "personal_email"),
    ("Ring Jane on 07700 900123 today.", "phone_number"),
    ("Your complaint CASE-1234567 is closed.", "case_reference"),
])
def test_confidential_data_is_blocked(editor, channels, text, code):
    post = draft(editor, [channels["libraries"]], text=text)
    with pytest.raises(publishing.PostRefused, match="Remove it") as refused:
        submit(editor, post)
    assert refused.value.code == code and refused.value.results[0].code == code


def test_the_councils_own_email_address_is_allowed(editor, services, channels):
    services["libraries"].email = "libraries@council.example"
    services["libraries"].save()
    assert submit(editor, draft(editor, [channels["libraries"]], text="Email libraries@council.example")) == ()


def test_a_political_standpoint_is_flagged_but_may_go_to_the_approver(editor, channels):
    post = draft(editor, [channels["libraries"]], text="Vote Labour for better libraries.")
    results = submit(editor, post)
    assert [r.code for r in results] == ["political_standpoint"] and post.state == Post.State.SUBMITTED
    assert "political side" in results[0].message


def test_posting_too_often_is_a_warning(editor, head, channels):
    FrequencyCap.objects.create(channel=channels["libraries"], max_posts=1, period_hours=24)
    first = approved(editor, head, [channels["libraries"]], text="First")
    publishing.post_schedule(actor=editor, post=first, scheduled_at=timezone.now() - timedelta(minutes=1))
    second = draft(editor, [channels["libraries"]], text="Second")
    assert [r.code for r in submit(editor, second)] == ["frequency_cap"]


@pytest.fixture
def election(db):
    today = timezone.localdate()
    return ElectionPeriod.objects.create(name="Borough elections", start=today - timedelta(days=3),
                                         end=today + timedelta(days=20), candidates="Jane Smith\nTom Brown",
                                         parties="Independent Alliance", contested_matters="Riverside scheme")


def test_pre_election_block_that_the_monitoring_officer_lifts(editor, head, mo, election, channels):
    post = draft(editor, [channels["libraries"]], text="Jane Smith opened the new library today.")
    with pytest.raises(publishing.PostRefused, match="ask the monitoring officer") as refused:
        submit(editor, post)
    assert refused.value.code == "pre_election"
    with pytest.raises(publishing.PostRefused, match="Only the monitoring officer"):
        publishing.post_monitoring_officer_decide(actor=head, post=post, approve=True)

    publishing.post_refer_to_monitoring_officer(actor=editor, post=post)
    assert Notification.objects.filter(user=mo, subject__contains="pre-election").exists()
    publishing.post_monitoring_officer_decide(actor=mo, post=post, approve=True, comment="Factual; fine.")
    results = submit(editor, post)
    assert [r.code for r in results] == ["pre_election_approved"] and post.state == Post.State.SUBMITTED
    assert Approval.objects.get(post=post).kind == Approval.Kind.MONITORING_OFFICER
    publishing.post_approve(actor=head, post=post)
    assert post.state == Post.State.APPROVED


def test_the_monitoring_officers_approval_is_for_one_version_only(editor, mo, election, channels):
    post = draft(editor, [channels["libraries"]], text="Tom Brown visited the Riverside scheme.")
    publishing.post_refer_to_monitoring_officer(actor=editor, post=post)
    publishing.post_monitoring_officer_decide(actor=mo, post=post, approve=True)
    publishing.post_update(actor=editor, post=post, version=post.version, text="Tom Brown, Independent Alliance.")
    assert refused_code(editor, post) == "pre_election"


def test_the_monitoring_officer_can_refuse_with_a_reason(editor, mo, election, channels):
    post = draft(editor, [channels["libraries"]], text="Jane Smith says hello.")
    publishing.post_refer_to_monitoring_officer(actor=editor, post=post)
    with pytest.raises(publishing.PostRefused, match="Say why"):
        publishing.post_monitoring_officer_decide(actor=mo, post=post, approve=False)
    publishing.post_monitoring_officer_decide(actor=mo, post=post, approve=False, comment="Names a candidate.")
    assert not post.mo_approved
    assert refused_code(editor, post) == "pre_election"


def test_a_post_that_does_not_need_the_monitoring_officer_is_not_referred(editor, channels):
    post = draft(editor, [channels["libraries"]])
    with pytest.raises(publishing.PostRefused, match="does not need the monitoring officer"):
        publishing.post_refer_to_monitoring_officer(actor=editor, post=post)


def test_scheduling_into_a_pre_election_period_is_checked_again(editor, head, channels):
    post = approved(editor, head, [channels["libraries"]], text="Jane Smith opened the library.")
    start = timezone.localdate() + timedelta(days=10)
    ElectionPeriod.objects.create(name="By-election", start=start, end=start + timedelta(days=5),
                                  candidates="Jane Smith")
    with pytest.raises(publishing.PostRefused) as refused:
        publishing.post_schedule(actor=editor, post=post, scheduled_at=timezone.now() + timedelta(days=11))
    assert refused.value.code == "pre_election"
    post.refresh_from_db()
    assert post.state == Post.State.APPROVED


def test_staff_who_have_not_acknowledged_the_policy_cannot_submit(editor, channels, monkeypatch):
    from policy import services as policy

    refusal = policy.PolicyNotAcknowledged.__new__(policy.PolicyNotAcknowledged)
    refusal.message, refusal.url = "Before you submit posts, read the policy: /policies/staff/", "/policies/staff/"

    def require(user):
        raise refusal

    monkeypatch.setattr(policy, "require_policy_acknowledged", require)
    post = draft(editor, [channels["libraries"]])
    with pytest.raises(publishing.PostRefused, match="read the policy") as refused:
        submit(editor, post)
    assert refused.value.link == "/policies/staff/" and refused.value.code == "policy_not_acknowledged"


def test_a_role_without_approval_rights_sees_why(editor, staff, channels):
    post = draft(editor, [channels["libraries"]])
    submit(editor, post)
    with pytest.raises(publishing.PostRefused, match="head of Libraries or the web team"):
        publishing.post_approve(actor=staff[Role.CUSTOMER_SERVICES], post=post)
