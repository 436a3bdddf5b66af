"""Admin helpers: policy data is written through audited actions; domain records are read-only."""

from __future__ import annotations

from django.contrib import admin


class AuditedAdmin(admin.ModelAdmin):
    """Save and delete through ``do_save_config`` / ``do_delete_config`` (validated, audited)."""

    def save_model(self, request, obj, form, change):
        from yihaotong.audit.actions import do_save_config

        do_save_config(request.user, obj)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields and inlines, after the audited save of the object itself.
        super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        from yihaotong.audit.actions import do_delete_config

        do_delete_config(request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Domain records change only through actions (API and consoles); the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
