from django import template

register = template.Library()


@register.inclusion_tag("monitoring/rising_panel.html", takes_context=True)
def rising_now_panel(context):
    """The dashboard's "Rising now" panel (open spike alerts), for those who may see them."""
    from accounts.roles import SEE_ALL_CHANNELS

    from ..trends import rising_now

    user = context["request"].user
    allowed = user.is_authenticated and user.has_role(*SEE_ALL_CHANNELS)
    return {"allowed": allowed, "alerts": list(rising_now(limit=5)) if allowed else []}


@register.inclusion_tag("monitoring/trending_hashtags.html")
def trending_hashtags():
    """Local trending hashtags of the last day (counts only), for the mentions page."""
    from ..trends import trending

    return {"rows": trending(kind="hashtag", hours=24, limit=10)}
