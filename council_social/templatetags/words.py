"""Template filters for council_social.words: the one place codes become words."""
from django import template

from council_social import words as w

register = template.Library()


@register.filter
def words(value, kind=None) -> str:
    """{{ case.route|words }}, {{ user_roles|words:"role" }}, {{ event.action|words:"audit" }}."""
    return w.in_words(value, kind)


@register.filter
def when(value) -> str:
    return w.when(value)


@register.filter
def changes_in_words(event) -> list[str]:
    """An audit row's changes as sentences with names ({% for line in event|changes_in_words %})."""
    return w.changes_in_words(event.changes, event.object_type)


@register.filter
def conditions_in_words(conditions) -> str:
    from triage.matrix import describe_conditions

    return describe_conditions(conditions or {})


@register.filter
def platform_link(url) -> str:
    return w.platform_link(str(url or ""))


@register.filter
def channel_condition(channel) -> tuple[str, str]:
    """{% with condition=channel|channel_condition %}: (words, tag) from accounts.models.channel_condition."""
    from accounts.models import channel_condition as condition

    return condition(channel)
