"""Open311 GeoReport v2: the API clients (keys stored hashed, each acting as its own service account) and
what a client sent with each service request beyond what the work order holds (location, media, device)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "o311_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiClient(models.Model):
    """An Open311 client (an app, a website, a partner platform) and its API key (only the SHA-256 is kept).

    Each client acts through its own service account (role ``integration``), so every order it creates and
    every event of it names the client.
    """

    name = models.CharField(_("name"), max_length=64, unique=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="open311_client", verbose_name=_("account")
    )
    key_prefix = models.CharField(_("key prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ServiceRequest(models.Model):
    """What an Open311 client posted for one work order (the order itself holds subject, text, requester)."""

    order = models.OneToOneField(
        "workorders.WorkOrder", on_delete=models.PROTECT, related_name="open311", verbose_name=_("work order")
    )
    contact = models.OneToOneField(
        "intake.Contact", on_delete=models.PROTECT, related_name="open311", verbose_name=_("contact")
    )
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="requests", verbose_name=_("client"))
    service_code = models.CharField(_("service code"), max_length=32)
    token = models.CharField(_("token"), max_length=32, unique=True)
    received_at = models.DateTimeField(_("received at"))
    lat = models.DecimalField(_("latitude"), max_digits=10, decimal_places=7, null=True, blank=True)
    long = models.DecimalField(_("longitude"), max_digits=11, decimal_places=7, null=True, blank=True)
    address_string = models.CharField(_("address"), max_length=255, blank=True)
    address_id = models.CharField(_("address id"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    device_id = models.CharField(_("device id"), max_length=64, blank=True)
    account_id = models.CharField(_("account id"), max_length=64, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("Open311 service request")
        verbose_name_plural = _("Open311 service requests")
        constraints = [
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(long__isnull=True)) | (Q(lat__isnull=False) & Q(long__isnull=False)),
                name="open311_lat_long_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ← {self.client_id}"
