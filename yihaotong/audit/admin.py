from django.contrib import admin

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from .models import AccessLog, ConfigChange


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "subject_type", "subject_id", "fields", "reason", "ip"]
    search_fields = ["subject_id", "reason"]


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "model", "object_id", "action", "summary"]
    list_filter = ["model", "action"]
