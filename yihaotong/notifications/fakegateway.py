"""A local fake of the SMS gateway (the protocol of sms.py) for tests and demos: a threaded
``http.server`` on 127.0.0.1 that checks the key and signature, keeps the messages in memory, drops
repeated idempotency keys, and can be told to fail (``fail_next``) or to accept then fail (``lose_answers``).

    GET  /v1/messages            the messages received (JSON list)
    POST /v1/messages            send (see sms.py)
"""

from __future__ import annotations

import hmac
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .sms import sign


class FakeSmsGateway:
    def __init__(self, *, key: str = "test-key", secret: str = "test-secret", host: str = "127.0.0.1", port: int = 0):
        self.key, self.secret = key, secret
        self.messages: list[dict] = []
        self.requests = 0
        self.fail_next = 0  # answer the next n sends with 503 (nothing stored)
        self.lose_answers = 0  # store the next n sends, then answer 500 (the answer is "lost")
        self.refuse_numbers: set[str] = set()  # answer 400 for these numbers
        self._by_key: dict[str, str] = {}
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, status: int, body) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                if self.path.rstrip("/") != "/v1/messages":
                    return self._json(404, {"error": "not found"})
                with gateway._lock:
                    return self._json(200, list(gateway.messages))

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = gateway.handle(self.path, self.headers, body)
                self._json(status, answer)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def handle(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        with self._lock:
            self.requests += 1
            if path.rstrip("/") != "/v1/messages":
                return 404, {"error": "not found"}
            if headers.get("X-Api-Key") != self.key:
                return 401, {"error": "bad key"}
            expected = sign(self.secret, headers.get("X-Timestamp", ""), body)
            if not hmac.compare_digest(expected, headers.get("X-Signature", "")):
                return 401, {"error": "bad signature"}
            if self.fail_next:
                self.fail_next -= 1
                return 503, {"error": "temporarily unavailable"}
            try:
                msg = json.loads(body)
            except ValueError:
                return 400, {"error": "bad json"}
            if msg.get("to") in self.refuse_numbers:
                return 400, {"error": "invalid number"}
            key = msg.get("idempotency_key", "")
            if key and key in self._by_key:
                return 200, {"id": self._by_key[key], "duplicate": True}
            mid = uuid.uuid4().hex[:16]
            self._by_key[key] = mid
            self.messages.append({"id": mid, **msg})
            if self.lose_answers:
                self.lose_answers -= 1
                return 500, {"error": "accepted but the answer was lost"}
            return 200, {"id": mid}

    def reply(self, webhook_url: str, *, sender: str, text: str) -> tuple[int, dict]:
        """Post a citizen's reply to our inbound webhook, signed as the real gateway would."""
        import time
        import urllib.error
        import urllib.request

        body = json.dumps({"id": uuid.uuid4().hex[:16], "from": sender, "text": text}, ensure_ascii=False).encode()
        ts = str(int(time.time()))
        req = urllib.request.Request(
            webhook_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Api-Key": self.key,
                "X-Timestamp": ts,
                "X-Signature": sign(self.secret, ts, body),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - a local test URL
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def to(self, phone: str) -> list[str]:
        with self._lock:
            return [m["text"] for m in self.messages if m.get("to") == phone]

    def start(self) -> FakeSmsGateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
