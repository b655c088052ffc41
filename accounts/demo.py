"""The demo council, Kingsmere Borough Council: services, staff in every role, and a channel
registry shaped like seed 004's (five X accounts, Facebook, YouTube, Instagram, Flickr, LinkedIn)."""
from django.db import transaction

from .models import Channel, Service, User
from .roles import Role
from .services import channel_create, user_set_roles

SERVICES = [
    ("Communications", "communications"), ("Customer Services", "customer-services"),
    ("Libraries", "libraries"), ("Leisure", "leisure"), ("Waste and Recycling", "waste-and-recycling"),
    ("Council Tax", "council-tax"), ("Parking", "parking"), ("Housing", "housing"),
    ("Highways", "highways"), ("Planning", "planning"),
    ("Adoption and Fostering", "adoption-and-fostering"), ("HR Recruitment", "hr-recruitment"),
    ("Procurement", "procurement"), ("Democratic Services", "democratic-services"),
]

# username, first, last, role, service slug, password. Demo only: never use these anywhere else.
STAFF = [
    ("webteam", "Wendy", "Webb", Role.WEB_TEAM, "communications", "demo-webteam-pass"),
    ("comms", "Colin", "Marsh", Role.COMMUNICATIONS_OFFICER, "communications", "demo-comms-pass"),
    ("head.libraries", "Hannah", "Reed", Role.HEAD_OF_SERVICE, "libraries", "demo-head-pass"),
    ("head.waste", "Harold", "Binns", Role.HEAD_OF_SERVICE, "waste-and-recycling", "demo-head-pass"),
    ("editor.libraries", "Leila", "Page", Role.SERVICE_EDITOR, "libraries", "demo-editor-pass"),
    ("editor.leisure", "Liam", "Swift", Role.SERVICE_EDITOR, "leisure", "demo-editor-pass"),
    ("customer.services", "Cara", "Sands", Role.CUSTOMER_SERVICES, "customer-services", "demo-cs-pass"),
    ("cllr.patel", "Priya", "Patel", Role.COUNCILLOR, "democratic-services", "demo-councillor-pass"),
    ("monitoring.officer", "Mark", "Oakes", Role.MONITORING_OFFICER, "democratic-services", "demo-mo-pass"),
    ("admin", "Ada", "Minster", Role.ADMINISTRATOR, "communications", "demo-admin-pass"),
]

# platform, handle, display name, purpose, service slug, kind, followers
CHANNELS = [
    ("x", "@KingsmereBC", "Kingsmere Borough Council", "News and information, emergencies, signposting, "
     "customer services, consultations.", "communications", "corporate", 10597),
    ("x", "@KingsmereNews", "Kingsmere Council News", "Press releases and news.", "communications", "corporate",
     4210),
    ("x", "@KingsmereLibs", "Kingsmere Libraries", "Library events, opening hours and services.", "libraries",
     "service", 2380),
    ("x", "@KingsmereRecycles", "Kingsmere Recycles", "Bin collections, recycling and fly-tipping.",
     "waste-and-recycling", "service", 1904),
    ("x", "@KingsmereJobs", "Kingsmere Council Jobs", "Job vacancies at the council.", "hr-recruitment",
     "service", 1560),
    ("facebook", "KingsmereBC", "Kingsmere Borough Council", "Promoting campaigns, photos, useful "
     "information about services, local groups, consultations.", "communications", "corporate", 3294),
    ("youtube", "@kingsmereboroughcouncil", "Kingsmere Council TV", "Large events, training videos, "
     "announcements, how-to guides.", "communications", "corporate", 180),
    ("instagram", "kingsmerebc", "Kingsmere Borough Council", "Photos of the borough and events.",
     "communications", "corporate", 2050),
    ("flickr", "kingsmerebc", "Kingsmere Council on Flickr", "Photo gallery of events.", "communications",
     "corporate", None),
    ("linkedin", "kingsmere-borough-council", "Kingsmere Borough Council", "Job vacancies and promoting the "
     "council.", "hr-recruitment", "corporate", 5400),
    ("mastodon", "@kingsmere@social.example", "Kingsmere Borough Council", "News and information.",
     "communications", "corporate", 640),
    ("bluesky", "kingsmere.bsky.social", "Kingsmere Borough Council", "News and information.", "communications",
     "corporate", 910),
    ("facebook", "KingsmereFostering", "Kingsmere Fostering and Adoption", "Recruiting foster carers and "
     "adopters.", "adoption-and-fostering", "campaign", 820),
    ("facebook", "KingsmereLeisure", "Kingsmere Leisure Centres", "Classes, timetables and offers.", "leisure",
     "service", 1310),
]

PLATFORM_URL = {
    "x": "https://x.com/{h}", "facebook": "https://www.facebook.com/{h}", "youtube": "https://www.youtube.com/@{h}",
    "instagram": "https://www.instagram.com/{h}/", "flickr": "https://www.flickr.com/photos/{h}/",
    "linkedin": "https://www.linkedin.com/company/{h}/", "mastodon": "https://social.example/@{h}",
    "bluesky": "https://bsky.app/profile/{h}",
}


@transaction.atomic
def load_demo_council() -> dict:
    """Create or update the demo council. Safe to run any number of times."""
    services = {}
    for name, slug in SERVICES:
        services[slug], _ = Service.objects.update_or_create(
            slug=slug, defaults={"name": name, "email": f"{slug}@kingsmere.example",
                                 "web_url": f"https://www.kingsmere.example/{slug}"})
    users = {}
    for username, first, last, role, service_slug, password in STAFF:
        user, created = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@kingsmere.example"
        user.service = services[service_slug]
        user.job_title = Role(role).label
        if created or not user.check_password(password):
            user.set_password(password)
        user.is_superuser = role == Role.ADMINISTRATOR
        user.save()
        user_set_roles(actor=None, user=user, roles=[role])
        users[username] = user
    services["libraries"].head = users["head.libraries"]
    services["waste-and-recycling"].head = users["head.waste"]
    for service in (services["libraries"], services["waste-and-recycling"]):
        service.save(update_fields=["head"])
    created_channels = 0
    for platform, handle, display, purpose, service_slug, kind, followers in CHANNELS:
        if Channel.objects.filter(platform=platform, handle__iexact=handle).exists():
            continue
        channel_create(
            actor=None, platform=platform, handle=handle, display_name=display, purpose=purpose,
            service=services[service_slug], kind=kind, followers=followers, web_team_has_access=True,
            url=PLATFORM_URL[platform].format(h=handle.lstrip("@").split("@")[0]),
            # The web team and the service's own editors and head run each account (per-channel permissions).
            managers=[users["webteam"], *(u for u in users.values() if u.service_id == services[service_slug].pk
                                          and u.has_role(Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR))],
        )
        created_channels += 1
    return {"services": len(services), "staff": len(users), "channels_created": created_channels}


def demo_sign_ins() -> list[tuple[str, str, str]]:
    return [(Role(role).label, username, password) for username, _, _, role, _, password in STAFF]
