from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Channel
from accounts.roles import Role
from publishing import publisher
from publishing import services as publishing


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    """Task ids the services queued (on commit), instead of sending them to a broker."""
    ids: list[int] = []
    monkeypatch.setattr(publisher, "_queue", ids.extend)
    return ids


@pytest.fixture
def roles(staff):
    return staff


@pytest.fixture
def web(staff):
    return staff[Role.WEB_TEAM]


@pytest.fixture
def comms(staff):
    return staff[Role.COMMUNICATIONS_OFFICER]


@pytest.fixture
def head(staff):
    return staff[Role.HEAD_OF_SERVICE]


@pytest.fixture
def editor(staff):
    return staff[Role.SERVICE_EDITOR]


@pytest.fixture
def mo(staff):
    return staff[Role.MONITORING_OFFICER]


@pytest.fixture
def mastodon(services):
    return Channel.objects.create(platform="mastodon", handle="@council@social.example", display_name="Council",
                                  service=services["communications"], kind="corporate")


def draft(author, channels, text="Library opening hours change next week.", **fields):
    return publishing.post_create(actor=author, text=text, channels=channels, **fields)


def approved(author, approver, channels, text="Library opening hours change next week.", **fields):
    post = draft(author, channels, text, **fields)
    publishing.post_submit(actor=author, post=post)
    publishing.post_approve(actor=approver, post=post)
    return post


def scheduled(author, approver, channels, when=None, text="Library opening hours change next week.", **fields):
    """A post on the schedule; `when` in the past makes it due at once."""
    post = approved(author, approver, channels, text, **fields)
    publishing.post_schedule(actor=author, post=post, scheduled_at=timezone.now() + timedelta(minutes=5))
    if when is not None:
        type(post).objects.filter(pk=post.pk).update(scheduled_at=when)
        post.refresh_from_db()
    return post
