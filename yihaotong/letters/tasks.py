"""Periodic work: read the letters mailbox every minute (when one is configured)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .poller import MailboxError, poll_mailbox

log = logging.getLogger("yihaotong.letters")


@db_periodic_task(crontab(minute="*"))
@lock_task("letters-poll")
def poll_letters() -> dict | None:
    """One poll of the mailbox; a second worker finds the lock taken and skips this minute."""
    try:
        return poll_mailbox()
    except MailboxError as exc:
        log.error("letters: the mailbox cannot be read: %s", exc)
        return None
