from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yihaotong.core.admin_mixins import AuditedAdmin

from .actions import do_copy_catalogue, do_publish_catalogue, do_save_unit
from .models import (
    CatalogueEntry,
    CatalogueVersion,
    Category,
    HotlineAlias,
    RequestType,
    Setting,
    TimeLimitRule,
    Unit,
    Urgency,
)


class HotlineInline(admin.TabularInline):
    model = HotlineAlias
    extra = 0


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "short_name", "hotlines__number"]
    autocomplete_fields = ["parent"]
    inlines = [HotlineInline]

    def save_model(self, request, obj, form, change):
        do_save_unit(request.user, obj)


@admin.register(HotlineAlias)
class HotlineAliasAdmin(AuditedAdmin):
    list_display = ["number", "label", "unit", "retired_on"]
    search_fields = ["number", "label", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(RequestType)
class RequestTypeAdmin(AuditedAdmin):
    list_display = ["code", "name", "name_en", "is_whistleblowing", "sort"]


@admin.register(Urgency)
class UrgencyAdmin(AuditedAdmin):
    list_display = ["code", "name", "name_en", "sort"]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name", "keywords"]
    autocomplete_fields = ["parent"]


class CatalogueEntryInline(admin.TabularInline):
    model = CatalogueEntry
    extra = 0
    autocomplete_fields = ["category", "lead_unit", "support_units"]


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(AuditedAdmin):
    list_display = ["number", "note", "is_current", "published_at"]
    readonly_fields = ["is_current", "published_at"]
    inlines = [CatalogueEntryInline]
    actions = ["publish", "copy"]

    @admin.action(description=_("Put the selected version in force"))
    def publish(self, request, queryset):
        for version in queryset[:1]:
            do_publish_catalogue(request.user, version)
            self.message_user(request, _("Catalogue v%(n)s is in force.") % {"n": version.number})

    @admin.action(description=_("Start a new version as a copy"))
    def copy(self, request, queryset):
        for version in queryset[:1]:
            new = do_copy_catalogue(request.user, version)
            self.message_user(request, _("Draft v%(n)s created.") % {"n": new.number})


@admin.register(TimeLimitRule)
class TimeLimitRuleAdmin(AuditedAdmin):
    list_display = ["request_type", "urgency", "sign_value", "sign_unit", "handle_value", "handle_unit", "is_active"]
    list_filter = ["is_active", "urgency", "request_type"]


@admin.register(Setting)
class SettingAdmin(AuditedAdmin):
    list_display = ["key", "value", "note"]
    search_fields = ["key"]
