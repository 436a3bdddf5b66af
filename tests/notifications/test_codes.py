from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from yihaotong.core.errors import Invalid
from yihaotong.notifications import limits
from yihaotong.notifications.codes import do_check_verification_code, do_send_verification_code
from yihaotong.notifications.delivery import deliver_outbox
from yihaotong.notifications.models import VerificationCode

pytestmark = pytest.mark.django_db
PHONE = "13700001111"


def test_code_is_hashed_sent_and_accepted_once(gateway):
    now = timezone.now()
    row, code = do_send_verification_code(PHONE, purpose="t", ip="1.2.3.4", now=now)
    assert code not in row.code_hash
    deliver_outbox()
    assert code in gateway.to(PHONE)[0]
    do_check_verification_code(PHONE, code, purpose="t", now=now)
    with pytest.raises(Invalid):
        do_check_verification_code(PHONE, code, purpose="t", now=now)  # consumed


def test_wrong_guesses_are_limited_and_codes_expire():
    now = timezone.now()
    _row, code = do_send_verification_code(PHONE, purpose="t", now=now)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(Invalid):
            do_check_verification_code(PHONE, wrong, purpose="t", now=now)
    with pytest.raises(Invalid):  # the right code no longer works after five wrong guesses
        do_check_verification_code(PHONE, code, purpose="t", now=now)
    later = now + timedelta(minutes=2)
    _row, code = do_send_verification_code(PHONE, purpose="t", now=later)
    with pytest.raises(Invalid):
        do_check_verification_code(PHONE, code, purpose="t", now=later + timedelta(minutes=6))


def test_resend_is_throttled():
    now = timezone.now()
    do_send_verification_code(PHONE, purpose="t", now=now)
    with pytest.raises(limits.Throttled):
        do_send_verification_code(PHONE, purpose="t", now=now + timedelta(seconds=30))
    for i in range(1, 5):
        do_send_verification_code(PHONE, purpose="t", now=now + timedelta(seconds=61 * i))
    with pytest.raises(limits.Throttled):  # five an hour per phone
        do_send_verification_code(PHONE, purpose="t", now=now + timedelta(seconds=61 * 5))
    assert VerificationCode.objects.filter(consumed_at__isnull=True).count() == 1


def test_not_a_mobile_number():
    with pytest.raises(Invalid):
        do_send_verification_code("028-1234567", purpose="t")


def test_counters_are_shared_rows():
    lim = limits.Limit("x", 2, 60)
    now = timezone.now()
    assert limits.hit(lim, "a", now=now) == 1
    assert limits.hit(lim, "a", now=now) == 2
    assert limits.exceeded(lim, "a", now=now)
    with pytest.raises(limits.Throttled):
        limits.check_and_hit(lim, "a", now=now)
    assert not limits.exceeded(lim, "a", now=now + timedelta(seconds=61))
    assert limits.sweep_counters(now=now + timedelta(seconds=200)) == 2  # one row per grid


@pytest.mark.parametrize("offset", [0, 29, 30, 31, 59])
def test_a_burst_across_a_window_edge_is_still_counted(offset):
    lim = limits.Limit("edge", 3, 60)
    start = datetime(2026, 3, 9, 9, 0, tzinfo=UTC) + timedelta(seconds=offset)
    for i in range(3):
        limits.hit(lim, "b", now=start + timedelta(seconds=i))
    with pytest.raises(limits.Throttled):
        limits.check_and_hit(lim, "b", now=start + timedelta(seconds=3))
