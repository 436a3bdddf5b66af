"""Phone numbers as keys without storing them: a keyed hash of the normalised number."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

from yihaotong.core.text import normalise_phone

# Mainland mobile numbers (the portal verifies by SMS, so only mobiles): 1 + 10 digits, optional +86.
MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def mobile_or_none(phone: str | None) -> str | None:
    """Return the 11-digit mobile number in ``phone`` (spaces, dashes, +86 allowed), or None."""
    m = MOBILE.match(normalise_phone(phone))
    return m.group(1) if m else None


def phone_hash(phone: str) -> str:
    digits = mobile_or_none(phone) or normalise_phone(phone)
    return hmac.new(settings.SECRET_KEY.encode(), f"phone:{digits}".encode(), hashlib.sha256).hexdigest()
