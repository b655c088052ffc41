"""/api/cases/ and /api/rules/: the same selectors and services as the dashboard."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts import selectors as account_selectors
from accounts.models import Service, User

from . import config, matrix, selectors, services
from .forms import CaseFilterForm
from .models import CannedReply, Case, CaseEvent, FoiRequest, NotifyRole, Rule

# --- output ------------------------------------------------------------------------------------


class CaseMentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    platform = serializers.CharField()
    external_id = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    posted_at = serializers.DateTimeField()
    channel = serializers.CharField(source="channel.handle")
    author = serializers.SerializerMethodField()

    def get_author(self, mention) -> dict:
        a = mention.author
        return {"handle": a.handle, "display_name": a.display_name, "followers": a.followers,
                "verified": a.verified, "influence": a.influence}


@extend_schema_field({"type": "string", "description": f"One of: {', '.join(Case.State.values)}."})
class CaseStateField(serializers.CharField):
    """A case's state, described in words: an enum here would clash by name with other apps' states."""


class CaseSerializer(serializers.ModelSerializer):
    state = CaseStateField(read_only=True)
    # Both may be empty (null), which the schema must say.
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    rule = serializers.CharField(source="rule_name")
    sla_state = serializers.SerializerMethodField()
    mention = CaseMentionSerializer()

    class Meta:
        model = Case
        fields = ["id", "state", "route", "priority", "service", "assignee", "rule", "explanation", "sla_policy",
                  "opened_at", "out_of_hours", "clock_started_at", "sla_due_at", "sla_state", "acknowledged_at",
                  "first_response_at", "resolved_at", "escalated_at", "version", "mention"]

    def get_sla_state(self, case) -> str:
        return selectors.sla_state(case, self.context["now"], self.context["warning"])


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = CaseEvent
        fields = ["at", "kind", "actor", "text", "external_id", "url", "data"]


class FoiSerializer(serializers.ModelSerializer):
    class Meta:
        model = FoiRequest
        fields = ["requester", "valid", "validity_reason", "received_at", "clock_start", "due_date",
                  "reminder_sent_at", "response_kind", "response_url", "responded_at"]


class CaseDetailSerializer(CaseSerializer):
    events = EventSerializer(many=True, read_only=True)
    foi = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events", "foi"]

    def get_foi(self, case) -> dict | None:
        foi = getattr(case, "foi", None)
        return FoiSerializer(foi).data if foi else None


# --- input -------------------------------------------------------------------------------------


class VersionIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False,
                                       help_text="The version you last saw; a stale one is refused with 409.")


class AssignIn(VersionIn):
    assignee = serializers.SlugRelatedField(slug_field="username", allow_null=True,
                                            queryset=User.objects.filter(is_active=True),
                                            help_text="A username, or null to unassign.")


class NoteIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class HandOverIn(VersionIn):
    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all())
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EscalateIn(VersionIn):
    reason = serializers.CharField(max_length=2000)
    tell_head_of_service = serializers.BooleanField(default=False)
    councillors = serializers.SlugRelatedField(slug_field="username", many=True, required=False, default=list,
                                               queryset=User.objects.filter(is_active=True))


class ReplyIn(VersionIn):
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    canned = serializers.PrimaryKeyRelatedField(queryset=CannedReply.objects.filter(active=True), required=False,
                                                allow_null=True, help_text="A canned reply's id, used if no text.")

    def validate(self, attrs):
        if not attrs.get("text", "").strip():
            if not attrs.get("canned"):
                raise ValidationError({"text": "Write the reply, or give a canned reply."})
            attrs["text"] = attrs["canned"].full_text
        return attrs


class NoteOptionalIn(VersionIn):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


CASE_FILTERS = [
    OpenApiParameter(name, OpenApiTypes.STR, description=description) for name, description in [
        ("route", "a route id"), ("service", "a service slug"), ("status", '"open" (default), "all" or a state'),
        ("priority", "low, normal, high or urgent"), ("sla", "breached, due_soon, on_track, met, missed or none"),
        ("platform", "a platform"), ("channel", "a channel id"), ("assignee", '"me" or "none"'),
        ("since", "opened on or after (YYYY-MM-DD)"), ("until", "opened on or before (YYYY-MM-DD)"),
        ("q", "text or author"), ("sort", "sla, -sla, newest, oldest or priority"),
    ]
]


@extend_schema_view(list=extend_schema(parameters=CASE_FILTERS))
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases the user may see, and the actions on them. Errors: 400 with a message and no
    change; 404 for a case outside your scope; 409 when the version given is stale."""

    serializer_class = CaseSerializer
    schema_conflict_methods = ("POST",)  # a stale version: 409 (council_social/schema.py)
    # The selectors take the id as it comes: only digits reach them (else "abc" was a 500, not a 404).
    lookup_value_regex = r"[0-9]+"

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now(), "warning": config.current().sla_warning}

    def get_serializer_class(self):
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        user = self.request.user
        params = self.request.query_params
        form = CaseFilterForm(params or None, services=Service.objects.all(),
                              channels=account_selectors.channel_list(user=user))
        if form.is_bound and not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        filters = form.filters() if form.is_bound else {}
        return selectors.case_list(user=user, filters=filters)

    def get_object(self):
        return selectors.case_get(user=self.request.user, pk=self.kwargs["pk"])

    def _act(self, request, pk, serializer_class, run):
        case = selectors.case_get(user=request.user, pk=pk, for_action=True)
        given = serializer_class(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        try:
            run(case, given.validated_data)
        except services.StaleCase as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except services.CaseActionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        fresh = selectors.case_get(user=request.user, pk=pk)
        return Response(CaseDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=VersionIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._act(request, pk, VersionIn, lambda c, d: services.case_acknowledge(
            actor=request.user, case=c, version=d.get("version")))

    @extend_schema(request=AssignIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._act(request, pk, AssignIn, lambda c, d: services.case_assign(
            actor=request.user, case=c, assignee=d["assignee"], version=d.get("version")))

    @extend_schema(request=NoteIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        return self._act(request, pk, NoteIn, lambda c, d: services.case_note(
            actor=request.user, case=c, text=d["text"]))

    @extend_schema(request=HandOverIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        return self._act(request, pk, HandOverIn, lambda c, d: services.case_hand_over(
            actor=request.user, case=c, service=d["service"], note=d["note"], version=d.get("version")))

    @extend_schema(request=EscalateIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._act(request, pk, EscalateIn, lambda c, d: services.case_escalate(
            actor=request.user, case=c, reason=d["reason"], tell_head_of_service=d["tell_head_of_service"],
            councillors=d["councillors"], version=d.get("version")))

    @extend_schema(request=ReplyIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        return self._act(request, pk, ReplyIn, lambda c, d: services.case_reply(
            actor=request.user, case=c, text=d["text"], version=d.get("version")))

    @extend_schema(request=NoteOptionalIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(request, pk, NoteOptionalIn, lambda c, d: services.case_close(
            actor=request.user, case=c, note=d["note"], version=d.get("version")))

    @extend_schema(request=NoteOptionalIn, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(request, pk, NoteOptionalIn, lambda c, d: services.case_reopen(
            actor=request.user, case=c, note=d["note"], version=d.get("version")))


# --- rules -------------------------------------------------------------------------------------


class RuleSerializer(serializers.ModelSerializer):
    notify = serializers.ListField(child=serializers.ChoiceField(choices=NotifyRole.choices), required=False,
                                   default=list)
    conditions = serializers.JSONField(required=False, default=dict)

    class Meta:
        model = Rule
        fields = ["id", "name", "order", "enabled", "route", "priority", "conditions", "sla", "notify",
                  "description", "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {"name": {"validators": []}}

    def validate(self, attrs):
        merged = {f: getattr(self.instance, f) for f in services.RULE_FIELDS} if self.instance else {}
        merged.update(attrs)
        rule = matrix.Rule(name=merged.get("name", ""), order=merged.get("order", 0), route=merged.get("route", ""),
                           priority=merged.get("priority", "normal"), conditions=merged.get("conditions", {}),
                           enabled=merged.get("enabled", True), sla=merged.get("sla") or None,
                           notify=tuple(merged.get("notify") or ()))
        errors = services.rule_errors(rule)
        if Rule.objects.filter(name=rule.name).exclude(pk=getattr(self.instance, "pk", None)).exists():
            errors.append(f"There is already a rule called '{rule.name}'.")
        if errors:
            raise ValidationError({"non_field_errors": errors})
        return attrs


class RuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The escalation matrix: staff read it; the web team and administrators change it."""

    serializer_class = RuleSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Rule.objects.none()
        if not selectors.can_work_on_cases(self.request.user):
            raise PermissionDenied("Councillors do not see the escalation matrix.")
        return selectors.rule_list()

    def _editor(self):
        if not selectors.can_edit_rules(self.request.user):
            raise PermissionDenied("Only the web team and administrators change the escalation matrix.")

    # Who may change comes before what they sent: a refusal is a 403 whatever the input.
    def create(self, request, *args, **kwargs):
        self._editor()
        return super().create(request, *args, **kwargs)

    def update(self, request, *args, **kwargs):
        self._editor()
        return super().update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = self._save(None, serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self._save(serializer.instance, serializer.validated_data)

    def _save(self, rule, data):
        try:
            return services.rule_save(actor=self.request.user, rule=rule, **data)
        except DjangoValidationError as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
