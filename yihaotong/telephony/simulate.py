"""A small stand-in for the telephony server: plays one call (ring → answer → end, or a missed call)
against the webhook over HTTP, as the real server would. Used by ``yihaotong simulate-telephony``, demos
and tests. No Django needed: it is an HTTP client."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

WEBHOOK_PATH = "/api/v1/telephony/events"


class WebhookError(RuntimeError):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status, self.body = status, body


def post_event(base_url: str, token: str, event: dict, *, timeout: float = 10) -> dict:
    """POST one call event to the webhook; return the decoded answer (raise WebhookError on 4xx/5xx)."""
    request = urllib.request.Request(
        base_url.rstrip("/") + WEBHOOK_PATH,
        data=json.dumps(event).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the configured URL
            return json.loads(response.read().decode() or "{}")
    except urllib.error.HTTPError as exc:
        raise WebhookError(exc.code, exc.read().decode(errors="replace")) from None


def play_call(
    base_url: str,
    token: str,
    *,
    caller: str,
    agent: str = "",
    call_id: str | None = None,
    ring_seconds: float = 1.0,
    talk_seconds: float = 3.0,
    missed: bool = False,
    stop_after: str = "ended",
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Play one call; return the webhook's answers. ``stop_after`` = ringing or answered leaves it there."""
    call_id = call_id or f"sim-{uuid.uuid4().hex[:12]}"
    steps = ["ringing"] if missed else ["ringing", "answered"]
    steps.append("ended")
    if stop_after in steps:
        steps = steps[: steps.index(stop_after) + 1]
    answers = []
    for i, kind in enumerate(steps):
        if i:
            sleep(talk_seconds if kind == "ended" and not missed else ring_seconds)
        event = {"call_id": call_id, "event": kind, "caller": caller, "at": datetime.now(UTC).isoformat()}
        if agent and kind != "ringing":
            event["agent"] = agent
        answer = post_event(base_url, token, event)
        answers.append(answer)
        if report:
            report({"sent": event, "answer": answer})
    return answers
