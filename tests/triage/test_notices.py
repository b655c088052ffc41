"""Who is told of new cases: notices are kept with the page that opened the cases and sent,
merged across pages, by the triage.case_notices task (queued after each page's commit, and
run every minute by beat)."""
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.roles import Role
from monitoring.services import ingest_items
from platforms.base import Author as ItemAuthor
from platforms.base import Item
from triage import services as triage_services
from triage import tasks
from triage.models import Case, CaseNotice

pytestmark = pytest.mark.django_db

BIN = "My bin wasn't collected again, can you sort it please?"


def page(channel, n, start, text=BIN):
    items = [Item(platform=channel.platform, external_id=f"n{start + i}", kind="mention", text=text,
                  posted_at=timezone.now(), author=ItemAuthor(external_id=f"a{start + i}", handle=f"@a{start + i}"))
             for i in range(n)]
    with transaction.atomic():
        return ingest_items(channel=channel, items=items, raw=None)


def test_many_pages_are_told_in_one_message_per_role(channels, staff, mailoutbox, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks.case_notices, "delay", lambda: None)
    for start in (0, 10, 20):
        page(channels["corporate"], 3, start)
    assert CaseNotice.objects.count() == 3 and not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert triage_services.case_notices_send() == 1
    told = Notification.objects.get(user=staff[Role.CUSTOMER_SERVICES])
    assert told.subject == "New on the dashboard: 9 cases"
    assert len(told.body.splitlines()) == 9 and told.url == reverse("case_list")
    assert len(mailoutbox) == 1
    assert not CaseNotice.objects.exists()
    assert triage_services.case_notices_send() == 0 and Notification.objects.count() == 1


def test_a_case_erased_before_the_notice_is_sent_is_left_out(channels, staff, monkeypatch):
    monkeypatch.setattr(tasks.case_notices, "delay", lambda: None)
    page(channels["corporate"], 2, 0)
    first, second = Case.objects.order_by("pk")
    triage_services.mentions_forget([first.mention_id])
    assert triage_services.case_notices_send() == 1
    told = Notification.objects.get(user=staff[Role.CUSTOMER_SERVICES])
    assert told.subject == "New on the dashboard: 1 case" and told.url == second.get_absolute_url()


def test_notices_wait_for_the_scheduled_run_when_the_broker_is_away(channels, staff, monkeypatch,
                                                                    django_capture_on_commit_callbacks, caplog):
    def broker_away():
        raise ConnectionError("no broker")

    monkeypatch.setattr(tasks.case_notices, "delay", broker_away)
    with django_capture_on_commit_callbacks(execute=True):
        result = page(channels["corporate"], 2, 0)
    assert result.created == 2 and "Could not queue triage.case_notices" in caplog.text
    assert CaseNotice.objects.count() == 1
    assert tasks.case_notices() == 1  # the beat schedule's run
    assert Notification.objects.get(user=staff[Role.CUSTOMER_SERVICES]).subject == "New on the dashboard: 2 cases"


def test_the_notices_task_runs_every_minute():
    from council_social.schedules import SCHEDULES

    assert ("triage.case_notices", 60, {}) in SCHEDULES.values()


def test_a_page_writes_each_table_once_and_tells_nobody_in_its_transaction(channels, staff):
    """Batching: whatever the page size, one statement per table written, nothing read back,
    no notification rows or user look-ups while the page's transaction is open."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page(channels["corporate"], 2, 0)  # configuration cached, as after the first page
    # (Sizes below SQLite's limit of variables per INSERT, which splits bigger bulk inserts.)
    for n, start in ((5, 100), (30, 1000)):
        with CaptureQueriesContext(connection) as queries:
            result = page(channels["corporate"], n, start)
        assert result.created == n
        sql = [q["sql"] for q in queries]

        def writes(table, sql=sql):
            return [s for s in sql if f'INSERT INTO "{table}"' in s]

        for table in ("monitoring_author", "monitoring_mention", "triage_case", "triage_mentionrouting",
                      "triage_caseevent", "triage_casenotice"):
            assert len(writes(table)) == 1, (table, sql)
        assert not writes("accounts_notification")
        assert not [s for s in sql if '"accounts_user"' in s]
        reads_of_mentions = [s for s in sql if s.startswith("SELECT") and 'FROM "monitoring_mention"' in s]
        assert len(reads_of_mentions) == 1, reads_of_mentions  # which of the page's ids are known
