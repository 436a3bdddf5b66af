"""Read-only admin views of the feedback tables (writes go through the actions and the /feedback/ screens)."""

from django.contrib import admin

from .models import FeedbackEvent, PanelMember, Publication, Rectification, ReviewCase, ReviewSession


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PanelMember)
class PanelMemberAdmin(ReadOnly):
    list_display = ("user", "panel_type", "organisation", "is_active")
    list_filter = ("panel_type", "is_active")


@admin.register(ReviewSession)
class ReviewSessionAdmin(ReadOnly):
    list_display = ("title", "held_on", "state")
    list_filter = ("state",)


@admin.register(ReviewCase)
class ReviewCaseAdmin(ReadOnly):
    list_display = ("session", "order", "reason", "outcome")


@admin.register(Rectification)
class RectificationAdmin(ReadOnly):
    list_display = ("case", "unit", "deadline", "state")
    list_filter = ("state",)


@admin.register(Publication)
class PublicationAdmin(ReadOnly):
    list_display = ("title", "kind", "state", "published_at")
    list_filter = ("kind", "state")


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(ReadOnly):
    list_display = ("kind", "at", "actor")
