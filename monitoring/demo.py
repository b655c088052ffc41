"""Demo: connect the demo channels to the simulator and start polling them."""
from django.conf import settings

from accounts.models import Channel, ChannelConnection
from accounts.services import channel_connection_store

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
    for channel in Channel.objects.exclude(status=Channel.Status.CLOSED):
        if not has_client(channel.platform):
            continue
        if not ChannelConnection.objects.filter(channel=channel).exclude(access_token="").exists():
            # The simulator accepts "demo-<platform>" without an OAuth flow.
            channel_connection_store(actor=None, channel=channel, account_id=demo_account_id(channel),
                                     access_token=f"demo-{channel.platform}")
            connected += 1
        channel.refresh_from_db()
        poll_states_sync(channel=channel)
    return {"channels_connected": connected}


def demo_account_id(channel: Channel) -> str:
    """The simulator's account id for a demo channel: its main account where the handle matches
    (that is where the simulator's residents write), else an account of the channel's own."""
    from platforms.simulator.server import PLATFORMS

    sim = next(cls for cls in PLATFORMS if cls.name == channel.platform)
    main = sim.default_account
    if channel.handle.lstrip("@").split("@")[0].lower() == main["handle"].lstrip("@").lower():
        return main["id"]
    return f"{main['id'][:-4]}{channel.pk:04d}" if main["id"][-4:].isdigit() else f"{main['id']}-{channel.pk}"
