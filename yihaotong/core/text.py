"""Small text helpers shared by every app (no ORM)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str:
    """Mask a phone number for handling units: keep the first 3 and last 4 digits (138****5678)."""
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 5:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return "*" * len(digits)


def mask_name(name: str | None) -> str:
    """Mask a personal name: 张三丰 -> 张**. An empty name stays empty."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def normalise_phone(phone: str | None) -> str:
    """Keep digits (and a leading +) so that searches by phone match however it was typed."""
    if not phone:
        return ""
    phone = phone.strip()
    plus = phone.startswith("+")
    digits = "".join(_DIGITS.findall(phone))
    return ("+" if plus else "") + digits
