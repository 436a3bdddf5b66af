"""The texts of notifications: one template per kind, written once.

Templates are English msgids translated through the notifications catalogue (Chinese is the default
language). An action queues a notification with its ``kind`` and a ``context`` (order number, query code,
dates…): the row keeps the context and a text rendered in the default language; delivery renders it again
in the recipient's language (``RecipientLanguage``: the citizen who used the portal in English gets English
SMS). Kinds without a template keep the text the action wrote.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop

TEMPLATES: dict[str, str] = {
    # to the requester (SMS)
    "order_created": gettext_noop(
        "Your request has been registered as order %(number)s, query code %(code)s. Keep both to follow it."
    ),
    "order_answered": gettext_noop("Your order %(number)s has been answered. Look it up with your query code."),
    "extension_approved": gettext_noop("The handling deadline of your order %(number)s is extended to %(due)s."),
    "reply_approved": gettext_noop("Your order %(number)s has been replied to. Look it up with your query code."),
    "terminated": gettext_noop(
        "Handling of your order %(number)s has ended; the reason can be looked up with your query code."
    ),
    "rating_invitation": gettext_noop(
        "Your order %(number)s is closed and we could not reach you by phone: please rate it online "
        "with your query code."
    ),
    "review_result_endorsed": gettext_noop("Your order %(number)s was reviewed by the third-party panel: endorsed."),
    "review_result_not_endorsed": gettext_noop(
        "Your order %(number)s was reviewed by the third-party panel: not endorsed; the unit must rectify."
    ),
    # to units and centre staff (in-app)
    "dispatched": gettext_noop("New order to sign for %(number)s: %(subject)s"),
    "warning_yellow": gettext_noop("Yellow warning %(number)s: %(subject)s"),
    "warning_red": gettext_noop("Red warning, overdue %(number)s: %(subject)s"),
}


# The names of the in-app kinds, as the staff notification centre shows them (domain.md §12).
KIND_LABELS = {
    "dispatched": gettext_lazy("New dispatch"),
    "subdispatched": gettext_lazy("Sub-dispatch"),
    "urgent_order": gettext_lazy("Urgent order"),
    "warning_yellow": gettext_lazy("Yellow warning"),
    "warning_red": gettext_lazy("Red warning, overdue"),
    "remind": gettext_lazy("Reminder"),
    "supervise": gettext_lazy("Supervision"),
    "escalate": gettext_lazy("Escalated supervision"),
    "escalated": gettext_lazy("Escalated supervision"),
    "returned": gettext_lazy("Returned order"),
    "return_requested": gettext_lazy("Return request"),
    "return_refused": gettext_lazy("Return refused"),
    "extension_requested": gettext_lazy("Extension request"),
    "extension_decided": gettext_lazy("Extension decision"),
    "termination_requested": gettext_lazy("Termination request"),
    "termination_decided": gettext_lazy("Termination decision"),
    "reply_to_review": gettext_lazy("Reply to review"),
    "reply_sent_back": gettext_lazy("Reply sent back"),
    "redo": gettext_lazy("Redo"),
    "repeat_contact": gettext_lazy("Repeat contact"),
    "review_session": gettext_lazy("Third-party review session"),
    "rectification": gettext_lazy("Rectification"),
    "rectification_reply": gettext_lazy("Rectification replied"),
    "rectification_sent_back": gettext_lazy("Rectification sent back"),
    "rectification_due_soon": gettext_lazy("Rectification due soon"),
    "rectification_overdue": gettext_lazy("Rectification overdue"),
    "hotspot_alert": gettext_lazy("Hot-spot alert"),
    "hotspot_assigned": gettext_lazy("Hot-spot alert assigned"),
}


def kind_label(kind: str) -> str:
    """Return the name of a notification kind in the active language (the code when it has none)."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def template_key(kind: str, context: dict | None) -> str:
    """Return the template of a kind, which may depend on the context (e.g. a review's outcome)."""
    variant = (context or {}).get("variant")
    return f"{kind}_{variant}" if variant else kind


def render(kind: str, context: dict | None, language: str | None = None) -> str | None:
    """Return the text of a notification in ``language`` (the default language when None), or None when
    the kind has no template or the context does not fit it."""
    if context is None:
        return None
    template = TEMPLATES.get(template_key(kind, context))
    if template is None:
        return None
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            return gettext(template) % context
        except (KeyError, ValueError, TypeError):
            return None
