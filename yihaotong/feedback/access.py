"""Who sees and does what in feedback: one rule per model (architecture: ``visible_…`` / ``access_…``).

- Review sessions and their cases: the centre's supervisors and reviewers (managers) see all; a panel
  member sees only the sessions they sit on, once opened, and reads only the redacted case file.
- Rectifications: managers see all; unit staff see their own unit's.
- Publications (drafts): reviewers and supervisors; the public sees only published ones.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core.errors import NotFound, NotPermitted

from .models import (
    PanelMember,
    Publication,
    PublicationState,
    Rectification,
    ReviewCase,
    ReviewSession,
    SessionState,
)

MANAGERS = frozenset({R.SUPERVISOR, R.REVIEWER})
PUBLISHERS = frozenset({R.REVIEWER, R.SUPERVISOR})
UNIT_STAFF = frozenset({R.HANDLER, R.UNIT_ADMIN})


def _roles(actor) -> frozenset:
    return frozenset(getattr(actor, "roles", frozenset()))


def is_manager(actor) -> bool:
    return bool(_roles(actor) & MANAGERS)


def is_publisher(actor) -> bool:
    return bool(_roles(actor) & PUBLISHERS)


def panel_seat(actor) -> PanelMember | None:
    if R.PANEL_MEMBER not in _roles(actor):
        return None
    return PanelMember.objects.filter(user=actor, is_active=True).first()


def check_manager(actor) -> None:
    if not is_manager(actor):
        raise NotPermitted(gettext_noop("Only the centre's supervisors and reviewers manage third-party review."))


def check_publisher(actor) -> None:
    if not is_publisher(actor):
        raise NotPermitted(gettext_noop("Only reviewers and supervisors check publications."))


def visible_sessions(actor) -> QuerySet[ReviewSession]:
    qs = ReviewSession.objects.all()
    if is_manager(actor):
        return qs
    seat = panel_seat(actor)
    if seat is None:
        return qs.none()
    return qs.filter(members=seat).exclude(state=SessionState.PLANNED)


def access_session(actor, session_id: int, *, for_update: bool = False) -> ReviewSession:
    qs = visible_sessions(actor).filter(pk=session_id)
    if for_update:
        qs = qs.select_for_update()
    session = qs.first()
    if session is None:
        raise NotFound(gettext_noop("No such review session."))
    return session


def visible_cases(actor) -> QuerySet[ReviewCase]:
    return ReviewCase.objects.filter(session__in=visible_sessions(actor))


def access_case(actor, case_id: int) -> ReviewCase:
    case = visible_cases(actor).select_related("session", "order").filter(pk=case_id).first()
    if case is None:
        raise NotFound(gettext_noop("No such review case."))
    return case


def visible_rectifications(actor) -> QuerySet[Rectification]:
    qs = Rectification.objects.all()
    if is_manager(actor):
        return qs
    if _roles(actor) & UNIT_STAFF and getattr(actor, "unit_id", None):
        return qs.filter(unit_id=actor.unit_id)
    return qs.none()


def access_rectification(actor, rect_id: int, *, for_update: bool = False) -> Rectification:
    qs = visible_rectifications(actor).filter(pk=rect_id)
    if for_update:
        qs = qs.select_for_update()
    rect = qs.first()
    if rect is None:
        raise NotFound(gettext_noop("No such rectification."))
    return rect


def visible_publications(actor) -> QuerySet[Publication]:
    """Drafts and decisions for publishers; the published ones for everybody else (and the public)."""
    if actor is not None and is_publisher(actor):
        return Publication.objects.all()
    return Publication.objects.filter(state=PublicationState.PUBLISHED)


def access_publication(actor, pub_id: int, *, for_update: bool = False) -> Publication:
    qs = visible_publications(actor).filter(pk=pub_id)
    if for_update:
        qs = qs.select_for_update()
    pub = qs.first()
    if pub is None:
        raise NotFound(gettext_noop("No such publication."))
    return pub
