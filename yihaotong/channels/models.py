"""Upstream transfers (转办): the city platforms, the orders they transferred, and batch imports.

A ``Transfer`` ties one upstream id of one platform to one work order (unique: the same upstream id never
makes two orders) and keeps what the order itself has no column for: the upstream's own deadline and the
content last received. Rules live in ``actions``.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnicodeJSONEncoder(json.JSONEncoder):
    """JSON with Chinese as is, not as \\uXXXX escapes: a third of the bytes, and far less for PostgreSQL's
    client-side binding to quote (every backslash is escaped on the way)."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class Platform(models.Model):
    """An upstream platform that transfers work (市长公开电话, 网络理政平台, 书记信箱…)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="upstream_platform",
        verbose_name=_("service account"),
        help_text=_("The service account whose API token this platform uses."),
    )
    push_url = models.URLField(_("push URL"), max_length=500, blank=True)
    push_secret = models.CharField(_("push secret"), max_length=128, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("upstream platform")
        verbose_name_plural = _("upstream platforms")

    def __str__(self) -> str:
        return self.name


class Transfer(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="transfers")
    upstream_id = models.CharField(_("upstream id"), max_length=64)
    order = models.OneToOneField(
        "workorders.WorkOrder", on_delete=models.PROTECT, related_name="transfer", verbose_name=_("work order")
    )
    upstream_due = models.DateTimeField(_("upstream deadline"), null=True, blank=True)
    content = models.JSONField(default=dict, editable=False, encoder=UnicodeJSONEncoder)  # the fields last received
    received_at = models.DateTimeField(_("received at"))
    updated_at = models.DateTimeField(_("updated at"))
    batch = models.ForeignKey(
        "ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(fields=["platform", "upstream_id"], name="transfer_once_per_upstream_id")
        ]

    def __str__(self) -> str:
        return f"{self.platform_id}:{self.upstream_id}"


class BatchState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RowResult(models.TextChoices):
    PENDING = "pending", pgettext_lazy("import result", "Pending")
    CREATED = "created", pgettext_lazy("import result", "Created")
    UPDATED = "updated", pgettext_lazy("import result", "Updated")
    UNCHANGED = "unchanged", pgettext_lazy("import result", "Unchanged")
    CONFLICT = "conflict", pgettext_lazy("import result", "Conflict")
    REJECTED = "rejected", pgettext_lazy("import result", "Rejected")


class ImportBatch(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="batches")
    file_name = models.CharField(_("file"), max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"))
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=BatchState.choices, default=BatchState.QUEUED)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    conflicts = models.PositiveIntegerField(_("conflicts"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.file_name} (#{self.pk})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 100


class ImportRow(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("line"))
    upstream_id = models.CharField(_("upstream id"), max_length=64, blank=True)
    data = models.JSONField(default=dict, encoder=UnicodeJSONEncoder)
    result = models.CharField(_("result"), max_length=12, choices=RowResult.choices, default=RowResult.PENDING)
    errors = models.JSONField(default=dict, blank=True, encoder=UnicodeJSONEncoder)
    order = models.ForeignKey(
        "workorders.WorkOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["batch", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="import_row_line")]
        indexes = [models.Index(fields=["batch", "result", "line"], name="import_row_result")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"
