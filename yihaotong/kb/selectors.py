"""Read queries over the knowledge base. Every list starts from ``visible_articles`` (access.py)."""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from yihaotong.core.errors import Invalid, NotFound

from . import states as S
from .access import visible_articles
from .actions import SNAPSHOT_FIELDS, html_to_text
from .models import Article, ArticleRevision, ArticleUsage, GapMark, GapState, MaterialType, UsageKind, Visibility

SORTS = {"-updated": "-updated_at", "updated": "updated_at", "title": "title", "review": "next_review_on"}


@dataclass
class ArticleFilter:
    q: str = ""  # title or keyword contains
    state: str = ""
    category: str = ""  # category code (its subtree)
    unit: str = ""  # owner unit code
    material_type: str = ""
    visibility: str = ""
    flag: str = ""  # expired / review_overdue
    sort: str = "-updated"


def list_articles(actor, f: ArticleFilter, *, today: date | None = None) -> QuerySet[Article]:
    """Return the articles ``actor`` may read, filtered (the KB console and the API list)."""
    today = today or date.today()
    qs = visible_articles(actor).select_related("category", "owner_unit")
    errors: dict[str, list[str]] = {}
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(keywords__icontains=f.q))
    if f.state:
        if f.state not in S.ALL_STATES:
            errors["state"] = [f"one of {', '.join(S.ALL_STATES)}"]
        qs = qs.filter(state=f.state)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__code__startswith=f.category + "-"))
    if f.unit:
        qs = qs.filter(owner_unit__code=f.unit)
    if f.material_type:
        if f.material_type not in MaterialType.values:
            errors["material_type"] = [f"one of {', '.join(MaterialType.values)}"]
        qs = qs.filter(material_type=f.material_type)
    if f.visibility:
        if f.visibility not in Visibility.values:
            errors["visibility"] = ["public or internal"]
        qs = qs.filter(visibility=f.visibility)
    if f.flag == "expired":
        qs = qs.filter(expires_on__lt=today)
    elif f.flag == "review_overdue":
        qs = qs.filter(next_review_on__lt=today)
    elif f.flag == "proposal":
        qs = qs.filter(proposal__isnull=False)
    elif f.flag:
        errors["flag"] = ["expired, review_overdue or proposal"]
    if f.sort not in SORTS:
        errors["sort"] = [f"one of {', '.join(SORTS)}"]
    if errors:
        raise Invalid("The list has invalid filters.", errors=errors)
    return qs.order_by(SORTS[f.sort], "-pk")


# ---------------------------------------------------------------------------------------------------------
# revisions


@dataclass
class FieldChange:
    field: str
    before: str
    after: str
    html: str  # escaped, with <del> and <ins> around the changed characters


def _text(field: str, value) -> str:
    if value is None:
        return ""
    if field == "content":
        return html_to_text(str(value))
    return str(value)


def inline_diff(before: str, after: str) -> str:
    """Return an escaped character-level diff of two texts with <del>/<ins> marks."""
    out = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.append(html.escape(before[a0:a1]))
            continue
        if a1 > a0:
            out.append(f"<del>{html.escape(before[a0:a1])}</del>")
        if b1 > b0:
            out.append(f"<ins>{html.escape(after[b0:b1])}</ins>")
    return "".join(out)


def diff_snapshots(old: dict, new: dict) -> list[FieldChange]:
    changes = []
    for name in SNAPSHOT_FIELDS:
        a, b = _text(name, old.get(name)), _text(name, new.get(name))
        if a != b:
            changes.append(FieldChange(name, a, b, inline_diff(a, b)))
    return changes


def diff_revisions(article: Article, old: int, new: int) -> list[FieldChange]:
    """Return the field changes between two revisions of ``article``."""
    rows = {r.number: r for r in ArticleRevision.objects.filter(article=article, number__in=[old, new])}
    if old not in rows or new not in rows:
        raise NotFound("No such revision.")
    return diff_snapshots(rows[old].snapshot, rows[new].snapshot)


# ---------------------------------------------------------------------------------------------------------
# usage


def usage_counts(article_ids: list[int]) -> dict[int, dict[str, int]]:
    """Return {article id: {usage kind: count}} for the given articles."""
    out: dict[int, dict[str, int]] = {i: {} for i in article_ids}
    rows = ArticleUsage.objects.filter(article_id__in=article_ids).values("article_id", "kind").annotate(n=Count("pk"))
    for row in rows:
        out[row["article_id"]][row["kind"]] = row["n"]
    return out


def most_used(limit: int = 10) -> list[tuple[int, str, int]]:
    rows = (
        ArticleUsage.objects.filter(kind=UsageKind.USED)
        .values("article_id", "article__title")
        .annotate(n=Count("pk"))
        .order_by("-n")[:limit]
    )
    return [(r["article_id"], r["article__title"], r["n"]) for r in rows]


def open_gaps(limit: int = 50) -> QuerySet[GapMark]:
    return GapMark.objects.filter(state=GapState.OPEN).select_related("actor")[:limit]


def helpful_counts(article_ids) -> dict[int, tuple[int, int]]:
    """Return ``{article_id: (helpful, not helpful)}`` of the readers' votes (articles without votes left out)."""
    from .models import HelpfulVote

    rows = (
        HelpfulVote.objects.filter(article_id__in=list(article_ids))
        .values("article_id")
        .annotate(yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False)))
    )
    return {r["article_id"]: (r["yes"], r["no"]) for r in rows}
