"""Colours and words for the dashboard's tags, and the rows of the inbox's list."""
from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

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


# The inbox's rows are written here rather than by an included template: the list shows up to a
# hundred of them on every visit and live update, and Django's template engine spent about half
# a millisecond on each (benchmarks/bench_dashboard.py, docs/performance.md).
_ROW = (
    '<tr class="govuk-table__row{selected}" id="case-row-{pk}" data-case="{pk}">\n{pick}'
    '  <td class="govuk-table__cell"><a class="govuk-link app-inbox__open" href="{href}" hx-get="{preview}"'
    ' hx-target="#case-preview" hx-swap="innerHTML" hx-sync="#case-preview:queue last" hx-push-url="{href}"{current}>'
    'Case {pk}</a>{new}<br>\n'
    '    <strong class="govuk-tag {state_tag}">{state}</strong>\n'
    '    <strong class="govuk-tag {priority_tag}">{priority}</strong>{safeguarding}</td>\n'
    '  <td class="govuk-table__cell">\n'
    '    <span class="govuk-body-s govuk-!-font-weight-bold">{author}</span>\n'
    '    <span class="govuk-body-s">on {platform}, {channel}</span>\n'
    '    <div class="app-mention-text govuk-body-s govuk-!-margin-bottom-1" dir="auto">{text}</div>\n'
    '    <span class="govuk-body-s app-case-route">{route} · {service} · {assignee}</span>\n'
    '  </td>\n'
    '  <td class="govuk-table__cell">{due}<strong class="govuk-tag {sla_tag}">{sla}</strong>{out_of_hours}</td>\n'
    '</tr>\n')
_PICK = (
    '  <td class="govuk-table__cell">\n    <div class="govuk-checkboxes govuk-checkboxes--small">\n'
    '      <div class="govuk-checkboxes__item">\n'
    '        <input class="govuk-checkboxes__input" id="pick-{pk}" name="bulk-cases" type="checkbox" value="{pk}"'
    ' form="bulk-form">\n'
    '        <label class="govuk-label govuk-checkboxes__label" for="pick-{pk}"><span class="govuk-visually-hidden">'
    'Choose case {pk}</span></label>\n      </div>\n    </div>\n  </td>\n')


def _row(case, *, can_work: bool, query: str, chosen, new: bool, preview: str) -> str:
    mention, author = case.mention, case.mention.author
    chosen_here = chosen is not None and str(chosen) == str(case.pk)
    due = ""
    if case.sla_due_at:
        local = timezone.localtime(case.sla_due_at)
        due = format_html('<time datetime="{}">{}</time><br>', local.isoformat(),
                          dateformat.format(local, "D j M H:i"))
    return format_html(
        _ROW, pk=case.pk, selected=" app-inbox__row--selected" if chosen_here else "",
        pick=format_html(_PICK, pk=case.pk) if can_work else "",
        href=f"?{query}&case={case.pk}" if query else f"?case={case.pk}",
        preview=preview.replace(_SENTINEL, str(case.pk)) + (f"?{query}" if query else ""),
        current=mark_safe(' aria-current="true"') if chosen_here else "",
        new=mark_safe(' <strong class="govuk-tag govuk-tag--blue">New</strong>') if new else "",
        state_tag=STATE_TAGS.get(case.state, ""), state=case.get_state_display(),
        priority_tag=PRIORITY_TAGS.get(case.priority, ""), priority=case.get_priority_display(),
        safeguarding=mark_safe(' <strong class="govuk-tag govuk-tag--red">Safeguarding</strong>')
        if case.safeguarding else "",
        author=author.handle or author.display_name or "Unknown", platform=mention.get_platform_display(),
        channel=mention.channel.handle, text=Truncator(mention.text).chars(200), route=case.get_route_display(),
        service=case.service.name if case.service else "No service",
        assignee=str(case.assignee) if case.assignee else "Not assigned", due=due,
        sla_tag=SLA_TAGS.get(case.sla_state, ""), sla=SLA_STATES.get(case.sla_state, ""),
        out_of_hours=mark_safe('<br><span class="govuk-body-s">Arrived out of hours</span>')
        if case.out_of_hours else "")


_SENTINEL = "987654321"  # a case id in the preview's address, replaced by each row's own


@register.simple_tag
def case_rows(cases, *, can_work=False, query="", chosen=None, new=False) -> str:
    """The inbox list's rows (a row per case: what it is, whose, and when it is due)."""
    preview = reverse("case_preview", args=[int(_SENTINEL)])
    return mark_safe("".join(_row(case, can_work=can_work, query=query, chosen=chosen, new=new,  # noqa: S308
                                  preview=preview) for case in cases))
