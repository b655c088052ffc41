"""Email alerts for residents: subscribe, confirm, receive, unsubscribe; export and erasure."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from publishing import alerts, publisher
from publishing.models import AlertIssue, AlertSubscriber, Post, Topic

from .conftest import scheduled
from .test_emergency import RecordingClient

pytestmark = pytest.mark.django_db


def link_in(message, name):
    """The path of the confirm or unsubscribe link in an email."""
    return urlsplit(re.search(rf"https?://\S+/alerts/{name}/\S+/", message.body).group(0)).path


def sign_up(email, *slugs):
    resident = Client(enforce_csrf_checks=False)
    topics = [str(pk) for pk in Topic.objects.filter(slug__in=slugs).values_list("pk", flat=True)]
    page = resident.post("/alerts/", {"email": email, "topics": topics})
    assert page.status_code == 200 and b"Check your email" in page.content
    return resident


def publish(author, approver, channel, text, topics, django_capture_on_commit_callbacks, monkeypatch):
    """Publish a post tagged with topics and run the alert batches the way the worker would."""
    from publishing import tasks

    batches = []
    monkeypatch.setattr(tasks.alert_send_batch, "delay", batches.append)
    post = scheduled(author, approver, [channel], when=timezone.now() - timedelta(seconds=1), text=text,
                     topics=Topic.objects.filter(slug__in=topics))
    publisher.publish_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        publisher.target_publish(target_id=post.targets.get().pk, client=RecordingClient())
    while batches:
        with django_capture_on_commit_callbacks(execute=True):
            alerts.alert_send_batch(issue_id=batches.pop(0))
    return post


def test_subscribe_confirm_receive_unsubscribe(comms, web, channels, django_capture_on_commit_callbacks,
                                               monkeypatch):
    resident = sign_up("Resident@Example.org", "roadworks", "events")
    assert not AlertSubscriber.objects.exists()  # nothing is kept before the resident confirms
    [confirm] = mail.outbox
    assert confirm.to == ["Resident@Example.org"] and "Roadworks and travel" in confirm.body
    confirm_path = link_in(confirm, "confirm")
    assert resident.get(confirm_path).status_code == 200  # a page with a button: opening the link is not enough
    assert not AlertSubscriber.objects.exists()
    assert b"You are signed up" in resident.post(confirm_path).content
    subscriber = AlertSubscriber.objects.get()
    assert sorted(subscriber.topics.values_list("slug", flat=True)) == ["events", "roadworks"]

    mail.outbox.clear()
    publish(comms, web, channels["corporate"], "High Street closed on Sunday for resurfacing.", ["roadworks"],
            django_capture_on_commit_callbacks, monkeypatch)
    publish(comms, web, channels["corporate"], "New jobs at the council.", ["jobs"],
            django_capture_on_commit_callbacks, monkeypatch)
    [alert] = mail.outbox
    assert alert.to == ["Resident@Example.org"] and "High Street closed" in alert.subject
    unsubscribe_path = link_in(alert, "unsubscribe")
    assert alert.extra_headers["List-Unsubscribe"] == f"<{settings.SITE_URL}{unsubscribe_path}>"
    assert alert.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # One click from the mail client: a POST without a session or a CSRF token.
    mail_client = Client(enforce_csrf_checks=True)
    page = mail_client.post(unsubscribe_path, {"List-Unsubscribe": "One-Click"})
    assert page.status_code == 200 and b"You are unsubscribed" in page.content
    assert not AlertSubscriber.objects.exists()
    assert AuditEvent.objects.filter(action="alerts.unsubscribe").exists()
    assert mail_client.post(unsubscribe_path).status_code == 200  # a second click is harmless

    mail.outbox.clear()
    publish(comms, web, channels["corporate"], "A second road closure.", ["roadworks"],
            django_capture_on_commit_callbacks, monkeypatch)
    assert mail.outbox == []


def test_an_expired_or_altered_link_confirms_nothing(db):
    resident = sign_up("someone@example.org", "news")
    path = link_in(mail.outbox[0], "confirm")
    assert resident.post(path[:-3] + "xx/").status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = resident.post(path)
    assert page.status_code == 400 and b"expired" in page.content
    assert not AlertSubscriber.objects.exists()


def test_bad_sign_up_input_gets_a_clear_message(db):
    page = Client().post("/alerts/", {"email": "not an address", "topics": []})
    assert b"<title>Error:" in page.content
    assert b"Enter an email address in the correct format" in page.content
    assert b"Choose at least one topic." in page.content
    assert mail.outbox == []


def test_signing_up_again_changes_the_topics_only_when_confirmed(db):
    for topics in (["news"], ["events", "jobs"]):
        resident = sign_up("twice@example.org", *topics)
        resident.post(link_in(mail.outbox[-1], "confirm"))
    subscriber = AlertSubscriber.objects.get()
    assert sorted(subscriber.topics.values_list("slug", flat=True)) == ["events", "jobs"]


def test_alerts_go_out_in_batches_and_a_repeated_batch_sends_nobody_anything_twice(
        comms, web, channels, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(alerts, "BATCH", 2)
    news = Topic.objects.get(slug="news")
    for n in range(5):
        AlertSubscriber.objects.create(email=f"r{n}@example.org", confirmed_at=timezone.now()).topics.add(news)
    post = publish(comms, web, channels["corporate"], "Council news", ["news"],
                   django_capture_on_commit_callbacks, monkeypatch)
    issue = AlertIssue.objects.get(post=post)
    assert issue.sent == 5 and issue.finished_at and len(mail.outbox) == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"r{n}@example.org" for n in range(5)]
    assert alerts.alert_send_batch(issue_id=issue.pk) == {"sent": 0, "more": False}
    assert len(mail.outbox) == 5


def test_the_web_team_exports_and_erases_subscribers(staff, client_for):
    news = Topic.objects.get(slug="news")
    subscriber = AlertSubscriber.objects.create(email="=cmd@example.org", confirmed_at=timezone.now())
    subscriber.topics.add(news)
    web = client_for(staff[Role.WEB_TEAM])
    export = web.get("/alerts/subscribers/export.csv")
    assert export.status_code == 200 and b"'=cmd@example.org,news" in export.content
    assert AuditEvent.objects.filter(action="alerts.export").exists()
    found = web.get("/alerts/subscribers/", {"email": "=CMD@example.org"})
    assert b"=cmd@example.org" in found.content
    web.post(f"/alerts/subscribers/{subscriber.pk}/erase/", {"reason": "Asked by email"})
    assert not AlertSubscriber.objects.exists()
    erased = AuditEvent.objects.get(action="alerts.erase")
    assert erased.note == "Asked by email" and "cmd@" not in erased.object_repr

    editor = client_for(staff[Role.SERVICE_EDITOR])
    assert editor.get("/alerts/subscribers/export.csv").status_code == 403
    assert editor.get("/alerts/subscribers/").status_code == 403


def test_the_sign_up_page_needs_no_sign_in(db):
    page = Client().get("/alerts/")
    assert page.status_code == 200 and b"Roadworks and travel" in page.content


def test_an_untagged_post_sends_no_alert(comms, web, channels, django_capture_on_commit_callbacks, monkeypatch):
    AlertSubscriber.objects.create(email="r@example.org", confirmed_at=timezone.now()).topics.add(
        Topic.objects.get(slug="news"))
    post = publish(comms, web, channels["corporate"], "No topics", [], django_capture_on_commit_callbacks,
                   monkeypatch)
    assert Post.objects.get(pk=post.pk).state == Post.State.PUBLISHED
    assert not AlertIssue.objects.exists() and mail.outbox == []
