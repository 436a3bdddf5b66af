"""SMS providers behind one interface: the HTTP gateway adapter (production) and a file provider (the
embedded default: messages are appended to a JSON-lines file, so a demo needs no gateway).

The gateway protocol (a JSON API, as common Chinese SMS platforms offer):

    POST {SMS_GATEWAY_URL}/v1/messages
    X-Api-Key: {SMS_GATEWAY_KEY}
    X-Timestamp: {unix seconds}
    X-Signature: hex(HMAC-SHA256(SMS_GATEWAY_SECRET, "{timestamp}\\n{body}"))
    {"to": "13800001234", "text": "【一号通】…", "idempotency_key": "yihaotong-outbox-42"}

    200/201/202 {"id": "…"}: accepted (a repeated idempotency key answers with the first message's id)
    4xx: refused for good (bad number, bad signature): the row fails at once
    5xx, 429, timeouts, connection errors: temporary; the row is retried with backoff
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from pathlib import Path

import requests
from django.conf import settings


class SmsError(Exception):
    """The message was not accepted. ``temporary`` says whether a later attempt may succeed."""

    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


class SmsProvider:
    name = "sms"

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:  # pragma: no cover - interface
        """Send one message; return the provider's id; raise ``SmsError`` when it was not accepted."""
        raise NotImplementedError


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


class HttpSmsGateway(SmsProvider):
    name = "http"

    def __init__(self, url: str, key: str, secret: str, *, sign_name: str = "", timeout: float = 5.0):
        self.url = url.rstrip("/") + "/v1/messages"
        self.key, self.secret, self.sign_name, self.timeout = key, secret, sign_name, timeout
        self.session = requests.Session()

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        if self.sign_name and not text.startswith("【"):
            text = f"【{self.sign_name}】{text}"
        body = json.dumps({"to": to, "text": text, "idempotency_key": idempotency_key}, ensure_ascii=False).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Api-Key": self.key,
            "X-Timestamp": ts,
            "X-Signature": sign(self.secret, ts, body),
            "Idempotency-Key": idempotency_key,
        }
        try:
            resp = self.session.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SmsError(f"gateway unreachable: {exc.__class__.__name__}: {exc}", temporary=True) from exc
        if resp.status_code in (200, 201, 202):
            try:
                return str(resp.json().get("id", ""))[:64]
            except ValueError:
                return ""
        detail = resp.text[:500]
        temporary = resp.status_code >= 500 or resp.status_code in (408, 429)
        raise SmsError(f"gateway answered {resp.status_code}: {detail}", temporary=temporary)


class FileSmsProvider(SmsProvider):
    """Append each message as one JSON line (the embedded default; `yihaotong` demo reads it)."""

    name = "file"
    _lock = threading.Lock()

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"to": to, "text": text, "idempotency_key": idempotency_key, "at": time.time()}, ensure_ascii=False
        )
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        return idempotency_key


def get_sms_provider() -> SmsProvider:
    """The provider the settings name: the HTTP gateway when ``SMS_GATEWAY_URL`` is set, else the file."""
    url = getattr(settings, "SMS_GATEWAY_URL", "")
    if url:
        return HttpSmsGateway(
            url,
            getattr(settings, "SMS_GATEWAY_KEY", ""),
            getattr(settings, "SMS_GATEWAY_SECRET", ""),
            sign_name=getattr(settings, "SMS_SIGN_NAME", ""),
            timeout=float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 5)),
        )
    return FileSmsProvider(getattr(settings, "SMS_FILE_PATH", Path(settings.MEDIA_ROOT).parent / "sms.jsonl"))
