"""API budget: how much of the platforms' rate limits polling uses with a backlog, and the 429s it meets.

    python benchmarks/bench_budget.py [--channels 50] [--scale 1] [--duration 900] [--backlog 8000]
    python benchmarks/bench_budget.py --cap [--cap-limit 10000] [--no-pace] [--duration 120]
    python benchmarks/bench_budget.py --mix x=5 --backlog 200 --duration 300   (one search per platform)

Fifty channels (by default a council's mix: X, Facebook, Instagram, YouTube, LinkedIn, Mastodon,
Bluesky), each its own account on the platform simulator, which applies the platforms'
documented limits (platforms/simulator/sim_*.py: X 180 requests per 15 minutes per user and
endpoint, the Graph API's 200 calls per user-hour for the app, Mastodon 300 per 5 minutes per
account, Bluesky 3,000 per 5 minutes per address, YouTube 10,000 quota units a day, LinkedIn's
daily quotas), with windows shortened by --scale. Every account has a backlog of --backlog
items. API_CAPS holds YouTube's daily 10,000 units (paced), as a deployment would. The product polls them as in production: Celery beat and a worker (--concurrency
processes) on PostgreSQL (cs_bench_budget) and Redis (CELERY_BROKER_URL, by default db 7).

The simulator runs in this process, so every request's charge to each bucket is seen. For each
platform: the requests the budget allowed over the run (each bucket's limit per window times
the windows the run spans, for every account or app it applies to; the tightest kind of
bucket decides), those made, and the 429s received. Goal: at least 90% of the budget used, no 429.

With --cap, X's monthly cap on posts read instead: the simulator enforces --cap-limit posts a
month for the app (the Basic tier: 10,000), and the product is told the same in API_CAPS. The
run shows the posts read against what the paced allowance permits by now, and that no request
met the cap's refusal.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import threading
import time

import _django
import requests
from bench_freshness import BIN, ROOT, Stack

sys.path.insert(0, str(ROOT))

# A council's fifty channels; each is its own account (page, profile) on its platform.
MIX = {"x": 12, "facebook": 14, "instagram": 8, "youtube": 4, "linkedin": 2, "mastodon": 5, "bluesky": 5}
# Buckets judged over a run: those whose window the run can span. Daily quotas (the Graph API's
# per-account business-use limit, YouTube's units, LinkedIn's) are reported, not judged.
DAILY = 86400


def account_id(platform: str, default: str, n: int) -> str:
    """An account id of the platform's own form, like the simulator's demo account's."""
    if default[-4:].isdigit():
        return f"{default[:-4]}{n:04d}"
    return f"{default}{n:04d}"


class Ledger:
    """Every request's charges to the simulator's rate-limit buckets, with its time."""

    def __init__(self, limiter):
        self.lock = threading.Lock()
        self.requests: list[tuple[float, str, tuple[tuple[str, str, int], ...], bool]] = []
        original = limiter.consume

        def consume(platform, charges, now):
            decision = original(platform, charges, now)
            with self.lock:
                self.requests.append((time.monotonic(), platform,
                                      tuple((b.name, who, cost) for b, cost, who in charges), decision.allowed))
            return decision

        limiter.consume = consume


def sim_call(url, method, path, body=None):
    response = requests.request(method, f"{url}/_sim/{path}", json=body, timeout=120)
    response.raise_for_status()
    return response.json()


def set_up_channels(sim_url: str, server, backlog: int, mix: dict) -> dict:
    from accounts.models import Channel, Service
    from accounts.services import channel_connection_store
    from monitoring.models import WatchTerm
    from monitoring.services import poll_states_sync

    service, _ = Service.objects.get_or_create(slug="communications", defaults={"name": "Communications"})
    WatchTerm.objects.get_or_create(term="Kingsmere", service=None)
    accounts: dict[str, list[str]] = {}
    n = 0
    for platform, count in mix.items():
        default = next(p for name, p in server.sim.platforms.items() if name == platform).default_account["id"]
        for i in range(count):
            n += 1
            account = account_id(platform, default, 100 + i)
            token = sim_call(sim_url, "POST", "tokens", {"platform": platform, "account": account})
            channel = Channel.objects.create(platform=platform, handle=f"bench-{platform}-{i}",
                                             display_name=f"Bench {platform} {i}", service=service,
                                             kind="service")
            channel_connection_store(actor=None, channel=channel, account_id=token["account_id"],
                                     access_token=token["access_token"],
                                     refresh_token=token.get("refresh_token") or "")
            channel.refresh_from_db()
            poll_states_sync(channel=channel)
            if backlog:
                sim_call(sim_url, "POST", "generate", {"platform": platform, "account": token["account_id"],
                                                       "count": backlog, "spread_seconds": 6 * 3600})
            accounts.setdefault(platform, []).append(token["account_id"])
    return accounts


def budget_table(ledger: Ledger, server, accounts: dict, start: float, end: float) -> list[dict]:
    """One row per kind of read request (the buckets it charges, e.g. the Graph API's app and
    account buckets together): the requests its tightest bucket allowed over the run, for
    every account or app it applies to, and those made."""
    limiter = server.sim.limiter
    duration = end - start
    groups: dict[tuple[str, frozenset], dict] = {}
    for at, platform, charges, allowed in ledger.requests:
        if not start <= at <= end or not charges:
            continue
        names = frozenset(name for name, _, _ in charges)
        row = groups.setdefault((platform, names), {"used": 0, "refused": 0, "whos": collections.defaultdict(set)})
        for name, who, _ in charges:
            row["whos"][name].add(who)
        if allowed:
            row["used"] += max(cost for _, _, cost in charges)
        else:
            row["refused"] += 1
    rows = []
    for (platform, names), row in sorted(groups.items(), key=lambda kv: (kv[0][0], sorted(kv[0][1]))):
        budgets = {}
        for name in names:
            bucket = server.sim.platforms[platform].buckets[name]
            keys = len(set(accounts.get(platform, [])) | row["whos"][name]) if bucket.per == "account" else 1
            budgets[name] = (limiter.limit_of(platform, bucket) * keys * duration / limiter.window_of(bucket),
                             bucket, keys)
        judged = {n: b for n, b in budgets.items() if b[1].window < DAILY}
        tightest = min(judged or budgets, key=lambda n: (judged or budgets)[n][0])
        allowed, bucket, keys = budgets[tightest]
        rows.append({"platform": platform, "bucket": tightest, "per": bucket.per, "keys": keys,
                     "window": limiter.window_of(bucket), "allowed": allowed, "used": row["used"],
                     "refused": row["refused"], "judged": bool(judged),
                     "also": sorted(n for n in names if n != tightest)})
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--scale", type=float, default=1.0, help="rate-limit windows are divided by this")
    parser.add_argument("--duration", type=float, default=900, help="seconds measured (default: one X window)")
    parser.add_argument("--backlog", type=int, default=8000, help="items waiting on every account")
    parser.add_argument("--interval", type=int, default=60, help="poll interval, seconds")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--cap", action="store_true", help="X's monthly cap on posts read instead")
    parser.add_argument("--cap-limit", type=int, default=10_000, help="posts a month (Basic tier)")
    parser.add_argument("--no-pace", action="store_true", help="with --cap: the whole cap may go at once")
    parser.add_argument("--database", default="cs_bench_budget")
    parser.add_argument("--mix", default="", help="channels per platform instead, e.g. x=5,bluesky=3")
    args = parser.parse_args()

    mix = {"x": 10} if args.cap else scaled_mix(args.channels)
    if args.mix:
        mix = {p: int(n) for p, n in (part.split("=") for part in args.mix.split(","))}
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")
    var = ROOT / "var" / "bench-budget"
    (var / "logs").mkdir(parents=True, exist_ok=True)

    from platforms.simulator.server import run_in_thread

    server, sim_url = run_in_thread(port=0, seed=11, scale=args.scale, backlog=0)
    ledger = Ledger(server.sim.limiter)
    # YouTube's daily quota is every project's unless Google raised it; X's cap depends on the
    # tier, and is left out here (with --cap, it is all that is measured).
    caps = ({"x": {"limit": args.cap_limit, "pace": not args.no_pace}} if args.cap else {"youtube": 10_000})
    if args.cap:
        sim_call(sim_url, "POST", "ratelimits", {"limits": {"x": {"post_cap": args.cap_limit}}})
    os.environ.update({"CELERY_BROKER_URL": broker, "POLL_INTERVAL_SECONDS": str(max(args.interval, 5)),
                       "SIMULATOR_URL": sim_url, "VAR_DIR": str(var), "LOG_LEVEL": "WARNING",
                       "DJANGO_SETTINGS_MODULE": "council_social.settings", "API_CAPS": json.dumps(caps)})
    database_url = _django.setup(args.database)
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from monitoring.models import ApiUsage, Mention, PollState

    print(f"Machine: {_django.machine()}; PostgreSQL {_django.pg_version()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    t = time.monotonic()
    accounts = set_up_channels(sim_url, server, args.backlog, mix)
    if args.interval < 5:  # below the product's shortest interval: set as an administrator would
        every, _ = IntervalSchedule.objects.get_or_create(every=args.interval, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.filter(task="monitoring.poll").update(interval=every)
    states = PollState.objects.count()
    print(f"{sum(mix.values())} channels ({', '.join(f'{p} {n}' for p, n in mix.items())}), {states} endpoints "
          f"polled every {args.interval} s; {args.backlog} items waiting on each account; scale {args.scale:g}; "
          f"set up in {time.monotonic() - t:.0f} s")

    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    subprocess.run([str(BIN / "celery"), "-A", "council_social", "purge", "-f", "-Q", "celery,polling"],
                   cwd=ROOT, env=env, capture_output=True, check=False)
    stack = Stack(env, var / "logs")
    mentions_before = Mention.objects.count()
    try:
        stack.start("worker", str(BIN / "celery"), "-A", "council_social", "worker", "--loglevel", "WARNING",
                    "--concurrency", str(args.concurrency), "-Q", "celery,polling")
        stack.start("beat", str(BIN / "celery"), "-A", "council_social", "beat", "--loglevel", "WARNING",
                    "--schedule", str(var / "beat-schedule"))
        while not ledger.requests:
            stack.check()
            time.sleep(0.2)
        start = time.monotonic()
        timeline = []  # (seconds in, mentions stored)
        while time.monotonic() - start < args.duration:
            stack.check()
            time.sleep(1)
            if not timeline or time.monotonic() - start - timeline[-1][0] >= 60:
                timeline.append((time.monotonic() - start, Mention.objects.count() - mentions_before))
        end = time.monotonic()
        timeline.append((end - start, Mention.objects.count() - mentions_before))
        load = os.getloadavg()[0]
    finally:
        stack.stop()
        server.shutdown()
    stats = server.sim.state.stats.as_dict()
    statuses_429 = {p: c.get("429", 0) for p, c in stats["statuses"].items() if c.get("429")}
    early = stats["totals"]["early_requests"]
    mentions = Mention.objects.count() - mentions_before
    print(f"\nMeasured {end - start:.0f} s: {mentions:,} mentions stored ({mentions / (end - start):,.0f}/s); "
          f"load average {load:.2f}")

    print("\nminute  requests  mentions stored (the worker is busy while both stay high)")
    for (t0, stored0), (t1, stored1) in zip(timeline, timeline[1:], strict=False):
        made = sum(1 for at, *_ in ledger.requests if start + t0 <= at < start + t1)
        print(f"{t0 / 60:6.0f}{made:>10,}{stored1 - stored0:>17,}")
    report_searches(server, stats, mix, PeriodicTask)
    if args.cap:
        report_cap(args, ApiUsage, statuses_429, early)
        return
    rows = budget_table(ledger, server, accounts, start, end)
    print(f"\n{'platform':<10}{'bucket':<16}{'per':<9}{'keys':>5}{'window s':>10}{'allowed':>10}{'used':>9}"
          f"{'share':>8}{'429':>6}")
    total_allowed = total_used = 0.0
    for row in rows:
        share = row["used"] / row["allowed"] if row["allowed"] else 0
        note = "" if row["judged"] else "  daily quota: not judged over a short run"
        note += f"  (also charges {', '.join(row['also'])})" if row["also"] else ""
        print(f"{row['platform']:<10}{row['bucket']:<16}{row['per']:<9}{row['keys']:>5}{row['window']:>10.0f}"
              f"{row['allowed']:>10,.0f}{row['used']:>9,}{share:>8.1%}{row['refused']:>6}{note}")
        if row["judged"]:
            total_allowed += row["allowed"]
            total_used += row["used"]
    share = total_used / total_allowed if total_allowed else 0
    refusals = sum(statuses_429.values())
    print("\nallowed: the bucket's limit per window, times the windows in the run, times the accounts (or the")
    print("one app or address) it applies to; for requests charging several buckets, the tightest.")
    print(f"Budget used: {total_used:,.0f} of {total_allowed:,.0f} requests allowed = {share:.1%} "
          f"(goal ≥ 90%: {'met' if share >= 0.9 else 'MISSED'})")
    print(f"429s received: {refusals} {statuses_429 or ''} (goal 0: {'met' if refusals == 0 else 'MISSED'}); "
          f"requests before a reset: {early}")


def report_searches(server, stats: dict, mix: dict, PeriodicTask) -> None:
    """One search per platform app: the search polls beat sent (one per channel and interval) against
    the search requests the platform received (only the platform's search channel makes them)."""
    from platforms import client_class

    print(f"\n{'platform':<10}{'channels':>9}{'search polls sent':>19}{'search requests made':>22}")
    for platform, count in mix.items():
        shared = client_class(platform).shared_endpoints
        if not shared:
            continue
        sent = sum(PeriodicTask.objects.filter(task="monitoring.poll", name__startswith=f"Poll {platform}:",
                                               name__regex=rf":({'|'.join(shared)})$").values_list(
            "total_run_count", flat=True))
        made = sum(n for name, n in stats["requests"].get(platform, {}).items()
                   if any(e in name.lower() for e in ("search", "hashtag", "recent_media")))
        print(f"{platform:<10}{count:>9}{sent:>19,}{made:>22,}")


def scaled_mix(channels: int) -> dict:
    total = sum(MIX.values())
    mix = {p: max(1, round(n * channels / total)) for p, n in MIX.items()}
    mix["facebook"] += channels - sum(mix.values())
    return mix


def report_cap(args, ApiUsage, statuses_429, early):
    from django.utils import timezone

    from monitoring import budget

    now = timezone.now()
    read = sum(ApiUsage.objects.filter(platform="x").values_list("used", flat=True))
    start, end = budget.period_bounds("month", now)
    allowance = budget.allowance(args.cap_limit, "month", now, pace=not args.no_pace)
    if args.no_pace:
        print(f"\nX monthly cap {args.cap_limit:,} posts (set in the simulator and in API_CAPS), not paced: "
              f"the whole cap may be read at once.")
    else:
        print(f"\nX monthly cap {args.cap_limit:,} posts (set in the simulator and in API_CAPS), paced: by "
              f"{now:%d %B %H:%M} UTC the allowance is {allowance:,} posts "
              f"({(now - start) / (end - start):.1%} of the month run, plus a day's share).")
    print(f"Posts read this month: {read:,} ({'within' if read <= allowance else 'OVER'} the allowance; "
          f"{'within' if read <= args.cap_limit else 'OVER'} the cap)")
    refusals = statuses_429.get("x", 0)
    print(f"429s (usage-capped or rate-limited) from X: {refusals} "
          f"(goal 0: {'met' if refusals == 0 else 'MISSED'}); requests before a reset: {early}")


if __name__ == "__main__":
    sys.exit(main())
