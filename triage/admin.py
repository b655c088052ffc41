"""Admin for administrators: the matrix and classifier settings (saved through the services,
so that every process picks up the change), canned replies, and cases read-only."""
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts.admin import AuditedAdmin, ReadOnlyAdmin
from accounts.audit import snapshot

from . import services
from .models import (
    CannedReply,
    Case,
    CaseEvent,
    ClassifierVersion,
    FoiRequest,
    MentionRouting,
    RetrainRun,
    RoutingLabel,
    Rule,
    ServiceTopic,
    SlaPolicy,
    TriageSettings,
)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "enabled", "route", "priority", "sla"]
    list_filter = ["enabled", "route", "priority"]
    ordering = ["order"]

    def save_model(self, request, obj, form, change):
        fields = {k: form.cleaned_data[k] for k in services.RULE_FIELDS if k in form.cleaned_data}
        try:
            saved = services.rule_save(actor=request.user, rule=obj if change else None, **fields)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.rule_delete(actor=request.user, rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.rule_delete(actor=request.user, rule=rule)


class ConfigAdmin(admin.ModelAdmin):
    """Saves through the service that rebuilds the triage configuration everywhere."""

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        services.config_object_save(actor=request.user, obj=obj, created=not change, before=before)

    def delete_model(self, request, obj):
        services.config_object_delete(actor=request.user, obj=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.config_object_delete(actor=request.user, obj=obj)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ConfigAdmin):
    list_display = ["name", "kind", "amount", "cutoff", "roll_to_working", "description"]


@admin.register(ServiceTopic)
class ServiceTopicAdmin(ConfigAdmin):
    list_display = ["service", "order"]
    list_select_related = ["service"]


@admin.register(TriageSettings)
class TriageSettingsAdmin(ConfigAdmin):
    list_display = ["__str__", "influential_followers", "influential_score", "sla_warning_minutes"]
    filter_horizontal = ["safeguarding_users"]

    def has_add_permission(self, request):
        return not TriageSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(AuditedAdmin):
    list_display = ["title", "route", "service", "url", "active"]
    list_filter = ["active", "route"]
    search_fields = ["title", "text"]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["at", "actor_name", "kind", "text", "external_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "state", "route", "priority", "service", "assignee", "sla_due_at", "opened_at"]
    list_filter = ["state", "route", "priority", "service"]
    list_select_related = ["service", "assignee"]
    date_hierarchy = "opened_at"
    inlines = [CaseEventInline]


@admin.register(FoiRequest)
class FoiRequestAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "requester", "valid", "received_at", "due_date", "responded_at"]
    list_filter = ["valid"]
    list_select_related = ["case"]


@admin.register(MentionRouting)
class MentionRoutingAdmin(ReadOnlyAdmin):
    list_display = ["mention", "route", "service", "rule_name", "priority", "routed_at"]
    list_filter = ["route", "service"]
    list_select_related = ["mention", "service"]


# Replies and moderation (triage.replies, triage.moderation).

from .governance_models import DataRequest, ModerationAction, ReplyDraft, ReplyRule  # noqa: E402


@admin.register(ReplyRule)
class ReplyRuleAdmin(AuditedAdmin):
    """When a reply needs approval: per channel, route, role of the person replying, or new staff."""

    list_display = ["name", "enabled", "channel", "route", "author_role", "new_staff_months", "approver_roles"]
    list_filter = ["enabled", "route"]


@admin.register(DataRequest)
class DataRequestAdmin(AuditedAdmin):
    """Subject-access and erasure requests in progress: nothing in their threads may be deleted."""

    list_display = ["kind", "reference", "author", "opened_at", "closed_at"]
    list_filter = ["kind"]
    raw_id_fields = ["author"]


@admin.register(ReplyDraft)
class ReplyDraftAdmin(ReadOnlyAdmin):
    list_display = ["case", "author_name", "state", "created_at", "decided_by_name"]
    list_filter = ["state"]


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "outcome", "automatic", "reason", "actor_name", "platform", "external_id"]
    list_filter = ["action", "outcome", "automatic"]

@admin.register(ClassifierVersion)
class ClassifierVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "status", "created_at", "trained_by_name", "corpus_items", "council_labels",
                    "promoted_at"]
    list_filter = ["status"]
    exclude = ["params"]  # the model's arrays: bytes, not for reading here


@admin.register(RoutingLabel)
class RoutingLabelAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "decision", "route", "service", "safeguarding", "predicted_route", "actor_name", "at"]
    list_filter = ["decision", "route", "safeguarding"]
    list_select_related = ["service"]
    raw_id_fields = ["mention", "case"]


@admin.register(RetrainRun)
class RetrainRunAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "state", "requested_by_name", "created_at", "version", "promoted", "labels_used"]
    list_filter = ["state", "promoted"]
