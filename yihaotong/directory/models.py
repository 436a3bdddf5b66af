"""The directory: units, request types, urgency levels, categories, the dispatch catalogue, time limits.

All of it is policy data edited by administrators through audited actions (architecture.md §3.6).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CENTRE = "centre", _("Hotline centre")
    DEPARTMENT = "department", _("Department")
    STREET = "street", _("Street office")
    COMMUNITY = "community", _("Community")
    SUBUNIT = "subunit", _("Sub-unit")
    EXTERNAL = "external", _("External body")


class Unit(models.Model):
    """A unit of the district: the centre, a department, a street office, a community or a sub-unit."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of ids, "/3/17/", so that a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    duties = models.TextField(_("duties"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.IntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class HotlineAlias(models.Model):
    """An old department hotline that the one number replaced (searchable: callers still quote them)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="hotlines", verbose_name=_("unit"))
    number = models.CharField(_("number"), max_length=32, db_index=True)
    label = models.CharField(_("label"), max_length=64, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("old hotline")
        verbose_name_plural = _("old hotlines")
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="hotline_unique_per_unit")]

    def __str__(self) -> str:
        return f"{self.number} ({self.unit})"


class RequestType(models.Model):
    """诉求类型: 咨询 / 求助 / 投诉 / 举报 / 建议 / 表扬 / 其他."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=32, blank=True)
    is_whistleblowing = models.BooleanField(
        _("whistle-blowing"), default=False, help_text=_("Orders of this type protect the requester's identity.")
    )
    sort = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self) -> str:
        return self.name


class Urgency(models.Model):
    """Urgency level: 一般 / 紧急 / 特急 (life or property at risk)."""

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=32, blank=True)
    sort = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort"]
        verbose_name = _("urgency")
        verbose_name_plural = _("urgency levels")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """事项分类: a node of the 3-level subject taxonomy."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("Comma-separated; used for routing hints."))
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=3), name="category_level_1_to_3"),
        ]

    def __str__(self) -> str:
        return self.name


class CatalogueVersion(models.Model):
    """A version of the dispatch catalogue (派单目录). Exactly one published version is in force."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    is_current = models.BooleanField(_("in force"), default=False)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("catalogue version")
        verbose_name_plural = _("catalogue versions")
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_catalogue"),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class CatalogueEntry(models.Model):
    """Category → lead unit and supporting units, within one catalogue version."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="entries")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="catalogue_entries")
    lead_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_entries",
        help_text=_("Empty: the street office of the address leads (by territory)."),
    )
    support_units = models.ManyToManyField(Unit, blank=True, related_name="support_entries")
    by_territory = models.BooleanField(
        _("by territory"), default=False, help_text=_("The street office of the address leads.")
    )
    keywords = models.TextField(_("keywords"), blank=True)
    duty_basis = models.CharField(_("legal basis"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")
        constraints = [models.UniqueConstraint(fields=["version", "category"], name="catalogue_entry_unique")]

    def __str__(self) -> str:
        lead = self.lead_unit or _("street of the address")
        return f"{self.category} → {lead}"


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "wd", _("working days")
    HOURS = "h", _("clock hours")
    MINUTES = "min", _("clock minutes")


class TimeLimitRule(models.Model):
    """办理时限: sign-for and handling limits per request type and urgency.

    Rule lookup: the most specific active rule wins (type + urgency, then urgency alone, then type alone).
    A handle limit may be empty ("set by the dispatcher"), then the dispatcher must give a deadline.
    """

    request_type = models.ForeignKey(RequestType, null=True, blank=True, on_delete=models.PROTECT)
    urgency = models.ForeignKey(Urgency, null=True, blank=True, on_delete=models.PROTECT)
    sign_value = models.PositiveIntegerField(_("sign-for limit"))
    sign_unit = models.CharField(_("sign-for limit unit"), max_length=4, choices=LimitUnit.choices)
    handle_value = models.PositiveIntegerField(_("handling limit"), null=True, blank=True)
    handle_unit = models.CharField(_("handling limit unit"), max_length=4, choices=LimitUnit.choices, blank=True)
    basis = models.CharField(_("basis (document number)"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("time-limit rule")
        verbose_name_plural = _("time-limit rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(request_type__isnull=False) | Q(urgency__isnull=False), name="rule_has_a_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_type or '*'} / {self.urgency or '*'}"


class Setting(models.Model):
    """A named policy value (JSON): windows, rounds, switches. Defaults live in ``policy.DEFAULTS``."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    value = models.JSONField(_("value"))
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("policy setting")
        verbose_name_plural = _("policy settings")

    def __str__(self) -> str:
        return self.key
