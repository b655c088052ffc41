"""Approval chains and moderation in a real browser on the demo council: every page passes the
harness's checks (axe-core, WCAG 2.2 A and AA, no console error, no CSP violation), and the
moderation journey is done with the keyboard alone."""
import pytest

from tests.browser.harness import fill, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_two_stage_approval_chain_set_on_the_channel_page_and_approved_stage_by_stage(signed_in):
    from accounts.models import Channel
    from publishing.models import Post

    libraries = Channel.objects.get(handle="@KingsmereLibs")
    web = signed_in("webteam")
    web.goto(f"/channels/{libraries.pk}/", check="the channel: who has access")
    assert "Who has access" in web.page.content()
    web.follow("See the approval chain of @KingsmereLibs", check="approval chain: none")
    web.submit("Add the stage", check=None)
    summary = web.error_summary()
    web.check("approval chain: an empty stage")
    assert "Name the stage." in summary
    fill(web.page, "Name of the stage", "Head of service")
    web.page.get_by_label("Head of service", exact=True).check()
    web.submit("Add the stage", check="approval chain: one stage")
    fill(web.page, "Name of the stage", "Communications")
    web.page.get_by_label("Communications officer", exact=True).check()
    web.submit("Add the stage", check="approval chain: two stages")
    assert list(libraries.approval_stages.values_list("name", flat=True)) == ["Head of service", "Communications"]
    sign_out(web)

    editor = signed_in("editor.libraries")
    editor.follow("Posts", check="posts")
    editor.follow("Write a post", check="post editor")
    text = "Rhyme Time is back at Kingsmere Central Library every Tuesday at 10:30."
    fill(editor.page, "Text", text)
    editor.page.get_by_label("@KingsmereLibs (X (Twitter), Libraries)", exact=True).check()
    editor.submit("Save the draft", check="the post: a draft")
    editor.submit("Send for approval", check="the post: sent for approval")
    post = Post.objects.get(text=text)
    sign_out(editor)

    head = signed_in("head.libraries")
    head.follow("Posts", check="posts")
    head.follow("To approve", check="posts to approve: bulk approval")
    head.page.get_by_label(f"Approve post {post.pk}", exact=True).check()
    head.submit("Approve the chosen posts", check="posts to approve: stage one approved")
    post.refresh_from_db()
    assert post.state == "submitted" and post.approvals.get().stage == 1
    sign_out(head)

    comms = signed_in("comms")
    comms.goto(f"/posts/{post.pk}/", check="the post: stage two")
    assert "Stage 2: Communications" in comms.page.content()
    comms.page.get_by_label("Approve", exact=True).check()
    comms.submit("Record the decision", check="the post: approved")
    post.refresh_from_db()
    assert post.state == "approved"


def test_a_communications_officer_hides_a_comment_with_the_keyboard_alone(demo_mentions, browser_page, sim_control):
    """Tab, Enter, Space, arrows and typing only; every Tab stop has a visible focus indicator."""
    from triage.models import Case, ModerationAction

    case = Case.objects.filter(platform="facebook", mention__kind="comment").exclude(state="closed").order_by(
        "pk").first()
    assert case is not None, "the simulator gives Facebook comments"
    comms = browser_page()
    comms.goto("/sign-in/", check="sign-in")
    comms.tab_to(lambda s: s["id"] == "id_username")
    comms.type("comms")
    assert comms.tab()["id"] == "id_password"
    comms.type("demo-comms-pass")
    comms.press("Enter", navigates=True)
    comms.check("home")

    comms.goto(f"/cases/{case.pk}/", check="the case")
    comms.tab_to_text("Hide, delete or block")
    comms.press("Enter")
    comms.check("the case: moderation opened")
    # Sent without a reason first: the error summary takes focus and links to the field.
    comms.tab_to_text("Do it and record it")
    comms.press("Enter", navigates=True)
    comms.error_summary()
    comms.check("the case: moderation without a choice")
    first = comms.tab()
    assert first["href"].startswith("#id_moderate-"), first
    # The comment, the action and the reason, all by keyboard.
    comms.tab_to(lambda s: s["name"] == "moderate-mention")
    comms.press("Space")
    comms.tab_to(lambda s: s["name"] == "moderate-action")
    comms.press("Space")  # the first choice: hide it
    comms.tab_to(lambda s: s["name"] == "moderate-reason")
    comms.press("ArrowDown")
    comms.tab_to(lambda s: s["name"] == "moderate-note")
    comms.type("Abusive language about a named member of staff.")
    comms.tab_to_text("Do it and record it")
    comms.press("Enter", navigates=True)
    comms.check("the case: hidden")
    assert "The moderation is on the record." in comms.page.locator(".govuk-notification-banner").inner_text()
    record = ModerationAction.objects.get(case=case)
    assert (record.action, record.outcome, record.actor.username) == ("hide", "done", "comms")
    assert record.text_snapshot == case.mention.text

    comms.tab_to_text("The moderation log")
    comms.press("Enter", navigates=True)
    comms.check("moderation log")
    assert "Abusive language about a named member of staff." in comms.page.content()
