"""Build a platform client for a channel from settings and its stored connection."""
import json

from django.conf import settings

from accounts.models import Channel, ChannelConnection
from platforms import CLIENTS, client_class
from platforms.base import AppConfig, Credentials, PlatformClient, simulator_urls


def has_client(platform: str) -> bool:
    return platform in CLIENTS


def urls_for(platform: str) -> dict:
    cls = client_class(platform)
    if settings.USE_SIMULATOR:
        return simulator_urls(cls, settings.SIMULATOR_URL)
    return dict(settings.PLATFORM_URLS.get(platform, {}))


def app_for(platform: str) -> AppConfig:
    conf = settings.PLATFORM_APPS.get(platform, {})
    if not conf and settings.USE_SIMULATOR:
        conf = {"client_id": f"council-social-{platform}", "client_secret": "simulator-secret"}
    return AppConfig(client_id=conf.get("client_id", ""), client_secret=conf.get("client_secret", ""),
                     scopes=tuple(conf.get("scopes", ())))


def credentials_for(connection: ChannelConnection | None) -> Credentials:
    if connection is None:
        return Credentials()
    extra = json.loads(connection.extra) if connection.extra else {}
    return Credentials(access_token=connection.access_token, refresh_token=connection.refresh_token,
                       expires_at=connection.expires_at, account_id=connection.account_id,
                       handle=connection.channel.handle, extra=extra)


def client_for(channel: Channel, *, connection: ChannelConnection | None = None, **kwargs) -> PlatformClient:
    if connection is None:
        connection = ChannelConnection.objects.filter(channel=channel).first()
    kwargs.setdefault("allow_hosts", settings.FETCH_ALLOWED_HOSTS)
    return client_class(channel.platform)(
        **urls_for(channel.platform), credentials=credentials_for(connection), app=app_for(channel.platform),
        **kwargs,
    )
