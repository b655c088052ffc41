"""benchmarks/demo_routes.py's counting: the mentions received in the window, per route, with their
shares, the safeguarding flags and the cases they opened (the script itself runs the demo for
15 minutes and is not run here)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from benchmarks.demo_routes import route_counts, table
from monitoring.models import Mention
from triage.models import MentionRouting

pytestmark = pytest.mark.django_db


def routed_as(mention, route, *, safeguarding=False):
    routing = MentionRouting.objects.get(mention=mention)
    routing.route = route
    routing.classification = {**routing.classification,
                              "signals": {**routing.classification["signals"], "safeguarding": safeguarding}}
    routing.save()


def test_counts_and_shares_of_the_window(post, model_reads):
    model_reads("no_action")
    start = timezone.now() - timedelta(minutes=1)
    asked = post("My bin wasn't collected again, can you sort it please?", external_id="1")
    at_risk = post("I can't cope any more, nobody at the council will help me", external_id="2")
    photo = post("Nice photo of the town hall", external_id="3", conversation_id="3")
    reply = post("Lovely indeed", external_id="4", conversation_id="3", kind="reply")  # joins photo's case
    before = post("An old mention, received before the window", external_id="5")
    Mention.objects.filter(pk=before.pk).update(received_at=start - timedelta(minutes=5))
    end = timezone.now() + timedelta(minutes=1)
    routed_as(asked, "customer_service")
    routed_as(at_risk, "customer_service", safeguarding=True)
    routed_as(photo, "no_action")
    routed_as(reply, "no_action")

    counts = route_counts(start, end)

    assert counts["mentions"] == 4
    assert counts["routes"] == [
        {"route": "no_action", "words": "No action (monitoring)", "mentions": 2, "share": 0.5,
         "safeguarding": 0, "cases_opened": 1},
        {"route": "customer_service", "words": "Customer services", "mentions": 2, "share": 0.5,
         "safeguarding": 1, "cases_opened": 2},
    ]
    assert table(counts).splitlines()[2:] == [
        "| No action (monitoring) | 2 | 50.0% | 0 | 1 |",
        "| Customer services | 2 | 50.0% | 1 | 2 |",
        "| **All** | **4** | **100.0%** | **1** | **3** |",
    ]


def test_a_mention_not_yet_routed_is_counted_apart(post, model_reads):
    model_reads("no_action")
    start = timezone.now() - timedelta(minutes=1)
    post("Nice photo of the town hall", external_id="1")
    waiting = post("Another photo", external_id="2")
    MentionRouting.objects.filter(mention=waiting).delete()

    counts = route_counts(start, timezone.now() + timedelta(minutes=1))

    assert [(r["words"], r["mentions"], r["share"]) for r in counts["routes"]] == [
        ("No action (monitoring)", 1, 0.5), ("Not routed", 1, 0.5)]
    assert route_counts(start - timedelta(hours=1), start) == {"mentions": 0, "routes": []}
