"""Rate limits shared by every process: fixed-window counters in the database (``RateCounter``).

The embedded mode's cache is per process, so the counters live in the database, which every web
process shares (SQLite or PostgreSQL). One upsert per counted event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.core.errors import DomainError

from .models import RateCounter


class Throttled(DomainError):
    """Too many attempts: try again later (HTTP 429)."""

    status = 429
    code = "throttled"
    title = "Too many requests"


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


def _utc(ts: int) -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(ts, tz=UTC)


def _keys(limit: Limit, subject: str, now: datetime) -> list[tuple[str, datetime]]:
    """The windows ``now`` falls in on two grids, the second shifted by half a window: a burst shorter than
    half a window lies whole inside a window of at least one grid, so a window edge never resets it."""
    ts, half = int(now.timestamp()), limit.seconds // 2
    keys = []
    for grid, shift in ((0, 0), (1, half)):
        window = (ts + shift) // limit.seconds
        keys.append((f"{limit.scope}:{subject}:{grid}:{window}"[:200], _utc((window + 1) * limit.seconds - shift)))
    return keys


def hit(limit: Limit, subject: str, *, now: datetime | None = None) -> int:
    """Count one event; return the count of the fuller window (this event included)."""
    q = connection.ops.quote_name
    table, k, c = q(RateCounter._meta.db_table), q("key"), q("count")
    counts = []
    with connection.cursor() as cur:
        for key, expires in _keys(limit, subject, now or timezone.now()):
            cur.execute(
                f"INSERT INTO {table} ({k}, {c}, expires_at) VALUES (%s, 1, %s) "  # noqa: S608 - constant names
                f"ON CONFLICT ({k}) DO UPDATE SET {c} = {table}.{c} + 1 RETURNING {c}",
                [key, expires],
            )
            counts.append(cur.fetchone()[0])
    return max(counts)


def used(limit: Limit, subject: str, *, now: datetime | None = None) -> int:
    keys = [key for key, _expires in _keys(limit, subject, now or timezone.now())]
    return max(RateCounter.objects.filter(key__in=keys).values_list("count", flat=True), default=0)


def exceeded(limit: Limit, subject: str, *, now: datetime | None = None) -> bool:
    return used(limit, subject, now=now) >= limit.count


def check_and_hit(limit: Limit, subject: str, *, now: datetime | None = None) -> None:
    """Count one event and raise ``Throttled`` when it goes over the limit."""
    if hit(limit, subject, now=now) > limit.count:
        raise Throttled(gettext_noop("Too many attempts. Please try again later."), retry_after=limit.seconds)


def sweep_counters(*, now: datetime | None = None) -> int:
    return RateCounter.objects.filter(expires_at__lt=(now or timezone.now()) - timedelta(seconds=1)).delete()[0]
