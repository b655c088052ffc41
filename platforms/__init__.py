"""Platform clients behind one interface (see base.py), and the platform simulator."""
from importlib import import_module

# platform slug → "module:Class"; Flickr is registry-only (no client); Nextdoor publishes only.
CLIENTS = {
    "x": "platforms.x:XClient",
    "facebook": "platforms.facebook:FacebookClient",
    "instagram": "platforms.instagram:InstagramClient",
    "youtube": "platforms.youtube:YouTubeClient",
    "mastodon": "platforms.mastodon:MastodonClient",
    "bluesky": "platforms.bluesky:BlueskyClient",
    "linkedin": "platforms.linkedin:LinkedInClient",
    "web": "platforms.web:WebClient",
}
CLIENTS["threads"] = "platforms.threads:ThreadsClient"
CLIENTS["nextdoor"] = "platforms.nextdoor:NextdoorClient"  # publishing only


def client_class(platform: str):
    """The client class for a platform slug. KeyError if the platform has no client."""
    module_name, class_name = CLIENTS[platform].split(":")
    return getattr(import_module(module_name), class_name)
