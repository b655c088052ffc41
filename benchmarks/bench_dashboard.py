"""Dashboard at scale: server time and SQL queries of the review dashboard's pages on a large database.

    python benchmarks/bench_dashboard.py [--sizes 100000,1000000 | --mentions N] [--requests 200] [--reuse]
                                         [--explain] [--server postgres://...]

For each size N (mentions) a fresh PostgreSQL database is loaded with COPY: N mentions written by
the simulator's generator (its vocabulary, personas and threads), their authors, a routing for
every mention, N/5 cases (the escalation matrix's own classification, routes, priorities, services
and SLA clocks, in every state: recent cases being worked, older ones mostly closed), their
timelines and FOI requests, 50 channels and 200 staff. Then, in a fresh process, each page is
requested `--requests` times through Django's test client, signed in as the role that uses it,
and its server time (request in, response out: middleware, SQL, templates) is timed: p50 and
p95, beside the CPU time of this process per request. The SQL queries of each request are
counted separately, per filter, search term or case state (the count must not grow with N).
Sizes are measured one after another in the same run, so the ratios come from one machine
state. Goals: p95 <= 60 ms for the queues, 50 ms for the preview pane's fragment, 100 ms for the other
pages (searches in every status included), and the same query count at every size.
Figures and what they showed: docs/performance.md.

The databases are kept (cs_dashboard_<N>) for EXPLAIN; --reuse measures them again without
reloading (after migrating, so new indexes are built as a deployment would build them).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import _django

GOAL_P95_MS = 100.0
DEFAULT_SIZES = "100000,1000000"
SPAN_DAYS = 730  # the mentions are spread over two years, ending now
RECENT_DAYS = 14  # cases opened in the last fortnight are being worked on
BACKLOG = 0.03  # share of older cases never closed (still on the working queue)
CASES_PER_MENTION = 0.2
CHUNK = 20_000
STAFF = 200
CHANNELS = 50
CONVERSATION_WINDOW = 300  # a later mention joins one of the last few hundred open conversations
BIG_TABLES = ["monitoring_author", "monitoring_mention", "triage_mentionrouting", "triage_case",
              "triage_caseevent", "triage_foirequest", "triage_case_shared_with"]

# Roles of the 200 staff (per service where the role is a service's).
ROLE_COUNTS = {"web_team": 8, "communications_officer": 6, "customer_services": 40, "councillor": 50,
               "monitoring_officer": 2, "administrator": 2}  # + a head and editors in each service
SEARCH_TERMS = ["bin", "council tax", "pothole", "mould", "Juniper Court", "library card", "parking fine",
                "KingsmereMum", "fly-tipping", "no such words here"]


# --- loading -------------------------------------------------------------------------------

def say(*parts):
    print(*parts, flush=True)


def _staff(services):
    from django.contrib.auth.models import Group

    from accounts.models import User

    groups = {g.name: g for g in Group.objects.all()}
    plan = []
    for role, count in ROLE_COUNTS.items():
        for i in range(count):
            service = {"web_team": "communications", "communications_officer": "communications",
                       "customer_services": "customer-services", "administrator": "communications"}.get(role)
            plan.append((f"{role.replace('_', '.')}.{i + 1}", role, service))
    slugs = list(services)
    editors = STAFF - len(plan) - len(slugs)
    for slug in slugs:
        plan.append((f"head.{slug}", "head_of_service", slug))
    for i in range(editors):
        slug = slugs[i % len(slugs)]
        plan.append((f"editor.{slug}.{i // len(slugs) + 1}", "service_editor", slug))
    users = User.objects.bulk_create([
        User(username=username, first_name=username.split(".")[0].title(), last_name=username.split(".")[-1],
             email=f"{username}@kingsmere.example", service=services[slug] if slug else None,
             is_staff=role == "administrator", password="!")
        for username, role, slug in plan])
    through = User.groups.through
    through.objects.bulk_create([through(user_id=u.pk, group_id=groups[role].pk)
                                 for u, (_, role, _) in zip(users, plan, strict=True)])
    for user, (_, role, slug) in zip(users, plan, strict=True):
        if role == "head_of_service":
            services[slug].head = user
            services[slug].save(update_fields=["head"])
    return {role: [u for u, (_, r, _) in zip(users, plan, strict=True) if r == role] for role in
            {r for _, r, _ in plan}}


def _channels(services, rng):
    from accounts.demo import CHANNELS as DEMO
    from accounts.models import Channel

    rows = [(p, h, d, slug, kind, followers) for p, h, d, _, slug, kind, followers in DEMO if p != "flickr"]
    platforms = ["x", "facebook", "instagram", "mastodon", "bluesky", "youtube"]
    n = 0
    while len(rows) < CHANNELS:
        slug = list(services)[n % len(services)]
        platform = platforms[n % len(platforms)]
        name = services[slug].name.replace(" ", "")
        rows.append((platform, f"@Kingsmere{name}{n}", f"Kingsmere {services[slug].name}", slug, "service",
                     rng.randrange(200, 5000)))
        n += 1
    return list(Channel.objects.bulk_create([
        Channel(platform=p, handle=h, display_name=d, service=services[slug], kind=kind, followers=f,
                web_team_has_access=True) for p, h, d, slug, kind, f in rows[:CHANNELS]]))


def _mention_handle(channel) -> str:
    if channel.platform in ("facebook", "youtube", "linkedin"):
        return ""  # comments on the council's own page: no @mention in the text
    return channel.handle if channel.handle.startswith("@") else f"@{channel.handle}"


class Copier:
    """COPY rows into a table through the psycopg connection under Django's."""

    def __init__(self, connection):
        self.raw = connection.connection

    def __call__(self, table: str, columns: list[str], rows):
        cols = ", ".join(f'"{c}"' for c in columns)
        n = 0
        with self.raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n


def _model_rows(model, objects, connection):
    """Rows of model instances in the column order of model._meta.concrete_fields."""
    fields = model._meta.concrete_fields
    return [f.column for f in fields], ([f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
                                        for o in objects)


def _drop_indexes(cursor) -> list[str]:
    """Drop the secondary indexes of the big tables (not those of constraints); return their definitions."""
    cursor.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND i.indexname NOT IN (SELECT c.conname FROM pg_constraint c)""", [BIG_TABLES])
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def load(n: int, *, seed: int = 8) -> dict:
    """Fill the empty, migrated database with a council of n mentions. Returns timings."""
    from django.db import connection
    from django.utils import timezone

    from accounts.demo import SERVICES
    from accounts.models import Service
    from monitoring.fields import encode
    from monitoring.models import Author, Mention
    from monitoring.services import AUTHOR_INFLUENCE
    from platforms.simulator.generator import Generator
    from triage import classify, config, matrix, selectors
    from triage import services as triage_services
    from triage.models import Case, CaseEvent, FoiRequest, Route

    started = time.perf_counter()
    rng = random.Random(seed)
    services = {slug: Service.objects.create(name=name, slug=slug, email=f"{slug}@kingsmere.example")
                for name, slug in SERVICES}
    staff = _staff(services)
    channels = _channels(services, rng)
    heard = [c for c in channels if c.platform in ("x", "facebook", "instagram", "youtube", "mastodon", "bluesky")]
    channel_weights = [5 if c.kind == "corporate" else 1 for c in heard]
    workers = {"all": staff["web_team"] + staff["communications_officer"],
               "customer_service": staff["customer_services"],
               **{slug: [u for u in staff["service_editor"] + staff["head_of_service"] if u.service_id == s.pk]
                  for slug, s in services.items()}}
    by_service_id = {s.pk: slug for slug, s in services.items()}
    cfg = config.current()
    score = AUTHOR_INFLUENCE[0]() if AUTHOR_INFLUENCE else (lambda followers, verified: 0)
    copy = Copier(connection)

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no foreign key triggers during the load
        indexes = _drop_indexes(cursor)

    now = timezone.now()
    start = now - timedelta(days=SPAN_DAYS)
    cases_n = max(1, int(n * CASES_PER_MENTION))
    roots = set(rng.sample(range(1, n), cases_n - 1)) | {0} if n > 1 else {0}
    gen = Generator(seed=seed, residents=max(2_500, n // 10))
    authors: dict[tuple[str, int], Author] = {}
    recent: list[dict] = []  # open conversations: later mentions join them
    mention_cols = ["id", "platform", "external_id", "channel_id", "kind", "author_id", "text", "url", "posted_at",
                    "received_at", "conversation_id", "in_reply_to_id", "likes", "replies", "reshares",
                    "raw_payload_id", "hidden", "deleted"]
    routing_cols = ["mention_id", "route", "service_id", "rule_name", "explanation", "priority", "classification",
                    "thread_growth", "case_id", "routed_at"]
    event_cols = ["case_id", "at", "actor_id", "actor_name", "kind", "text", "external_id", "url", "data"]
    counts = {"authors": 0, "mentions": 0, "routings": 0, "cases": 0, "events": 0, "foi": 0, "shared": 0}
    councillors = [u.pk for u in staff["councillor"]]
    chunks = -(-n // CHUNK)
    done = 0
    for k in range(chunks):
        size = min(CHUNK, n - done)
        a = start + (now - start) * (k / chunks)
        b = start + (now - start) * ((k + 1) / chunks)
        items = gen.items(size, start=a.timestamp(), end=b.timestamp())
        new_authors, mentions, routings, root_rows = [], [], [], []
        for offset, item in enumerate(items):
            mid = done + offset + 1
            is_root = (mid - 1) in roots or not recent
            posted = datetime.fromtimestamp(item.created_at, UTC)
            if is_root:
                channel = rng.choices(heard, channel_weights)[0]
                kind = "comment" if not _mention_handle(channel) else "mention"
                conversation = f"{channel.platform}-{mid}"
                parent = None
            else:
                parent = rng.choice(recent[-CONVERSATION_WINDOW:])
                channel, kind, conversation = parent["channel"], "reply", parent["conversation"]
            key = (channel.platform, item.author.key)
            author = authors.get(key)
            if author is None:
                p = item.author
                author = Author(pk=len(authors) + 1, platform=channel.platform, external_id=f"{channel.platform}-{p.key}",
                                handle=f"@{p.handle}" if channel.platform in ("x", "mastodon", "bluesky") else p.handle,
                                display_name=p.name, followers=p.followers, verified=p.verified,
                                profile_url=f"https://{channel.platform}.example/{p.handle}",
                                influence=score(p.followers, p.verified), first_seen_at=posted, updated_at=posted)
                authors[key] = author
                new_authors.append(author)
            received = posted + timedelta(seconds=rng.randrange(20, 600))
            mention = Mention(pk=mid, platform=channel.platform, external_id=f"{channel.platform}-{mid}",
                              channel=channel, kind=kind, author=author, text=item.text_for(_mention_handle(channel)),
                              url=f"https://{channel.platform}.example/p/{mid}", posted_at=posted,
                              received_at=received, conversation_id=conversation,
                              in_reply_to_id=parent["conversation"] if parent else "", likes=item.likes,
                              replies=item.replies, reshares=item.reshares)
            mentions.append(mention)
            if is_root:
                root_rows.append(mention)
                recent.append({"channel": channel, "conversation": conversation})  # its case follows below
            else:
                routings.append((mention, parent))
        # The matrix's own decisions for the mentions that open cases.
        inputs = [selectors.mention_input(m) for m in root_rows]
        classified = classify.classify_many(inputs, cfg.classifier, cfg.predictor)
        decisions = matrix.route_many(cfg.matrix, classified, inputs)
        service_ids = {slug: s.pk for slug, s in services.items()}
        cases, foi, events, shared, routing_rows = [], [], [], [], []
        opened = recent[len(recent) - len(root_rows):]
        for mention, c, d, conversation in zip(root_rows, classified, decisions, opened, strict=True):
            service_id = service_ids.get(c.service)
            case = triage_services._new_case(mention, d, cfg, triage_services._received(mention), service_id)
            case.pk = counts["cases"] + len(cases) + 1
            case.updated_at = now
            events.append((case.pk, mention.received_at, None, "system", CaseEvent.Kind.CREATED, d.explanation, "",
                           "", json.dumps({"mention": mention.pk, "rule": d.rule, "route": d.route})))
            events += _work(case, now, rng, workers, by_service_id)
            cases.append(case)
            if d.route == Route.FOI:
                foi.append(triage_services._new_foi(case, mention, c, case.opened_at))
            if d.route == Route.COMMS_ESCALATION and rng.random() < 0.1:
                shared += [(case.pk, u) for u in rng.sample(councillors, 3)]
            r = triage_services._routing(mention, c, d, service_id=service_id, case=case, now=mention.received_at)
            routing = (mention.pk, r.route, r.service_id, r.rule_name, r.explanation, r.priority,
                       json.dumps(r.classification), 0, case.pk, mention.received_at)
            routing_rows.append(routing)
            conversation["routing"] = routing
        for mention, parent in routings:
            r = parent["routing"]
            routing_rows.append((mention.pk, *r[1:8], r[8], mention.received_at))
            events.append((r[8], mention.received_at, None, "system", CaseEvent.Kind.JOINED, r[4], "", "",
                           json.dumps({"mention": mention.pk, "rule": r[3], "route": r[1]})))
        del recent[:-CONVERSATION_WINDOW]

        cols, rows = _model_rows(Author, new_authors, connection)
        counts["authors"] += copy("monitoring_author", cols, rows)
        counts["mentions"] += copy("monitoring_mention", mention_cols, (
            (m.pk, m.platform, m.external_id, m.channel_id, m.kind, m.author_id, encode(m.text), m.url, m.posted_at,
             m.received_at, m.conversation_id, m.in_reply_to_id, m.likes, m.replies, m.reshares, None, False, False)
            for m in mentions))
        cols, rows = _model_rows(Case, cases, connection)
        counts["cases"] += copy("triage_case", cols, rows)
        counts["routings"] += copy("triage_mentionrouting", routing_cols, routing_rows)
        counts["events"] += copy("triage_caseevent", event_cols, events)
        cols, rows = _model_rows(FoiRequest, foi, connection)
        counts["foi"] += copy("triage_foirequest", [c for c in cols if c != "id"],
                              (row[1:] for row in rows))
        counts["shared"] += copy("triage_case_shared_with", ["case_id", "user_id"], shared)
        done += size
        say(f"  loaded {done:,} of {n:,} mentions ({time.perf_counter() - started:.0f} s)")
    loaded = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition in indexes:
            cursor.execute(definition)
        for table in ("monitoring_author", "monitoring_mention", "triage_case", "triage_caseevent"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM \"{table}\"))")
    indexed = time.perf_counter() - started - loaded
    with connection.cursor() as cursor:
        for table in BIG_TABLES:
            cursor.execute(f'VACUUM ANALYZE "{table}"')
        cursor.execute("ANALYZE")  # and the small tables (staff, channels, services)
    counts.update(load_s=round(loaded, 1), index_s=round(indexed, 1),
                  vacuum_s=round(time.perf_counter() - started - loaded - indexed, 1))
    return counts


def _work(case, now, rng, workers, by_service_id) -> list[tuple]:
    """Put the case in a plausible state for its age: recent cases in every working state,
    older ones mostly closed (a few forgotten); what was done is on its timeline."""
    from triage.models import Case, CaseEvent

    K, S = CaseEvent.Kind, Case.State
    age = now - case.opened_at
    if case.state == S.MONITORING:
        if age > timedelta(days=30) and rng.random() < 0.85:
            case.state, case.resolved_at = S.CLOSED, case.opened_at + timedelta(days=rng.uniform(3, 30))
            return [(case.pk, case.resolved_at, None, "system", K.CLOSED, "No further activity.", "", "", "{}")]
        return []
    if age <= timedelta(days=RECENT_DAYS):
        state = rng.choices(["new", "acknowledged", "in_progress", "with_service", "responded", "closed"],
                            [25, 15, 20, 10, 15, 15])[0]
    else:
        state = "closed" if rng.random() > BACKLOG else rng.choice(
            ["new", "acknowledged", "in_progress", "with_service", "responded"])
    pool = workers.get(by_service_id.get(case.service_id)) if case.route == "service_conversation" else None
    pool = pool or (workers["customer_service"] if case.route == "customer_service" else workers["all"])
    events, t = [], case.opened_at
    latest = now - timedelta(minutes=1)

    def step(minutes_low, minutes_high):
        nonlocal t
        t = min(t + timedelta(minutes=rng.uniform(minutes_low, minutes_high)), latest)
        return t

    if state == "new":
        case.sla_warned_at, case.sla_breached_at = _sla_marks(case, now)
        return events
    case.acknowledged_at = step(5, 240)
    user = rng.choice(pool)
    events.append((case.pk, t, user.pk, str(user), K.ACKNOWLEDGED, "", "", "", "{}"))
    if state != "acknowledged":
        case.assignee_id = user.pk
        events.append((case.pk, step(1, 30), user.pk, str(user), K.ASSIGNED, f"Assigned to {user}.", "", "",
                       json.dumps({"assignee": user.pk})))
    if state == "with_service" or (state in ("responded", "closed") and rng.random() < 0.2):
        events.append((case.pk, step(10, 600), user.pk, str(user), K.HANDED_OVER, "Over to the service to answer.",
                       "", "", "{}"))
    if rng.random() < 0.3:
        events.append((case.pk, step(5, 300), user.pk, str(user), K.NOTE, "Called the resident; waiting on the "
                       "service for a date.", "", "", "{}"))
    if state in ("responded", "closed"):
        case.first_response_at = step(10, 2880)
        if case.sla_due_at and case.route != "foi":
            case.sla_stopped_at = case.first_response_at
        events.append((case.pk, t, user.pk, str(user), K.REPLY, "Thanks for telling us. We have passed this to "
                       "the team and will update you here.", f"reply-{case.pk}", "", "{}"))
    if state == "closed":
        case.resolved_at = step(60, 4320)
        events.append((case.pk, t, user.pk, str(user), K.CLOSED, "Resolved.", "", "", "{}"))
    case.state = state
    case.sla_warned_at, case.sla_breached_at = _sla_marks(case, now)
    case.version = 1 + len(events)
    return events


def _sla_marks(case, now):
    """What the SLA watch would have marked on a case whose clock is still running."""
    if case.sla_due_at is None or case.sla_stopped_at is not None or case.state in ("closed", "monitoring"):
        return None, None
    warned = case.sla_due_at - timedelta(hours=1)
    return (warned if warned <= now else None), (case.sla_due_at if case.sla_due_at <= now else None)


# --- measuring -------------------------------------------------------------------------------

def _client(user):
    from django.test import Client

    from accounts import mfa

    client = Client()
    client.force_login(user)
    session = client.session
    session[mfa.SESSION_KEY] = {"user": user.pk, "method": "benchmark"}
    session.save()
    return client


def pages(rng, requests: int) -> list[dict]:
    """The pages measured: who asks, and (key, URL) for each request. Query counts are compared
    between sizes key by key (a filter, a search term, the state of the case shown)."""
    from accounts.models import User
    from triage.models import Case

    web = User.objects.get(username="web.team.1")
    editor = User.objects.filter(username__startswith="editor.waste-and-recycling.").order_by("pk").first()
    cso = User.objects.get(username="customer.services.1")
    month_ago = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    filtered = ["route=customer_service&sort=priority", "service=waste-and-recycling&sla=breached",
                "status=closed&sort=newest", "assignee=none&priority=high", f"platform=facebook&since={month_ago}"]
    searches = [f"q={term.replace(' ', '+')}" for term in SEARCH_TERMS]
    last = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    chosen = rng.sample(range(1, last + 1), min(requests, last))
    states = dict(Case.objects.filter(pk__in=chosen).values_list("pk", "state"))

    def same(url, n=requests):
        return [("", url)] * n

    def rotate(base, queries, n=requests):
        return [(queries[i % len(queries)], f"{base}?{queries[i % len(queries)]}") for i in range(n)]

    few = max(10, requests // 10)  # the slow extras are asked fewer times
    # Goals, p95 in ms: the queues 60, the preview pane's fragment 50, every other page 100.
    return [
        {"name": "queue", "who": web, "role": "web team", "goal": 60, "urls": same("/cases/")},
        {"name": "queue, service editor", "who": editor, "role": "service editor (waste)", "goal": 60,
         "urls": same("/cases/")},
        {"name": "queue, customer services", "who": cso, "role": "customer services officer", "goal": 60,
         "urls": same("/cases/")},
        {"name": "filtered queue", "who": web, "role": "web team", "goal": 100, "urls": rotate("/cases/", filtered)},
        {"name": "text search", "who": web, "role": "web team", "goal": 100, "urls": rotate("/cases/", searches)},
        {"name": "text search, all statuses", "who": web, "role": "web team", "goal": 100,
         "urls": rotate("/cases/", [f"{q}&status=all" for q in searches])},
        {"name": "case page", "who": web, "role": "web team", "goal": 100,
         "urls": [(f"state={states[pk]}", f"/cases/{pk}/") for pk in chosen if pk in states]},
        {"name": "preview pane (fragment)", "who": web, "role": "web team", "goal": 50, "headers": {"HX-Request": "true"},
         "urls": [(f"state={states[pk]}", f"/cases/{pk}/preview/") for pk in chosen if pk in states]},
        {"name": "live updates (htmx poll)", "who": web, "role": "web team", "extra": True,
         "urls": same(f"/cases/updates/?since={last}")},
        {"name": "dashboard overview", "who": web, "role": "web team", "extra": True, "urls": same("/dashboard/")},
        {"name": "mentions page", "who": web, "role": "web team", "extra": True, "urls": same("/mentions/")},
        {"name": "mentions search", "who": web, "role": "web team", "extra": True,
         "urls": rotate("/mentions/", searches, few)},
    ]


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(requests: int, *, explain: bool, seed: int = 3) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    rng = random.Random(seed)
    out = []
    for page in pages(rng, requests):
        client = _client(page["who"])
        headers = page.get("headers", {})
        for _, url in page["urls"][:5]:  # warm: connection, session, caches
            assert client.get(url, headers=headers).status_code == 200, url
        times, cpu, per_key = [], [], {}
        for key, url in page["urls"]:
            t, c = time.perf_counter(), time.process_time()
            response = client.get(url, headers=headers)
            ms = (time.perf_counter() - t) * 1000
            cpu.append((time.process_time() - c) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            times.append(ms)
            per_key.setdefault(key, []).append(ms)
        # Queries, counted apart from the timed requests: every key once, and at least 20 requests.
        queries, sql_ms, slowest = {}, [], []
        for key, url in [*dict(reversed(page["urls"])).items(), *page["urls"][:20]]:
            with CaptureQueriesContext(connection) as ctx:
                client.get(url, headers=headers)
            queries.setdefault(key, len(ctx.captured_queries))
            if queries[key] != len(ctx.captured_queries):
                queries[f"{key} (again)"] = len(ctx.captured_queries)
            sql_ms.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            slowest += [(float(q["time"]) * 1000, url, q["sql"]) for q in ctx.captured_queries]
        reset_queries()
        row = {"page": page["name"], "role": page["role"], "extra": page.get("extra", False), "goal": page.get("goal"),
               "requests": len(times), "p50": percentile(times, 50), "p95": percentile(times, 95),
               "max": max(times), "cpu_p50": percentile(cpu, 50), "queries": queries,
               "sql_ms_p50": statistics.median(sql_ms)}
        if len(per_key) > 1 and not page["name"].startswith(("case page", "preview")):
            row["variants"] = {key: statistics.median(ms) for key, ms in per_key.items()}
        out.append(row)
        say(f"  {row['page']:<28} p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms  queries "
            f"{_counts(queries)}  (CPU here {row['cpu_p50']:.1f} ms, SQL {row['sql_ms_p50']:.1f} ms)")
        if explain:
            for ms, url, sql in sorted(slowest, reverse=True)[:2]:
                say(f"\n    slowest query of {url} ({ms:.1f} ms):\n    {sql[:600]}")
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    say("\n".join("      " + line for (line,) in cursor.fetchall()))
    return out


def _counts(queries: dict) -> str:
    values = sorted(set(queries.values()))
    return str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"


def load_average() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "unknown"


def run_one(args) -> None:
    """One size, in its own process: --phase load fills the database (unless --reuse finds it
    filled); --phase measure times the pages (a fresh process, without the loader's objects)."""
    import psycopg

    name = f"cs_dashboard_{args.one}"
    fresh = args.phase == "load"
    if fresh and args.reuse:
        with psycopg.connect(f"{args.server.replace('postgres://', 'postgresql://')}/postgres") as conn:
            fresh = not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    os.environ["ALLOWED_HOSTS"] = "testserver"
    _django.setup(name, server=args.server, fresh=fresh)
    from django.conf import settings
    from django.core.management import call_command

    from monitoring.models import Mention
    from triage.models import WORKING_STATES, Case

    if args.phase == "load":
        if not fresh:
            call_command("migrate", verbosity=0)  # new indexes are built as a deployment builds them
            if Mention.objects.count() != args.one:
                raise SystemExit(f"{name} holds a different number of mentions; run without --reuse")
            return
        say(f"Loading {args.one:,} mentions into {name}")
        loaded = load(args.one)
        say(f"  {loaded}")
        with open(args.out, "w") as f:
            json.dump(loaded, f)
        return

    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    result = {"size": args.one, "pg": _django.pg_version(), "machine": _django.machine(),
              "working_cases": Case.objects.filter(state__in=WORKING_STATES).count(),
              "cases": Case.objects.count(), "load_average_before": load_average()}
    say(f"Measuring {args.one:,} mentions, {result['cases']:,} cases ({result['working_cases']:,} being worked on); "
        f"load average {result['load_average_before']}")
    result["pages"] = measure(args.requests, explain=args.explain)
    result["load_average_after"] = load_average()
    with open(args.out, "w") as f:
        json.dump(result, f)


def report(results: list[dict]) -> bool:
    say(f"\nMachine: {results[0]['machine']}, PostgreSQL {results[0]['pg']}")
    for r in results:
        say(f"{r['size']:,} mentions: {r['cases']:,} cases, {r['working_cases']:,} being worked on; load average "
            f"{r['load_average_before']} before, {r['load_average_after']} after")
        if r.get("load"):
            x = r["load"]
            say(f"  loaded with COPY in {x['load_s']} s, indexed in {x['index_s']} s, vacuumed in {x['vacuum_s']} s: "
                f"{x['authors']:,} authors, {x['mentions']:,} mentions, {x['cases']:,} cases, {x['events']:,} events, "
                f"{x['foi']:,} FOI requests")
    sizes = [r["size"] for r in results]
    head = f"{'page':<28}" + "".join(f"{f'{s:,}: p50 / p95 ms, CPU ms, queries':>42}" for s in sizes)
    if len(results) > 1:
        head += f"{'p95 ratio':>11}{'same queries':>14}"
    say("\n" + head)
    ok = True
    for i, row in enumerate(results[0]["pages"]):
        rows = [r["pages"][i] for r in results]
        line = f"{row['page']:<28}"
        for x in rows:
            line += f"{x['p50']:>14.1f} / {x['p95']:>7.1f}, {x['cpu_p50']:>6.1f}, {_counts(x['queries']):>6}"
        if len(results) > 1:
            common = set.intersection(*(set(x["queries"]) for x in rows))
            same = bool(common) and all(len({x["queries"][k] for x in rows}) == 1 for k in common)
            line += f"{rows[-1]['p95'] / rows[0]['p95']:>10.1f}x{'yes' if same else 'NO':>14}"
            ok &= same
        goal = row.get("goal") or GOAL_P95_MS
        met = all(x["p95"] <= goal for x in rows)
        line += "" if met else f"   over {goal:.0f} ms" + (" (extra)" if row["extra"] else "")
        ok &= met or row["extra"]
        say(line)
    for i, row in enumerate(results[0]["pages"]):
        if row.get("variants"):
            say(f"\n{row['page']}, median ms per query:")
            for variant in row["variants"]:
                say(f"  {variant:<55}" + "".join(f"{r['pages'][i]['variants'].get(variant, float('nan')):>9.1f}"
                                                 for r in results))
    goals = ", ".join(f"{row['page']} {row['goal']}" for row in results[0]["pages"] if row.get("goal"))
    say(f"\nGoals, p95 in ms: {goals}; and the same query count at every size (pages marked extra are shown, "
        f"not judged): {'met' if ok else 'missed'}.")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="mentions, comma-separated (default %(default)s)")
    parser.add_argument("--mentions", type=int, help="one size only (same as --sizes N)")
    parser.add_argument("--requests", type=int, default=200, help="requests per page (default %(default)s)")
    parser.add_argument("--reuse", action="store_true", help="measure the kept databases again, without reloading")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each page's slowest queries")
    parser.add_argument("--server", default=_django.DEFAULT_SERVER, help="PostgreSQL server (default %(default)s)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=["load", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args)
        return
    sizes = [args.mentions] if args.mentions else [int(s) for s in args.sizes.split(",")]
    results = []
    for size in sizes:
        for phase in ("load", "measure"):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [sys.executable, __file__, "--one", str(size), "--phase", phase, "--out", out.name,
                           "--requests", str(args.requests), "--server", args.server]
                command += ["--reuse"] if args.reuse else []
                command += ["--explain"] if args.explain else []
                subprocess.run(command, check=True)
                found = json.load(open(out.name)) if os.path.getsize(out.name) else None
            if phase == "load":
                loaded = found
            else:
                results.append({**found, "load": loaded})
    sys.exit(0 if report(results) else 1)


if __name__ == "__main__":
    main()
