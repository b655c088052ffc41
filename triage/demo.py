"""Demo: the default matrix, SLA policies, classifier settings, service topics and canned replies."""
from datetime import time

from django.db import transaction

from accounts.models import Service
from accounts.roles import Role

from . import classify, clock, config, matrix, model_store
from .models import CannedReply, ReplyRule, Route, Rule, ServiceTopic, SlaPolicy

# title, text, link path on the council website, route
CANNED_REPLIES = [
    ("Bin collection days", "Hi, you can find your bin collection day by entering your postcode here:",
     "/bins-and-recycling/collection-days", Route.WEB_TEAM_RESPONSE),
    ("Report a missed bin", "Sorry about that. Please report the missed collection here and we will arrange it:",
     "/bins-and-recycling/report-a-missed-collection", Route.CUSTOMER_SERVICE),
    ("Library opening hours", "Hi, opening hours for all our libraries are here:", "/libraries/opening-hours",
     Route.WEB_TEAM_RESPONSE),
    ("Pay or query council tax", "Hi, you can pay, check your balance or ask about your bill online:",
     "/council-tax", Route.CUSTOMER_SERVICE),
    ("Report a pothole", "Thanks for letting us know. Please report the pothole here so it reaches our highways team:",
     "/roads-and-transport/report-a-pothole", Route.WEB_TEAM_RESPONSE),
    ("Parking permits", "Hi, you can apply for or renew a parking permit here:", "/parking/permits",
     Route.WEB_TEAM_RESPONSE),
    ("Take it to a private channel", "We are sorry to hear this. Please send us a direct message with your "
     "address and we will look into it.", "", Route.CUSTOMER_SERVICE),
    ("How to make an FOI request", "Thanks. To make a Freedom of Information request, please use our form with "
     "your name and an address for correspondence:", "/freedom-of-information", Route.FOI),
]
SITE = "https://www.demo-council.example"


@transaction.atomic
def load_demo_triage() -> dict:
    """Load what is missing (safe to run any number of times; edits are kept)."""
    created = {"rules": 0, "sla_policies": 0, "service_topics": 0, "canned_replies": 0, "classifier_versions": 0}
    config.settings_get()
    created["sla_policies"] = load_sla_policies()
    created["rules"] = load_default_rules()
    for service in Service.objects.filter(slug__in=list(classify.DEFAULT_SERVICE_PHRASES)):
        _, made = ServiceTopic.objects.get_or_create(
            service=service, defaults={"phrases": list(classify.DEFAULT_SERVICE_PHRASES[service.slug])})
        created["service_topics"] += made
    for title, text, path, route in CANNED_REPLIES:
        _, made = CannedReply.objects.get_or_create(
            title=title, defaults={"text": text, "url": f"{SITE}{path}" if path else "", "route": route})
        created["canned_replies"] += made
    # Replies under the same rules as posts: a reply on a communications escalation needs a
    # communications officer's approval (seed 004: the web team or comms officer responds).
    _, created["reply_rules"] = ReplyRule.objects.get_or_create(
        name="Replies on communications escalations", defaults={
            "route": Route.COMMS_ESCALATION, "approver_roles": [Role.COMMUNICATIONS_OFFICER]})
    # The learned classifier trained on the shipped corpus becomes the first live version.
    created["classifier_versions"] = int(model_store.live_version() is None)
    model_store.classifier_ensure_live()
    config.config_changed()
    return {f"triage_{k}_created": v for k, v in created.items()}


def load_sla_policies(model=SlaPolicy) -> int:
    """The SLA policies of triage.clock, for those not in the database yet. `model` may be a
    migration's historical model."""
    made = 0
    for name, policy in clock.SLA_POLICIES.items():
        cutoff = policy.get("cutoff")
        _, new = model.objects.get_or_create(name=name, defaults={
            "kind": policy["kind"], "amount": policy.get("amount"),
            "cutoff": time.fromisoformat(cutoff) if cutoff else None,
            "roll_to_working": policy.get("roll_to_working", True)})
        made += new
    return made


def load_default_rules(model=Rule) -> int:
    """Seed 004's matrix (triage.matrix.DEFAULT_RULES), for rules not in the database yet."""
    made = 0
    for rule in matrix.DEFAULT_RULES:
        _, new = model.objects.get_or_create(name=rule.name, defaults={
            "order": rule.order, "enabled": rule.enabled, "conditions": dict(rule.conditions), "route": rule.route,
            "priority": rule.priority, "sla": rule.sla or "", "notify": list(rule.notify)})
        made += new
    return made
