"""SMS through the real HTTP adapter against a fake gateway: retries, backoff, idempotency, opt-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yihaotong.notifications.actions import do_retry_outbox, queue_notification
from yihaotong.notifications.delivery import deliver_outbox
from yihaotong.notifications.models import Outbox, OutboxState
from yihaotong.notifications.optout import do_opt_in, do_opt_out, hash_from_token, optout_token
from yihaotong.notifications.phones import phone_hash
from yihaotong.notifications.sms import FileSmsProvider, HttpSmsGateway, SmsError

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def _queue(kind="reply_approved", text="您的工单已答复。", phone=PHONE):
    return queue_notification(kind=kind, phone=phone, subject=text, body=text, now=timezone.now())[0]


def test_sms_is_sent_once_with_signature_and_sign_name(gateway):
    row = _queue(kind="order_created", text="您的诉求已受理，工单号QY1，查询码123456。")
    assert deliver_outbox() == 1
    assert deliver_outbox() == 0  # nothing left: never twice
    row.refresh_from_db()
    assert row.state == OutboxState.SENT and row.attempts == 1 and row.provider_ref
    assert gateway.to(PHONE) == ["【一号通】您的诉求已受理，工单号QY1，查询码123456。"]


def test_bad_key_is_refused_for_good(gateway, settings):
    settings.SMS_GATEWAY_SECRET = "wrong"
    row = _queue()
    deliver_outbox()
    row.refresh_from_db()
    assert row.state == OutboxState.FAILED and "401" in row.last_error
    assert gateway.messages == []


def test_gateway_errors_are_retried_with_backoff(gateway):
    gateway.fail_next = 2
    row = _queue()
    now = timezone.now()
    assert deliver_outbox(now=now) == 0
    row.refresh_from_db()
    assert row.state == OutboxState.QUEUED and row.attempts == 1 and "503" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=30)
    assert deliver_outbox(now=now + timedelta(seconds=10)) == 0  # not due yet
    assert gateway.requests == 1
    assert deliver_outbox(now=now + timedelta(seconds=31)) == 0
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == now + timedelta(seconds=31 + 120)
    assert deliver_outbox(now=now + timedelta(seconds=200)) == 1
    row.refresh_from_db()
    assert row.state == OutboxState.SENT and len(gateway.to(PHONE)) == 1


def test_lost_answer_is_retried_without_a_second_message(gateway):
    gateway.lose_answers = 1
    row = _queue()
    now = timezone.now()
    deliver_outbox(now=now)
    row.refresh_from_db()
    assert row.state == OutboxState.QUEUED and "500" in row.last_error
    deliver_outbox(now=now + timedelta(minutes=1))
    row.refresh_from_db()
    assert row.state == OutboxState.SENT
    assert len(gateway.to(PHONE)) == 1  # the retry carried the same idempotency key


def test_gateway_down_leaves_rows_queued_then_failed_and_admin_retry(gateway, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9"  # nothing listens there
    row = _queue()
    now = timezone.now()
    for i in range(6):
        deliver_outbox(now=now + timedelta(days=i))
    row.refresh_from_db()
    assert row.state == OutboxState.FAILED and row.attempts == 6 and "unreachable" in row.last_error
    settings.SMS_GATEWAY_URL = gateway.url
    assert do_retry_outbox([row.pk]) == 1
    assert deliver_outbox(now=now + timedelta(days=7)) == 1
    assert len(gateway.to(PHONE)) == 1


def test_opt_out_skips_progress_messages_but_not_codes(gateway):
    do_opt_out(phone_hash(PHONE))
    progress = _queue(kind="reply_approved")
    code = _queue(kind="verification_code", text="您的验证码是123456。")
    deliver_outbox()
    progress.refresh_from_db()
    code.refresh_from_db()
    assert progress.state == OutboxState.SKIPPED and code.state == OutboxState.SENT
    assert gateway.to(PHONE) == ["【一号通】您的验证码是123456。"]
    do_opt_in(phone_hash(PHONE))
    _queue(kind="reply_approved")
    deliver_outbox()
    last = gateway.to(PHONE)[-1]
    assert "退订" in last and "/portal/sms/" in last  # non-essential messages carry the opt-out link


def test_opt_out_token_round_trip():
    token = optout_token("+86 139-1234-5678")
    assert hash_from_token(token) == phone_hash(PHONE)
    assert hash_from_token(token[:-2] + "xx") is None


def test_email_goes_through_the_mail_backend(mailoutbox):
    queue_notification(kind="reply_approved", email="a@example.org", subject="答复", body="正文", now=timezone.now())
    assert deliver_outbox() == 1
    assert [m.to for m in mailoutbox] == [["a@example.org"]]


def test_file_provider_writes_lines(tmp_path):
    p = FileSmsProvider(tmp_path / "sms.jsonl")
    p.send(to=PHONE, text="x", idempotency_key="k1")
    assert '"to": "13912345678"' in (tmp_path / "sms.jsonl").read_text()


def test_http_adapter_raises_temporary_on_503(gateway):
    gateway.fail_next = 1
    adapter = HttpSmsGateway(gateway.url, "k-test", "s-test")
    with pytest.raises(SmsError) as err:
        adapter.send(to=PHONE, text="x", idempotency_key="k")
    assert err.value.temporary
    assert adapter.send(to=PHONE, text="x", idempotency_key="k")


def test_internal_rows_are_marked_sent():
    from yihaotong.notifications.models import OutboxChannel

    Outbox.objects.create(kind="x", channel=OutboxChannel.INTERNAL, subject="s", created_at=timezone.now())
    deliver_outbox()
    assert Outbox.objects.get().state == OutboxState.SENT
