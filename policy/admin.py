from django.contrib import admin

from accounts.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Acknowledgement, PolicyDocument, PolicyVersion, TrainingCompletion, TrainingModule


class VersionInline(admin.TabularInline):
    """Versions are published on the site (policy_version_publish), which numbers and audits them."""

    model = PolicyVersion
    fields = ["number", "effective_from", "review_due", "change_type", "approved_by", "committee_reference",
              "summary_of_changes"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(AuditedAdmin):
    list_display = ["title", "audience", "kind", "owner", "requires_acknowledgement", "review_reminder_days",
                    "order"]
    list_filter = ["audience", "kind", "requires_acknowledgement"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["owner"]
    list_select_related = ["owner"]
    inlines = [VersionInline]

    def audit_service(self, obj):
        return None


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["document", "number", "effective_from", "review_due", "change_type", "approved_by",
                    "committee_reference", "review_reminded_at"]
    list_filter = ["change_type", "document__audience", "document"]
    search_fields = ["document__title", "approved_by", "committee_reference", "summary_of_changes", "body"]
    list_select_related = ["document"]
    date_hierarchy = "effective_from"


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["user", "version", "at"]
    list_filter = ["version__document", "user__service"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "version__document__title"]
    list_select_related = ["user", "version__document"]
    date_hierarchy = "at"


@admin.register(TrainingModule)
class TrainingModuleAdmin(AuditedAdmin):
    list_display = ["title", "audience", "valid_for_months", "required", "active"]
    list_filter = ["audience", "required", "active"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}

    def audit_service(self, obj):
        return None


@admin.register(TrainingCompletion)
class TrainingCompletionAdmin(ReadOnlyAdmin):
    list_display = ["user", "module", "completed_on", "expires_on", "recorded_by", "lapse_reminded_at"]
    list_filter = ["module", "user__service"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "module__title", "note"]
    list_select_related = ["user", "module", "recorded_by"]
    date_hierarchy = "completed_on"
