"""What each kind of timeline event is called, in the reader's language (one place for every screen).

The actions write ``Event.kind`` as a code: a transition's event name (states.py ``TRANSITIONS``) or the kind
given to ``record_event`` (actions.py). ``tests/workorders/test_event_labels.py`` reads actions.py and fails
when an action writes a kind that has no label here. ``event_label`` falls back to the code itself.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

# Each label is spelled out as pgettext_lazy("order event", …) so that makemessages extracts it with its context.

EVENT_LABELS = {
    # the order is born, and leaves the centre at intake
    "create": pgettext_lazy("order event", "Order created"),
    "accept": pgettext_lazy("order event", "Accepted"),
    "answer": pgettext_lazy("order event", "Answered directly"),
    "reject": pgettext_lazy("order event", "Rejected"),
    "merge": pgettext_lazy("order event", "Merged into another order"),
    "merge_in": pgettext_lazy("order event", "Another order merged in"),
    "classify": pgettext_lazy("order event", "Category changed"),
    "repeat_contact": pgettext_lazy("order event", "Repeat contact"),
    # dispatch and the units
    "dispatch": pgettext_lazy("order event", "Dispatched"),
    "subdispatch": pgettext_lazy("order event", "Dispatched to a sub-unit"),
    "sign": pgettext_lazy("order event", "Signed for"),
    "sign_part": pgettext_lazy("order event", "Signed for by a unit"),
    "request_return": pgettext_lazy("order event", "Return requested"),
    "return": pgettext_lazy("order event", "Returned to the centre"),
    "return_part": pgettext_lazy("order event", "Returned by a unit"),
    "refuse_return": pgettext_lazy("order event", "Return refused"),
    "request_extension": pgettext_lazy("order event", "Extension requested"),
    "extension_approved": pgettext_lazy("order event", "Extension approved"),
    "extension_refused": pgettext_lazy("order event", "Extension refused"),
    "request_termination": pgettext_lazy("order event", "Termination requested"),
    "terminate": pgettext_lazy("order event", "Terminated"),
    "refuse_termination": pgettext_lazy("order event", "Termination refused"),
    "contact_log": pgettext_lazy("order event", "Requester contacted"),
    "reveal_contact": pgettext_lazy("order event", "Requester's number revealed"),
    "note": pgettext_lazy("order event", "Note added"),
    "attach": pgettext_lazy("order event", "Attachment added"),
    # reply, review, callback
    "reply": pgettext_lazy("order event", "Replied"),
    "reply_part": pgettext_lazy("order event", "Replied by a unit"),
    "approve_reply": pgettext_lazy("order event", "Reply approved"),
    "send_back": pgettext_lazy("order event", "Reply sent back"),
    "callback": pgettext_lazy("order event", "Callback recorded"),
    "rated_online": pgettext_lazy("order event", "Rated online by the requester"),
    "redo": pgettext_lazy("order event", "Sent back for redo"),
    "close": pgettext_lazy("order event", "Closed"),
    # supervision and warnings
    "remind": pgettext_lazy("order event", "Reminder"),
    "supervise": pgettext_lazy("order event", "Supervision"),
    "escalate": pgettext_lazy("order event", "Escalated supervision"),
    "warning_yellow": pgettext_lazy("order event", "Yellow warning"),
    "warning_red": pgettext_lazy("order event", "Red warning: overdue"),
}


def event_label(kind: str) -> str:
    """Return the translated name of an event kind, or the kind itself when it has none."""
    label = EVENT_LABELS.get(kind)
    return str(label) if label is not None else kind
