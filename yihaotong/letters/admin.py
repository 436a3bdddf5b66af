from django.contrib import admin

from .models import Letter, LetterAttachment, LetterEvent, RejectedMail


class ReadOnly(admin.ModelAdmin):
    """Letters are written by the poller and the operators' actions; the admin only shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = LetterAttachment
    extra = 0
    fields = ("name", "content_type", "size")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = LetterEvent
    extra = 0
    fields = ("kind", "actor", "at", "payload")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Letter)
class LetterAdmin(ReadOnly):
    list_display = ("received_at", "sender_email", "subject", "state", "handled_by")
    list_filter = ("state",)
    search_fields = ("subject", "sender_email", "sender_name", "message_id")
    exclude = ("body_html",)
    inlines = [AttachmentInline, EventInline]


@admin.register(RejectedMail)
class RejectedMailAdmin(ReadOnly):
    list_display = ("at", "sender", "subject", "reason", "detail", "size")
    list_filter = ("reason",)
    search_fields = ("sender", "subject", "message_id")
