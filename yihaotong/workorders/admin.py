from django.contrib import admin

from yihaotong.core.admin_mixins import ReadOnlyAdmin

from .models import Application, Assignment, Event, WorkOrder


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "order"
    extra = 0
    can_delete = False
    fields = ["unit", "role", "state", "dispatched_at", "signed_at", "replied_at", "returned_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor_label", "unit", "from_state", "to_state", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "state", "request_type", "subject", "lead_unit", "due_at", "warning_level", "created_at"]
    list_filter = ["state", "warning_level", "request_type", "urgency", "channel"]
    search_fields = ["number", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["request_type", "lead_unit"]
    exclude = ["query_code_hash", "requester_name", "requester_phone"]
    inlines = [AssignmentInline, EventInline]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["kind", "order", "state", "requested_at", "decided_at"]
    list_filter = ["kind", "state"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "order", "kind", "actor_label", "from_state", "to_state"]
    list_filter = ["kind"]
    search_fields = ["order__number"]
    list_select_related = ["order"]
