"""Admin for the working-day calendar. Every write goes through ``actions`` (architecture.md §3.1)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from yihaotong.core.errors import DomainError

from . import actions
from .models import CalendarDay, CalendarYear


def _days_of_kind(kind: str):
    days = (
        CalendarDay.objects.filter(date__year=OuterRef("year"), kind=kind)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(days, output_field=IntegerField()), 0)


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "source", "notice"]

    def clean_year(self):
        year = self.cleaned_data["year"]
        if not actions.MIN_YEAR <= year <= actions.MAX_YEAR:
            raise forms.ValidationError(
                _("The year must lie between %(min)s and %(max)s."),
                params={"min": actions.MIN_YEAR, "max": actions.MAX_YEAR},
            )
        return year


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ["year", "source", "notice", "holiday_count", "workday_count", "updated_at"]
    search_fields = ["notice", "source"]
    actions = ["seed_from_package"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                holiday_count=_days_of_kind(CalendarDay.Kind.HOLIDAY),
                workday_count=_days_of_kind(CalendarDay.Kind.WORKDAY),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return ["year", "updated_at"] if obj else []

    def get_changeform_initial_data(self, request):
        return {"source": "admin", **super().get_changeform_initial_data(request)}

    @admin.display(description=_("Holidays"), ordering="holiday_count")
    def holiday_count(self, obj):
        return obj.holiday_count

    @admin.display(description=_("Make-up working days"), ordering="workday_count")
    def workday_count(self, obj):
        return obj.workday_count

    def save_model(self, request, obj, form, change):
        if change:
            actions.do_update_calendar_year(year=obj.year, source=obj.source, notice=obj.notice)
        else:
            # A new year starts with no exceptions; add its days next (or use `calendar import`).
            actions.do_set_calendar_year(year=obj.year, holidays=[], workdays=[], source=obj.source, notice=obj.notice)

    def delete_model(self, request, obj):
        actions.do_delete_calendar_year(obj.year)

    def delete_queryset(self, request, queryset):
        for year in queryset.values_list("year", flat=True):
            actions.do_delete_calendar_year(year)

    @admin.action(description=_("Seed from the chinesecalendar package"), permissions=["add"])
    def seed_from_package(self, request, queryset):
        # The selection does not matter: every year the package knows and the table lacks is created.
        try:
            created = actions.do_seed_calendar_from_package()
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        if created:
            self.message_user(
                request,
                _("Created the calendar of: %(years)s.") % {"years": ", ".join(map(str, created))},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("Every year the package knows is already in the calendar."), messages.INFO)

    def changelist_view(self, request, extra_context=None):
        # Let the seeding action run without ticking a row (it ignores the selection anyway).
        if (
            request.method == "POST"
            and request.POST.get("action") == "seed_from_package"
            and not request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        ):
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, ["0"])
            request.POST["select_across"] = "1"
        return super().changelist_view(request, extra_context)


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return [(str(y), str(y)) for y in CalendarYear.objects.values_list("year", flat=True)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date") and cleaned.get("kind"):
            for field, errors in actions.calendar_day_rule_errors(cleaned["date"], cleaned["kind"]).items():
                for error in errors:
                    self.add_error(field, error)
        return cleaned


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind", YearFilter]
    search_fields = ["name"]
    date_hierarchy = "date"

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return WEEKDAYS_ABBR[obj.date.weekday()]

    def save_model(self, request, obj, form, change):
        actions.do_save_calendar_day(obj)

    def delete_model(self, request, obj):
        actions.do_delete_calendar_day(obj)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            actions.do_delete_calendar_day(day)
