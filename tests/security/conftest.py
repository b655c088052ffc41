"""A small council with objects of every scoped type in two services, Libraries (A: where the
service staff of the `staff` fixture work) and Leisure (B: someone else's), for the access
and isolation tests."""
import dataclasses
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import AccountRequest, Channel, HousekeepingFlag, Service
from accounts.requests import account_request_submit
from accounts.roles import Role
from monitoring.models import Author, Mention
from policy.models import PolicyDocument, TrainingModule
from policy.services import policy_version_publish
from publishing import publisher
from publishing import services as publishing
from publishing.models import AlertSubscriber, Campaign, Post, Topic
from reporting.models import ReportRun
from triage.models import CannedReply, Case, FoiRequest, RetrainRun, Rule


@dataclasses.dataclass
class Side:
    """One service's objects."""

    service: Service
    channel: Channel
    author: Author
    mention: Mention
    case: Case
    post: Post
    campaign: Campaign
    account_request: AccountRequest
    report_run: ReportRun


@dataclasses.dataclass
class World:
    a: Side  # Libraries: the service of the head of service and the service editor
    b: Side  # Leisure: another service
    cs_case: Case  # on the customer service queue, in Waste and Recycling
    foi_case: Case
    rule: Rule
    canned: CannedReply
    staff_policy: PolicyDocument
    members_policy: PolicyDocument
    module: TrainingModule
    topic: Topic
    subscriber: AlertSubscriber
    flag: HousekeepingFlag
    head_b: object
    editor_b: object
    draft: Post  # a draft by Libraries' service editor
    retrain_run: RetrainRun | None = None  # a retraining of the classifier, waiting


@pytest.fixture(autouse=True)
def _ids_restart(request):
    """Before any row of a test that uses the world is written (autouse fixtures come first)."""
    if "world" in request.fixturenames:
        request.getfixturevalue("db")
        ids_restart()


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Publishing queues its tasks after commit; here none is sent to a broker."""
    monkeypatch.setattr(publisher, "_queue", lambda ids: None)


def _case(mention, route, service, **fields):
    return Case.objects.create(mention=mention, platform=mention.platform, route=route, priority="normal",
                               service=service, rule_name="Test rule", explanation="Routed by a test.",
                               opened_at=mention.posted_at, **fields)


def _side(key, service, channel, editor, head, n):
    now = timezone.now()
    author = Author.objects.create(platform=channel.platform, external_id=f"author-{key}", handle=f"@resident_{key}",
                                   display_name=f"Resident {key.upper()}", followers=10)
    mention = Mention.objects.create(platform=channel.platform, external_id=f"mention-{key}", channel=channel,
                                     kind="mention", author=author, text=f"A question about {service.name}",
                                     posted_at=now - timedelta(hours=n))
    case = _case(mention, "service_conversation", service)
    post = publishing.post_create(actor=editor, text=f"News from {service.name}", channels=[channel])
    publishing.post_submit(actor=editor, post=post)
    campaign = publishing.campaign_create(actor=head, name=f"{service.name} week", service=service,
                                          start_date=date.today(), end_date=date.today() + timedelta(days=7))
    account_request = account_request_submit(
        actor=editor, platform="instagram", kind="service", proposed_handle=f"kingsmere_{key}",
        proposed_display_name=f"{service.name} pictures", audience="Families", objectives="Events",
        why_own_account="Pictures", content_commitment="Weekly, the team", out_of_hours="Not monitored",
        monitors=[editor])
    today = date.today()
    run = ReportRun.objects.create(requested_by=head, requested_by_name=str(head), service=service,
                                   period_start=today - timedelta(days=30), period_end=today,
                                   compare_start=today - timedelta(days=60), compare_end=today - timedelta(days=31))
    return Side(service=service, channel=channel, author=author, mention=mention, case=case, post=post,
                campaign=campaign, account_request=account_request, report_run=run)


def ids_restart() -> None:
    """PostgreSQL's sequences are not rolled back with a test: start each from the table's rows."""
    from django.apps import apps
    from django.db import connection, models

    if connection.vendor != "postgresql":
        return  # SQLite's sqlite_sequence is a table, rolled back with the test
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            if isinstance(model._meta.pk, models.AutoField) and not model._meta.proxy:
                table, column = model._meta.db_table, model._meta.pk.column
                cursor.execute(f'SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX("{column}"), 0) + 1, '
                               f'false) FROM "{table}"', [table, column])


def ids_from(start: int) -> None:
    """Make the next rows of every table get ids from `start` up, each table its own thousands:
    ids that appear nowhere else on a page, so a test can tell where a page shows the id it
    was asked for."""
    from django.apps import apps
    from django.db import connection, models

    with connection.cursor() as cursor:
        for number, model in enumerate(apps.get_models(include_auto_created=True)):
            if not isinstance(model._meta.pk, models.AutoField) or model._meta.proxy:
                continue  # BigAutoField and SmallAutoField are AutoFields too
            table, column, first = model._meta.db_table, model._meta.pk.column, start + 1000 * number
            if connection.vendor == "postgresql":
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, column, first])
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first])


@pytest.fixture
def world(staff, services, channels, make_user):
    libraries, leisure = services["libraries"], services["leisure"]
    head_a, editor_a = staff[Role.HEAD_OF_SERVICE], staff[Role.SERVICE_EDITOR]
    Service.objects.filter(pk=libraries.pk).update(head=head_a)
    # Every service with staff has a head, so that who may ask for an account depends on roles alone.
    for slug in ("communications", "customer-services"):
        Service.objects.filter(slug=slug).update(head=make_user(f"head.{slug}", Role.HEAD_OF_SERVICE, services[slug]))
    for service in services.values():
        service.refresh_from_db()
    a = _side("a", libraries, channels["libraries"], editor_a, head_a, 1)

    ids_from(700_000)  # Leisure's people and objects have ids found nowhere else on a page
    head_b = make_user("head.leisure", Role.HEAD_OF_SERVICE, leisure)
    editor_b = make_user("editor.leisure", Role.SERVICE_EDITOR, leisure)
    Service.objects.filter(pk=leisure.pk).update(head=head_b)
    leisure.refresh_from_db()
    leisure_channel = Channel.objects.create(platform="mastodon", handle="@leisure@kingsmere.social",
                                             display_name="Kingsmere Leisure", service=leisure, kind="service")
    b = _side("b", leisure, leisure_channel, editor_b, head_b, 2)

    waste_author = Author.objects.create(platform="x", external_id="author-cs", handle="@binless")
    cs_mention = Mention.objects.create(platform="x", external_id="mention-cs", channel=channels["corporate"],
                                        kind="mention", author=waste_author, text="My bin was not collected",
                                        posted_at=timezone.now() - timedelta(hours=3))
    cs_case = _case(cs_mention, "customer_service", services["waste-and-recycling"])
    foi_mention = Mention.objects.create(platform="x", external_id="mention-foi", channel=channels["corporate"],
                                         kind="mention", author=waste_author, text="FOI: how many bins?",
                                         posted_at=timezone.now() - timedelta(hours=4))
    foi_case = _case(foi_mention, "foi", services["communications"])
    FoiRequest.objects.create(case=foi_case, request_text=foi_mention.text, received_at=foi_mention.posted_at,
                              clock_start=date.today(), due_date=date.today() + timedelta(days=28))

    rule = Rule.objects.create(name="Test rule", order=10, route="no_action", conditions={"keywords_any": ["zzz"]})
    canned = CannedReply.objects.create(title="Opening hours", text="See our opening hours",
                                        url="https://www.kingsmere.example/libraries")
    web = staff[Role.WEB_TEAM]
    staff_policy = PolicyDocument.objects.create(slug="social-media-policy", title="Social media policy",
                                                 audience="staff", kind="social_media_policy", owner=web,
                                                 requires_acknowledgement=False)
    members_policy = PolicyDocument.objects.create(slug="members-policy", title="Members' policy",
                                                   audience="councillors", kind="members_policy",
                                                   owner=staff[Role.MONITORING_OFFICER])
    for document in (staff_policy, members_policy):
        policy_version_publish(actor=web, document=document, body="## Rules\n\nBe kind.", change_type="committee",
                               approved_by="Policy Committee", committee_reference="Minute 8",
                               effective_from=date.today() - timedelta(days=3))
    module = TrainingModule.objects.create(title="Social media basics", slug="basics", audience="staff")
    topic = Topic.objects.order_by("pk").first()
    subscriber = AlertSubscriber.objects.create(email="resident@example.org", confirmed_at=timezone.now())
    subscriber.topics.set([topic])
    flag = HousekeepingFlag.objects.create(channel=channels["leisure"], kind="dormant", detail="No posts for 90 days")
    return World(a=a, b=b, cs_case=cs_case, foi_case=foi_case, rule=rule, canned=canned, staff_policy=staff_policy,
                 members_policy=members_policy, module=module, topic=topic, subscriber=subscriber, flag=flag,
                 head_b=head_b, editor_b=editor_b,
                 draft=publishing.post_create(actor=editor_a, text="A draft", channels=[a.channel]),
                 retrain_run=RetrainRun.objects.create(requested_by_name="system"))
