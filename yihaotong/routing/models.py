"""Routing models (versioned, stored in the database) and the dispatcher's decisions on suggestions.

A training run writes one ``RouterModel`` row per kind it could train, all with the same ``version``; the
active row of each kind is what every process loads (``loader``). Rows are written only by
``actions.do_train_router_models`` and switched only by ``actions.do_activate_router_model``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ModelKind(models.TextChoices):
    REQUEST_TYPE = "request_type", _("Request type")
    CATEGORY = "category", _("Category")
    UNIT = "unit", _("Lead unit")


class RouterModel(models.Model):
    """A fitted text classifier (joblib bytes of ``ml.TextClassifier``) of one kind, from one training run."""

    version = models.PositiveIntegerField(_("version"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ModelKind.choices)
    created_at = models.DateTimeField(_("created at"))
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    n_train = models.PositiveIntegerField(_("training examples"))
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    blob = models.BinaryField(_("model"), editable=False)
    # HMAC-SHA256 of the blob under SECRET_KEY: a blob that was altered or written elsewhere is never unpickled.
    checksum = models.CharField(_("checksum"), max_length=64, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        ordering = ["-version", "kind"]
        verbose_name = _("routing model")
        verbose_name_plural = _("routing models")
        constraints = [
            models.UniqueConstraint(fields=["version", "kind"], name="router_model_version_kind"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="one_active_router_model"),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.kind}"


class DecisionField(models.TextChoices):
    REQUEST_TYPE = "request_type", _("Request type")
    CATEGORY = "category", _("Category")
    UNIT = "unit", _("Lead unit")


class SuggestionDecision(models.Model):
    """What the dispatcher did with a suggestion: accepted it or chose something else (append-only)."""

    order = models.ForeignKey(
        "workorders.WorkOrder", on_delete=models.CASCADE, related_name="suggestion_decisions", verbose_name=_("order")
    )
    field = models.CharField(_("field"), max_length=16, choices=DecisionField.choices)
    suggested = models.CharField(_("suggested"), max_length=32, blank=True)
    chosen = models.CharField(_("chosen"), max_length=32)
    accepted = models.BooleanField(_("accepted"))
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("suggestion decision")
        verbose_name_plural = _("suggestion decisions")
        indexes = [models.Index(fields=["field", "at"], name="sugg_decision_field_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | (Q(confidence__gte=0) & Q(confidence__lte=1)),
                name="sugg_decision_confidence_0_1",
            ),
        ]

    def __str__(self) -> str:
        verdict = "accepted" if self.accepted else "overridden"
        return f"{self.order_id} {self.field}: {self.suggested or '—'} → {self.chosen} ({verdict})"


class DecisionCursor(models.Model):
    """How far the event log has been read for decisions taken in the consoles (one row, id 1)."""

    last_event_id = models.BigIntegerField(_("last event read"), default=0)
    at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision cursor")
        verbose_name_plural = _("decision cursors")

    def __str__(self) -> str:
        return f"events ≤ {self.last_event_id}"
