"""Reads, already limited to what the user may see."""
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Channel, ChannelConnection, Service, User
from .roles import MANAGE_ALL_CHANNELS, MANAGE_OWN_CHANNELS, SEE_ALL_CHANNELS, Role


def can_see_all_channels(user: User) -> bool:
    return user.is_authenticated and user.has_role(*SEE_ALL_CHANNELS)


def can_add_channel(user: User) -> bool:
    return user.is_authenticated and user.has_role(*MANAGE_ALL_CHANNELS)


def can_edit_channel(user: User, channel: Channel) -> bool:
    if not user.is_authenticated:
        return False
    if user.has_role(*MANAGE_ALL_CHANNELS):
        return True
    return user.has_role(*MANAGE_OWN_CHANNELS) and user.service_id is not None and (
        channel.service_id == user.service_id
    )


def channel_list(*, user: User, filters: dict | None = None) -> QuerySet[Channel]:
    """Channels the user may see, with optional filters (platform, service slug, kind, status, q)."""
    # needs_reauth for channel_condition, without loading the connection (it holds the secrets)
    qs = Channel.objects.select_related("service").annotate(needs_reauth=Exists(
        ChannelConnection.objects.filter(channel=OuterRef("pk"), needs_reauth=True)))
    if not can_see_all_channels(user):
        qs = qs.filter(service_id=user.service_id) if user.service_id else qs.none()
    filters = filters or {}
    if filters.get("platform"):
        qs = qs.filter(platform=filters["platform"])
    if filters.get("service"):
        qs = qs.filter(service__slug=filters["service"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("q"):
        q = filters["q"]
        if "\x00" in q:  # no channel has one (PostgreSQL could not even compare it)
            return qs.none()
        qs = qs.filter(Q(handle__icontains=q) | Q(display_name__icontains=q) | Q(purpose__icontains=q))
    return qs


def channel_get(*, user: User, pk: int, for_edit: bool = False) -> Channel:
    """A channel the user may see (or edit); 404 otherwise, so ids reveal nothing."""
    channel = get_object_or_404(channel_list(user=user), pk=pk)
    if for_edit and not can_edit_channel(user, channel):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("You cannot change this channel.")
    return channel


# --- per-channel permissions -------------------------------------------------------------------------
# What may be done on a channel: publish posts, reply to residents, moderate comments (hide,
# delete, block) and approve (whose stages publishing's approval chain decides).
CHANNEL_ACTIONS = {"publish": "Publish posts", "reply": "Reply to residents", "moderate": "Moderate comments",
                   "approve": "Approve posts and replies"}
# Roles that may do it on every channel.
ALL_CHANNEL_ROLES = {
    "publish": {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR},
    "reply": {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR, Role.CUSTOMER_SERVICES},
    "moderate": {Role.WEB_TEAM, Role.COMMUNICATIONS_OFFICER, Role.ADMINISTRATOR},
}
# Roles of the channel's own service that may do it when the channel names no managers.
SERVICE_ROLES = {
    "publish": {Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR},
    "reply": {Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR, Role.CUSTOMER_SERVICES},
    "moderate": {Role.HEAD_OF_SERVICE, Role.SERVICE_EDITOR},
}


def channel_access(user: User, channel: Channel, action: str) -> bool:
    """Whether the user may publish, reply or moderate on the channel: roles that cover every
    channel; else the managers named on the channel and the head of its service; a channel that
    names no managers is open to its service's staff in the roles that do it."""
    if action not in ALL_CHANNEL_ROLES:
        raise ValueError(f"unknown channel action {action}")
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_role(*ALL_CHANNEL_ROLES[action]):
        return True
    if not user.has_role(*SERVICE_ROLES[action]):
        return False
    managers = [m.pk for m in channel.managers.all()]
    if user.pk in managers:
        return True
    same_service = user.service_id is not None and user.service_id == channel.service_id
    if same_service and user.has_role(Role.HEAD_OF_SERVICE):
        return True
    return not managers and same_service


def channels_with_access(*, user: User, action: str) -> QuerySet[Channel]:
    """channel_list narrowed to the channels where the user may do `action` (as channel_access)."""
    qs = channel_list(user=user)
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.has_role(*ALL_CHANNEL_ROLES[action]):
        return qs
    if not user.has_role(*SERVICE_ROLES[action]):
        return qs.none()
    through = Channel.managers.through
    named = Exists(through.objects.filter(channel_id=OuterRef("pk"), user_id=user.pk))
    has_managers = Exists(through.objects.filter(channel_id=OuterRef("pk")))
    allowed = named | (Q(service_id=user.service_id) & ~has_managers)
    if user.has_role(Role.HEAD_OF_SERVICE):
        allowed |= Q(service_id=user.service_id)
    return qs.filter(allowed)


def channel_access_summary(channel: Channel) -> list[tuple[str, str]]:
    """Who has access to the channel, action by action, in words (the channel page)."""
    managers = [str(m) for m in channel.managers.all()]
    if managers:
        local = f"the managers named on the channel ({', '.join(managers)}) and the head of {channel.service.name}"
    else:
        local = f"no managers are named, so the staff of {channel.service.name} in these roles:"
    rows = []
    for action, label in CHANNEL_ACTIONS.items():
        if action == "approve":
            continue
        everywhere = ", ".join(sorted(Role(r).label.lower() for r in ALL_CHANNEL_ROLES[action]))
        if managers:
            who = f"{local}; on every channel: {everywhere}"
        else:
            roles = ", ".join(sorted(Role(r).label.lower() for r in SERVICE_ROLES[action]))
            who = f"{local} {roles}; on every channel: {everywhere}"
        rows.append((label, who))
    return rows


def service_list() -> QuerySet[Service]:
    return Service.objects.select_related("head")


def staff_with_role(role: str, *, service_id: int | None = None) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True, groups__name=role)
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    return qs.distinct()
