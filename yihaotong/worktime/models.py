"""The working-day calendar: known years and their exceptions to the Monday-to-Friday rule.

The table is the truth (architecture.md §1): seeded from the ``chinesecalendar`` package, then edited by
admins through ``actions`` when the State Council publishes a new year's notice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import calendar_seed


class CalendarYear(models.Model):
    """A year whose holidays and make-up working days have been entered. A year is known iff a row exists."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(
        _("source"),
        max_length=64,
        help_text=_('Where the data came from, e.g. "chinesecalendar 1.11.0", "admin" or "demo-provisional".'),
    )
    notice = models.CharField(
        _("notice"),
        max_length=255,
        blank=True,
        help_text=_("The number of the State Council notice, e.g. Guobanfa Mingdian [2025] No. 7."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("Calendar year")
        verbose_name_plural = _("Calendar years")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday rule: a weekday off, or a make-up working day on a weekend."""

    class Kind(models.TextChoices):
        HOLIDAY = calendar_seed.HOLIDAY, _("Holiday")
        WORKDAY = calendar_seed.WORKDAY, _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True, help_text=_('e.g. "Spring Festival"'))

    class Meta:
        ordering = ["date"]
        verbose_name = _("Calendar day")
        verbose_name_plural = _("Calendar days")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[calendar_seed.HOLIDAY, calendar_seed.WORKDAY]),
                name="worktime_day_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".rstrip()
