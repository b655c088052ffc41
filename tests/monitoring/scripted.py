from datetime import UTC, datetime, timedelta

import pytest

from accounts.services import channel_connection_store
from monitoring.models import PollState
from platforms.base import (
    AuthError,
    Author,
    Item,
    MalformedPayload,
    Metrics,
    Page,
    PlatformClient,
    RateLimit,
    RateLimited,
)


def item(n, *, conversation="", replies=0, text=None, author="a1", followers=10):
    return Item(platform="x", external_id=str(n), kind="mention", text=text or f"mention {n}",
                posted_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC) + timedelta(minutes=n),
                author=Author(external_id=author, handle=f"@{author}", followers=followers),
                conversation_id=conversation, replies=replies)


class ScriptedClient(PlatformClient):
    """A client whose fetches return or raise from a script, and which records its calls."""

    platform = "x"
    endpoints = ("mentions",)

    def __init__(self, script):
        super().__init__(base_url="http://unused")
        self.script = list(script)
        self.calls = []

    def fetch(self, endpoint, cursor, *, watch_terms=()):
        self.calls.append(cursor)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def parse(self, body, *, endpoint=None):
        return []

    def publish(self, text, *, link="", images=()):
        raise NotImplementedError

    def reply(self, in_reply_to, text):
        raise NotImplementedError

    def metrics(self):
        return Metrics(followers=1234)

    def authorise_url(self, *, redirect_uri, state):
        return ""

    def exchange_code(self, *, code, redirect_uri, state=""):
        raise NotImplementedError


def page(items, cursor, has_more=False, remaining=None, reset_at=None):
    return Page(items=items, next_cursor=cursor, has_more=has_more, raw_body='{"data": []}',
                rate_limit=RateLimit(limit=450, remaining=remaining, reset_at=reset_at))


@pytest.fixture
def polled(channels, staff):
    from accounts.roles import Role

    channel = channels["libraries"]
    channel_connection_store(actor=staff[Role.WEB_TEAM], channel=channel, account_id="42", access_token="tok")
    channel.refresh_from_db()
    return PollState.objects.create(channel=channel, endpoint="mentions")


__all__ = ["AuthError", "MalformedPayload", "RateLimited", "ScriptedClient", "item", "page"]
