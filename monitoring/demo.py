"""Demo: connect the demo channels to the simulator and start polling them."""
from django.conf import settings

from accounts.models import Channel, ChannelConnection
from accounts.services import channel_connection_store
from platforms import client_class

from .clients import has_client
from .models import WatchTerm
from .services import poll_states_sync

WATCH_TERMS = ["Kingsmere Borough Council", "#Kingsmere", "#KingsmereCouncil", "@KingsmereBC", "Kingsmere council"]


def load_demo_monitoring() -> dict:
    for term in WATCH_TERMS:
        WatchTerm.objects.get_or_create(term=term, service=None)
    connected = 0
    if not settings.USE_SIMULATOR:
        return {"channels_connected": 0}
    load_demo_web_sources()
    for channel in Channel.objects.exclude(status=Channel.Status.CLOSED):
        if not has_client(channel.platform):
            continue
        if not client_class(channel.platform).needs_credentials:  # public web sources
            poll_states_sync(channel=channel)
            continue
        if not ChannelConnection.objects.filter(channel=channel).exclude(access_token="").exists():
            # The simulator accepts "demo-<platform>" without an OAuth flow.
            channel_connection_store(actor=None, channel=channel, account_id=demo_account_id(channel),
                                     access_token=f"demo-{channel.platform}")
            connected += 1
        channel.refresh_from_db()
        poll_states_sync(channel=channel)
    return {"channels_connected": connected}


# The simulator's Kingsmere sites (platforms/simulator/sim_web.py): handle, site, kind, mode, name.
WEB_SOURCES = [
    ("kingsmere-blogs", "kingsmere-blogs", "feed", "watched", "Kingsmere blogs"),
    ("kingsmere-news-alerts", "kingsmere-news", "feed", "searched", "Kingsmere news alerts"),
    ("kingsmere-forum", "kingsmere-forum", "feed", "watched", "Kingsmere residents' forum"),
]


def load_demo_web_sources() -> int:
    """The demo council's web sources on the simulator: a watched blog feed, a searched news
    alerts feed and a watched forum. Safe to repeat."""
    from accounts.models import Service

    from .web import web_source_create

    service = Service.objects.filter(slug="communications").first() or Service.objects.first()
    added = 0
    for handle, site, kind, mode, name in WEB_SOURCES:
        if service is None or Channel.objects.filter(platform=Channel.Platform.WEB, handle__iexact=handle).exists():
            continue
        web_source_create(actor=None, handle=handle, display_name=name, service=service, kind=kind, mode=mode,
                          url=f"{settings.SIMULATOR_URL.rstrip('/')}/web/sites/{site}/{kind}", check=False,
                          purpose="Demo: a Kingsmere site served by the platform simulator.")
        added += 1
    return added


def demo_account_id(channel: Channel) -> str:
    """The simulator's account id for a demo channel: its main account where the handle matches
    (that is where the simulator's residents write), else an account of the channel's own."""
    from platforms.simulator.server import PLATFORMS

    sim = next(cls for cls in PLATFORMS if cls.name == channel.platform)
    main = sim.default_account
    if channel.handle.lstrip("@").split("@")[0].lower() == main["handle"].lstrip("@").lower():
        return main["id"]
    return f"{main['id'][:-4]}{channel.pk:04d}" if main["id"][-4:].isdigit() else f"{main['id']}-{channel.pk}"
