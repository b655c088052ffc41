"""The API of web sources (through /api/channels/), the watch list and spike alerts."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.models import Channel
from accounts.roles import MANAGE_ALL_CHANNELS, SEE_ALL_CHANNELS

from . import watchlist
from .models import SpikeAlert, WatchedAccount, WebSource
from .web import SourceRefused, web_source_create


def channel_source(channel: Channel) -> dict | None:
    source = WebSource.objects.filter(channel=channel).only("kind", "mode").first()
    return {"kind": source.kind, "mode": source.mode} if source else None


def channel_source_create(*, actor, data: dict, source) -> Channel:
    """POST /api/channels/ with platform "web": the address is checked, the kind and mode kept."""
    source = source if isinstance(source, dict) else {}
    kind, mode = source.get("kind", WebSource.Kind.FEED), source.get("mode", WebSource.Mode.WATCHED)
    errors = {}
    if kind not in WebSource.Kind.values:
        errors["source"] = [f"kind must be one of {', '.join(WebSource.Kind.values)}"]
    if mode not in WebSource.Mode.values:
        errors["source"] = [f"mode must be one of {', '.join(WebSource.Mode.values)}"]
    if not data.get("url"):
        errors["url"] = ["A web source needs the address of its feed or page."]
    if errors:
        raise ValidationError(errors)
    try:
        created = web_source_create(actor=actor, handle=data["handle"], display_name=data["display_name"],
                                    url=data["url"], service=data["service"], kind=kind, mode=mode,
                                    purpose=data.get("purpose", ""))
    except SourceRefused as exc:
        raise ValidationError({"url": [str(exc)]}) from None
    return created.channel


class WatchedAccountSerializer(serializers.ModelSerializer):
    added_by = serializers.StringRelatedField()

    class Meta:
        model = WatchedAccount
        fields = ["id", "platform", "handle", "name", "kind", "reason", "active", "added_by", "added_at",
                  "reviewed_at", "review_due_on"]
        read_only_fields = ["added_by", "added_at", "reviewed_at", "review_due_on"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # who it is stays; name, kind, reason and active may change
            fields["platform"].read_only = fields["handle"].read_only = True
        return fields


@extend_schema_view(
    list=extend_schema(summary="The watch list: people and sites whose mentions are always looked at"),
    create=extend_schema(summary="Add to the watch list (web team and administrators; audited)"),
    partial_update=extend_schema(summary="Change an entry's name, kind, reason or active flag (audited)"),
    destroy=extend_schema(summary="Remove an entry (audited)"),
)
class WatchedAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                            mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """People who matter. The web team, communications officers and administrators see it; the web
    team and administrators change it."""

    serializer_class = WatchedAccountSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        roles = SEE_ALL_CHANNELS if request.method in ("GET", "HEAD", "OPTIONS") else MANAGE_ALL_CHANNELS
        if not request.user.has_role(*roles):
            raise PermissionDenied("The watch list is for the web team, communications officers and administrators.")

    def get_queryset(self):
        return WatchedAccount.objects.select_related("added_by").order_by("platform", "handle")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = watchlist.watched_account_add(
                actor=self.request.user, platform=data["platform"], handle=data["handle"], name=data["name"],
                reason=data["reason"], kind=data.get("kind", WatchedAccount.Kind.OTHER))
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = watchlist.watched_account_update(actor=self.request.user, entry=serializer.instance,
                                                                   **serializer.validated_data)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from None

    def perform_destroy(self, instance):
        watchlist.watched_account_remove(actor=self.request.user, entry=instance, note="Removed through the API.")


class SpikeAlertSerializer(serializers.ModelSerializer):
    mentions = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                  help_text="Ids of the mentions behind it (/api/mentions/<id>/).")

    class Meta:
        model = SpikeAlert
        fields = ["id", "kind", "topic", "started_at", "last_rising_at", "ended_at", "count", "peak", "baseline_mean",
                  "baseline_sd", "threshold", "explanation", "mentions"]


@extend_schema_view(
    list=extend_schema(summary="Spike alerts: topics that rose well above their own baseline, newest first"),
    retrieve=extend_schema(summary="One spike alert with the mentions behind it"),
)
class SpikeAlertViewSet(viewsets.ReadOnlyModelViewSet):
    """What is rising (monitoring.trends explains the test). For the web team, communications
    officers and administrators. ?open=true lists the episodes still rising."""

    serializer_class = SpikeAlertSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.has_role(*SEE_ALL_CHANNELS):
            raise PermissionDenied("Spike alerts are for the web team, communications officers and administrators.")

    def get_queryset(self):
        alerts = SpikeAlert.objects.prefetch_related("mentions").order_by("-started_at", "-id")
        if self.request.query_params.get("open") == "true":
            alerts = alerts.filter(ended_at__isnull=True)
        return alerts
