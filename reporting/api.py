"""/api/reports/…: the figures of the report pages as JSON, from the same filters and selectors.

Every endpoint takes the same query parameters: start and end (ISO dates; both blank for the
last full quarter, or the latest period with figures), compare ("year", "previous" or "custom"
with compare_start and compare_end), service (a slug; service staff get their own service) and,
where figures are over time, bucket ("day", "week" or "month")."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from . import figures, selectors
from .figures import BUCKETS
from .filters import COMPARISONS, ReportQuery, report_query_build

# --- input ---------------------------------------------------------------------------------------


class ReportQueryIn(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="The first day of the period (YYYY-MM-DD).")
    end = serializers.DateField(required=False, help_text="The last day of the period (YYYY-MM-DD).")
    compare = serializers.ChoiceField(choices=list(COMPARISONS), default="year")
    compare_start = serializers.DateField(required=False)
    compare_end = serializers.DateField(required=False)
    service = serializers.SlugField(required=False, allow_blank=True, default="")
    bucket = serializers.ChoiceField(choices=["", *BUCKETS], required=False, default="")


PARAMETERS = [OpenApiParameter(name, type=str, required=False, description=field.help_text or "")
              for name, field in ReportQueryIn().fields.items()]


def _query(request) -> ReportQuery:
    data = ReportQueryIn(data=request.query_params)
    data.is_valid(raise_exception=True)
    try:
        return report_query_build(user=request.user, today=timezone.localdate(), **data.validated_data)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from None


# --- output --------------------------------------------------------------------------------------


class QueryOut(serializers.Serializer):
    period = serializers.SerializerMethodField()
    comparison = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()
    bucket = serializers.CharField()

    def _period(self, p) -> dict:
        return {"start": p.start, "end": p.end, "label": p.label}

    def get_period(self, q) -> dict:
        return self._period(q.period)

    def get_comparison(self, q) -> dict:
        return self._period(q.comparison)

    def get_service(self, q) -> str | None:
        return q.service.slug if q.service else None


class GrowthFigureOut(serializers.Serializer):
    before = serializers.FloatField(allow_null=True, help_text="At the end of (audience) or during (activity) the "
                                                               "comparison period.")
    after = serializers.FloatField(allow_null=True, help_text="The same for the period.")
    change = serializers.FloatField(allow_null=True)
    percent = serializers.FloatField(allow_null=True)


class PlatformGrowthOut(serializers.Serializer):
    platform = serializers.CharField()
    platform_label = serializers.CharField()
    channels = serializers.IntegerField()
    figures = serializers.DictField(child=GrowthFigureOut())


class ChannelGrowthOut(serializers.Serializer):
    id = serializers.IntegerField(source="channel_id")
    platform = serializers.CharField()
    handle = serializers.CharField()
    display_name = serializers.CharField()
    service = serializers.CharField()
    figures = serializers.DictField(child=GrowthFigureOut())


class GrowthReportOut(serializers.Serializer):
    query = QueryOut()
    platforms = PlatformGrowthOut(many=True)
    channels = ChannelGrowthOut(many=True)
    buckets = serializers.ListField(child=serializers.DateField())
    followers = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField(allow_null=True)),
                                      help_text="Platform → followers at the end of each bucket.")


class VolumeReportOut(serializers.Serializer):
    query = QueryOut()
    buckets = serializers.ListField(child=serializers.DateField())
    total = serializers.IntegerField()
    comparison_total = serializers.IntegerField()
    series = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.IntegerField())),
        help_text="platform, route, service and sentiment → category → mentions in each bucket.")


class ResponseStatsOut(serializers.Serializer):
    name = serializers.CharField()
    cases = serializers.IntegerField()
    answered = serializers.IntegerField()
    resolved = serializers.IntegerField()
    first_response_median_hours = serializers.FloatField(allow_null=True)
    first_response_p90_hours = serializers.FloatField(allow_null=True)
    resolution_median_hours = serializers.FloatField(allow_null=True)
    resolution_p90_hours = serializers.FloatField(allow_null=True)
    sla_met = serializers.IntegerField()
    sla_missed = serializers.IntegerField()
    sla_breached = serializers.IntegerField()
    sla_pending = serializers.IntegerField()
    no_target = serializers.IntegerField()
    sla_compliance_percent = serializers.FloatField(allow_null=True)

    def to_representation(self, item):
        name, s = item
        return super().to_representation({
            "name": name, "cases": s.cases, "answered": s.answered, "resolved": s.resolved,
            "first_response_median_hours": figures.hours(s.first_median),
            "first_response_p90_hours": figures.hours(s.first_p90),
            "resolution_median_hours": figures.hours(s.resolution_median),
            "resolution_p90_hours": figures.hours(s.resolution_p90),
            "sla_met": s.met, "sla_missed": s.missed, "sla_breached": s.breached, "sla_pending": s.pending,
            "no_target": s.no_target, "sla_compliance_percent": s.compliance})


class FoiStatsOut(serializers.Serializer):
    name = serializers.CharField()
    received = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    overdue = serializers.IntegerField()
    open = serializers.IntegerField()
    on_time_percent = serializers.FloatField(allow_null=True)

    def to_representation(self, item):
        name, s = item
        return super().to_representation({"name": name, "received": s.received, "on_time": s.on_time,
                                           "late": s.late, "overdue": s.overdue, "open": s.open,
                                           "on_time_percent": s.share})


class PublishingStatsOut(serializers.Serializer):
    name = serializers.CharField()
    posts = serializers.IntegerField()
    posts_on_channels = serializers.IntegerField()
    responses = serializers.IntegerField()

    def to_representation(self, item):
        name, s = item
        return super().to_representation({"name": name, "posts": s.posts, "posts_on_channels": s.items,
                                           "responses": s.responses})


class ResponseReportOut(serializers.Serializer):
    query = QueryOut()
    by_route = ResponseStatsOut(many=True)
    by_service = ResponseStatsOut(many=True)
    overall = ResponseStatsOut()


class FoiReportOut(serializers.Serializer):
    query = QueryOut()
    by_service = FoiStatsOut(many=True)
    overall = FoiStatsOut()


class PublishingReportOut(serializers.Serializer):
    query = QueryOut()
    over_time = PublishingStatsOut(many=True, help_text="Named by the first day of each bucket.")
    by_platform = PublishingStatsOut(many=True)
    overall = PublishingStatsOut()


# --- endpoints -----------------------------------------------------------------------------------


@extend_schema(parameters=PARAMETERS, responses={200: GrowthReportOut},
               description="Audience and activity per platform and channel, the comparison period against the period.")
@api_view(["GET"])
def growth(request):
    query = _query(request)
    return Response(GrowthReportOut({"query": query, **vars(selectors.channel_growth(query=query))}).data)


@extend_schema(parameters=PARAMETERS, responses={200: VolumeReportOut},
               description="Mentions per bucket by platform, route, service and sentiment.")
@api_view(["GET"])
def volume(request):
    query = _query(request)
    return Response(VolumeReportOut({"query": query, **vars(selectors.mention_volume(query=query))}).data)


@extend_schema(parameters=PARAMETERS, responses={200: ResponseReportOut},
               description="First response and resolution times (median and 90th percentile, linear interpolation) "
                           "and SLA compliance per route and service, for cases opened in the period.")
@api_view(["GET"])
def response_times(request):
    query = _query(request)
    report = selectors.response_times(query=query, now=timezone.now())
    return Response(ResponseReportOut({"query": query, "by_route": report.by_route.items(),
                                       "by_service": report.by_service.items(),
                                       "overall": ("All cases", report.overall)}).data)


@extend_schema(parameters=PARAMETERS, responses={200: FoiReportOut},
               description="Valid FOI requests received in the period and whether they were answered on time.")
@api_view(["GET"])
def foi(request):
    query = _query(request)
    report = selectors.foi_on_time(query=query, today=timezone.localdate())
    return Response(FoiReportOut({"query": query, "by_service": report.by_service.items(),
                                  "overall": ("All services", report.overall)}).data)


@extend_schema(parameters=PARAMETERS, responses={200: PublishingReportOut},
               description="Posts published in the period and the comments and replies they drew.")
@api_view(["GET"])
def publishing(request):
    query = _query(request)
    report = selectors.publishing_report(query=query)
    return Response(PublishingReportOut({
        "query": query, "over_time": [(str(b), s) for b, s in zip(report.buckets, report.over_time, strict=True)],
        "by_platform": report.by_platform.items(), "overall": ("All platforms", report.overall)}).data)
