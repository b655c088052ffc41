"""Where monitoring plugs into the rest: navigation, the channel page and API, home, demo."""
from accounts import api as accounts_api
from accounts import navigation
from accounts import views as accounts_views
from accounts.management.commands import demo_council
from accounts.roles import Role

from . import selectors, services, trends, web_api

navigation.register("Mentions", "mention_list", roles=set(Role.values) - {Role.COUNCILLOR, Role.MONITORING_OFFICER},
                    description="Everything heard about the council, searchable.", order=20)
navigation.register("People", "author_list", roles={Role.WEB_TEAM, Role.ADMINISTRATOR},
                    description="Find an author to export or erase what is held about them.", order=85)
navigation.register("Web sources", "source_list", roles=set(Role.values) - {Role.COUNCILLOR, Role.MONITORING_OFFICER},
                    description="Blogs, news, forums and web pages the council listens to.", order=22)
navigation.register("Watch list", "watchlist", roles={Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR},
                    description="People who matter: their mentions of the council are always looked at.", order=23)
navigation.register("Rising", "rising", roles={Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR},
                    description="Hashtags, phrases and places rising well above their usual level.", order=24)
if trends.mentions_count not in services.NEW_MENTION_HOOKS:
    services.NEW_MENTION_HOOKS.append(trends.mentions_count)
accounts_api.HEALTH_PROVIDERS.append(selectors.channel_health)
accounts_api.CHANNEL_SOURCES["web"] = web_api.channel_source
accounts_api.CHANNEL_CREATORS["web"] = web_api.channel_source_create


def _home_reauth(request):
    if not request.user.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR):
        return None
    return {"template": "monitoring/home_reauth.html",
            "channels": list(selectors.channels_needing_reauth(user=request.user))}


def _channel_health(request, channel):
    from accounts.selectors import can_edit_channel
    from monitoring.clients import has_client
    from platforms import client_class

    from .services import reading_refused

    publish_only = has_client(channel.platform) and not client_class(channel.platform).endpoints
    return {"template": "monitoring/channel_health.html", "health": selectors.channel_health(channel),
            "can_connect": can_edit_channel(request.user, channel) and has_client(channel.platform),
            "publish_only": reading_refused(channel.platform) if publish_only else ""}


accounts_views.HOME_PANELS.append(_home_reauth)
accounts_views.CHANNEL_PANELS.append(_channel_health)


def _demo():
    from .demo import load_demo_monitoring

    return load_demo_monitoring()


demo_council.DEMO_HOOKS.append(_demo)
