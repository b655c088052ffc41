"""What each role is offered: the header navigation and the links on its home page.

Other apps add their entries to NAV with register(); an entry is shown when the user
has one of its roles (None = every signed-in user). Entries are grouped in a few sections by
job (SECTIONS): the header shows the sections (GOV.UK service navigation), and the current
section's entries show below it (the MoJ sub-navigation). An entry names its section with
register(section=…), or is placed by SECTION_OF; one in no section is a section of its own.
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
    section: str = ""


NAV: list[NavEntry] = []

# The top-level sections, in order, by the job done there.
SECTIONS = ("Inbox", "Publishing", "Channels", "Governance", "Reports", "Admin")
SECTION_OF = {
    "triage_dashboard": "Inbox", "case_list": "Inbox", "mention_list": "Inbox", "foi_list": "Inbox",
    "author_list": "Inbox", "rising": "Inbox",
    "post_list": "Publishing", "calendar_month": "Publishing", "emergency": "Publishing",
    "alerts_admin": "Publishing",
    "channel_list": "Channels", "account_request_list": "Channels", "housekeeping_report": "Channels",
    "source_list": "Channels", "watchlist": "Channels",
    "policy_list": "Governance", "training_mine": "Governance", "audit_list": "Governance",
    "moderation_log": "Governance",
    "report_home": "Reports",
    "rule_list": "Admin", "triage_quality": "Admin", "system_status": "Admin",
}


def register(text: str, url_name: str, *, roles=None, description: str = "", order: int = 100,
             section: str = "") -> None:
    NAV.append(NavEntry(text, url_name, frozenset(roles) if roles else None, description, order,
                        section or SECTION_OF.get(url_name, "")))
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
        items.append({"text": entry.text, "href": href, "current": current, "description": entry.description,
                      "section": entry.section or entry.text})
    return items


def sections(items: list[dict]) -> list[dict]:
    """The header's sections: each links to its first entry and holds its entries (the
    sub-navigation); Home is left to the header's name."""
    grouped: dict[str, list[dict]] = {}
    for item in items:
        if item["href"] != "/":
            grouped.setdefault(item["section"], []).append(item)
    order = {name: n for n, name in enumerate(SECTIONS)}
    out = []
    for name in sorted(grouped, key=lambda n: order.get(n, len(order))):
        entries = grouped[name]
        out.append({"text": name, "href": entries[0]["href"], "items": entries,
                     "current": any(e["current"] for e in entries)})
    return out


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
