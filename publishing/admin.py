from django.contrib import admin

from accounts.admin import AuditedAdmin

from .models import (
    AlertIssue,
    Approval,
    ApprovalStage,
    BlockedWord,
    Campaign,
    ChannelApprovers,
    ElectionPeriod,
    EmergencyPause,
    FrequencyCap,
    Post,
    PostTarget,
    Topic,
)


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    list_display = ["name", "service", "start_date", "end_date", "owner"]
    list_filter = ["service"]
    search_fields = ["name"]


@admin.register(Topic)
class TopicAdmin(AuditedAdmin):
    list_display = ["name", "slug", "active", "order"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ChannelApprovers)
class ChannelApproversAdmin(AuditedAdmin):
    list_display = ["channel", "roles"]
    autocomplete_fields = ["users"]

    def audit_service(self, obj):
        return obj.channel.service


@admin.register(FrequencyCap)
class FrequencyCapAdmin(AuditedAdmin):
    list_display = ["channel", "max_posts", "period_hours"]

    def audit_service(self, obj):
        return obj.channel.service


@admin.register(BlockedWord)
class BlockedWordAdmin(AuditedAdmin):
    """The blocked words list; turning on `hide_incoming` hides matching comments automatically."""

    list_display = ["word", "hide_incoming", "created_at"]
    exclude = ["added_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ApprovalStage)
class ApprovalStageAdmin(AuditedAdmin):
    list_display = ["channel", "order", "name", "roles"]
    autocomplete_fields = ["users"]

    def audit_service(self, obj):
        return obj.channel.service


@admin.register(ElectionPeriod)
class ElectionPeriodAdmin(AuditedAdmin):
    list_display = ["name", "start", "end"]


class TargetInline(admin.TabularInline):
    model = PostTarget
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "state", "attempts", "external_id", "url", "last_error", "published_at"]
    fields = readonly_fields


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "decision", "comment", "decided_by_name", "post_version", "decided_at"]
    fields = readonly_fields


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    """Read-only: posts change through the publishing pages, which check and audit every step."""

    list_display = ["__str__", "service", "author", "state", "scheduled_at", "published_at"]
    list_filter = ["state", "service"]
    search_fields = ["text"]
    inlines = [TargetInline, ApprovalInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # kept as the record; a post is cancelled, not deleted


@admin.register(EmergencyPause)
class EmergencyPauseAdmin(admin.ModelAdmin):
    list_display = ["started_at", "started_by", "ended_at", "ended_by", "paused_posts", "held_posts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # kept as the record; a post is cancelled, not deleted


@admin.register(AlertIssue)
class AlertIssueAdmin(admin.ModelAdmin):
    list_display = ["post", "created_at", "sent", "finished_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # kept as the record; a post is cancelled, not deleted
