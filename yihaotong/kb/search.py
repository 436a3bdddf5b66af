"""``search_articles``: the one search of the knowledge base (operator desk, portal, API, evaluation).

Each server process keeps the published articles in an in-memory ``SearchIndex`` (index.py). Before a
search it reads the ``IndexState`` row at most once per ``KB_INDEX_POLL_SECONDS`` (default 1 s): a new
``version`` patches the index with the articles whose ``index_version`` moved on; a new
``analysis_version`` (synonyms, user dictionary, ``kb_reindex``) rebuilds it. A publication is therefore
visible in every process within that interval plus one patch (docs/decisions/0008).
"""

from __future__ import annotations

import html
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.conf import settings
from django.utils import timezone

from yihaotong.core.errors import Invalid
from yihaotong.worktime.calendar import TZ

from .access import is_kb_team, is_staff_reader
from .analysis import Analyzer, bigrams, fold
from .index import NO_DATE, DocMeta, IndexDoc, SearchIndex
from .models import Article, ArticleState, DictionaryWord, IndexState, MaterialType, SynonymGroup, Visibility

MAX_QUERY = 200  # characters of a query that are analysed (a pasted letter is cut, not refused)
MAX_LIMIT = 50
VALIDITY = ("current", "all", "expired")

# One lock per process: a patch replaces the index's arrays, so a search must not read them half-way
# (searches take a few ms; gunicorn's sync workers never contend, threaded servers queue briefly).
_lock = threading.RLock()
_index: SearchIndex | None = None
_checked_at = 0.0
# Category and unit names as hits show them: read again at every poll, so a rename in the directory
# shows within the poll interval without touching the index.


@dataclass
class SearchFilters:
    category: str = ""  # a category code: its subtree matches
    unit: str = ""  # owner unit code
    material_type: str = ""
    visibility: str = ""  # public / internal ("" = whatever the actor may read)
    validity: str = "current"  # current (in force, not expired) / all / expired

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class Hit:
    article_id: int
    ref: str
    title: str
    score: float
    coverage: float  # share of the query's words (idf-weighted) found in the article, 0 to 1
    snippet: str  # HTML: escaped text with <mark> around matched words
    title_html: str
    category: str
    owner_unit: str
    issuing_unit: str
    material_type: str
    visibility: str
    expired: bool
    not_yet_effective: bool
    review_overdue: bool
    long: bool  # the snippet is one passage of a long article


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    took_ms: float = 0.0

    @property
    def article_ids(self) -> list[int]:
        return [h.article_id for h in self.hits]

    @property
    def best_coverage(self) -> float:
        return max((h.coverage for h in self.hits), default=0.0)


# ---------------------------------------------------------------------------------------------------------
# the per-process index


def _ordinal(d: date | None, default: int) -> int:
    return d.toordinal() if d else default


def index_doc(article: Article) -> IndexDoc:
    """Return the index's view of a published article (category and owner unit loaded)."""
    return IndexDoc(
        id=article.pk,
        title=article.title,
        content=article.content_text,
        phrasings=article.phrasing_list(),
        keywords=article.keyword_list(),
        meta=DocMeta(
            category_id=article.category_id,
            category_name=article.category.name,
            owner_unit_id=article.owner_unit_id,
            owner_unit_name=article.owner_unit.short_name or article.owner_unit.name,
            material_type=article.material_type,
            is_public=article.visibility == Visibility.PUBLIC,
            effective_from=_ordinal(article.effective_from, 0),
            expires_on=_ordinal(article.expires_on, NO_DATE),
            next_review_on=_ordinal(article.next_review_on, NO_DATE),
            issuing_unit=article.issuing_unit,
        ),
    )


def build_analyzer() -> Analyzer:
    words = DictionaryWord.objects.filter(is_active=True).values_list("word", flat=True)
    groups = [g.term_list() for g in SynonymGroup.objects.filter(is_active=True)]
    return Analyzer(words=list(words), synonym_groups=groups)


def _published():
    return Article.objects.filter(state=ArticleState.PUBLISHED).select_related("category", "owner_unit")


def build_index() -> SearchIndex:
    """Build a fresh index of every published article from the database."""
    state = IndexState.objects.filter(pk=1).values("version", "analysis_version").first() or {}
    index = SearchIndex(build_analyzer())
    for article in _published().iterator(chunk_size=500):
        index.upsert(index_doc(article))
    index.build()
    index.version = state.get("version", 0)
    index.analysis_version = state.get("analysis_version", 0)
    return index


def _patch(index: SearchIndex, version: int) -> None:
    changed = Article.objects.filter(index_version__gt=index.version).select_related("category", "owner_unit")
    newest = version
    for article in changed:
        if article.state == ArticleState.PUBLISHED:
            index.upsert(index_doc(article))
        else:
            index.remove(article.pk)
        newest = max(newest, article.index_version)
    index.build()
    index.version = newest


def get_index() -> SearchIndex:
    """Return this process's index, brought up to date if the poll interval has passed."""
    global _index, _checked_at
    interval = float(getattr(settings, "KB_INDEX_POLL_SECONDS", 1.0))
    now = time.monotonic()
    if _index is not None and now - _checked_at < interval:
        return _index
    with _lock:
        state = IndexState.objects.filter(pk=1).values("version", "analysis_version").first() or {}
        version, analysis = state.get("version", 0), state.get("analysis_version", 0)
        if _index is None or analysis != _index.analysis_version or version < _index.version:
            _index = build_index()
        elif version != _index.version:
            _patch(_index, version)
        _checked_at = time.monotonic()
        return _index


def _current_names(category_id: int, unit_id: int) -> tuple[str | None, str | None]:
    """Return the category's and owner unit's names as the directory has them now (a rename shows on
    hits without a reindex): from the directory's reference cache, at once in the process that renamed,
    within its TTL elsewhere, and without a query per search (decision 0009)."""
    from yihaotong.directory.policy import reference

    category = reference("category", pk=category_id) if category_id else None
    unit = reference("unit", pk=unit_id) if unit_id else None
    return (
        category.name if category is not None else None,
        (unit.short_name or unit.name) if unit is not None else None,
    )


def invalidate_index() -> None:
    """Forget this process's index (tests; the next search rebuilds it)."""
    global _index, _checked_at
    with _lock:
        _index = None
        _checked_at = 0.0


# ---------------------------------------------------------------------------------------------------------
# highlighting


def _highlight(text: str, terms: list[str]) -> str:
    """Return ``text`` escaped, with <mark> around every occurrence of ``terms`` (compared folded)."""
    if not text:
        return ""
    folded = fold(text)
    if len(folded) != len(text):  # NFKC changed the length (rare ligatures): highlight nothing
        return html.escape(text)
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms))
    out, pos = [], 0
    for m in pattern.finditer(folded):
        out.append(html.escape(text[pos : m.start()]))
        out.append(f"<mark>{html.escape(text[m.start() : m.end()])}</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _highlight_terms(index: SearchIndex, query: str) -> list[str]:
    words = index.analyzer.surface_words(query)
    terms = set()
    for w in words:
        if len(w) >= 2 or not re.match(r"[\u3400-\u9fff]", w):
            terms.update(index.analyzer.synonyms_of(w))
    if not terms:  # a one-character query, or segmentation that found only single characters
        terms.update(g for g in bigrams(query) if len(g) >= 2)
    return list(terms)


# ---------------------------------------------------------------------------------------------------------
# the search


def _category_ids(code: str) -> list[int]:
    from yihaotong.directory.models import Category

    root = Category.objects.filter(code=code).first()
    if root is None:
        raise Invalid("Unknown category.", errors={"category": ["unknown category"]})
    ids, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def _unit_id(code: str) -> int:
    from yihaotong.directory.models import Unit

    unit = Unit.objects.filter(code=code).values_list("pk", flat=True).first()
    if unit is None:
        raise Invalid("Unknown unit.", errors={"unit": ["unknown unit"]})
    return unit


def _mask(
    index: SearchIndex, actor, f: SearchFilters, today: int, category_ids: list[int] | None, unit_id: int | None
) -> np.ndarray:
    mask = np.ones(len(index.ids), dtype=bool)
    staff = is_staff_reader(actor) or is_kb_team(actor)
    if not staff or f.visibility == Visibility.PUBLIC:
        mask &= index.is_public
    elif f.visibility == Visibility.INTERNAL:
        mask &= ~index.is_public
    if category_ids is not None:
        mask &= np.isin(index.category_ids, category_ids)
    if unit_id is not None:
        mask &= index.owner_unit_ids == unit_id
    if f.material_type:
        mask &= index.material_types == f.material_type
    validity = f.validity if staff else "current"  # the public sees only articles in force
    if validity == "current":
        mask &= (index.effective_from <= today) & (index.expires_on >= today)
    elif validity == "expired":
        mask &= index.expires_on < today
    return mask


def check_filters(f: SearchFilters) -> SearchFilters:
    errors = {}
    if f.material_type and f.material_type not in MaterialType.values:
        errors["material_type"] = [f"one of {', '.join(MaterialType.values)}"]
    if f.visibility and f.visibility not in Visibility.values:
        errors["visibility"] = ["public or internal"]
    if f.validity and f.validity not in VALIDITY:
        errors["validity"] = [f"one of {', '.join(VALIDITY)}"]
    if errors:
        raise Invalid("The search has invalid filters.", errors=errors)
    f.validity = f.validity or "current"
    return f


def search_articles(
    query: str, *, actor, filters: SearchFilters | None = None, limit: int = 10, today: date | None = None
) -> SearchResult:
    """Return the published articles that answer ``query`` best, as ``actor`` may read them.

    Anonymous callers and the portal get public articles in force only; staff get internal ones too and
    may ask for expired ones (``validity``). Every hit says whether it has expired, is not yet in force,
    or is overdue for review. An empty or unusable query returns no hits (never an error).
    """
    started = time.perf_counter()
    f = check_filters(filters or SearchFilters())
    limit = max(1, min(int(limit or 10), MAX_LIMIT))
    query = (query or "").strip()
    result = SearchResult(query=query)
    q = query[:MAX_QUERY]
    if not fold(q):
        result.took_ms = (time.perf_counter() - started) * 1000
        return result
    today_ord = (today or timezone.localdate(timezone=TZ)).toordinal()
    category_ids = _category_ids(f.category) if f.category else None
    unit_id = _unit_id(f.unit) if f.unit else None
    with _lock:
        index = get_index()
        if len(index):
            q = index.rewrite(q)
            scores = index.scores(q)
            scores = np.where(_mask(index, actor, f, today_ord, category_ids, unit_id), scores, 0.0)
            matched = np.flatnonzero(scores > 0)
            result.total = int(matched.size)
            if matched.size:
                top = matched[np.argsort(-scores[matched], kind="stable")[:limit]]
                terms = _highlight_terms(index, q)
                for row in top:
                    result.hits.append(_hit(index, int(row), float(scores[row]), q, terms, today_ord))
    result.took_ms = (time.perf_counter() - started) * 1000
    return result


def _hit(index: SearchIndex, row: int, score: float, query: str, terms: list[str], today: int) -> Hit:
    doc = index.doc(row)
    m = doc.meta
    category_name, unit_name = _current_names(m.category_id, m.owner_unit_id)
    start, end = index.best_passage(row, query)
    passage = doc.content[start:end].strip()
    long = len(doc.content) > index.params.passage_chars
    if len(passage) > index.params.passage_chars * 2:
        passage = passage[: index.params.passage_chars * 2] + "…"
    return Hit(
        article_id=doc.id,
        ref=f"KB-{doc.id}",
        title=doc.title,
        score=round(score, 4),
        coverage=round(index.coverage(row, query), 3),
        snippet=_highlight(passage, terms),
        title_html=_highlight(doc.title, terms),
        category=category_name or m.category_name,
        owner_unit=unit_name or m.owner_unit_name,
        issuing_unit=m.issuing_unit,
        material_type=m.material_type,
        visibility=Visibility.PUBLIC if m.is_public else Visibility.INTERNAL,
        expired=m.expires_on < today,
        not_yet_effective=m.effective_from > today,
        review_overdue=m.next_review_on < today,
        long=long,
    )
