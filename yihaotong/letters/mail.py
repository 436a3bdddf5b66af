"""Turn one raw mail message into what a letter keeps (pure: no database, no network).

``parse_message`` returns a ``ParsedMail`` or raises ``Refused`` with a reason code and a detail. The
HTML body is sanitised with nh3 (an allow-list of tags; scripts, styles, event handlers and other URL
schemes removed); the text is the plain part, or the HTML's text when there is none.
"""

from __future__ import annotations

import email.policy
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as mail_errors
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import nh3

from .conf import MailboxSettings
from .models import RejectReason

HTML_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "li", "ol", "p",
    "pre", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
HTML_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}
# A part the parser could not make sense of: the message is refused rather than read half.
FATAL_DEFECTS = (
    mail_errors.NoBoundaryInMultipartDefect,
    mail_errors.StartBoundaryNotFoundDefect,
    mail_errors.MultipartInvariantViolationDefect,
    mail_errors.MissingHeaderBodySeparatorDefect,
    mail_errors.InvalidBase64PaddingDefect,
    mail_errors.InvalidBase64CharactersDefect,
    mail_errors.InvalidBase64LengthDefect,
)
# Chinese mail often says gb2312 and means its superset.
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
MAX_TEXT_CHARS = 100_000


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_key: str
    message_id: str
    sender_name: str
    sender_email: str
    subject: str
    text: str
    html: str
    sent_at: datetime | None
    size: int
    attachments: list[ParsedAttachment] = field(default_factory=list)


class Refused(Exception):
    """The message is refused; ``reason`` is a ``RejectReason`` code. Whatever could be read of the
    message (id, sender, subject) comes along for the log."""

    def __init__(self, reason: str, detail: str = "", *, key: str, message_id: str = "", sender="", subject=""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail[:255]
        self.message_key, self.message_id = key, message_id
        self.sender, self.subject = sender[:254], subject[:255]


def message_key(message_id: str, raw: bytes) -> str:
    """The idempotency key: the Message-ID's SHA-256, or the whole message's when it has none."""
    if message_id:
        return hashlib.sha256(message_id.strip().encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


def sanitise_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def text_of_html(value: str) -> str:
    value = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h\d>", "\n", value)
    text = html.unescape(nh3.clean(value, tags=set()))
    return _tidy(text)


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()[:MAX_TEXT_CHARS]


def _decode(part) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = CHARSET_ALIASES.get(charset, charset)
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset: read it as UTF-8, replacing what does not decode
        return payload.decode("utf-8", errors="replace")


def _header(msg, name: str) -> str:
    value = msg.get(name)
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def parse_message(raw: bytes, settings: MailboxSettings) -> ParsedMail:
    """Read one message; raise ``Refused`` when it is too large, malformed, or its attachments are refused."""
    size = len(raw)
    head = raw[:65536]
    if size > settings.max_message_bytes:
        # Only the headers are read, for the log.
        key, mid, sender, subject = _peek(head, raw)
        raise Refused(
            RejectReason.TOO_LARGE,
            f"{size} bytes (at most {settings.max_message_bytes})",
            key=key,
            message_id=mid,
            sender=sender,
            subject=subject,
        )
    try:
        return _parse(raw, settings)
    except Refused:
        raise
    except Exception as exc:  # the mail library's errors on broken input are of many kinds
        key, mid, sender, subject = _peek(head, raw)
        raise Refused(
            RejectReason.MALFORMED,
            f"{type(exc).__name__}: {exc}",
            key=key,
            message_id=mid,
            sender=sender,
            subject=subject,
        ) from exc


def _peek(head: bytes, raw: bytes) -> tuple[str, str, str, str]:
    try:
        msg = BytesParser(policy=email.policy.default).parsebytes(head, headersonly=True)
        mid, sender, subject = _header(msg, "Message-ID"), _header(msg, "From"), _header(msg, "Subject")
    except Exception:  # noqa: BLE001 - the log gets what can be read
        mid = sender = subject = ""
    return message_key(mid, raw), mid, sender, subject


def _parse(raw: bytes, settings: MailboxSettings) -> ParsedMail:
    msg = BytesParser(policy=email.policy.default).parsebytes(raw)
    mid = _header(msg, "Message-ID")
    key = message_key(mid, raw)
    subject = _header(msg, "Subject")[:255]
    sender_header = _header(msg, "From")

    def refuse(reason: str, detail: str = ""):
        return Refused(reason, detail, key=key, message_id=mid, sender=sender_header, subject=subject)

    def check_defects():
        for part in msg.walk():
            fatal = [d for d in part.defects if isinstance(d, FATAL_DEFECTS)]
            if fatal:
                raise refuse(RejectReason.MALFORMED, type(fatal[0]).__name__)

    check_defects()
    addresses = [(n, a) for n, a in getaddresses([sender_header]) if "@" in a]
    if not addresses:
        raise refuse(RejectReason.NO_SENDER, sender_header[:100])
    sender_name, sender_email = addresses[0]
    sent_at = None
    date = _header(msg, "Date")
    if date:
        try:
            sent_at = parsedate_to_datetime(date)
            if sent_at.tzinfo is None:
                sent_at = sent_at.replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError):
            sent_at = None

    plain = msg.get_body(preferencelist=("plain",))
    rich = msg.get_body(preferencelist=("html",))
    body_html = sanitise_html(_decode(rich)) if rich is not None else ""
    text = _tidy(_decode(plain)) if plain is not None else (text_of_html(body_html) if body_html else "")

    attachments = []
    for part in msg.iter_attachments():
        if part.is_multipart():
            continue
        name = (part.get_filename() or "").strip() or "attachment"
        ctype = part.get_content_type()
        data = part.get_payload(decode=True)
        if data is None:
            raise refuse(RejectReason.MALFORMED, f"attachment {name!r} cannot be decoded")
        if ctype not in settings.attachment_types:
            raise refuse(RejectReason.ATTACHMENT_TYPE, f"{name} ({ctype})")
        if len(data) > settings.max_attachment_bytes:
            raise refuse(RejectReason.ATTACHMENT_SIZE, f"{name}: {len(data)} bytes")
        attachments.append(ParsedAttachment(name=_safe_name(name), content_type=ctype, data=data))
    check_defects()  # decoding the parts finds broken encodings (base64 that is not)
    if len(attachments) > settings.max_attachments:
        raise refuse(RejectReason.TOO_MANY_ATTACHMENTS, f"{len(attachments)} (at most {settings.max_attachments})")
    if not subject and not text and not attachments:
        raise refuse(RejectReason.EMPTY)
    return ParsedMail(
        message_key=key,
        message_id=mid,
        sender_name=sender_name.strip()[:100],
        sender_email=sender_email.strip()[:254],
        subject=subject,
        text=text,
        html=body_html,
        sent_at=sent_at,
        size=len(raw),
        attachments=attachments,
    )


def _safe_name(name: str) -> str:
    """A file name without directories or control characters, at most 150 characters."""
    name = re.sub(r"[\x00-\x1f/\\]", "_", name).strip(" .") or "attachment"
    return name[-150:]
