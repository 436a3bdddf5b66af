"""``yihaotong simulate-telephony`` plays calls over HTTP against a running site (the live server)."""

from __future__ import annotations

import json

import pytest

from tests.factories import build_cast
from yihaotong import cli
from yihaotong.accounts.actions import do_issue_token
from yihaotong.telephony.models import Call

pytestmark = pytest.mark.django_db(transaction=True)


def test_simulate_telephony_plays_an_answered_and_a_missed_call(live_server, capsys):
    cast = build_cast()
    _row, token = do_issue_token(user=cast.integration, name="telephony")
    base = ["simulate-telephony", "--url", live_server.url, "--token", token, "--ring", "0", "--talk", "0"]
    assert cli.main([*base, "--caller", "13800005555", "--agent", "operator", "--call-id", "sim-1"]) == 0
    steps = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [s["sent"]["event"] for s in steps] == ["ringing", "answered", "ended"]
    assert steps[-1]["answer"]["call"]["state"] == "ended"
    call = Call.objects.get(call_id="sim-1")
    assert call.state == "ended" and call.agent == cast.operator and call.duration is not None

    assert cli.main([*base, "--caller", "13800006666", "--missed", "--call-id", "sim-2"]) == 0
    assert Call.objects.get(call_id="sim-2").state == "missed"

    # Answered and left there: the call is in progress (what the browser test and the demo pop).
    assert cli.main([*base, "--caller", "13800007777", "--agent", "operator", "--stop-after", "answered"]) == 0
    assert Call.objects.filter(caller="13800007777", state="answered").count() == 1


def test_simulate_telephony_reports_a_refused_token(live_server, capsys):
    build_cast()
    code = cli.main(["simulate-telephony", "--url", live_server.url, "--token", "yht_wrong", "--caller", "13800005555"])
    assert code == 1
    assert "HTTP 401" in capsys.readouterr().err
    assert not Call.objects.exists()
