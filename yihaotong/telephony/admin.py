from django.contrib import admin

from .models import Call, CallEvent, Extension


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ("number", "user")
    search_fields = ("number", "user__username")
    autocomplete_fields = ("user",)


class CallEventInline(admin.TabularInline):
    model = CallEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "at", "received_at", "payload")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    """Read-only: calls are written by the webhook and the consoles' actions."""

    list_display = ("call_id", "caller", "state", "agent", "rang_at", "duration", "contact", "called_back_at")
    list_filter = ("state",)
    search_fields = ("call_id", "caller")
    inlines = [CallEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
