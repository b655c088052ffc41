"""Classify and route N realistic mentions on one core; report mentions per second.

    python benchmarks/bench_route.py [N]      (N defaults to 50,000)

The goal (DESIGN.md, "Classify and route") is 5,000 mentions a second on one core. The
mentions are generated from templates of what residents say to a council, with varied
places, services, followers and thread sizes, so that hardly any two texts are the same.
The verdict is on CPU time of this single-threaded process; the wall-clock rate is printed
too, and is lower when other work shares the machine. Exits 1 when the goal is missed.

Classification includes the learned model (triage.learned), trained first, outside the timing,
on the shipped corpus less its held-back fifth, as the Django layer keeps the live model loaded.
"""
from __future__ import annotations

import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core: no BLAS threads
    os.environ.setdefault(_var, "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from triage import learned  # noqa: E402
from triage.classify import DEFAULT_CONFIG, MentionInput, classify_many, compile_config  # noqa: E402
from triage.matrix import DEFAULT_RULES, compile_rules, route_many  # noqa: E402

GOAL = 5_000

PLACES = ["Willesden", "Kilburn", "Harlesden", "Wembley", "Neasden", "Kingsbury", "Kensal Rise",
          "Stonebridge", "Alperton", "Dollis Hill", "Queens Park", "Sudbury", "Preston Road"]
STREETS = ["High Road", "Church Lane", "Park Avenue", "Station Road", "Harrow Road", "Ealing Road",
           "Chamberlayne Road", "Forty Lane", "Dudden Hill Lane", "Brondesbury Park"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TEMPLATES = [
    "My bin wasn't collected on {street} again this week, can you sort it please? @council",
    "Our recycling has been missed for the third {day} running on {street}. Can someone look into it?",
    "Bins are a disgrace in {place}, rubbish everywhere",
    "What are the opening times for {place} library on {day}?",
    "How do I apply for a resident parking permit in {place}?",
    "Where can I find the form to report fly-tipping on {street}?",
    "Lovely morning at {place} leisure centre, the new pool is brilliant!",
    "Great storytime at {place} library today, the kids loved it",
    "The pothole on {street} has been there for months. Absolutely shocking, a total shambles.",
    "Under the Freedom of Information Act please disclose how much was spent on agency staff in {place}. "
    "Regards, Jane Smith, {n} {street} NW10 2AB",
    "Please provide a breakdown of the number of parking tickets issued on {street} last year",
    "The council is closing {place} library. A scandal. Sign the petition!",
    "Anyone else think the new cycle lane on {street} is causing jams? #{place}",
    "Damp and mould in our flat on {street} for months, still waiting for repairs, please help",
    "I've been on hold to customer services for 40 minutes, can anyone help me with my council tax bill?",
    "Nice to see the council gritting {street} early this {day}",
    "Is the recycling centre open on {day}? Can't find it on the website",
    "Councillors in {place} have ignored residents for years. Useless.",
    "Thinking of becoming a foster carer, great event in {place} on {day}",
    "Your tweet about {place} roadworks was really helpful, thanks",
    "you lot are useless idiots, {street} is a tip",
    "Will there be a bank holiday collection change for {place}? Bin day is usually {day}",
    "Just walked through {place} park, lovely autumn colours",
    "Planning application for the flats on {street} should be refused, far too tall",
]
PLATFORMS = ["x", "facebook", "instagram", "youtube", "mastodon", "bluesky", "linkedin"]
CHANNELS = [("corporate", ""), ("service", "libraries"), ("service", "leisure"), ("campaign", "adoption-and-fostering"),
            ("", "")]
KINDS = ["mention", "comment", "reply", "search_hit"]


def make_mentions(n: int, seed: int = 2026) -> list[MentionInput]:
    rnd = random.Random(seed)
    mentions = []
    for i in range(n):
        text = rnd.choice(TEMPLATES).format(
            place=rnd.choice(PLACES), street=rnd.choice(STREETS), day=rnd.choice(DAYS), n=rnd.randint(1, 300))
        if rnd.random() < 0.5:
            text += f" ({i})"  # keeps texts distinct, as real mentions are
        channel_kind, channel_service = rnd.choice(CHANNELS)
        followers = None if rnd.random() < 0.05 else int(rnd.lognormvariate(5.5, 2.0))
        mentions.append(MentionInput(
            text=text,
            platform=rnd.choice(PLATFORMS),
            channel_kind=channel_kind,
            channel_service=channel_service,
            author_followers=followers,
            author_verified=rnd.random() < 0.03,
            author_engagement=rnd.choice([None, round(rnd.random() * 0.08, 4)]),
            author_real_name_visible=rnd.random() < 0.4,
            replies=int(rnd.expovariate(0.3)),
            reshares=int(rnd.expovariate(0.5)),
            kind=rnd.choice(KINDS),
        ))
    return mentions


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 50_000
    mentions = make_mentions(n)
    # Compile once, outside the timing: the Django layer keeps the compiled config and rules.
    compile_config(DEFAULT_CONFIG)
    matrix = compile_rules(DEFAULT_RULES)
    corpus = sorted((Path(__file__).resolve().parent.parent / "triage" / "corpus").glob("*.jsonl"))
    trained = time.perf_counter()
    predictor = learned.Predictor(learned.train(learned.split(learned.load_corpus(corpus).items)[0]))
    print(f"Model trained on the shipped corpus in {time.perf_counter() - trained:.1f} s (not timed)")

    cpu_started, started = time.process_time(), time.perf_counter()
    classifications = classify_many(mentions, DEFAULT_CONFIG, predictor)
    classified = time.perf_counter()
    decisions = route_many(matrix, classifications, mentions)
    finished, cpu_finished = time.perf_counter(), time.process_time()

    wall, cpu = finished - started, cpu_finished - cpu_started
    # The verdict uses CPU time, so that other work on a shared machine does not count
    # against the single core this runs on; the wall-clock rate is shown beside it.
    rate = n / cpu
    print(f"{n:,} mentions in {wall:.2f} s wall clock, {cpu:.2f} s CPU, one process, one thread")
    print(f"  classify: {n / (classified - started):,.0f}/s   route: {n / (finished - classified):,.0f}/s (wall clock)")
    print(f"  classify + route: {rate:,.0f} mentions/second of CPU ({n / wall:,.0f}/s wall clock); "
          f"goal {GOAL:,}/s: {'meets' if rate >= GOAL else 'MISSES'} the goal")
    fresh = learned.Predictor(predictor.model)  # the model alone, from a cold start of its word cache
    model_started = time.process_time()
    fresh.predict([m.text for m in mentions])
    model_cpu = time.process_time() - model_started
    print(f"  of which the learned model alone: {n / model_cpu:,.0f}/s of CPU ({model_cpu / n * 1e6:.0f} µs a mention)")
    print("  routes: " + ", ".join(f"{route} {count:,}" for route, count in Counter(
        d.route for d in decisions).most_common()))
    return 0 if rate >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
