"""Mail messages for the tests, built with the standard library (our own fictional senders and text)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def letter(
    *,
    subject: str = "小区门口路灯坏了",
    text: str | None = "您好，草市街12号小区门口的路灯坏了一周，晚上很黑。联系电话13900002222。",
    html: str | None = None,
    sender: str = "林小姐 <lin.test@example.test>",
    message_id: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    charset: str = "utf-8",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "letters@example.test"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 3, 9, 1, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="example.test")
    if text is not None:
        msg.set_content(text, charset=charset)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes().replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
