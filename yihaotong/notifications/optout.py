"""Citizens opt out of non-essential SMS through a signed link in every such message (no account)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import SmsOptOut
from .phones import phone_hash

SALT = "yihaotong.sms-optout"


def optout_token(phone: str) -> str:
    return signing.dumps(phone_hash(phone), salt=SALT, compress=True)


def hash_from_token(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and len(value) == 64 else None


def unsubscribe_url(phone: str) -> str:
    base = getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/portal/sms/{optout_token(phone)}/"


def is_opted_out(ph: str) -> bool:
    return SmsOptOut.objects.filter(phone_hash=ph).exists()


@transaction.atomic
def do_opt_out(ph: str, *, source: str = "link", now: datetime | None = None) -> SmsOptOut:
    existing = SmsOptOut.objects.filter(phone_hash=ph).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return SmsOptOut.objects.create(phone_hash=ph, source=source, at=now or timezone.now())
    except IntegrityError:
        return SmsOptOut.objects.get(phone_hash=ph)


@transaction.atomic
def do_opt_in(ph: str) -> int:
    return SmsOptOut.objects.filter(phone_hash=ph).delete()[0]
