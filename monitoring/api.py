from datetime import datetime, timedelta

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError

from . import selectors
from .models import Author, Mention


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "platform", "external_id", "handle", "display_name", "followers", "verified", "influence",
                  "profile_url"]


class MentionSerializer(serializers.ModelSerializer):
    channel = serializers.SerializerMethodField()
    author = AuthorSerializer(read_only=True)
    route = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()

    class Meta:
        model = Mention
        fields = ["id", "platform", "external_id", "channel", "kind", "author", "text", "posted_at", "url",
                  "conversation_id", "in_reply_to_id", "likes", "replies", "reshares", "route", "service", "rule"]

    def get_channel(self, mention) -> dict:
        return {"id": mention.channel_id, "handle": mention.channel.handle}

    def _routing(self, mention):
        return getattr(mention, "routing", None)

    def get_route(self, mention) -> str | None:
        routing = self._routing(mention)
        return routing.route if routing else None

    def get_service(self, mention) -> str | None:
        routing = self._routing(mention)
        if routing and routing.service_id:
            return routing.service.slug
        return mention.channel.service.slug

    def get_rule(self, mention) -> str | None:
        routing = self._routing(mention)
        return routing.rule_name if routing else None


def _when(value: str, name: str):
    try:
        parsed = parse_datetime(value) or parse_date(value)
    except ValueError:  # well formed but no such day or time, e.g. 2026-02-30
        parsed = None
    if isinstance(parsed, datetime) and parsed.utcoffset() is not None and abs(parsed.utcoffset()) > MAX_OFFSET:
        parsed = None  # no time zone is that far from UTC (and the database refuses it)
    if parsed is None:
        raise ValidationError({name: "Give a date (YYYY-MM-DD) or an ISO 8601 date and time."})
    return parsed


MAX_OFFSET = timedelta(hours=14)  # Kiribati's UTC+14 is the farthest

FILTERS = [
    OpenApiParameter("channel", OpenApiTypes.INT), OpenApiParameter("platform", OpenApiTypes.STR),
    OpenApiParameter("service", OpenApiTypes.STR, description="service slug"),
    OpenApiParameter("route", OpenApiTypes.STR), OpenApiParameter("kind", OpenApiTypes.STR),
    OpenApiParameter("since", OpenApiTypes.DATETIME), OpenApiParameter("until", OpenApiTypes.DATETIME),
    OpenApiParameter("q", OpenApiTypes.STR, description="text search"),
]


MAX_ID = 2**63 - 1  # the largest id the database holds; a larger number was a 500 on SQLite


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class MentionViewSet(viewsets.ReadOnlyModelViewSet):
    """Everything heard, limited to the channels the user may see."""

    serializer_class = MentionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Mention.objects.none()
        p = self.request.query_params
        filters = {k: p.get(k) for k in ("platform", "service", "route", "kind", "q") if p.get(k)}
        if p.get("channel"):
            if not p["channel"].isdigit() or int(p["channel"]) > MAX_ID:
                raise ValidationError({"channel": "Give a channel id."})
            filters["channel"] = int(p["channel"])
        for name in ("since", "until"):
            if p.get(name):
                filters[name] = _when(p[name], name)
        return selectors.mention_list(user=self.request.user, filters=filters)
