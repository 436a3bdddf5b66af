"""The IMAP poller: read the unseen messages of the letters mailbox into letters (or refusals).

For each unseen message (``UID SEARCH UNSEEN``): its size first (``RFC822.SIZE``: a giant message is
refused without being downloaded), then the message (``BODY.PEEK[]``, which leaves it unseen), parsed and
kept in one transaction, and only then flagged ``\\Seen`` (``UID STORE``). A poll that dies between the two
reads the message again next time and finds it kept already (the Message-ID key): nothing doubles.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from datetime import datetime

from django.utils import timezone

from . import actions as A
from .conf import MailboxSettings
from .mail import Refused, message_key, parse_message
from .models import RejectReason

log = logging.getLogger("yihaotong.letters")

SIZE_RE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(RuntimeError):
    """The mailbox cannot be read now (connection, login, folder): nothing was changed."""


def connect(settings: MailboxSettings) -> imaplib.IMAP4:
    try:
        if settings.tls == "ssl":
            context = ssl.create_default_context(cafile=settings.cafile or None)
            client = imaplib.IMAP4_SSL(settings.host, settings.port, ssl_context=context, timeout=settings.timeout)
        else:
            client = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
            if settings.tls == "starttls":
                client.starttls(ssl_context=ssl.create_default_context(cafile=settings.cafile or None))
        client.login(settings.user, settings.password)
        typ, data = client.select(_quote(settings.folder))
        if typ != "OK":
            raise MailboxError(f"cannot open folder {settings.folder!r}: {data!r}")
        return client
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise MailboxError(f"{settings.host}:{settings.port}: {exc}") from exc


def _quote(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder.replace('"', '\\"') + '"'


def _literal(data) -> bytes | None:
    """The literal (the message) of a FETCH answer."""
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def poll_mailbox(settings: MailboxSettings | None = None, *, now: datetime | None = None) -> dict:
    """Read the unseen messages; return counts: seen, created, duplicates, refused, failed."""
    settings = settings or MailboxSettings.from_env()
    result = {"configured": settings.configured, "seen": 0, "created": 0, "duplicates": 0, "refused": 0, "failed": 0}
    if not settings.configured:
        return result
    client = connect(settings)
    try:
        typ, data = client.uid("SEARCH", None, "UNSEEN")
        if typ != "OK":
            raise MailboxError(f"search failed: {data!r}")
        uids = (data[0] or b"").split()[: settings.batch]
        for uid in uids:
            result["seen"] += 1
            try:
                outcome = _read_one(client, settings, uid.decode(), now or timezone.now())
            except (imaplib.IMAP4.error, OSError) as exc:  # this message now; the others still
                log.warning("letters: message uid %s not read: %s", uid, exc)
                result["failed"] += 1
                if isinstance(exc, OSError):
                    raise MailboxError(str(exc)) from exc
                continue
            result[outcome] += 1
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    if result["seen"]:
        log.info("letters: %s", result)
    return result


def _read_one(client: imaplib.IMAP4, settings: MailboxSettings, uid: str, now: datetime) -> str:
    typ, data = client.uid("FETCH", uid, "(RFC822.SIZE)")
    if typ != "OK" or not data or data[0] is None:
        raise imaplib.IMAP4.error(f"size of {uid}: {data!r}")
    head = data[0][0] if isinstance(data[0], tuple) else data[0]
    match = SIZE_RE.search(head)
    size = int(match.group(1)) if match else 0
    if size > settings.max_message_bytes:
        # Refused unread: the headers are enough for the log.
        typ, data = client.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
        header = _literal(data) or b""
        refused = _refusal_of_header(header, uid, size, settings)
        A.do_refuse_mail(refused, folder=settings.folder, uid=uid, size=size, now=now)
        _mark_seen(client, uid)
        return "refused"
    typ, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = _literal(data)
    if typ != "OK" or raw is None:
        raise imaplib.IMAP4.error(f"body of {uid}: {typ} {data!r}"[:300])
    try:
        mail = parse_message(raw, settings)
    except Refused as refused:
        A.do_refuse_mail(refused, folder=settings.folder, uid=uid, size=len(raw), now=now)
        outcome = "refused"
    else:
        _letter, created = A.do_receive_letter(mail, folder=settings.folder, uid=uid, now=now)
        outcome = "created" if created else "duplicates"
    _mark_seen(client, uid)
    return outcome


def _refusal_of_header(header: bytes, uid: str, size: int, settings: MailboxSettings) -> Refused:
    from email.parser import BytesParser
    from email.policy import default

    try:
        msg = BytesParser(policy=default).parsebytes(header, headersonly=True)
        mid, sender, subject = (str(msg.get(h, "")).strip() for h in ("Message-ID", "From", "Subject"))
    except Exception:  # noqa: BLE001 - the log gets what can be read
        mid = sender = subject = ""
    key = message_key(mid, f"{settings.folder}:{uid}:{size}".encode())
    return Refused(
        RejectReason.TOO_LARGE,
        f"{size} bytes (at most {settings.max_message_bytes})",
        key=key,
        message_id=mid,
        sender=sender,
        subject=subject,
    )


def _mark_seen(client: imaplib.IMAP4, uid: str) -> None:
    typ, data = client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"store of {uid}: {data!r}")
