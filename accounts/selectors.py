"""Reads, already limited to what the user may see."""
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Channel, ChannelConnection, Service, User
from .roles import MANAGE_ALL_CHANNELS, MANAGE_OWN_CHANNELS, SEE_ALL_CHANNELS


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


def service_list() -> QuerySet[Service]:
    return Service.objects.select_related("head")


def staff_with_role(role: str, *, service_id: int | None = None) -> QuerySet[User]:
    qs = User.objects.filter(is_active=True, groups__name=role)
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    return qs.distinct()
