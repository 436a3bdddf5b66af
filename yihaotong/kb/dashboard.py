"""The KB dashboard (issue: usage and gaps): the direct-answer rate (domain.md §10), the most used articles,
articles never used, searches with no useful result and gap marks grouped into clusters of similar
questions, and the contacts that became work orders although an article existed (or did not).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .analysis import bigrams
from .models import USEFUL_COVERAGE, Article, ArticleState, ArticleUsage, GapMark, GapState, SearchLog, UsageKind

_REF = re.compile(r"^KB-(\d+)$")
CLUSTER_SIMILARITY = 0.35  # Jaccard of character bigrams for two questions to join one cluster
ORDER_CHECK_LIMIT = 300  # contacts made into orders that are searched again (newest first)
ARTICLE_EXISTED = 0.6  # coverage of the best hit above which "an article existed"


@dataclass
class Cluster:
    """Similar questions nobody found an answer to: a representative, every question, the gap marks."""

    representative: str
    questions: list[str] = field(default_factory=list)
    gap_ids: list[int] = field(default_factory=list)
    grams: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.questions)


def cluster_questions(items: list[tuple[str, int | None]], similarity: float = CLUSTER_SIMILARITY) -> list[Cluster]:
    """Group (question, gap id or None) by character-bigram Jaccard similarity, biggest cluster first (pure)."""
    clusters: list[Cluster] = []
    for question, gap_id in items:
        grams = set(bigrams(question))
        if not grams:
            continue
        best, best_sim = None, 0.0
        for c in clusters:
            sim = len(grams & c.grams) / len(grams | c.grams)
            if sim > best_sim:
                best, best_sim = c, sim
        if best is None or best_sim < similarity:
            best = Cluster(representative=question, grams=set(grams))
            clusters.append(best)
        best.questions.append(question)
        if gap_id:
            best.gap_ids.append(gap_id)
    for c in clusters:
        # The most frequent wording represents the cluster.
        c.representative = Counter(c.questions).most_common(1)[0][0]
    return sorted(clusters, key=lambda c: -c.size)


@dataclass
class Dashboard:
    since: datetime
    contacts: int
    direct_answers: int
    kb_answers: int
    direct_answer_rate: float | None
    most_used: list[tuple[int, str, int]]
    never_used: list[tuple[int, str]]
    never_used_count: int
    searches: int
    useless_searches: int
    clusters: list[Cluster]
    orders_with_article: list[tuple[object, object]]  # (contact, hit)
    orders_without_article: int
    orders_checked: int
    per_unit: list[dict]  # domain.md §10: articles added / updated / expired per owner unit


def answer_counts(since: datetime, now: datetime) -> Counter[int]:
    """How many direct answers each article gave between ``since`` and ``now`` (article id → count):
    contacts answered naming it (``KB-<id>``: the desk, the API, imports) and usage rows of the kind "used"
    that no contact counts already (a desk answer writes both, the row referring to "contact:<pk>")."""
    from yihaotong.intake.models import Contact

    uses: Counter[int] = Counter()
    answered = Contact.objects.filter(received_at__gte=since, received_at__lte=now).exclude(article_ref="")
    for ref in answered.values_list("article_ref", flat=True):
        m = _REF.match(ref.strip())
        if m:
            uses[int(m.group(1))] += 1
    for article_id in (
        ArticleUsage.objects.filter(kind=UsageKind.USED, at__gte=since, at__lte=now)
        .exclude(reference__startswith="contact:")
        .values_list("article_id", flat=True)
    ):
        uses[article_id] += 1
    return uses


def build_dashboard(actor, *, days: int = 30, now: datetime | None = None) -> Dashboard:
    """Return the dashboard over the last ``days`` days."""
    from yihaotong.intake.models import Contact, ContactOutcome

    from .search import search_articles

    now = now or timezone.now()
    since = now - timedelta(days=days)
    contacts = Contact.objects.filter(received_at__gte=since, received_at__lte=now)
    totals = contacts.aggregate(
        n=Count("pk"),
        direct=Count("pk", filter=Q(outcome=ContactOutcome.DIRECT_ANSWER)),
        kb=Count("pk", filter=Q(outcome=ContactOutcome.DIRECT_ANSWER) & ~Q(article_ref="")),
    )
    uses = answer_counts(since, now)
    titles = dict(Article.objects.filter(pk__in=list(uses)).values_list("pk", "title"))
    most_used = [(pk, titles[pk], n) for pk, n in uses.most_common() if pk in titles][:15]
    ever_used = set(ArticleUsage.objects.filter(kind=UsageKind.USED).values_list("article_id", flat=True))
    for ref in Contact.objects.exclude(article_ref="").values_list("article_ref", flat=True).distinct():
        m = _REF.match(ref.strip())
        if m:
            ever_used.add(int(m.group(1)))
    unused = Article.objects.filter(state=ArticleState.PUBLISHED).exclude(pk__in=ever_used).order_by("published_at")
    # Searches with no useful result, and the operators' gap marks, clustered.
    searches = SearchLog.objects.filter(at__gte=since, at__lte=now)
    useless = searches.filter(Q(result_count=0) | Q(best_coverage__lt=USEFUL_COVERAGE))
    items = [(q, None) for q in useless.values_list("query", flat=True)[:2000]]
    items += list(GapMark.objects.filter(state=GapState.OPEN).values_list("query", "pk")[:2000])
    clusters = cluster_questions(items)
    # Contacts that became work orders: would an article have answered?
    with_article, without = [], 0
    made_orders = list(contacts.filter(outcome=ContactOutcome.WORK_ORDER).order_by("-received_at")[:ORDER_CHECK_LIMIT])
    for contact in made_orders:
        result = search_articles(contact.summary, actor=actor, limit=1)
        if result.hits and result.hits[0].coverage >= ARTICLE_EXISTED:
            with_article.append((contact, result.hits[0]))
        else:
            without += 1
    n = totals["n"]
    return Dashboard(
        per_unit=per_unit_counts(since, now),
        since=since,
        contacts=n,
        direct_answers=totals["direct"],
        kb_answers=totals["kb"],
        direct_answer_rate=(totals["direct"] / n) if n else None,
        most_used=most_used,
        never_used=list(unused.values_list("pk", "title")[:20]),
        never_used_count=unused.count(),
        searches=searches.count(),
        useless_searches=useless.count(),
        clusters=clusters[:30],
        orders_with_article=with_article[:30],
        orders_without_article=without,
        orders_checked=len(made_orders),
    )


def per_unit_counts(since: datetime, now: datetime) -> list[dict]:
    """Return, per owner unit, the articles added, updated and expired in the period (domain.md §10)."""
    from .models import ArticleRevision, RevisionAction

    rows: dict[str, dict] = {}

    def row(unit_id: int, name: str) -> dict:
        return rows.setdefault(unit_id, {"unit": name, "added": 0, "updated": 0, "expired": 0, "published": 0})

    revisions = ArticleRevision.objects.filter(at__gte=since, at__lte=now).values(
        "article__owner_unit_id", "article__owner_unit__name", "action"
    )
    for r in revisions.annotate(n=Count("pk")):
        target = row(r["article__owner_unit_id"], r["article__owner_unit__name"])
        if r["action"] in (RevisionAction.CREATE, RevisionAction.IMPORT):
            target["added"] += r["n"]
        elif r["action"] == RevisionAction.EDIT:
            target["updated"] += r["n"]
    expired = (
        Article.objects.filter(expires_on__gte=since.date(), expires_on__lt=now.date())
        .values("owner_unit_id", "owner_unit__name")
        .annotate(n=Count("pk"))
    )
    for r in expired:
        row(r["owner_unit_id"], r["owner_unit__name"])["expired"] += r["n"]
    published = (
        Article.objects.filter(state=ArticleState.PUBLISHED)
        .values("owner_unit_id", "owner_unit__name")
        .annotate(n=Count("pk"))
    )
    for r in published:
        if r["owner_unit_id"] in rows:
            rows[r["owner_unit_id"]]["published"] = r["n"]
    return sorted(rows.values(), key=lambda r: (-(r["added"] + r["updated"] + r["expired"]), r["unit"]))
