"""Colours and words for the dashboard's tags."""
from django import template

from triage.selectors import SLA_STATES

register = template.Library()

PRIORITY_TAGS = {"urgent": "govuk-tag--red", "high": "govuk-tag--orange", "normal": "govuk-tag--blue",
                 "low": "govuk-tag--grey"}
SLA_TAGS = {"breached": "govuk-tag--red", "due_soon": "govuk-tag--yellow", "on_track": "govuk-tag--green",
            "met": "govuk-tag--green", "missed": "govuk-tag--red", "none": "govuk-tag--grey"}
STATE_TAGS = {"new": "govuk-tag--purple", "acknowledged": "govuk-tag--light-blue", "in_progress": "govuk-tag--blue",
              "with_service": "govuk-tag--turquoise", "responded": "govuk-tag--green", "closed": "govuk-tag--grey",
              "monitoring": "govuk-tag--grey"}


@register.filter
def priority_tag(value: str) -> str:
    return PRIORITY_TAGS.get(value, "")


@register.filter
def sla_tag(value: str) -> str:
    return SLA_TAGS.get(value, "")


@register.filter
def sla_label(value: str) -> str:
    return SLA_STATES.get(value, "")


@register.filter
def state_tag(value: str) -> str:
    return STATE_TAGS.get(value, "")


REASONS = {"sentiment": "Tone", "criticality": "Criticality", "abusive": "Abuse", "influence": "Author's influence",
           "service": "Service", "customer_service": "Customer service", "simple_question": "Signposting",
           "foi": "Freedom of Information", "foi_valid": "FOI validity", "thread_growth": "Thread"}


@register.filter
def reason_label(key: str) -> str:
    return REASONS.get(key, key.replace("_", " ").capitalize())


@register.filter
def percent(value) -> str:
    """0.873 → "87.3%"; nothing measured → "not measured"."""
    if value is None or value == "":
        return "not measured"
    return f"{100 * float(value):.1f}%"


ROUTE_LABELS = {"no_action": "No action (monitoring)", "customer_service": "Customer services",
                "web_team_response": "Web team response", "service_conversation": "Service conversation",
                "comms_escalation": "Communications escalation", "foi": "Freedom of Information"}


@register.filter
def route_label(value: str) -> str:
    return ROUTE_LABELS.get(value, value)


@register.filter
def service_label(slug: str) -> str:
    return slug or "No service"
