"""A local webhook receiver (a real HTTP server on 127.0.0.1, in a thread) that checks signatures the way
a subscriber must: HMAC-SHA256 over "<t>.<body>", and the timestamp not older than five minutes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from yihaotong.webhooks.actions import SIGNATURE_HEADER, verify_signature


class Receiver:
    def __init__(self, secret: str, statuses: list[int] | None = None):
        self.secret = secret
        self.statuses = list(statuses or [])  # answered in turn; 200 once they run out
        self.received: list[dict] = []  # verified bodies
        self.refused = 0  # requests with a bad or missing signature
        self.headers: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.headers.append(dict(self.headers))
                if not verify_signature(receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body):
                    receiver.refused += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if 200 <= status < 300:
                    receiver.received.append(json.loads(body))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
