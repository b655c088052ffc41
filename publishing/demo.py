"""Demo publishing: a campaign, posts in each stage of their journey, alert topics and caps."""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Channel, Service, User

from . import services
from .models import Campaign, ChannelApprovers, FrequencyCap, Post, PostTarget, Topic

CAMPAIGN = "Summer Reading Challenge"


def load_default_topics() -> int:
    """The alert topics of migration 0002, for those not in the database (a flushed test database
    has none). Edits are kept."""
    from importlib import import_module

    made = 0
    for order, (slug, name, description) in enumerate(import_module("publishing.migrations.0002_default_topics").TOPICS):
        made += Topic.objects.get_or_create(slug=slug, defaults={"name": name, "description": description,
                                                                 "order": order})[1]
    return made


def load_demo_approvers() -> int:
    """As a council sets it up: a service channel's posts are approved by its head of service, the
    web team or a communications officer (the role that "plans and approves posts")."""
    from accounts.roles import Role

    made = 0
    for channel in Channel.objects.exclude(kind=Channel.Kind.CORPORATE):
        _, created = ChannelApprovers.objects.get_or_create(channel=channel, defaults={"roles": [
            Role.HEAD_OF_SERVICE, Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER]})
        made += created
    return made


def load_demo_publishing() -> dict:
    load_default_topics()
    load_demo_approvers()
    if Campaign.objects.filter(name=CAMPAIGN).exists():
        return {"demo_posts_created": 0}
    try:
        with transaction.atomic():
            return _load()
    except services.PostRefused as exc:  # e.g. the demo staff have not acknowledged a policy yet
        return {"demo_posts_created": 0, "publishing_demo_skipped": exc.message}


def _load() -> dict:
    users = {u.username: u for u in User.objects.filter(username__in=[
        "webteam", "comms", "head.libraries", "editor.libraries"])}
    corporate = Channel.objects.filter(kind=Channel.Kind.CORPORATE, service__slug="communications").order_by("id")
    found = {
        "x": corporate.filter(platform="x").first(),
        "facebook": corporate.filter(platform="facebook").first(),
        "mastodon": corporate.filter(platform="mastodon").first(),
        "libraries": Channel.objects.filter(service__slug="libraries").order_by("id").first(),
    }
    if len(users) < 4 or None in found.values():
        return {"demo_posts_created": 0}
    channels = found
    for channel in channels.values():
        FrequencyCap.objects.get_or_create(channel=channel, defaults={"max_posts": 6, "period_hours": 24})
    libraries = Service.objects.get(slug="libraries")
    now = timezone.localtime()
    events = Topic.objects.filter(slug="events")
    campaign = services.campaign_create(
        actor=users["head.libraries"], name=CAMPAIGN, service=libraries,
        description="Get children reading over the summer holidays: six books, a certificate and a medal.",
        start_date=(now + timedelta(days=3)).date(), end_date=(now + timedelta(days=45)).date())
    editor, head, comms, web = (users["editor.libraries"], users["head.libraries"], users["comms"],
                                users["webteam"])

    services.post_create(actor=editor, text="Our summer reading challenge starts on Saturday! Pick up your "
                         "reading record at any library.", channels=[channels["libraries"]], campaign=campaign)
    waiting = services.post_create(
        actor=editor, text="Children can sign up for the Summer Reading Challenge at every library from this "
        "weekend: read six books, get a medal.", channels=[channels["libraries"]], campaign=campaign,
        link="https://www.demo-council.example/libraries", topics=events)
    services.post_submit(actor=editor, post=waiting)
    back = services.post_create(actor=editor, text="Libraries are brilliant, unlike the useless Tories.",
                                channels=[channels["libraries"]])
    services.post_submit(actor=editor, post=back)
    services.post_request_changes(actor=head, post=back, comment="Take out the politics: we do not take sides.")
    scheduled = services.post_create(
        actor=comms, text="Council tax bills for next year are on their way. Pay online, set up a direct debit or "
        "see what help is available.", channels=[channels["x"], channels["facebook"],
                                                   channels["mastodon"]],
        link="https://www.demo-council.example/council-tax")
    services.post_submit(actor=comms, post=scheduled)
    services.post_approve(actor=web, post=scheduled, comment="Good to go.")
    services.post_schedule(actor=comms, post=scheduled, scheduled_at=now + timedelta(days=2, hours=1))
    published = services.post_create(
        actor=comms, text="Bin collections are running as normal this week.", channels=[channels["x"]])
    services.post_submit(actor=comms, post=published)
    services.post_approve(actor=web, post=published)
    # History for the calendar: shown as already published (no platform is called for demo data).
    Post.objects.filter(pk=published.pk).update(state=Post.State.PUBLISHED, scheduled_at=now - timedelta(days=1),
                                                published_at=now - timedelta(days=1))
    PostTarget.objects.filter(post=published).update(state=PostTarget.State.PUBLISHED, external_id="demo-1",
                                                     url=f"https://x.com/{channels['x'].handle.lstrip('@')}/status/1",
                                                     published_at=now - timedelta(days=1))
    return {"demo_posts_created": 5, "demo_campaigns_created": 1}
