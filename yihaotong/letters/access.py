"""Who sees letters: the one visibility rule of the letters app."""

from __future__ import annotations

from yihaotong.accounts import roles as R
from yihaotong.core.errors import NotFound

from .models import Letter, RejectedMail

# The centre's intake staff read the mailbox and record letters; supervisors may look.
LETTER_ROLES = frozenset({R.OPERATOR, R.DISPATCHER, R.SUPERVISOR, R.SYSADMIN})
# Who records a letter as a contact, or dismisses it.
HANDLER_ROLES = frozenset({R.OPERATOR, R.DISPATCHER})


def visible_letters(actor):
    if not getattr(actor, "is_authenticated", False) or not actor.roles & LETTER_ROLES:
        return Letter.objects.none()
    return Letter.objects.all()


def visible_rejections(actor):
    if not getattr(actor, "is_authenticated", False) or not actor.roles & LETTER_ROLES:
        return RejectedMail.objects.none()
    return RejectedMail.objects.all()


def access_letter(actor, pk: int, *, for_update: bool = False) -> Letter:
    qs = visible_letters(actor).filter(pk=pk)
    if for_update:
        qs = qs.select_for_update()
    letter = qs.first()
    if letter is None:
        raise NotFound("No such letter.")
    return letter
