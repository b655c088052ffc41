from django.contrib import admin

from accounts.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Author, ChannelMetricSnapshot, Mention, PollState, Quarantine, RawPayload, WatchTerm


@admin.register(WatchTerm)
class WatchTermAdmin(AuditedAdmin):
    list_display = ["term", "service", "platforms", "active"]
    list_filter = ["active", "service"]
    search_fields = ["term"]


@admin.register(Author)
class AuthorAdmin(ReadOnlyAdmin):
    """Read-only: authors come from the platforms, and are erased on request from the people
    pages (recorded, without copying their details into the audit trail)."""

    list_display = ["handle", "display_name", "platform", "followers", "verified", "influence"]
    list_filter = ["platform", "verified"]
    search_fields = ["handle", "display_name", "external_id"]


@admin.register(Mention)
class MentionAdmin(AuditedAdmin):
    """Hiding or deleting a mention (the product has no such action of its own) happens here,
    so it is audited like any other admin change."""

    list_display = ["external_id", "platform", "channel", "kind", "author", "posted_at", "hidden", "deleted"]
    list_filter = ["platform", "kind", "hidden", "deleted", "channel__service"]
    search_fields = ["external_id", "text", "author__handle"]
    list_select_related = ["channel", "author"]
    raw_id_fields = ["author", "raw_payload", "channel"]
    date_hierarchy = "posted_at"
    readonly_fields = ["text"]

    def audit_service(self, obj):
        return obj.channel.service


@admin.register(RawPayload)
class RawPayloadAdmin(admin.ModelAdmin):
    list_display = ["channel", "endpoint", "source", "fetched_at"]
    list_filter = ["endpoint", "source"]
    list_select_related = ["channel"]
    readonly_fields = ["channel", "endpoint", "body", "source", "fetched_at"]


@admin.register(Quarantine)
class QuarantineAdmin(admin.ModelAdmin):
    list_display = ["platform", "endpoint", "channel", "created_at", "seen_count", "resolved"]
    list_filter = ["platform", "resolved", "source"]
    search_fields = ["error", "body"]
    readonly_fields = ["channel", "platform", "endpoint", "body", "body_sha256", "error", "source", "created_at",
                       "seen_count"]


@admin.register(PollState)
class PollStateAdmin(AuditedAdmin):
    list_display = ["channel", "endpoint", "enabled", "interval_seconds", "last_success_at", "last_error_at",
                    "consecutive_failures", "not_before", "items_total"]
    list_filter = ["enabled", "endpoint", "channel__platform"]
    list_select_related = ["channel"]
    readonly_fields = ["cursor", "leased_until", "last_polled_at", "last_success_at", "last_error_at", "last_error",
                       "consecutive_failures", "rate_limit", "items_total"]

    def audit_service(self, obj):
        return obj.channel.service


@admin.register(ChannelMetricSnapshot)
class ChannelMetricSnapshotAdmin(admin.ModelAdmin):
    list_display = ["channel", "date", "followers", "likes", "views", "watch_time_minutes"]
    list_filter = ["channel__platform", "channel"]
    date_hierarchy = "date"
