"""The letters mailbox, configured from the environment (read when a poll starts, so a change needs no
restart of the worker)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

MB = 1024 * 1024
DEFAULT_TYPES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


@dataclass(frozen=True)
class MailboxSettings:
    host: str = ""
    port: int = 993
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    tls: str = "ssl"  # ssl (IMAPS), starttls, or none (a local test server only)
    cafile: str = ""  # a CA bundle to trust (a private CA); the system's otherwise
    timeout: int = 30
    batch: int = 50  # messages read per poll
    max_message_bytes: int = 20 * MB
    max_attachment_bytes: int = 10 * MB
    max_attachments: int = 10
    attachment_types: tuple[str, ...] = field(default=DEFAULT_TYPES)

    @property
    def configured(self) -> bool:
        return bool(self.host and self.user)

    @classmethod
    def from_env(cls) -> MailboxSettings:
        tls = (os.environ.get("LETTERS_IMAP_TLS") or "ssl").strip().lower()
        if tls not in {"ssl", "starttls", "none"}:
            raise ValueError(f"LETTERS_IMAP_TLS must be ssl, starttls or none, not {tls!r}")
        types = os.environ.get("LETTERS_ATTACHMENT_TYPES", "").strip()
        return cls(
            host=os.environ.get("LETTERS_IMAP_HOST", "").strip(),
            port=_int("LETTERS_IMAP_PORT", 993 if tls == "ssl" else 143),
            user=os.environ.get("LETTERS_IMAP_USER", ""),
            password=os.environ.get("LETTERS_IMAP_PASSWORD", ""),
            folder=os.environ.get("LETTERS_IMAP_FOLDER", "INBOX") or "INBOX",
            tls=tls,
            cafile=os.environ.get("LETTERS_IMAP_CAFILE", ""),
            timeout=_int("LETTERS_IMAP_TIMEOUT", 30),
            batch=_int("LETTERS_BATCH", 50),
            max_message_bytes=_int("LETTERS_MAX_MESSAGE_BYTES", 20 * MB),
            max_attachment_bytes=_int("LETTERS_MAX_ATTACHMENT_BYTES", 10 * MB),
            max_attachments=_int("LETTERS_MAX_ATTACHMENTS", 10),
            attachment_types=tuple(t.strip() for t in types.split(",") if t.strip()) if types else DEFAULT_TYPES,
        )
