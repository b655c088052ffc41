"""monitoring.bulk, the batched writes of the ingest path: what goes in comes back exactly, in one
statement per table on PostgreSQL, with bulk_create's behaviour elsewhere."""
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring import bulk
from monitoring.models import Author, Mention
from triage.models import Case, MentionRouting

pytestmark = pytest.mark.django_db

HOSTILE = "<b>'quoted'</b> \"double\" back\\slash\ttab\nnewline \x00 nul \uffff0 escape 😀 \u202e"
WHEN = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)


def statements(queries):
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def mention(channel, author, n, **extra):
    return Mention(platform="x", external_id=f"m{n}", channel=channel, kind="mention", author=author,
                   text=extra.pop("text", f"text {n}"), posted_at=WHEN, **extra)


def test_insert_sets_ids_and_stores_every_value_exactly(channels):
    author = Author.objects.create(platform="x", external_id="a1", handle=HOSTILE, display_name=HOSTILE)
    rows = [mention(channels["corporate"], author, n, text=HOSTILE + str(n), likes=n, url="https://x.com/1")
            for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        inserted = bulk.insert(Mention, rows)
    assert inserted == rows and all(m.pk for m in rows) and len({m.pk for m in rows}) == 3
    if connection.vendor == "postgresql":
        assert len(statements(queries)) == 1
    for m in rows:
        stored = Mention.objects.get(pk=m.pk)
        assert (stored.text, stored.likes, stored.posted_at, stored.author_id) == (m.text, m.likes, WHEN, author.pk)
        assert stored.received_at == m.received_at and stored.received_at is not None  # auto_now_add
        assert not m._state.adding
    assert Mention.objects.filter(text__contains="\x00 nul \uffff0").count() == 3


def test_insert_keeps_json_and_a_given_primary_key(channels):
    author = Author.objects.create(platform="x", external_id="a1")
    m = bulk.insert(Mention, [mention(channels["corporate"], author, 1)])[0]
    case = bulk.insert(Case, [Case(mention=m, platform="x", route="no_action", priority="low", rule_name="r",
                                   explanation=HOSTILE.replace("\x00", ""), opened_at=WHEN)])[0]
    data = {"reasons": {"sentiment": "négative (−0.42) 'q' \"d\""}, "list": [1, 2.5, None, True], "n": 0}
    bulk.insert(MentionRouting, [MentionRouting(mention=m, route="no_action", rule_name="r", explanation="e",
                                                priority="low", classification=data, case=case, routed_at=WHEN)])
    routing = MentionRouting.objects.get(pk=m.pk)
    assert routing.classification == data and routing.case_id == case.pk
    assert Case.objects.get(pk=case.pk).explanation == HOSTILE.replace("\x00", "")


def test_insert_skipping_conflicts_leaves_out_rows_stored_by_another_writer(channels):
    author = Author.objects.create(platform="x", external_id="a1")
    taken = Mention.objects.create(platform="x", external_id="m2", channel=channels["corporate"], kind="mention",
                                   author=author, text="first", posted_at=WHEN)
    rows = [mention(channels["corporate"], author, n) for n in range(4)]
    inserted = bulk.insert(Mention, rows, skip_conflicts=True)
    assert [m.external_id for m in inserted] == ["m0", "m1", "m3"]
    assert rows[2].pk is None
    assert Mention.objects.get(external_id="m2").pk == taken.pk and Mention.objects.get(external_id="m2").text == "first"
    assert {m.pk for m in inserted} == set(Mention.objects.exclude(pk=taken.pk).values_list("pk", flat=True))


def test_upsert_creates_refreshes_and_leaves_unchanged_rows_alone(channels):
    same = Author.objects.create(platform="x", external_id="same", handle="@same", followers=10)
    changed = Author.objects.create(platform="x", external_id="changed", handle="@old", followers=10)
    before = Author.objects.filter(pk__in=[same.pk, changed.pk]).update(updated_at=WHEN)
    assert before == 2
    rows = [Author(platform="x", external_id="same", handle="@same", followers=10),
            Author(platform="x", external_id="changed", handle="@new", display_name=HOSTILE, followers=11),
            Author(platform="x", external_id="new", handle="@new-one", followers=5)]
    with CaptureQueriesContext(connection) as queries:
        bulk.upsert(Author, rows, unique_fields=["platform", "external_id"],
                    update_fields=["handle", "display_name", "followers", "updated_at"])
    if connection.vendor == "postgresql":
        assert len(statements(queries)) == 1
    assert [r.pk for r in rows[:2]] == [same.pk, changed.pk] and rows[2].pk is not None
    assert Author.objects.count() == 3
    fresh = {a.external_id: a for a in Author.objects.all()}
    assert (fresh["changed"].handle, fresh["changed"].display_name, fresh["changed"].followers) == (
        "@new", HOSTILE, 11)
    assert fresh["changed"].updated_at > WHEN
    if connection.vendor == "postgresql":  # unchanged values: no new row version, the timestamp stays
        assert fresh["same"].updated_at == WHEN


def test_update_writes_the_fields_of_many_rows_at_once(channels):
    author = Author.objects.create(platform="x", external_id="a1")
    rows = bulk.insert(Mention, [mention(channels["corporate"], author, n) for n in range(3)])
    for n, m in enumerate(rows):
        m.likes, m.replies, m.text = 10 + n, 20 + n, "not written"
    with CaptureQueriesContext(connection) as queries:
        assert bulk.update(Mention, rows, ["likes", "replies"]) == 3
    if connection.vendor == "postgresql":
        assert len(statements(queries)) == 1
    assert list(Mention.objects.order_by("pk").values_list("likes", "replies", "text")) == [
        (10, 20, "text 0"), (11, 21, "text 1"), (12, 22, "text 2")]


def test_update_sets_auto_now_fields(channels):
    author = Author.objects.create(platform="x", external_id="a1")
    m = bulk.insert(Mention, [mention(channels["corporate"], author, 1)])[0]
    case = bulk.insert(Case, [Case(mention=m, platform="x", route="no_action", priority="low", rule_name="r",
                                   explanation="e", opened_at=WHEN)])[0]
    Case.objects.filter(pk=case.pk).update(updated_at=WHEN)
    case.priority, case.sla_due_at = "high", WHEN + timedelta(days=1)
    bulk.update(Case, [case], ["priority", "sla_due_at", "updated_at"])
    stored = Case.objects.get(pk=case.pk)
    assert (stored.priority, stored.sla_due_at) == ("high", WHEN + timedelta(days=1)) and stored.updated_at > WHEN


def test_insert_rows_writes_plain_rows_with_defaults_for_what_is_left_out(channels):
    from triage.models import CaseEvent

    author = Author.objects.create(platform="x", external_id="a1")
    m = bulk.insert(Mention, [mention(channels["corporate"], author, 1)])[0]
    case = bulk.insert(Case, [Case(mention=m, platform="x", route="no_action", priority="low", rule_name="r",
                                   explanation="e", opened_at=WHEN)])[0]
    data = {"mention": m.pk, "rule": "r", "quote": "'\"\\"}
    with CaptureQueriesContext(connection) as queries:
        bulk.insert_rows(CaseEvent, [{"case_id": case.pk, "at": WHEN, "actor_name": "system", "kind": "created",
                                      "text": HOSTILE.replace("\x00", ""), "data": data},
                                     {"case_id": case.pk, "at": WHEN, "kind": "joined"}])
    if connection.vendor == "postgresql":
        assert len(statements(queries)) == 1
    first, second = CaseEvent.objects.filter(case=case).order_by("pk")
    assert (first.text, first.data, first.at, first.actor_id) == (HOSTILE.replace("\x00", ""), data, WHEN, None)
    assert (second.kind, second.text, second.external_id, second.url, second.data, second.actor_name) == (
        "joined", "", "", "", {}, "")


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks: PostgreSQL only")
def test_rows_are_written_in_key_order_so_two_writers_lock_them_in_the_same_order(channels):
    """Two workers storing pages with the same authors lock those rows in one order, so neither
    waits for a row the other holds while holding one it wants (a deadlock, seen with two
    ingest processes before the rows were sorted)."""
    rows = [Author(platform="x", external_id=e, handle=e) for e in ("c", "a", "b")]
    with CaptureQueriesContext(connection) as queries:
        bulk.upsert(Author, rows, unique_fields=["platform", "external_id"], update_fields=["handle"])
        bulk.insert(Mention, [mention(channels["corporate"], rows[0], n) for n in (3, 1, 2)], skip_conflicts=True)
    upsert, insert = statements(queries)
    assert upsert.index('"external_id":"a"') < upsert.index('"external_id":"b"') < upsert.index('"external_id":"c"')
    assert insert.index('"external_id":"m1"') < insert.index('"external_id":"m2"') < insert.index(
        '"external_id":"m3"')
    assert {r.external_id: r.pk for r in rows} == dict(Author.objects.values_list("external_id", "pk"))


def test_tally_adds_to_counts_and_creates_missing_rows_in_one_statement(channels):
    from monitoring.models import TopicCount

    hour = WHEN.replace(minute=0, second=0, microsecond=0)
    hostile = HOSTILE.replace("\x00", "")[:100]  # topics are words, hashtags and places: never a NUL
    TopicCount.objects.create(kind="phrase", topic="green bins", hour=hour, count=3)
    counts = {("phrase", "green bins", hour): 2, ("phrase", hostile, hour): 1,
              ("place", "Mill Lane", hour + timedelta(hours=1)): 4}
    with CaptureQueriesContext(connection) as queries:
        bulk.tally(TopicCount, counts, key_fields=("kind", "topic", "hour"), count_field="count")
    assert len(statements(queries)) == 1
    bulk.tally(TopicCount, {("place", "Mill Lane", hour + timedelta(hours=1)): 1},
               key_fields=("kind", "topic", "hour"), count_field="count")
    assert TopicCount.objects.get(topic="green bins", hour=hour).count == 5
    assert TopicCount.objects.get(topic=hostile).count == 1
    assert TopicCount.objects.get(kind="place", hour=hour + timedelta(hours=1)).count == 5
