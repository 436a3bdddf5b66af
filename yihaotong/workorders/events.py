"""What each kind of timeline event is called, in the reader's language (one place for every screen).

The actions write ``Event.kind`` as a code: a transition's event name (states.py ``TRANSITIONS``) or the kind
given to ``record_event`` (actions.py). ``tests/workorders/test_event_labels.py`` reads actions.py and fails
when an action writes a kind that has no label here. ``event_label`` falls back to the code itself.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy


def _(text: str):
    return pgettext_lazy("order event", text)


EVENT_LABELS = {
    # the order is born, and leaves the centre at intake
    "create": _("Order created"),
    "accept": _("Accepted"),
    "answer": _("Answered directly"),
    "reject": _("Rejected"),
    "merge": _("Merged into another order"),
    "merge_in": _("Another order merged in"),
    "classify": _("Category changed"),
    "repeat_contact": _("Repeat contact"),
    # dispatch and the units
    "dispatch": _("Dispatched"),
    "subdispatch": _("Dispatched to a sub-unit"),
    "sign": _("Signed for"),
    "sign_part": _("Signed for by a unit"),
    "request_return": _("Return requested"),
    "return": _("Returned to the centre"),
    "return_part": _("Returned by a unit"),
    "refuse_return": _("Return refused"),
    "request_extension": _("Extension requested"),
    "extension_approved": _("Extension approved"),
    "extension_refused": _("Extension refused"),
    "request_termination": _("Termination requested"),
    "terminate": _("Terminated"),
    "refuse_termination": _("Termination refused"),
    "contact_log": _("Requester contacted"),
    "reveal_contact": _("Requester's number revealed"),
    "note": _("Note added"),
    "attach": _("Attachment added"),
    # reply, review, callback
    "reply": _("Replied"),
    "reply_part": _("Replied by a unit"),
    "approve_reply": _("Reply approved"),
    "send_back": _("Reply sent back"),
    "callback": _("Callback recorded"),
    "redo": _("Sent back for redo"),
    "close": _("Closed"),
    # supervision and warnings
    "remind": _("Reminder"),
    "supervise": _("Supervision"),
    "escalate": _("Escalated supervision"),
    "warning_yellow": _("Yellow warning"),
    "warning_red": _("Red warning: overdue"),
}


def event_label(kind: str) -> str:
    """Return the translated name of an event kind, or the kind itself when it has none."""
    label = EVENT_LABELS.get(kind)
    return str(label) if label is not None else kind
