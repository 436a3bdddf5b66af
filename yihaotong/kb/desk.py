"""What the operator desk's knowledge-base pane needs (consoles/views_desk.py ``kb_search`` plugs this in).

The pane lists ``ref``, ``title`` and a plain-text ``snippet`` (it escapes what it shows) with a button that
copies the reference into the direct-answer form; the contact then records the article it was answered
from, which the KB dashboard counts as a use. Each search is logged as a desk search.
"""

from __future__ import annotations

import html
import re

from .actions import do_log_search
from .models import SearchChannel
from .search import search_articles

_TAGS = re.compile(r"<[^>]+>")


def desk_results(actor, q: str, *, limit: int = 8, log: bool = True) -> list[dict]:
    """Return the articles for the desk pane (empty for an empty question), logging the search."""
    result = search_articles(q, actor=actor, limit=limit)
    if log and result.query:
        do_log_search(
            actor,
            channel=SearchChannel.DESK,
            query=result.query,
            filters={},
            article_ids=result.article_ids,
            took_ms=result.took_ms,
            best_coverage=result.best_coverage,
        )
    return [
        {
            "ref": h.ref,
            "article_id": h.article_id,
            "title": h.title,
            "snippet": html.unescape(_TAGS.sub("", h.snippet)),
            "expired": h.expired,
            "review_overdue": h.review_overdue,
            "internal": h.visibility == "internal",
        }
        for h in result.hits
    ]
