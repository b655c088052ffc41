"""Did an interrupted attempt reach the platform? Look for the post on the channel before
trying again, where the platform lets us; otherwise a person has to check.

A finder returns the post as Published, None when the channel has no such post, or raises
NotSupported when the platform offers no way to look (the caller then holds the post for a
person: it never posts again blindly).
"""
import re
from datetime import datetime, timedelta

from platforms.base import NotSupported, PlatformClient, Published

# Clocks differ a little between us and the platform.
CLOCK_SLACK = timedelta(minutes=2)
SNIPPET_WORDS = 12


def snippet(text: str) -> str:
    """The first words of a post, without quotes or links: enough to find it by search."""
    words = [w for w in re.sub(r'["\u201c\u201d]', " ", text).split() if "://" not in w]
    return " ".join(words[:SNIPPET_WORDS])


def _find_on_x(client: PlatformClient, text: str, since: datetime) -> Published | None:
    from platforms.x import EXPANSIONS, TWEET_FIELDS, USER_FIELDS

    phrase = snippet(text)
    account = client.credentials.account_id
    handle = client.credentials.handle.lstrip("@")
    if not phrase or not handle:
        raise NotSupported("x: nothing to search for")
    body, _ = client.request("GET", "/2/tweets/search/recent", params={
        "query": f'from:{handle} "{phrase}"'[:512], "max_results": 10, "tweet.fields": TWEET_FIELDS,
        "expansions": EXPANSIONS, "user.fields": USER_FIELDS,
    })
    for item in client.parse(body, endpoint="search"):
        own = item.author.external_id == account if account else item.author.handle.lower() == handle.lower()
        if own and phrase in " ".join(item.text.split()) and item.posted_at >= since - CLOCK_SLACK:
            return Published(external_id=item.external_id, url=item.url)
    return None


FINDERS = {"x": _find_on_x}


def find_published(client: PlatformClient, *, text: str, since: datetime) -> Published | None:
    finder = FINDERS.get(client.platform)
    if finder is None:
        raise NotSupported(f"{client.platform}: the channel's recent posts cannot be searched")
    return finder(client, text, since)
