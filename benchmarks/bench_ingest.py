"""Ingest throughput: the whole pipeline against PostgreSQL COPY and a naive ORM path.

    python benchmarks/bench_ingest.py [--n 100000] [--naive-n 5000] [--workers 1]

N realistic mentions in the platforms' wire formats (the simulator's generator, six platforms)
go through the pipeline polling uses — parse, deduplicate, classify, route, store mentions,
authors, routings and cases, one transaction per page. In the same run the same rows are
written (a) by COPY alone, the ceiling of this machine, and (b) one ORM object at a time.
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


def _worker(args):
    url, pages = args
    import os

    os.environ["DATABASE_URL"] = url
    _django.setup(url.rsplit("/", 1)[1], fresh=False)
    return run_pipeline(pages)


def truncate():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES + ['triage_casenotice', 'accounts_notification'])} "
                       "RESTART IDENTITY CASCADE")


def dump() -> dict[str, bytes]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            buf = io.BytesIO()
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for data in copy:
                    buf.write(data)
            out[table] = buf.getvalue()
    return out


def copy_in(dumped: dict[str, bytes]) -> float:
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in TABLES:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumped[table])
    return time.perf_counter() - start


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
            c = classify.classify(m, cfg.classifier)
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
    parser.add_argument("--database", default="cs_bench_ingest")
    args = parser.parse_args()

    # Tasks queued after each page's commit go to an in-process broker no worker reads;
    # run_pipeline sends the notices itself.
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    url = _django.setup(args.database)
    from django.core.management import call_command

    call_command("demo_council", verbosity=0)  # services, rules and classifier settings
    from monitoring.models import Mention

    print(f"Machine: {_django.machine()}; PostgreSQL {_django.pg_version()}")
    t = time.perf_counter()
    pages = make_pages(args.n)
    print(f"Generated {len(pages)} wire-format pages in {time.perf_counter() - t:.1f} s")
    truncate()
    channels()
    from django.db import connections

    start = time.perf_counter()
    if args.workers == 1:
        created = run_pipeline(pages)
    else:
        connections.close_all()
        shares = [pages[i::args.workers] for i in range(args.workers)]
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            created = sum(pool.map(_worker, [(url, share) for share in shares]))
    pipeline_s = time.perf_counter() - start
    n = Mention.objects.count()
    assert created == n, (created, n)

    dumped = dump()
    truncate()
    copy_s = copy_in(dumped)
    assert Mention.objects.count() == n

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


if __name__ == "__main__":
    main()
