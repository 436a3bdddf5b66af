"""One-time SMS codes that prove a citizen holds a phone (the portal's submit form).

A code is six digits, stored as a keyed hash, valid ``CODE_TTL`` seconds, for ``MAX_ATTEMPTS`` guesses;
a new code may be asked for after ``RESEND_AFTER`` seconds, at most ``PER_PHONE_HOUR`` per phone and
``PER_IP_HOUR`` per address an hour. Asking for a new code retires the older ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.core.errors import Invalid

from . import limits
from .actions import queue_notification
from .models import VerificationCode
from .phones import mobile_or_none, phone_hash

CODE_TTL = 300
MAX_ATTEMPTS = 5
RESEND_AFTER = 60
PER_PHONE_HOUR = limits.Limit("code-phone", 5, 3600)
PER_IP_HOUR = limits.Limit("code-ip", 20, 3600)


def _code_hash(ph: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"code:{ph}:{code}".encode(), hashlib.sha256).hexdigest()


def _check_phone(phone: str) -> str:
    mobile = mobile_or_none(phone)
    if mobile is None:
        raise Invalid(
            gettext_noop("Enter a mobile phone number."),
            errors={"phone": [gettext_noop("11 digits, starting with 1")]},
        )
    return mobile


@transaction.atomic
def do_send_verification_code(
    phone: str, *, purpose: str, ip: str = "", now: datetime | None = None
) -> tuple[VerificationCode, str]:
    """Issue a code for ``phone`` and queue it by SMS (essential: sent even to opted-out phones).

    Returns the row and the code (the caller never shows it: it travels by SMS only)."""
    now = now or timezone.now()
    mobile = _check_phone(phone)
    ph = phone_hash(mobile)
    last = (
        VerificationCode.objects.select_for_update()
        .filter(phone_hash=ph, purpose=purpose)
        .order_by("-created_at", "-id")
        .first()
    )
    if last is not None and (now - last.created_at).total_seconds() < RESEND_AFTER:
        wait = RESEND_AFTER - int((now - last.created_at).total_seconds())
        raise limits.Throttled(
            gettext_noop("A code was just sent. You can ask for another in %(seconds)s seconds."),
            params={"seconds": wait},
            retry_after=wait,
        )
    limits.check_and_hit(PER_PHONE_HOUR, ph, now=now)
    if ip:
        limits.check_and_hit(PER_IP_HOUR, ip, now=now)
    VerificationCode.objects.filter(phone_hash=ph, purpose=purpose, consumed_at__isnull=True).update(consumed_at=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = VerificationCode.objects.create(
        phone_hash=ph,
        purpose=purpose,
        code_hash=_code_hash(ph, code),
        created_at=now,
        expires_at=now + timedelta(seconds=CODE_TTL),
    )
    text = f"您的验证码是{code}，{CODE_TTL // 60}分钟内有效。如非本人操作，请忽略本短信。"
    queue_notification(kind="verification_code", phone=mobile, subject=text, body=text, now=now)
    return row, code


def do_check_verification_code(
    phone: str, code: str, *, purpose: str, consume: bool = True, now: datetime | None = None
) -> None:
    """Accept the latest code of ``phone`` once (``consume=False``: check it and keep it for the next
    step); raise ``Invalid`` otherwise. Every check counts against the attempts."""
    now = now or timezone.now()
    mobile = _check_phone(phone)
    ph = phone_hash(mobile)
    code = (code or "").strip()
    wrong = Invalid(
        gettext_noop("The verification code is wrong or has expired."),
        errors={"code": [gettext_noop("ask for a new code if it has expired")]},
    )
    with transaction.atomic():
        row = (
            VerificationCode.objects.select_for_update()
            .filter(phone_hash=ph, purpose=purpose, consumed_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
            ok = None
        else:
            row.attempts += 1
            ok = hmac.compare_digest(row.code_hash, _code_hash(ph, code))
            if ok and consume:
                row.consumed_at = now
            row.save(update_fields=["attempts", "consumed_at"])
    if not ok:
        raise wrong


def sweep_codes(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=1)
    return VerificationCode.objects.filter(created_at__lt=cutoff).delete()[0]
