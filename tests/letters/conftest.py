from __future__ import annotations

import pytest

from yihaotong.letters.conf import MailboxSettings

from .imap_server import Mailbox, start


def _serve(tls: str):
    box = Mailbox()
    server, port = start(box, tls=tls)
    box.port = port
    return box, server


@pytest.fixture
def mailbox():
    """A local IMAP server (tests/letters/imap_server.py) with an empty INBOX."""
    box, server = _serve("none")
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["ssl", "starttls"])
def tls_mailbox(request):
    """The same server over TLS (IMAPS, or STARTTLS), with a self-signed certificate for 127.0.0.1."""
    box, server = _serve(request.param)
    box.tls = request.param
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings_for(mailbox):
    """Mailbox settings pointing at the local server (plain IMAP: a test server on 127.0.0.1)."""

    def make(**overrides) -> MailboxSettings:
        values = dict(
            host="127.0.0.1",
            port=mailbox.port,
            user=mailbox.user,
            password=mailbox.password,
            folder="INBOX",
            tls="none",
            timeout=5,
        )
        values.update(overrides)
        return MailboxSettings(**values)

    return make
