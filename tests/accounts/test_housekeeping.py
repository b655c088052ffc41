"""Housekeeping (seed 000): one test per flag, the audit's bookkeeping, the channel
lifecycle and the report with its actions."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import housekeeping
from accounts.audit import audit_for
from accounts.models import BrandingChecklist, Channel, ChannelConnection, HousekeepingFlag, Notification
from accounts.roles import Role
from accounts.services import channel_connection_store

pytestmark = pytest.mark.django_db

Kind = HousekeepingFlag.Kind
ALL_ITEMS = {field: True for field, _ in BrandingChecklist.ITEMS}


@pytest.fixture
def healthy(services, staff):
    """An active channel with nothing wrong with it."""
    service = services["libraries"]
    service.head = staff[Role.HEAD_OF_SERVICE]
    service.save()
    channel = Channel.objects.create(platform="x", handle="@Healthy", display_name="Healthy Libraries",
                                     service=service, web_team_has_access=True, last_activity_at=timezone.now())
    channel.managers.set([staff[Role.SERVICE_EDITOR]])
    BrandingChecklist.objects.create(channel=channel, **ALL_ITEMS)
    return channel


def open_kinds(channel) -> set[str]:
    return set(channel.housekeeping_flags.filter(status="open").values_list("kind", flat=True))


def test_a_healthy_channel_raises_no_flag(healthy):
    housekeeping.housekeeping_audit(channel_ids=[healthy.pk])
    assert open_kinds(healthy) == set()


def test_dormant_after_the_configured_number_of_days(healthy, settings):
    settings.HOUSEKEEPING_DORMANT_DAYS = 30
    healthy.last_activity_at = timezone.now() - timedelta(days=31)
    healthy.save()
    housekeeping.housekeeping_audit()
    flag = healthy.housekeeping_flags.get(kind=Kind.DORMANT)
    assert "more than 30 days" in flag.detail
    settings.HOUSEKEEPING_DORMANT_DAYS = 90
    housekeeping.housekeeping_audit()
    flag.refresh_from_db()
    assert flag.status == "resolved"


def test_dormant_counts_from_creation_when_nothing_was_ever_posted(healthy):
    Channel.objects.filter(pk=healthy.pk).update(last_activity_at=None,
                                                 created_at=timezone.now() - timedelta(days=100))
    housekeeping.housekeeping_audit()
    assert "No activity recorded since it was added" in healthy.housekeeping_flags.get(kind=Kind.DORMANT).detail


def test_no_owner_when_nobody_has_access(healthy):
    healthy.managers.clear()
    housekeeping.housekeeping_audit()
    assert healthy.housekeeping_flags.get(kind=Kind.NO_OWNER).detail == "Nobody is recorded as having access."


def test_no_owner_when_the_service_has_no_head(healthy):
    healthy.service.head = None
    healthy.service.save()
    housekeeping.housekeeping_audit()
    assert "Libraries has no head of service recorded" in healthy.housekeeping_flags.get(kind=Kind.NO_OWNER).detail


def test_no_web_team_access(healthy):
    healthy.web_team_has_access = False
    healthy.save()
    housekeeping.housekeeping_audit()
    assert open_kinds(healthy) == {Kind.NO_WEB_TEAM_ACCESS}


def test_branding_checklist_missing_or_incomplete(healthy):
    BrandingChecklist.objects.filter(channel=healthy).update(header_image=False)
    housekeeping.housekeeping_audit()
    flag = healthy.housekeeping_flags.get(kind=Kind.BRANDING)
    assert "cover or header image" in flag.detail
    BrandingChecklist.objects.filter(channel=healthy).delete()
    housekeeping.housekeeping_audit()
    flag.refresh_from_db()
    assert flag.detail == "The branding checklist has not been done." and flag.status == "open"


def test_connection_expired_or_refused(healthy, staff):
    connection = channel_connection_store(actor=staff[Role.WEB_TEAM], channel=healthy, account_id="1",
                                          access_token="secret", expires_at=timezone.now() + timedelta(days=5))
    housekeeping.housekeeping_audit()
    assert open_kinds(healthy) == set()
    ChannelConnection.objects.filter(pk=connection.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    housekeeping.housekeeping_audit()
    assert "expired on" in healthy.housekeeping_flags.get(kind=Kind.CONNECTION_EXPIRED).detail
    ChannelConnection.objects.filter(pk=connection.pk).update(expires_at=None, needs_reauth=True)
    housekeeping.housekeeping_audit()
    assert "refused" in healthy.housekeeping_flags.get(kind=Kind.CONNECTION_EXPIRED, status="open").detail


def test_duplicate_on_the_same_platform(healthy, services):
    twin = Channel.objects.create(platform="x", handle="@Healthy_", display_name="Something else",
                                  service=services["leisure"])
    elsewhere = Channel.objects.create(platform="facebook", handle="Healthy", display_name="Healthy Libraries",
                                       service=services["leisure"])
    namesake = Channel.objects.create(platform="x", handle="@Other", display_name="Healthy Libraries!",
                                      service=services["leisure"])
    housekeeping.housekeeping_audit()
    flag = healthy.housekeeping_flags.get(kind=Kind.DUPLICATE)
    assert "@Healthy_" in flag.detail and "@Other" in flag.detail
    assert twin.housekeeping_flags.get(kind=Kind.DUPLICATE).related_channel == healthy
    assert namesake.housekeeping_flags.filter(kind=Kind.DUPLICATE).exists()
    assert not elsewhere.housekeeping_flags.filter(kind=Kind.DUPLICATE).exists()


def test_find_duplicates_and_channel_issues_are_plain_rules():
    found = housekeeping.find_duplicates([
        (1, "x", "@DemoLibraries", "Demo Libraries"), (2, "x", "demo_libraries", "Libraries of Demo"),
        (3, "x", "@DemoCouncil", "Demo Borough Council"), (4, "x", "@DemoCouncilNews", "Demo Council News"),
        (5, "facebook", "DemoLibraries", "Demo Libraries")])
    assert found == {1: [2], 2: [1]}
    now = datetime(2026, 6, 1, tzinfo=UTC)
    facts = housekeeping.ChannelFacts(
        id=1, status="active", last_activity_at=None, created_at=now - timedelta(days=200), manager_count=0,
        service_name="Parks", service_has_head=False, web_team_has_access=False, branding_missing=None,
        connection=(False, now - timedelta(days=1)))
    assert set(housekeeping.channel_issues(facts, now=now, dormant_after_days=90)) == set(Kind.values) - {
        Kind.DUPLICATE}
    setting_up = housekeeping.ChannelFacts(**{**facts.__dict__, "status": "setting_up"})
    assert set(housekeeping.channel_issues(setting_up, now=now, dormant_after_days=90)) == {Kind.NO_OWNER}
    closed = housekeeping.ChannelFacts(**{**facts.__dict__, "status": "closed"})
    assert housekeeping.channel_issues(closed, now=now, dormant_after_days=90) == {}


def test_the_audit_is_idempotent_audited_and_tells_the_web_team(healthy, staff):
    healthy.web_team_has_access = False
    healthy.save()
    first = housekeeping.housekeeping_audit()
    second = housekeeping.housekeeping_audit()
    assert (first["raised"], second["raised"], second["open"]) == (1, 0, 1)
    assert audit_for(healthy).filter(action="housekeeping.flag").count() == 1
    assert Notification.objects.filter(user=staff[Role.WEB_TEAM], subject__startswith="Housekeeping found").count() == 1
    assert Notification.objects.filter(user=staff[Role.HEAD_OF_SERVICE],
                                       subject__contains="need attention").count() == 1
    healthy.web_team_has_access = True
    healthy.save()
    third = housekeeping.housekeeping_audit()
    assert third["resolved"] == 1 and third["open"] == 0
    assert audit_for(healthy).filter(action="housekeeping.resolve").exists()


def test_the_periodic_task_is_scheduled_and_runs_the_audit(healthy):
    from accounts.tasks import housekeeping_audit
    from council_social.schedules import SCHEDULES

    assert any(task == "accounts.housekeeping_audit" for task, _, _ in SCHEDULES.values())
    healthy.managers.clear()
    assert housekeeping_audit.run()["raised"] == 1


# Lifecycle ----------------------------------------------------------------------------------


def test_lifecycle_transitions_are_checked_and_audited(healthy, staff):
    web = staff[Role.WEB_TEAM]
    housekeeping.channel_transition(actor=web, channel=healthy, to_status="dormant")
    housekeeping.channel_transition(actor=web, channel=healthy, to_status="active")
    with pytest.raises(ValidationError, match="Say why"):
        housekeeping.channel_transition(actor=web, channel=healthy, to_status="closing")
    housekeeping.channel_request_closure(actor=web, channel=healthy, reason="Duplicate of the main account.")
    with pytest.raises(ValidationError, match="cannot become dormant"):
        housekeeping.channel_transition(actor=web, channel=healthy, to_status="dormant")
    housekeeping.channel_archive(actor=web, channel=healthy)
    healthy.refresh_from_db()
    assert healthy.status == "closed"
    with pytest.raises(ValidationError, match="nothing"):
        housekeeping.channel_transition(actor=web, channel=healthy, to_status="active")
    statuses = [e.changes["status"] for e in audit_for(healthy).filter(action="channel.transition").order_by("at",
                                                                                                            "id")]
    assert statuses == [["active", "dormant"], ["dormant", "active"], ["active", "closing"], ["closing", "closed"]]
    assert Notification.objects.filter(user=staff[Role.SERVICE_EDITOR], subject__contains="closing").exists()


def test_only_the_web_team_changes_the_lifecycle(healthy, staff):
    for role in (Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR, Role.COMMUNICATIONS_OFFICER):
        with pytest.raises(PermissionDenied):
            housekeeping.channel_transition(actor=staff[role], channel=healthy, to_status="dormant")
    healthy.refresh_from_db()
    assert healthy.status == "active"


def test_closing_a_channel_resolves_its_flags(healthy, staff, services):
    twin = Channel.objects.create(platform="x", handle="@Healthy1", display_name="x", service=services["leisure"])
    housekeeping.housekeeping_audit()
    assert Kind.DUPLICATE in open_kinds(healthy)
    web = staff[Role.WEB_TEAM]
    housekeeping.channel_request_closure(actor=web, channel=twin, reason="Old profile.")
    housekeeping.channel_archive(actor=web, channel=twin)
    assert open_kinds(twin) == set() and Kind.DUPLICATE not in open_kinds(healthy)


# Report and actions -------------------------------------------------------------------------

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=", re.I)


def test_report_is_for_the_web_team_with_a_fixed_number_of_queries(healthy, staff, client_for, services,
                                                                   django_assert_max_num_queries):
    for i in range(20):
        Channel.objects.create(platform="facebook", handle=f"Page{i:02d}xyz{i * 7}", display_name=f"P {i}",
                               service=services["leisure"])
    housekeeping.housekeeping_audit()
    client = client_for(staff[Role.WEB_TEAM])
    with django_assert_max_num_queries(15):
        page = client.get("/housekeeping/")
    html = page.content.decode()
    assert page.status_code == 200 and "Page07xyz49" in html and not INLINE.search(html)
    assert client.get("/housekeeping/?kind=branding").status_code == 200
    for role in (Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR, Role.COUNCILLOR, Role.COMMUNICATIONS_OFFICER):
        assert client_for(staff[role]).get("/housekeeping/").status_code == 403
        assert client_for(staff[role]).post("/housekeeping/run/").status_code == 403


def test_report_actions_reassign_close_archive_and_resolve(healthy, staff, client_for, services):
    healthy.managers.clear()
    housekeeping.housekeeping_audit()
    client = client_for(staff[Role.WEB_TEAM])
    page = client.get(f"/housekeeping/channels/{healthy.pk}/")
    assert page.status_code == 200 and not INLINE.search(page.content.decode())

    bad = client.post(f"/housekeeping/channels/{healthy.pk}/reassign/", {"reassign-service": services["leisure"].pk})
    assert bad.status_code == 200 and "<title>Error:" in bad.content.decode()
    ok = client.post(f"/housekeeping/channels/{healthy.pk}/reassign/", {
        "reassign-service": services["leisure"].pk, "reassign-managers": [staff[Role.SERVICE_EDITOR].pk]})
    assert ok.status_code == 302
    healthy.refresh_from_db()
    assert healthy.service == services["leisure"]
    # Leisure has no head, so the channel still has no owner; its managers are fixed though.
    assert healthy.housekeeping_flags.get(kind=Kind.NO_OWNER, status="open").detail == (
        "Leisure has no head of service recorded.")

    no_reason = client.post(f"/housekeeping/channels/{healthy.pk}/status/", {"status-to_status": "closing"})
    assert no_reason.status_code == 200 and "Say why the channel should close." in no_reason.content.decode()
    client.post(f"/housekeeping/channels/{healthy.pk}/status/", {"status-to_status": "closing",
                                                                 "status-reason": "Not needed."})
    client.post(f"/housekeeping/channels/{healthy.pk}/status/", {"status-to_status": "closed"})
    healthy.refresh_from_db()
    assert healthy.status == "closed" and open_kinds(healthy) == set()

    other = Channel.objects.create(platform="x", handle="@NoAccess", display_name="n", service=services["libraries"])
    housekeeping.housekeeping_audit(channel_ids=[other.pk])
    flag = other.housekeeping_flags.get(kind=Kind.NO_WEB_TEAM_ACCESS)
    client.post(f"/housekeeping/flags/{flag.pk}/resolve/", {"resolution": ""})
    flag.refresh_from_db()
    assert flag.status == "open"
    client.post(f"/housekeeping/flags/{flag.pk}/resolve/", {"resolution": "Asked the service for the password."})
    flag.refresh_from_db()
    assert flag.status == "resolved" and flag.resolved_by == staff[Role.WEB_TEAM]
    assert client.post("/housekeeping/run/").status_code == 302
