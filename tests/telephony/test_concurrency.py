"""The same first event of a call reported by several requests at once (a server retrying quickly): one
call, one event, one of them applied. PostgreSQL only, as tests/workorders/test_concurrency.py: the SQLite
test database lives in shared memory, where concurrent writers fail instead of waiting."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.factories import build_cast
from yihaotong.telephony.actions import CallReport, do_record_call_event
from yihaotong.telephony.models import Call, CallEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)"),
]


def test_simultaneous_reports_of_one_event_make_one_call():
    cast = build_cast()
    start = threading.Barrier(4)
    applied: list[bool] = []
    errors: list[BaseException] = []

    def report(kind: str):
        try:
            start.wait()
            _call, done = do_record_call_event(
                cast.integration, CallReport(call_id="race-1", event=kind, caller="13800001234", agent="operator")
            )
            applied.append((kind, done))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(k,)) for k in ("ringing", "ringing", "answered", "answered")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Call.objects.count() == 1
    call = Call.objects.get()
    assert sorted(CallEvent.objects.values_list("kind", flat=True)) == ["answered", "ringing"]
    assert sorted(applied) == [("answered", False), ("answered", True), ("ringing", False), ("ringing", True)]
    assert call.state == "answered" and call.agent == cast.operator
