"""The article lifecycle as a pure table: draft → in review → published → archived (no ORM here).

Units submit and edit their own articles; the KB team (知识库小组) reviews, returns, publishes, archives
and restores. The same table decides which buttons a screen shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from yihaotong.core.errors import Invalid, InvalidTransition, NotPermitted

DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = "draft", "in_review", "published", "archived"
ALL_STATES = (DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED)

# Who may make a move: the KB team, or the article's owner unit (its unit admin) as author.
KB_TEAM, AUTHOR = "kb_team", "author"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    who: frozenset[str]
    reason_required: bool = False


TRANSITIONS = {
    t.name: t
    for t in [
        Transition("submit", frozenset({DRAFT}), IN_REVIEW, frozenset({KB_TEAM, AUTHOR})),
        Transition("return", frozenset({IN_REVIEW}), DRAFT, frozenset({KB_TEAM}), reason_required=True),
        Transition("publish", frozenset({DRAFT, IN_REVIEW}), PUBLISHED, frozenset({KB_TEAM})),
        Transition("archive", frozenset({PUBLISHED}), ARCHIVED, frozenset({KB_TEAM}), reason_required=True),
        Transition("restore", frozenset({ARCHIVED}), DRAFT, frozenset({KB_TEAM})),
    ]
}

# States in which each kind of editor may change the text (the KB team edits published articles in place).
EDITABLE = {KB_TEAM: frozenset({DRAFT, IN_REVIEW, PUBLISHED}), AUTHOR: frozenset({DRAFT})}


def check_transition(name: str, state: str, capacities: frozenset[str] | set[str], reason: str = "") -> Transition:
    """Return the transition ``name`` from ``state`` for someone acting in ``capacities``, or raise."""
    t = TRANSITIONS.get(name)
    if t is None or state not in t.sources:
        raise InvalidTransition(f"An article cannot be moved by '{name}' from the state '{state}'.")
    if not t.who & set(capacities):
        raise NotPermitted(f"Only the knowledge-base team may {name} this article.")
    if t.reason_required and not (reason or "").strip():
        raise Invalid("Give a reason.", errors={"reason": ["required"]})
    return t


def available(state: str, capacities: frozenset[str] | set[str]) -> list[str]:
    """Return the moves offered from ``state`` to someone acting in ``capacities``."""
    return [t.name for t in TRANSITIONS.values() if state in t.sources and t.who & set(capacities)]
