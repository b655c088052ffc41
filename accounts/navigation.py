"""What each role is offered: the header navigation and the links on its home page.

Other apps add their entries to NAV with register(); an entry is shown when the user
has one of its roles (None = every signed-in user).
"""
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .roles import Role


@dataclass(frozen=True)
class NavEntry:
    text: str
    url_name: str
    roles: frozenset | None
    description: str = ""
    order: int = 100


NAV: list[NavEntry] = []


def register(text: str, url_name: str, *, roles=None, description: str = "", order: int = 100) -> None:
    NAV.append(NavEntry(text, url_name, frozenset(roles) if roles else None, description, order))
    NAV.sort(key=lambda e: e.order)


def entries_for(user) -> list[NavEntry]:
    roles = user.roles
    return [e for e in NAV if e.roles is None or roles & e.roles]


def nav_items(user, path: str) -> list[dict]:
    items = []
    for entry in entries_for(user):
        try:
            href = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        current = path == href if href == "/" else path.startswith(href)
        items.append({"text": entry.text, "href": href, "current": current, "description": entry.description})
    return items


ALL_STAFF = set(Role.values) - {Role.COUNCILLOR}
register("Home", "home", order=0)
register(
    "Channels", "channel_list",
    roles=set(Role.values) - {Role.COUNCILLOR, Role.MONITORING_OFFICER},
    description="The council's social media accounts: who owns them, their purpose and health.", order=50,
)
register("Audit", "audit_list", roles={Role.WEB_TEAM, Role.ADMINISTRATOR},
         description="Who changed what, and when.", order=90)
register("System status", "system_status", roles={Role.WEB_TEAM, Role.ADMINISTRATOR},
         description="Whether the web, worker and scheduler are running.", order=95)
