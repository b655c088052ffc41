"""Where publishing plugs into the rest: navigation, home panels and demo data."""
from accounts import navigation
from accounts import views as accounts_views
from accounts.management.commands import demo_council
from accounts.roles import Role

from . import selectors

_POST_ROLES = selectors.AUTHORS | {Role.MONITORING_OFFICER}
navigation.register("Posts", "post_list", roles=_POST_ROLES,
                    description="Write posts, get them approved, schedule them and see how they went out.", order=30)
navigation.register("Calendar", "calendar_month", roles=selectors.AUTHORS,
                    description="The forward planner and the fortnightly grid of posts and campaigns.", order=35)
navigation.register("Emergency", "emergency", roles=selectors.EMERGENCY_ROLES,
                    description="Pause every scheduled post at once, and publish an emergency message.", order=40)
navigation.register("Email alerts", "alerts_admin", roles=selectors.ALERTS_ROLES,
                    description="Residents' email alert topics and subscribers.", order=45)


def _home_panel(request):
    from .views import home_panel

    return home_panel(request)


def _demo():
    from .demo import load_demo_publishing

    return load_demo_publishing()


accounts_views.HOME_PANELS.append(_home_panel)
demo_council.DEMO_HOOKS.append(_demo)


def _channel_panel(request, channel):
    if not selectors.can_use_publishing(request.user):
        return None
    return {"template": "publishing/channel_panel.html", "channel": channel,
            "stages": list(channel.approval_stages.all()), "default_rule": selectors.approver_rule(channel)}


accounts_views.CHANNEL_PANELS.append(_channel_panel)
