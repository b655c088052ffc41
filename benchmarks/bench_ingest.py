"""Ingest throughput: the whole pipeline against PostgreSQL COPY and a naive ORM path.

    python benchmarks/bench_ingest.py [--n 100000] [--naive-n 5000] [--workers 1] [--slices 10]

N realistic mentions in the platforms' wire formats (the simulator's generator, six platforms)
go through the pipeline polling uses — parse, deduplicate, classify, route, store mentions,
authors, routings and cases, one transaction per page. In the same run the same rows are
written (a) by COPY alone, the ceiling of this machine, and (b) one ORM object at a time.
The pipeline and COPY take turns, slice by slice (--slices): COPY writes each slice's rows,
as the pipeline stored them, into a twin database made from the pipeline's before the run,
so that both meet the same load on a shared machine and write into tables of the same size.
With --workers 2 the pages are split between two processes (how it scales).
Goals: pipeline ≥ 0.15 × COPY and ≥ 10 × naive.
"""
import argparse
import io
import multiprocessing
import os
import time

import _django

PLATFORMS = ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky")
NOTICES_EVERY = 20  # pages stored between two runs of the notices task (a worker runs it meanwhile)
TABLES = ["monitoring_author", "monitoring_rawpayload", "monitoring_mention", "triage_case",
          "triage_mentionrouting", "triage_caseevent", "triage_foirequest"]


def channels():
    from accounts.models import Channel, Service

    service, _ = Service.objects.get_or_create(slug="communications", defaults={"name": "Communications"})
    out = {}
    for platform in PLATFORMS:
        out[platform], _ = Channel.objects.get_or_create(
            platform=platform, handle=f"bench-{platform}",
            defaults={"display_name": "Bench", "service": service, "kind": "corporate"})
    return out


def make_pages(n: int) -> list[tuple[str, str]]:
    """(platform, JSON body) pages of n mentions in all, from the simulator's generator."""
    import json

    from platforms.simulator.generator import wire_pages

    per = -(-n // len(PLATFORMS))
    pages = []
    for platform in PLATFORMS:
        for body in wire_pages(platform, per, page_size=100, seed=11):
            for part in split_youtube(body) if platform == "youtube" else [body]:
                pages.append((platform, json.dumps(part)))
    return pages


def split_youtube(body: dict) -> list[dict]:
    """A generated YouTube page holds comment threads, replies and search hits together; the
    real API returns each from its own endpoint (commentThreads, comments, search)."""
    by_kind: dict[str, list] = {}
    for item in body["items"]:
        by_kind.setdefault(item["kind"], []).append(item)
    envelope = {"youtube#commentThread": "youtube#commentThreadListResponse",
                "youtube#comment": "youtube#commentListResponse", "youtube#searchResult": "youtube#searchListResponse"}
    return [{"kind": envelope[kind], "pageInfo": {"resultsPerPage": len(items)}, "items": items}
            for kind, items in by_kind.items()]


def run_pipeline(pages) -> int:
    """Parse and store pages as polling does, and send the notices of new cases as the
    triage.case_notices task does (here every NOTICES_EVERY pages, in this process); returns the
    mentions created."""
    import json

    from django.db import transaction

    from monitoring.clients import client_for
    from monitoring.models import RawPayload
    from monitoring.services import ingest_items
    from triage.services import case_notices_send

    chans = channels()
    clients = {p: client_for(c) for p, c in chans.items()}
    created = 0
    for done, (platform, body) in enumerate(pages, 1):
        items = clients[platform].parse(json.loads(body))
        with transaction.atomic():
            raw = RawPayload.objects.create(channel=chans[platform], endpoint="bench", body=body)
            created += ingest_items(channel=chans[platform], items=items, raw=raw).created
        if done % NOTICES_EVERY == 0 or done == len(pages):
            case_notices_send()
    return created


def _warm():
    """What a running worker has done long before: the live model loaded and the URL modules
    imported (by its first case link), so that neither is timed."""
    from django.urls import get_resolver

    from triage import config

    config.current()
    get_resolver().url_patterns  # noqa: B018


def _init_worker(url):
    """A pool process: Django on the pipeline's database, once."""
    import os

    os.environ["DATABASE_URL"] = url
    _django.setup(url.rsplit("/", 1)[1], fresh=False)
    _warm()


def _pipeline_share(pages):
    return run_pipeline(pages)


def truncate():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES + ['triage_casenotice', 'accounts_notification'])} "
                       "RESTART IDENTITY CASCADE")


KEYS = {"triage_mentionrouting": "mention_id"}  # the other tables' rows are numbered by id


def watermarks() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        out = {}
        for table in TABLES:
            cursor.execute(f"SELECT coalesce(max({KEYS.get(table, 'id')}), 0) FROM {table}")
            out[table] = cursor.fetchone()[0]
        return out


def dump_since(marks: dict[str, int]) -> dict[str, bytes]:
    """The rows written since `marks`, in COPY's text format."""
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            key = KEYS.get(table, "id")
            buf = io.BytesIO()
            with cursor.copy(f"COPY (SELECT * FROM {table} WHERE {key} > {int(marks[table])} ORDER BY {key}) "
                             "TO STDOUT") as copy:
                for data in copy:
                    buf.write(data)
            out[table] = buf.getvalue()
    return out


def copy_into(conn, dumped: dict[str, bytes]) -> float:
    """COPY the rows into the ceiling's database, one transaction; its time."""
    start = time.perf_counter()
    with conn.transaction(), conn.cursor() as cursor:
        for table in TABLES:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumped[table])
    return time.perf_counter() - start


def make_twin(url: str, twin: str) -> str:
    """A database made from the pipeline's (schema, council, channels; no mentions yet)."""
    import psycopg

    server = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{twin}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{twin}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
    return f"{server}/{twin}"


def run_naive(pages, limit: int) -> int:
    """The same work one object at a time: get or create each author, save each mention,
    classify and route it alone, save its routing, case and event."""
    import json

    from django.utils import timezone

    from accounts.models import Service
    from monitoring.clients import client_for
    from monitoring.models import Author, Mention, RawPayload
    from triage import classify, config, matrix, selectors, services
    from triage.models import CaseEvent

    chans = channels()
    clients = {p: client_for(c) for p, c in chans.items()}
    cfg = config.current()
    done = 0
    for platform, body in pages:
        raw = RawPayload.objects.create(channel=chans[platform], endpoint="bench", body=body)
        for item in clients[platform].parse(json.loads(body)):
            if done >= limit:
                return done
            author, _ = Author.objects.update_or_create(
                platform=platform, external_id=item.author.external_id,
                defaults={"handle": item.author.handle[:200], "display_name": item.author.display_name[:300],
                          "followers": item.author.followers, "verified": item.author.verified})
            if Mention.objects.filter(platform=platform, external_id=item.external_id).exists():
                continue
            mention = Mention.objects.create(
                platform=platform, external_id=item.external_id, channel=chans[platform], kind=item.kind,
                author=author, text=item.text, url=item.url[:1000], posted_at=item.posted_at,
                conversation_id=item.conversation_id[:300], in_reply_to_id=item.in_reply_to_id[:300],
                likes=item.likes, replies=item.replies, reshares=item.reshares, raw_payload=raw)
            mention = Mention.objects.select_related("author", "channel", "channel__service").get(pk=mention.pk)
            m = selectors.mention_input(mention)
            c = classify.classify(m, cfg.classifier, cfg.predictor)
            d = matrix.evaluate(cfg.matrix, c, m)
            service = Service.objects.filter(slug=c.service).first() if c.service else None
            case = services._new_case(mention, d, cfg, services._received(mention), service.pk if service else None)
            case.save()
            services._routing(mention, c, d, service_id=case.service_id, case=case, now=timezone.now()).save()
            CaseEvent.objects.create(case=case, at=timezone.now(), actor_name="system", kind="created",
                                     text=d.explanation)
            done += 1
    return done


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--naive-n", type=int, default=5_000, help="mentions for the naive path (a rate)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--slices", type=int, default=10, help="turns taken by the pipeline and COPY")
    parser.add_argument("--database", default="cs_bench_ingest")
    args = parser.parse_args()

    # Tasks queued after each page's commit go to an in-process broker no worker reads;
    # run_pipeline sends the notices itself.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    url = _django.setup(args.database)
    from django.core.management import call_command

    call_command("demo_council", verbosity=0)  # services, rules, classifier settings and the live model
    _warm()
    import psycopg
    from django.db import connections

    from monitoring.models import Mention

    print(f"Machine: {_django.machine()}; PostgreSQL {_django.pg_version()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    t = time.perf_counter()
    pages = make_pages(args.n)
    print(f"Generated {len(pages)} wire-format pages in {time.perf_counter() - t:.1f} s")
    truncate()
    channels()
    connections.close_all()
    ceiling = psycopg.connect(make_twin(url, f"{args.database}_copy"))

    # The pipeline and COPY take turns, slice by slice, so that both meet the same load on a
    # shared machine; the ceiling's database grows as the pipeline's does.
    pool = (multiprocessing.get_context("spawn").Pool(args.workers, _init_worker, (url,))
            if args.workers > 1 else None)
    pipeline_s = copy_s = 0.0
    created = 0
    size = -(-len(pages) // args.slices)
    try:
        for first in range(0, len(pages), size):
            chunk = pages[first:first + size]
            marks = watermarks()
            start = time.perf_counter()
            if pool is None:
                created += run_pipeline(chunk)
            else:
                created += sum(pool.map(_pipeline_share, [chunk[i::args.workers] for i in range(args.workers)]))
            pipeline_s += time.perf_counter() - start
            copy_s += copy_into(ceiling, dump_since(marks))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    n = Mention.objects.count()
    assert created == n, (created, n)
    copied = ceiling.execute("SELECT count(*) FROM monitoring_mention").fetchone()[0]
    assert copied == n, (copied, n)
    ceiling.close()

    truncate()
    channels()
    start = time.perf_counter()
    naive_done = run_naive(pages, args.naive_n)
    naive_s = time.perf_counter() - start

    pipeline, copy, naive = n / pipeline_s, n / copy_s, naive_done / naive_s
    print(f"\n{'path':<28}{'mentions':>10}{'seconds':>10}{'mentions/s':>13}")
    print(f"{'pipeline (' + str(args.workers) + ' worker' + ('s' if args.workers > 1 else '') + ')':<28}"
          f"{n:>10}{pipeline_s:>10.1f}{pipeline:>13,.0f}")
    print(f"{'COPY alone (ceiling)':<28}{n:>10}{copy_s:>10.1f}{copy:>13,.0f}")
    print(f"{'naive, one ORM save a row':<28}{naive_done:>10}{naive_s:>10.1f}{naive:>13,.0f}")
    print(f"\npipeline / COPY  = {pipeline / copy:.3f}  (goal ≥ 0.15: {'met' if pipeline / copy >= 0.15 else 'MISSED'})")
    print(f"pipeline / naive = {pipeline / naive:.1f}  (goal ≥ 10: {'met' if pipeline / naive >= 10 else 'MISSED'})")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
