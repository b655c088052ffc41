from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction

from .audit import audit_for, audit_record, diff, snapshot
from .models import (
    AccountRequest,
    AccountRequestDecision,
    ApiToken,
    AuditEvent,
    BrandingChecklist,
    Channel,
    ChannelConnection,
    Heartbeat,
    HousekeepingFlag,
    Service,
    User,
)


class AuditedAdmin(admin.ModelAdmin):
    """Records every create, change and delete made in admin on the audit trail."""

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changes = diff(before, snapshot(obj))
            changes.pop("updated_at", None)
            if changes or not change:
                audit_record(actor=request.user, action=f"{obj._meta.model_name}.{'update' if change else 'create'}",
                             obj=obj, changes=changes, service=self.audit_service(obj), note="in admin")

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(actor=request.user, action=f"{obj._meta.model_name}.delete", obj=obj,
                         changes=diff(snapshot(obj), {}), service=self.audit_service(obj), note="in admin")
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def audit_service(self, obj):
        return getattr(obj, "service", None) if not isinstance(obj, Service) else obj

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "audit_events": audit_for(obj)[:200] if obj else []}
        return super().history_view(request, object_id, extra_context)


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = ["name", "slug", "head", "email"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["head"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "get_full_name", "email", "service", "role_list", "is_active", "last_login"]
    list_filter = ["groups", "service", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "email"]
    list_select_related = ["service"]
    fieldsets = BaseUserAdmin.fieldsets + (("Council", {"fields": ("service", "job_title")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + (("Council", {"fields": ("first_name", "last_name", "email", "service")}),)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def role_list(self, obj):
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    def save_related(self, request, form, formsets, change):
        before = sorted(form.instance.groups.values_list("name", flat=True)) if change else []
        super().save_related(request, form, formsets, change)
        after = sorted(form.instance.groups.values_list("name", flat=True))
        if before != after:
            audit_record(actor=request.user, action="user.roles", obj=form.instance,
                         changes={"roles": [before, after]}, service=form.instance.service, note="in admin")


class ConnectionInline(admin.StackedInline):
    """Shows that a channel is connected and when; secrets are never shown."""

    model = ChannelConnection
    fields = ["account_id", "expires_at", "scopes", "connected_at", "connected_by", "is_connected"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0

    @admin.display(boolean=True, description="Connected")
    def is_connected(self, obj):
        return obj.is_connected


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    list_display = ["handle", "platform", "display_name", "service", "kind", "status", "followers",
                    "web_team_has_access", "last_activity_at"]
    list_filter = ["platform", "kind", "status", "service", "web_team_has_access"]
    search_fields = ["handle", "display_name", "purpose"]
    list_select_related = ["service"]
    filter_horizontal = ["managers"]
    inlines = [ConnectionInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for reference: these records change only through their services (and are audited there)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Nobody changes or deletes the audit trail, administrators included."""

    list_display = ["at", "actor_name", "action", "object_type", "object_repr", "service"]
    list_filter = ["action", "object_type", "service"]
    search_fields = ["object_repr", "actor_name", "action", "object_id"]
    date_hierarchy = "at"
    list_select_related = ["service"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["component", "seen_at", "detail"]
    readonly_fields = ["component", "seen_at", "detail"]


class DecisionInline(admin.TabularInline):
    model = AccountRequestDecision
    fields = ["decided_at", "stage", "outcome", "decided_by_name", "reasons"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AccountRequest)
class AccountRequestAdmin(ReadOnlyAdmin):
    list_display = ["proposed_handle", "platform", "kind", "service", "requester", "state", "created_at",
                    "decided_at", "channel"]
    list_filter = ["state", "platform", "kind", "service"]
    search_fields = ["proposed_handle", "proposed_display_name", "requester__username", "requester__last_name"]
    list_select_related = ["service", "requester", "channel"]
    date_hierarchy = "created_at"
    inlines = [DecisionInline]


@admin.register(AccountRequestDecision)
class AccountRequestDecisionAdmin(ReadOnlyAdmin):
    list_display = ["request", "stage", "outcome", "decided_by_name", "decided_at"]
    list_filter = ["stage", "outcome"]
    search_fields = ["request__proposed_handle", "decided_by_name", "reasons"]
    list_select_related = ["request"]


@admin.register(BrandingChecklist)
class BrandingChecklistAdmin(AuditedAdmin):
    list_display = ["channel", "profile_image", "naming", "official_bio", "hours_and_contact", "header_image",
                    "is_complete", "checked_by", "checked_at"]
    list_filter = ["profile_image", "naming", "official_bio", "hours_and_contact", "header_image",
                   "channel__service"]
    search_fields = ["channel__handle", "channel__display_name"]
    list_select_related = ["channel", "checked_by"]
    autocomplete_fields = ["channel"]
    readonly_fields = ["checked_by", "checked_at"]

    @admin.display(boolean=True, description="Complete")
    def is_complete(self, obj):
        return obj.is_complete

    def audit_service(self, obj):
        return obj.channel.service


@admin.register(HousekeepingFlag)
class HousekeepingFlagAdmin(ReadOnlyAdmin):
    list_display = ["channel", "kind", "status", "detail", "raised_at", "resolved_at", "resolved_by"]
    list_filter = ["status", "kind", "channel__service", "channel__platform"]
    search_fields = ["channel__handle", "channel__display_name", "detail", "resolution"]
    list_select_related = ["channel", "resolved_by"]
    date_hierarchy = "raised_at"


# --- API tokens: made here, the key shown once; the list shows its first characters only --------

try:  # DRF's own token admin shows keys in clear; its tokens are no longer accepted (accounts/tokens.py)
    from rest_framework.authtoken.models import TokenProxy

    admin.site.unregister(TokenProxy)
except (ImportError, admin.sites.NotRegistered):
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix_shown", "scope", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "user__username", "prefix"]
    fields = ["user", "name", "scope", "expires_at", "prefix_shown", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix_shown", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="Key")
    def prefix_shown(self, token):
        return f"{token.prefix}…" if token.prefix else "shown once, when it is made"

    def get_readonly_fields(self, request, obj=None):
        # A token's owner, scope and expiry are fixed once it is made: make a new one instead.
        return [*self.readonly_fields, "user", "name", "scope", "expires_at"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        from django.contrib import messages

        from .tokens import api_token_create

        token, key = api_token_create(actor=request.user, user=obj.user, name=obj.name, scope=obj.scope,
                                      expires_at=obj.expires_at)
        obj.pk = token.pk
        messages.warning(request, f"The key of {token.name}: {key} — copy it now: it is not stored and will not "
                                  "be shown again.")

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so the trail keeps the token

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        from .tokens import api_token_revoke

        for token in queryset:
            api_token_revoke(actor=request.user, token=token)
