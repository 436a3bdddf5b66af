from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from yihaotong.accounts.models import User
from yihaotong.notifications.actions import queue_notification
from yihaotong.notifications.delivery import deliver_outbox
from yihaotong.notifications.models import Outbox, OutboxState


@pytest.mark.django_db
def test_admin_lists_failed_rows_and_retries_them(client, gateway):
    admin = User.objects.create_superuser("root", "root@example.org", "pw-root-123")
    client.force_login(admin)
    gateway.refuse_numbers.add("13300000000")
    row = queue_notification(kind="reply_approved", phone="13300000000", subject="x", body="x", now=timezone.now())[0]
    deliver_outbox()
    row.refresh_from_db()
    assert row.state == OutboxState.FAILED and "400" in row.last_error
    r = client.get("/admin/notifications/outbox/", {"state__exact": "failed"})
    assert r.status_code == 200 and "reply_approved" in r.content.decode()
    assert "13300000000" not in r.content.decode()  # the list does not show phone numbers
    r = client.get(f"/admin/notifications/outbox/{row.pk}/change/")
    assert r.status_code == 200 and "invalid number" in r.content.decode()  # the error is visible
    assert "13300000000" not in r.content.decode() and "133****0000" in r.content.decode()
    gateway.refuse_numbers.clear()
    r = client.post(
        "/admin/notifications/outbox/", {"action": "retry", "_selected_action": [row.pk], "index": 0}, follow=True
    )
    assert r.status_code == 200
    row.refresh_from_db()
    assert row.state == OutboxState.QUEUED and row.attempts == 0
    deliver_outbox()
    row.refresh_from_db()
    assert row.state == OutboxState.SENT and len(gateway.to("13300000000")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_row_once(gateway):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads need a shared database file or server")
    now = timezone.now()
    for i in range(30):
        queue_notification(kind="reply_approved", phone=f"1390000{i:04d}", subject="s", body="b", now=now)
    barrier = threading.Barrier(2)
    sent = []

    def worker():
        try:
            barrier.wait()
            sent.append(deliver_outbox(batch=30))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sent) == 30
    assert len(gateway.messages) == 30
    assert Outbox.objects.filter(state=OutboxState.SENT).count() == 30
