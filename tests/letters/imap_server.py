"""A small IMAP4rev1 server for the tests, on 127.0.0.1 in a thread: enough of RFC 3501 for imaplib and
our poller (CAPABILITY, LOGIN, SELECT, UID SEARCH, UID FETCH of RFC822.SIZE / BODY.PEEK[] /
BODY.PEEK[HEADER], UID STORE +FLAGS, NOOP, LOGOUT). Messages live in memory with their flags; the
test can add messages while it runs and read which were fetched."""

from __future__ import annotations

import re
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class Mailbox:
    def __init__(self, user: str = "letters@example.test", password: str = "secret-pass", folder: str = "INBOX"):
        self.user, self.password, self.folder = user, password, folder
        self.messages: list[StoredMessage] = []
        self.fetched_bodies: list[int] = []  # uids whose whole body was sent
        self.logins = 0
        self.fail_fetch_for: set[int] = set()  # uids whose body fetch answers NO
        self._next_uid = 1
        self.lock = threading.Lock()

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        with self.lock:
            uid = self._next_uid
            self._next_uid += 1
            self.messages.append(StoredMessage(uid, raw, {"\\Seen"} if seen else set()))
            return uid

    def by_uid(self, uid: int) -> tuple[int, StoredMessage] | None:
        for seq, m in enumerate(self.messages, start=1):
            if m.uid == uid:
                return seq, m
        return None

    def seen(self, uid: int) -> bool:
        found = self.by_uid(uid)
        return bool(found and "\\Seen" in found[1].flags)


TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\([^)]*\)|\S+)')


def _args(text: str) -> list[str]:
    out = []
    for quoted, bare in TOKEN.findall(text):
        out.append(re.sub(r"\\(.)", r"\1", quoted) if quoted or bare == "" else bare)
    return out


def _uids(spec: str, box: Mailbox) -> list[int]:
    uids = []
    for piece in spec.split(","):
        if ":" in piece:
            lo, hi = piece.split(":")
            top = max((m.uid for m in box.messages), default=0)
            lo_n = int(lo)
            hi_n = top if hi == "*" else int(hi)
            uids += [m.uid for m in box.messages if lo_n <= m.uid <= hi_n]
        else:
            uids.append(int(piece))
    return uids


class Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self) -> None:
        box = self.server.box  # type: ignore[attr-defined]
        authed = selected = False
        self.tls = isinstance(self.request, ssl.SSLSocket)
        self.send("* OK [CAPABILITY IMAP4rev1] fake letters server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            tag, _sp, rest = text.partition(" ")
            command, _sp, args = rest.partition(" ")
            command = command.upper()
            if command == "CAPABILITY":
                starttls = " STARTTLS" if self.server.starttls_context and not self.tls else ""  # type: ignore[attr-defined]
                self.send(f"* CAPABILITY IMAP4rev1{starttls}")
                self.send(f"{tag} OK CAPABILITY completed")
            elif command == "STARTTLS" and self.server.starttls_context and not self.tls:  # type: ignore[attr-defined]
                self.send(f"{tag} OK begin TLS negotiation now")
                self.wfile.flush()
                self.request = self.server.starttls_context.wrap_socket(self.request, server_side=True)  # type: ignore[attr-defined]
                self.rfile = self.request.makefile("rb")
                self.wfile = self.request.makefile("wb", buffering=0)
                self.tls = True
            elif command == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            elif command == "LOGIN":
                user, password = (_args(args) + ["", ""])[:2]
                box.logins += 1
                if user == box.user and password == box.password:
                    authed = True
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
            elif not authed:
                self.send(f"{tag} BAD log in first")
            elif command in ("SELECT", "EXAMINE"):
                folder = (_args(args) or [""])[0]
                if folder != box.folder:
                    self.send(f"{tag} NO [NONEXISTENT] no such folder")
                    continue
                selected = True
                with box.lock:
                    self.send(f"* {len(box.messages)} EXISTS")
                    self.send("* 0 RECENT")
                    self.send("* OK [UIDVALIDITY 1] UIDs valid")
                    self.send(f"* OK [UIDNEXT {box._next_uid}] predicted next UID")
                    self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif not selected:
                self.send(f"{tag} BAD select a folder first")
            elif command == "UID":
                self.uid_command(box, tag, args)
            else:
                self.send(f"{tag} BAD unknown command {command}")

    def uid_command(self, box: Mailbox, tag: str, args: str) -> None:
        sub, _sp, rest = args.partition(" ")
        sub = sub.upper()
        with box.lock:
            if sub == "SEARCH":
                criteria = rest.upper().split()
                if criteria and criteria[0] == "CHARSET":
                    criteria = criteria[2:]
                found = [m.uid for m in box.messages if not ("UNSEEN" in criteria and "\\Seen" in m.flags)]
                self.send("* SEARCH" + "".join(f" {u}" for u in found))
                self.send(f"{tag} OK SEARCH completed")
            elif sub == "FETCH":
                spec, _sp, items = rest.partition(" ")
                items = items.upper()
                for uid in _uids(spec, box):
                    found = box.by_uid(uid)
                    if found is None:
                        continue
                    seq, m = found
                    if "RFC822.SIZE" in items:
                        self.send(f"* {seq} FETCH (UID {uid} RFC822.SIZE {len(m.raw)})")
                    elif "BODY.PEEK[HEADER]" in items:
                        header = m.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                        self.send(f"* {seq} FETCH (UID {uid} BODY[HEADER] {{{len(header)}}}".encode())
                        self.wfile.write(header)
                        self.send(")")
                    elif "BODY.PEEK[]" in items or "RFC822" in items:
                        if uid in box.fail_fetch_for:
                            self.send(f"{tag} NO message cannot be read now")
                            return
                        box.fetched_bodies.append(uid)
                        self.send(f"* {seq} FETCH (UID {uid} BODY[] {{{len(m.raw)}}}".encode())
                        self.wfile.write(m.raw)
                        self.send(")")
                    else:
                        self.send(f"{tag} BAD unsupported fetch items {items}")
                        return
                self.send(f"{tag} OK FETCH completed")
            elif sub == "STORE":
                spec, _sp, what = rest.partition(" ")
                mode, _sp, flags = what.partition(" ")
                flag_set = set(flags.strip("()").split())
                for uid in _uids(spec, box):
                    found = box.by_uid(uid)
                    if found is None:
                        continue
                    seq, m = found
                    if mode.upper().startswith("+FLAGS"):
                        m.flags |= flag_set
                    elif mode.upper().startswith("-FLAGS"):
                        m.flags -= flag_set
                    else:
                        m.flags = flag_set
                    self.send(f"* {seq} FETCH (UID {uid} FLAGS ({' '.join(sorted(m.flags))}))")
                self.send(f"{tag} OK STORE completed")
            else:
                self.send(f"{tag} BAD unsupported UID command {sub}")


CERT = Path(__file__).with_name("test_server_cert.pem")  # a self-signed certificate for 127.0.0.1, tests only
KEY = Path(__file__).with_name("test_server_key.pem")


def server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    return context


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls_context: ssl.SSLContext | None = None  # IMAPS: TLS from the first byte
    starttls_context: ssl.SSLContext | None = None  # plain, upgraded by STARTTLS

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls_context is not None:
            sock = self.tls_context.wrap_socket(sock, server_side=True)
        return sock, addr

    def handle_error(self, request, client_address):  # a client refusing our certificate is expected in a test
        pass


def start(box: Mailbox, *, tls: str = "none") -> tuple[Server, int]:
    server = Server(("127.0.0.1", 0), Handler)
    if tls == "ssl":
        server.tls_context = server_context()
    elif tls == "starttls":
        server.starttls_context = server_context()
    server.box = box  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, server.server_address[1]
