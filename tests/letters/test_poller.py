"""The IMAP poller against a local IMAP server: new mail becomes letters (with attachments), once;
giant, malformed or unacceptable mail is refused with a logged reason and nothing else is kept."""

from __future__ import annotations

import logging

import pytest

from yihaotong import cli
from yihaotong.letters.models import Letter, LetterAttachment, LetterEvent, RejectedMail
from yihaotong.letters.poller import MailboxError, poll_mailbox

from .messages import letter

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% test document\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_new_mail_becomes_letters_with_attachments_and_is_marked_seen(mailbox, settings_for):
    first = mailbox.add(letter(attachments=[("现场照片.png", "image/png", PNG), ("说明.pdf", "application/pdf", PDF)]))
    old = mailbox.add(letter(subject="早已读过"), seen=True)
    result = poll_mailbox(settings_for())
    assert result == {"configured": True, "seen": 1, "created": 1, "duplicates": 0, "refused": 0, "failed": 0}
    row = Letter.objects.get()
    assert row.subject == "小区门口路灯坏了" and row.sender_email == "lin.test@example.test"
    assert row.sender_name == "林小姐" and "13900002222" in row.body_text
    assert row.state == "waiting" and row.uid == str(first) and row.sent_at is not None
    names = sorted(LetterAttachment.objects.values_list("name", "content_type", "size"))
    assert names == [("现场照片.png", "image/png", len(PNG)), ("说明.pdf", "application/pdf", len(PDF))]
    stored = LetterAttachment.objects.get(content_type="application/pdf")
    with stored.file.open("rb") as f:
        assert f.read() == PDF
    assert mailbox.seen(first) and mailbox.seen(old) and old not in mailbox.fetched_bodies
    assert list(LetterEvent.objects.values_list("kind", flat=True)) == ["received"]
    # Nothing new: nothing read.
    assert poll_mailbox(settings_for())["seen"] == 0


def test_the_same_message_id_twice_makes_one_letter(mailbox, settings_for):
    raw = letter(message_id="<same-1@example.test>")
    mailbox.add(raw)
    poll_mailbox(settings_for())
    again = mailbox.add(raw)  # delivered twice, or flagged unseen again by someone
    result = poll_mailbox(settings_for())
    assert result["duplicates"] == 1 and result["created"] == 0
    assert Letter.objects.count() == 1 and mailbox.seen(again)


def test_html_is_sanitised_and_gives_the_text(mailbox, settings_for):
    html = (
        '<p onclick="steal()">路面<b>塌陷</b>，很危险</p><script>alert(1)</script>'
        '<a href="javascript:alert(2)">点我</a><a href="https://example.test/map">地图</a>'
        '<img src="https://tracker.example.test/pixel.gif"><style>p{}</style>'
    )
    mailbox.add(letter(subject="路面塌陷", text=None, html=html))
    poll_mailbox(settings_for())
    row = Letter.objects.get()
    assert "<b>塌陷</b>" in row.body_html and "script" not in row.body_html and "onclick" not in row.body_html
    assert "javascript" not in row.body_html and "<img" not in row.body_html and "style" not in row.body_html
    assert 'href="https://example.test/map"' in row.body_html and "noopener" in row.body_html
    assert "路面塌陷，很危险" in row.body_text and "alert" not in row.body_text


def test_a_gb2312_letter_is_read(mailbox, settings_for):
    mailbox.add(letter(text="您好，噪音扰民，请处理。", charset="gb2312"))
    poll_mailbox(settings_for())
    assert Letter.objects.get().body_text == "您好，噪音扰民，请处理。"


@pytest.mark.parametrize(
    "raw, reason",
    [
        (letter(attachments=[("病毒.exe", "application/x-msdownload", b"MZ" + b"\x00" * 32)]), "attachment_type"),
        (letter(attachments=[(f"p{i}.png", "image/png", PNG) for i in range(4)]), "too_many_attachments"),
        (letter(attachments=[("大.pdf", "application/pdf", PDF + b"0" * 5000)]), "attachment_size"),
        (letter(sender="undisclosed-recipients:;"), "no_sender"),
        (letter(subject="", text=""), "empty"),
        (
            b"From: a@example.test\r\nMessage-ID: <broken-1@example.test>\r\nSubject: x\r\n"
            b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\nno parts here at all\r\n',
            "malformed",
        ),
        (
            b"From: a@example.test\r\nSubject: x\r\nContent-Type: text/plain\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n@@@not base64 at all@@\r\n",
            "malformed",
        ),
    ],
)
def test_unacceptable_mail_is_refused_with_its_reason_and_nothing_is_kept(mailbox, settings_for, raw, reason, caplog):
    uid = mailbox.add(raw)
    with caplog.at_level(logging.WARNING, logger="yihaotong.letters"):
        result = poll_mailbox(settings_for(max_attachments=3, max_attachment_bytes=4096))
    assert result["refused"] == 1 and result["created"] == 0
    rejected = RejectedMail.objects.get()
    assert rejected.reason == reason and rejected.uid == str(uid)
    assert reason in caplog.text
    assert not Letter.objects.exists() and not LetterAttachment.objects.exists()
    assert mailbox.seen(uid)  # not read again and again
    # Polled again (flagged unseen by someone): still one refusal logged.
    mailbox.messages[0].flags.clear()
    poll_mailbox(settings_for(max_attachments=3, max_attachment_bytes=4096))
    assert RejectedMail.objects.count() == 1


def test_a_giant_message_is_refused_without_being_downloaded(mailbox, settings_for):
    uid = mailbox.add(letter(text="很长的信" * 4000, message_id="<giant@example.test>"))
    small = mailbox.add(letter())
    result = poll_mailbox(settings_for(max_message_bytes=10_000))
    assert result["refused"] == 1 and result["created"] == 1
    rejected = RejectedMail.objects.get()
    assert rejected.reason == "too_large" and rejected.message_id == "<giant@example.test>"
    assert rejected.sender == "林小姐 <lin.test@example.test>" and rejected.size > 10_000
    assert uid not in mailbox.fetched_bodies and small in mailbox.fetched_bodies


def test_a_message_the_server_will_not_give_is_left_for_the_next_poll(mailbox, settings_for):
    bad = mailbox.add(letter(subject="暂时读不到"))
    good = mailbox.add(letter(subject="能读到"))
    mailbox.fail_fetch_for.add(bad)
    result = poll_mailbox(settings_for())
    assert result["failed"] == 1 and result["created"] == 1
    assert not mailbox.seen(bad) and mailbox.seen(good)
    mailbox.fail_fetch_for.clear()
    assert poll_mailbox(settings_for())["created"] == 1
    assert Letter.objects.count() == 2


def test_wrong_credentials_or_folder_or_server_are_mailbox_errors(mailbox, settings_for):
    with pytest.raises(MailboxError):
        poll_mailbox(settings_for(password="wrong"))
    with pytest.raises(MailboxError):
        poll_mailbox(settings_for(folder="Archive"))
    with pytest.raises(MailboxError):
        poll_mailbox(settings_for(port=1))  # nothing listens there
    assert not Letter.objects.exists()


def test_not_configured_reads_nothing(mailbox):
    from yihaotong.letters.conf import MailboxSettings

    assert poll_mailbox(MailboxSettings())["configured"] is False


def test_poll_letters_command_reads_the_environment(mailbox, monkeypatch, capsys):
    mailbox.add(letter())
    monkeypatch.setenv("LETTERS_IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("LETTERS_IMAP_PORT", str(mailbox.port))
    monkeypatch.setenv("LETTERS_IMAP_USER", mailbox.user)
    monkeypatch.setenv("LETTERS_IMAP_PASSWORD", mailbox.password)
    monkeypatch.setenv("LETTERS_IMAP_TLS", "none")
    assert cli.main(["poll-letters"]) == 0
    assert '"created": 1' in capsys.readouterr().out
    assert Letter.objects.count() == 1
    monkeypatch.setenv("LETTERS_IMAP_PASSWORD", "wrong")
    mailbox.add(letter())
    assert cli.main(["poll-letters"]) == 1
    assert "poll-letters:" in capsys.readouterr().err


def test_the_periodic_task_polls(mailbox, monkeypatch):
    from yihaotong.letters.tasks import poll_letters

    mailbox.add(letter())
    for name, value in {
        "LETTERS_IMAP_HOST": "127.0.0.1",
        "LETTERS_IMAP_PORT": str(mailbox.port),
        "LETTERS_IMAP_USER": mailbox.user,
        "LETTERS_IMAP_PASSWORD": mailbox.password,
        "LETTERS_IMAP_TLS": "none",
    }.items():
        monkeypatch.setenv(name, value)
    poll_letters.call_local()
    assert Letter.objects.count() == 1


def test_the_mailbox_is_read_over_tls_with_the_configured_ca(tls_mailbox):
    from tests.letters.imap_server import CERT
    from yihaotong.letters.conf import MailboxSettings

    tls_mailbox.add(letter())
    base = dict(host="127.0.0.1", port=tls_mailbox.port, user=tls_mailbox.user, password=tls_mailbox.password)
    # A certificate nobody vouches for is refused before the password is sent.
    with pytest.raises(MailboxError):
        poll_mailbox(MailboxSettings(**base, tls=tls_mailbox.tls, timeout=5))
    assert tls_mailbox.logins == 0
    result = poll_mailbox(MailboxSettings(**base, tls=tls_mailbox.tls, cafile=str(CERT), timeout=5))
    assert result["created"] == 1 and Letter.objects.count() == 1
