"""Every change of accounts, services, roles and channels: one transaction, audited."""
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from .audit import audit_record, diff, snapshot
from .models import Channel, ChannelConnection, Heartbeat, Service, User
from .roles import ADMINISTRATOR_APPS, PERMISSIONS, Role

CHANNEL_FIELDS = (
    "platform", "handle", "display_name", "url", "purpose", "service", "kind", "status",
    "last_activity_at", "followers", "web_team_has_access",
)
# A channel's status changes only along its lifecycle (accounts.housekeeping.channel_transition).
CHANNEL_EDITABLE_FIELDS = tuple(f for f in CHANNEL_FIELDS if f != "status")


def roles_sync() -> None:
    """Create a group per role and give it exactly its permissions (idempotent)."""
    for role, codenames in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for label in codenames:
            app_label, codename = label.split(".")
            perms.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        if role == Role.ADMINISTRATOR:
            perms = Permission.objects.filter(content_type__app_label__in=ADMINISTRATOR_APPS)
        group.permissions.set(perms)


@transaction.atomic
def user_set_roles(*, actor, user: User, roles: list[str]) -> None:
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValueError(f"Unknown roles: {', '.join(sorted(unknown))}")
    # The roles the user's groups give (a superuser's implied administrator role is not a group:
    # counting it, or leaving out the group, wrote "[] → [administrator]" at every demo start).
    before = sorted({g.name for g in user.groups.all()} & set(Role.values))
    user.groups.set(Group.objects.filter(name__in=roles))
    user.is_staff = Role.ADMINISTRATOR in roles or user.is_superuser
    user.save(update_fields=["is_staff"])
    if hasattr(user, "_roles"):
        del user._roles
    if before != sorted(roles):
        audit_record(actor=actor, action="user.roles", obj=user, changes={"roles": [before, sorted(roles)]},
                     service=user.service)


@transaction.atomic
def service_save(*, actor, service: Service, created: bool, before: dict | None = None) -> Service:
    service.save()
    after = snapshot(service)
    audit_record(actor=actor, action="service.create" if created else "service.update", obj=service,
                 changes=diff(before or {}, after), service=service)
    return service


@transaction.atomic
def channel_create(*, actor, managers=(), **fields) -> Channel:
    channel = Channel(**{k: v for k, v in fields.items() if k in CHANNEL_FIELDS})
    channel.full_clean()
    channel.save()
    if managers:
        channel.managers.set(managers)
    audit_record(actor=actor, action="channel.create", obj=channel, changes=diff({}, snapshot(channel)),
                 service=channel.service)
    _housekeeping_after_change(channel)
    return channel


def _housekeeping_after_change(channel: Channel) -> None:
    """A change to the registry is audited for housekeeping at once (as well as daily by beat),
    so the housekeeping report never says "no open problems" about a channel it has not seen."""
    from .housekeeping import housekeeping_audit

    housekeeping_audit(channel_ids=[channel.pk], announce=False)


@transaction.atomic
def channel_update(*, actor, channel: Channel, managers=None, **fields) -> Channel:
    # From the database: a bound ModelForm may already have changed `channel` in memory.
    before = snapshot(Channel.objects.select_for_update(of=("self",)).get(pk=channel.pk))
    before_managers = sorted(channel.managers.values_list("username", flat=True))
    for key, value in fields.items():
        if key not in CHANNEL_EDITABLE_FIELDS:
            raise ValueError(f"{key} cannot be changed here")
        setattr(channel, key, value)
    channel.full_clean()
    channel.save()
    changes = diff(before, snapshot(channel))
    if managers is not None:
        channel.managers.set(managers)
        after_managers = sorted(channel.managers.values_list("username", flat=True))
        if after_managers != before_managers:
            changes["managers"] = [before_managers, after_managers]
    changes.pop("updated_at", None)
    if changes:
        audit_record(actor=actor, action="channel.update", obj=channel, changes=changes, service=channel.service)
        _housekeeping_after_change(channel)
    return channel


@transaction.atomic
def channel_delete(*, actor, channel: Channel) -> None:
    audit_record(actor=actor, action="channel.delete", obj=channel, changes=diff(snapshot(channel), {}),
                 service=channel.service)
    channel.delete()


@transaction.atomic
def channel_connection_store(*, actor, channel: Channel, account_id: str, access_token: str,
                             refresh_token: str = "", expires_at=None, scopes: str = "",
                             extra: str = "") -> ChannelConnection:
    """Store a channel's credentials (encrypted). The audit notes the change, never the secret."""
    connection, created = ChannelConnection.objects.select_for_update(of=("self",)).get_or_create(channel=channel)
    connection.account_id = account_id
    connection.access_token = access_token
    connection.refresh_token = refresh_token
    connection.expires_at = expires_at
    connection.scopes = scopes
    connection.extra = extra
    connection.connected_at = timezone.now()
    connection.connected_by = actor if getattr(actor, "pk", None) else None
    connection.save()
    audit_record(actor=actor, action="channel.connect", obj=channel,
                 changes={"account_id": [None, account_id], "expires_at": [None, str(expires_at)]},
                 service=channel.service)
    return connection


def heartbeat_record(*, component: str, detail: str = "") -> Heartbeat:
    beat, _ = Heartbeat.objects.update_or_create(
        component=component, defaults={"seen_at": timezone.now(), "detail": detail[:200]}
    )
    return beat


def worker_ping(*, requested_by) -> None:
    """Ask a worker to record a heartbeat: proves web → broker → worker end to end."""
    from .tasks import heartbeat

    transaction.on_commit(lambda: heartbeat.delay("worker", f"asked by {requested_by}"))


def channel_record_activity(*, channel_id: int, at) -> None:
    """The council itself posted or replied on the channel at `at` (the dormant check's measure:
    strangers' mentions and search hits are not the channel's activity)."""
    Channel.objects.filter(pk=channel_id).exclude(last_activity_at__gte=at).update(last_activity_at=at)
