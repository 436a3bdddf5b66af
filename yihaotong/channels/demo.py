"""Demo upstream platforms and a few transferred cases (our own demo text, fictional people)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from yihaotong.accounts.models import User
from yihaotong.core.errors import DomainError
from yihaotong.directory.data import demo_text as T

from .actions import do_receive_transfer, do_save_platform

PLATFORMS = [
    # code, name, account username (the token holder; None: imports only)
    ("mayor", "市长公开电话", "integration"),
    ("wlz", "网络理政平台", None),
    ("mailbox", "书记信箱", None),
]


def seed_channels_demo(now: datetime, *, count: int = 24, seed: int = 11) -> dict[str, int]:
    """The three city platforms (the mayor's line on the 'integration' service account), and ``count``
    cases transferred by it over the last two weeks (idempotent: upstream ids are fixed)."""
    platforms = {}
    for code, name, username in PLATFORMS:
        account = User.objects.filter(username=username, is_service=True).first() if username else None
        platforms[code] = do_save_platform(code=code, name=name, account=account)
    account = platforms["mayor"].account
    made = 0
    if account is None:
        return {"platforms": len(platforms), "transfers": 0}
    rng = random.Random(seed)
    for i in range(count):
        t = rng.choice(T.ORDER_TEMPLATES)
        road, street = rng.choice(T.ROADS)
        place = rng.choice(T.PLACE_PATTERNS.get(t.get("address_hint", "street"), ["{road}"])).format(
            road=road, no=rng.randint(1, 300)
        )
        received = now - timedelta(days=14) + timedelta(hours=rng.uniform(0, 14 * 24 - 2))
        row = {
            "upstream_id": f"SZ{received:%Y%m%d}{i:04d}",
            "subject": t["subject"],
            "text": t["text"].format(place=place),
            "request_type": t["request_type"],
            "category": t["category"],
            "address": place,
            "street": street,
            "requester_name": rng.choice("王李张刘陈杨黄赵") + rng.choice(["先生", "女士"]),
            "requester_phone": f"139{rng.randint(0, 99_999_999):08d}",
            "upstream_received_at": f"{received:%Y-%m-%d %H:%M}",
            "upstream_due": f"{received + timedelta(days=15):%Y-%m-%d}",
        }
        try:
            if do_receive_transfer(account, row, now=received + timedelta(minutes=5)).result == "created":
                made += 1
        except DomainError:
            continue
    return {"platforms": len(platforms), "transfers": made}
