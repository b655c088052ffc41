from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import ChannelConnection, Notification
from accounts.roles import Role
from monitoring.models import Mention, PollState, Quarantine
from monitoring.services import poll_run
from platforms.base import AuthError, MalformedPayload, RateLimited, TransientError
from tests.monitoring.scripted import ScriptedClient, item, page

pytestmark = pytest.mark.django_db


def test_pages_are_stored_and_the_cursor_moves_with_them(polled):
    client = ScriptedClient([page([item(1), item(2)], "c1", has_more=True), page([item(3)], "c2")])
    result = poll_run(state_id=polled.pk, client=client)
    assert result["created"] == 3 and result["pages"] == 2
    assert client.calls == [None, "c1"]
    polled.refresh_from_db()
    assert polled.cursor == "c2" and polled.items_total == 3 and polled.last_success_at
    assert Mention.objects.count() == 3


def test_a_repeated_page_creates_nothing(polled):
    poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1), item(2)], "c1")]))
    result = poll_run(state_id=polled.pk, client=ScriptedClient([page([item(2), item(1), item(1)], "c2")]))
    assert result["created"] == 0 and result["duplicates"] == 3
    assert Mention.objects.count() == 2


def test_a_failed_page_leaves_the_cursor_where_the_data_is(polled):
    client = ScriptedClient([page([item(1)], "c1", has_more=True), TransientError("x: HTTP 503", status=503)])
    result = poll_run(state_id=polled.pk, client=client)
    assert result["error"] == "TransientError"
    polled.refresh_from_db()
    assert polled.cursor == "c1" and polled.consecutive_failures == 1 and polled.not_before > timezone.now()
    assert Mention.objects.count() == 1


def test_failures_count_from_the_last_page_stored(polled, settings):
    """After earlier failures, a run that stores a page and then fails has failed once in a row: its
    back-off starts again from the shortest."""
    settings.POLL_MAX_BACKOFF_SECONDS = 900
    PollState.objects.filter(pk=polled.pk).update(consecutive_failures=7)
    client = ScriptedClient([page([item(1)], "c1", has_more=True), TransientError("x: HTTP 503", status=503)])
    before = timezone.now()
    poll_run(state_id=polled.pk, client=client)
    polled.refresh_from_db()
    assert polled.consecutive_failures == 1 and polled.not_before <= before + timedelta(seconds=5)


def test_no_request_before_the_rate_limit_resets(polled):
    reset = datetime(2026, 11, 2, 12, 15, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 11, 2, 12, 0, tzinfo=UTC), tick=False):
        client = ScriptedClient([RateLimited("x: rate limited", retry_at=reset)])
        assert poll_run(state_id=polled.pk, client=client)["error"] == "rate_limited"
        again = ScriptedClient([page([item(1)], "c1")])
        assert poll_run(state_id=polled.pk, client=again)["skipped"]
        assert again.calls == []
    with time_machine.travel(reset + timedelta(seconds=1), tick=False):
        assert poll_run(state_id=polled.pk, client=again)["created"] == 1


def test_an_exhausted_budget_pauses_until_the_reset(polled):
    reset = timezone.now() + timedelta(minutes=10)
    client = ScriptedClient([page([item(1)], "c1", has_more=True, remaining=0, reset_at=reset)])
    result = poll_run(state_id=polled.pk, client=client)
    assert result["created"] == 1 and len(client.calls) == 1
    polled.refresh_from_db()
    assert polled.not_before == reset


def test_malformed_bodies_are_quarantined_once_and_counted(polled):
    body = '{"data": [{"id": "1", "tex'
    for _ in range(2):
        PollState.objects.filter(pk=polled.pk).update(not_before=None)
        poll_run(state_id=polled.pk, client=ScriptedClient([MalformedPayload("truncated", body=body)]))
    entry = Quarantine.objects.get()
    assert entry.body == body and entry.seen_count == 2 and entry.channel == polled.channel
    polled.refresh_from_db()
    assert polled.cursor == "" and polled.consecutive_failures == 2


def test_a_revoked_token_pauses_polling_and_tells_the_web_team(polled, staff, client_for):
    result = poll_run(state_id=polled.pk, client=ScriptedClient([AuthError("x: token rejected", status=401)]))
    assert result["error"] == "auth"
    connection = ChannelConnection.objects.get(channel=polled.channel)
    assert connection.needs_reauth
    assert Notification.objects.filter(user=staff[Role.WEB_TEAM], subject__contains="needs re-authorising").exists()
    assert poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1)], "c1")]))["skipped"]
    home = client_for(staff[Role.WEB_TEAM]).get("/").content.decode()
    assert "need" in home and "re-authorising" in home and polled.channel.handle in home
    assert "re-authorising" not in client_for(staff[Role.SERVICE_EDITOR]).get("/").content.decode()


def test_a_poll_already_running_is_not_run_twice(polled):
    PollState.objects.filter(pk=polled.pk).update(leased_until=timezone.now() + timedelta(minutes=1))
    client = ScriptedClient([page([item(1)], "c1")])
    assert poll_run(state_id=polled.pk, client=client)["skipped"] and client.calls == []


def test_each_page_renews_the_lease_and_a_killed_polls_lease_lapses(polled, settings):
    """A poll keeps its endpoint while it stores pages; a poll whose worker was killed (nothing ran
    its clean-up) holds it for POLL_LEASE_SECONDS only, then the next poll goes on from the cursor."""
    settings.POLL_LEASE_SECONDS = 60
    start = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    leases = []
    with time_machine.travel(start, tick=False) as clock:
        class Slow(ScriptedClient):
            def fetch(self, endpoint, cursor, *, watch_terms=()):
                leases.append(PollState.objects.get(pk=polled.pk).leased_until)
                clock.shift(timedelta(seconds=45))  # each page takes 45 s to arrive
                return super().fetch(endpoint, cursor, watch_terms=watch_terms)

        pages = [page([item(n)], f"c{n}", has_more=True) for n in (1, 2)] + [page([item(3)], "c3")]
        assert poll_run(state_id=polled.pk, client=Slow(pages))["pages"] == 3
        assert leases == [start + timedelta(seconds=60), start + timedelta(seconds=105),
                          start + timedelta(seconds=150)]

        # A worker killed mid-poll leaves its lease behind.
        PollState.objects.filter(pk=polled.pk).update(leased_until=timezone.now() + timedelta(seconds=60))
        assert poll_run(state_id=polled.pk, client=ScriptedClient([]))["skipped"]
        clock.shift(timedelta(seconds=61))
        client = ScriptedClient([page([item(4)], "c4")])
        assert poll_run(state_id=polled.pk, client=client)["created"] == 1 and client.calls == ["c3"]


def test_a_crash_mid_run_releases_the_lease_and_loses_nothing(polled):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1)], "c1", has_more=True), Boom()]))
    polled.refresh_from_db()
    assert polled.leased_until is None and polled.cursor == "c1"
    poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1), item(2)], "c2")]))
    assert sorted(Mention.objects.values_list("external_id", flat=True)) == ["1", "2"]


def test_text_is_stored_exactly(polled):
    hostile = '<script>alert(1)</script>\u202e\u200b\x00 ' + "😀" * 10 + "x" * 100_000
    poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1, text=hostile)], "c1")]))
    assert Mention.objects.get().text == hostile


def test_engagement_growth_updates_known_mentions(polled):
    poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1, replies=1)], "c1")]))
    PollState.objects.filter(pk=polled.pk).update(not_before=None)
    poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1, replies=30)], "c2")]))
    assert Mention.objects.get().replies == 30


@pytest.mark.parametrize("text", ["a\x00b", "\uffff0 is not NUL", "\uffff\x00\uffff\uffff0", "plain"])
def test_nul_and_the_escape_character_round_trip_and_can_be_searched(polled, text):
    poll_run(state_id=polled.pk, client=ScriptedClient([page([item(1, text=text)], "c1")]))
    assert Mention.objects.get().text == text
    assert Mention.objects.filter(text__contains=text).count() == 1


def _database_restarted():
    """What a PostgreSQL restart does to this process's connection: the server ends it."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("a database server's restart (the embedded SQLite file has none)")
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


class RestartDuringFetch(ScriptedClient):
    """The database restarts while a page is fetched (a fetch can be many requests, each up to the
    client's timeout); the page or the body that came back arrives after it is up again."""

    def fetch(self, endpoint, cursor, *, watch_terms=()):
        _database_restarted()
        return super().fetch(endpoint, cursor, watch_terms=watch_terms)


@pytest.mark.django_db(transaction=True)
def test_a_body_read_after_a_database_restart_is_still_quarantined(polled):
    body = '{"kind" "youtube#commentListResponse", "items": []}'
    result = poll_run(state_id=polled.pk, client=RestartDuringFetch([MalformedPayload("malformed", body=body)]))
    assert result["error"] == "malformed"
    assert Quarantine.objects.get().body == body
    PollState.objects.filter(pk=polled.pk).update(not_before=None)
    result = poll_run(state_id=polled.pk, client=RestartDuringFetch([page([item(1)], "c1")]))
    assert result["created"] == 1 and Mention.objects.get().raw_payload.endpoint == "mentions"
