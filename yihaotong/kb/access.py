"""The one door to articles on a user's behalf (architecture.md §3.3).

``article_visibility(actor)`` is the only rule; ``visible_articles`` and ``access_article`` derive from
it. The KB team sees everything; a unit admin sees the unit's own articles (and its sub-units') in every
state; all staff see published articles; anyone else (the portal) sees published public articles.
``capacities(actor, article)`` says in which capacity (KB team, author) an actor may act on an article.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yihaotong.accounts import roles as R
from yihaotong.core.errors import NotFound, NotPermitted

from . import states as S
from .models import Article, ArticleState, Visibility

KB_TEAM_ROLES = frozenset({R.KB_EDITOR, R.SYSADMIN})
# Everyone who works at the hotline or in a unit: they read internal articles too.
STAFF_ROLES = frozenset(R.ALL_ROLES) - {R.PANEL_MEMBER}

PUBLISHED = Q(state=ArticleState.PUBLISHED)


def _roles(actor) -> frozenset[str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return frozenset()
    return getattr(actor, "roles", frozenset())


def is_kb_team(actor) -> bool:
    return bool(_roles(actor) & KB_TEAM_ROLES)


def is_staff_reader(actor) -> bool:
    """Return whether ``actor`` reads internal articles (staff), not only public ones."""
    return bool(_roles(actor) & STAFF_ROLES)


def authored_units_q(actor) -> Q | None:
    """Return a Q on Article for the articles ``actor`` maintains as a unit admin, or None."""
    if R.UNIT_ADMIN not in _roles(actor) or not actor.unit_id:
        return None
    path = actor.unit.path
    return Q(owner_unit__path__startswith=path) if path else Q(owner_unit_id=actor.unit_id)


def article_visibility(actor) -> Q:
    """Return the rule deciding which articles ``actor`` may read."""
    if is_kb_team(actor):
        return Q(pk__isnull=False)
    if is_staff_reader(actor):
        rule = PUBLISHED
        own = authored_units_q(actor)
        return rule | own if own is not None else rule
    return PUBLISHED & Q(visibility=Visibility.PUBLIC)


def visible_articles(actor) -> QuerySet[Article]:
    return Article.objects.filter(article_visibility(actor))


def access_article(actor, article_id: int, *, for_update: bool = False) -> Article:
    """Return the article if ``actor`` may read it; NotFound otherwise (also when it does not exist)."""
    qs = visible_articles(actor).filter(pk=article_id)
    if for_update:
        article = qs.select_for_update(of=("self",)).first()
    else:
        article = qs.select_related("category", "owner_unit").first()
    if article is None:
        raise NotFound("No such article.")
    return article


def capacities(actor, article: Article | None = None, *, owner_unit=None) -> frozenset[str]:
    """Return the capacities in which ``actor`` acts on ``article`` (or on a new one of ``owner_unit``)."""
    caps = set()
    if is_kb_team(actor):
        caps.add(S.KB_TEAM)
    unit = owner_unit if article is None else article.owner_unit
    if unit is not None and R.UNIT_ADMIN in _roles(actor) and actor.unit_id:
        path = actor.unit.path
        if unit.pk == actor.unit_id or (path and (unit.path or "").startswith(path)):
            caps.add(S.AUTHOR)
    return frozenset(caps)


def can_edit(actor, article: Article) -> bool:
    return any(article.state in S.EDITABLE[c] for c in capacities(actor, article))


def check_can_edit(actor, article: Article) -> None:
    if not can_edit(actor, article):
        raise NotPermitted("You may not edit this article in its current state.")


def available_moves(actor, article: Article) -> list[str]:
    return S.available(article.state, capacities(actor, article))


def can_propose(actor, article: Article) -> bool:
    """Return whether ``actor`` may propose a change to ``article`` (its owner unit, once published)."""
    return article.state == ArticleState.PUBLISHED and S.AUTHOR in capacities(actor, article)
