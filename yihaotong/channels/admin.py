from django.contrib import admin

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from .actions import do_save_platform
from .models import ImportBatch, Platform, Transfer


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "account", "push_url", "is_active"]
    exclude = []

    def save_model(self, request, obj, form, change):
        saved = do_save_platform(
            code=obj.code,
            name=obj.name,
            account=obj.account,
            push_url=obj.push_url,
            push_secret=obj.push_secret,
            is_active=obj.is_active,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False  # transfers point at it; deactivate instead


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["platform", "upstream_id", "order", "upstream_due", "received_at", "updated_at"]
    list_filter = ["platform"]
    search_fields = ["upstream_id", "order__number"]
    raw_id_fields = ["order"]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "platform", "file_name", "state", "total", "created", "updated", "conflicts", "rejected"]
    list_filter = ["platform", "state"]
