"""Names of the order-timeline events that feedback actions write (added to workorders.events.EVENT_LABELS
when the app is ready, so every screen that shows an order's timeline names them in the reader's language)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

FEEDBACK_EVENT_LABELS = {
    "review_case": pgettext_lazy("order event", "Put before third-party review"),
    "review_case_removed": pgettext_lazy("order event", "Taken out of third-party review"),
    "review_outcome": pgettext_lazy("order event", "Third-party review outcome"),
    "rectification_reply": pgettext_lazy("order event", "Rectification replied"),
    "rectification_accepted": pgettext_lazy("order event", "Rectification accepted"),
    "rectification_sent_back": pgettext_lazy("order event", "Rectification sent back"),
    "publication_drafted": pgettext_lazy("order event", "Publication drafted"),
    "case_published": pgettext_lazy("order event", "Published as a case"),
}


def register() -> None:
    from yihaotong.workorders.events import EVENT_LABELS

    for kind, label in FEEDBACK_EVENT_LABELS.items():
        EVENT_LABELS.setdefault(kind, label)
