from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from . import selectors, services
from .models import Channel, Heartbeat, Service
from .roles import Role


class ChannelSerializer(serializers.ModelSerializer):
    """A channel as the API shows it. Credentials are never part of it."""

    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all())
    health = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField(
        help_text='A web source\'s kind and mode ({"kind": "feed" or "page", "mode": "watched" or "searched"}); '
                  'null for other platforms. Give it when adding a web channel; its url is the address listened to.')

    class Meta:
        model = Channel
        fields = ["id", "platform", "handle", "display_name", "url", "purpose", "service", "kind", "status",
                  "last_activity_at", "followers", "web_team_has_access", "created_at", "updated_at", "health",
                  "source"]
        read_only_fields = ["created_at", "updated_at", "last_activity_at", "health"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # status changes only along the lifecycle
            fields["status"].read_only = True
        return fields

    def get_health(self, channel) -> dict | None:
        provider = HEALTH_PROVIDERS[0] if HEALTH_PROVIDERS else None
        return provider(channel) if provider else None

    def get_source(self, channel) -> dict | None:
        describe = CHANNEL_SOURCES.get(channel.platform)
        return describe(channel) if describe else None

    def validate_service(self, service):
        user = self.context["request"].user
        if not selectors.can_see_all_channels(user) and service.pk != user.service_id:
            raise serializers.ValidationError("You can only assign channels to your own service.")
        return service

    def validate(self, attrs):
        platform = attrs.get("platform", getattr(self.instance, "platform", None))
        handle = attrs.get("handle", getattr(self.instance, "handle", None))
        clash = Channel.objects.filter(platform=platform, handle__iexact=handle)
        if self.instance:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"handle": "The council already has a channel with this handle."})
        return attrs


# The monitoring app registers a function that returns a channel's polling health.
HEALTH_PROVIDERS: list = []
# Platforms whose channels another app describes and creates: monitoring registers "web" (a
# source's kind and mode; its address checked by the guarded fetcher's rules before it is saved).
CHANNEL_SOURCES: dict = {}
CHANNEL_CREATORS: dict = {}


class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The channel registry, limited to the channels the user may see."""

    serializer_class = ChannelSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Channel.objects.none()
        filters = {k: self.request.query_params.get(k) for k in ("platform", "service", "kind", "status", "q")}
        return selectors.channel_list(user=self.request.user, filters=filters)

    def create(self, request, *args, **kwargs):
        # Who may add comes before what they sent: a refusal is a 403 whatever the input.
        if not selectors.can_add_channel(request.user):
            raise PermissionDenied("Only the web team adds channels to the registry.")
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        create = CHANNEL_CREATORS.get(serializer.validated_data.get("platform"))
        if create is not None:
            serializer.instance = create(actor=self.request.user, data=serializer.validated_data,
                                         source=self.request.data.get("source"))
            return
        serializer.instance = services.channel_create(actor=self.request.user, **serializer.validated_data)

    def update(self, request, *args, **kwargs):
        self._editable(self.get_object().pk)  # 404 or 403 before the input is read
        return super().update(request, *args, **kwargs)

    def _editable(self, pk) -> Channel:
        try:
            return selectors.channel_get(user=self.request.user, pk=pk, for_edit=True)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None

    def perform_update(self, serializer):
        channel = self._editable(serializer.instance.pk)
        serializer.instance = services.channel_update(actor=self.request.user, channel=channel,
                                                      **serializer.validated_data)


class HeartbeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Heartbeat
        fields = ["component", "seen_at", "detail"]


def _require_ops(user):
    if not user.has_role(Role.WEB_TEAM, Role.ADMINISTRATOR):
        raise PermissionDenied("Only the web team and administrators see system status.")


@extend_schema(responses=HeartbeatSerializer(many=True))
@api_view(["GET"])
def system_status(request):
    """When the worker and the scheduler were last seen working."""
    _require_ops(request.user)
    return Response(HeartbeatSerializer(Heartbeat.objects.order_by("component"), many=True).data)


@extend_schema(request=None, responses={202: None})
@api_view(["POST"])
def system_ping(request):
    """Queue a heartbeat task for a worker to run."""
    _require_ops(request.user)
    services.worker_ping(requested_by=request.user)
    return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
