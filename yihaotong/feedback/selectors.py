"""Reads of the feedback app: review candidates, lists with filters."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from yihaotong.workorders import states as S
from yihaotong.workorders.access import visible_orders
from yihaotong.workorders.models import WorkOrder

from .actions import feedback_policy
from .models import ReviewCase


def review_candidates(actor, *, reason: str = "", q: str = "") -> QuerySet[WorkOrder]:
    """Orders for third-party review: dissatisfied twice or more (or out of redo rounds), or contacted about
    many times by the requester; not already before a session."""
    policy = feedback_policy()
    # is_review_candidate is set by the callback (redo rounds exhausted) and by repeated contacts.
    dissatisfied = Q(dissatisfied_count__gte=policy["review_candidate_dissatisfied"]) | Q(
        is_review_candidate=True, dissatisfied_count__gte=1
    )
    repeated = Q(repeat_count__gte=policy["review_candidate_contacts"]) | Q(
        is_review_candidate=True, dissatisfied_count=0
    )
    cond = {"dissatisfied": dissatisfied, "repeated": repeated}.get(reason, dissatisfied | repeated)
    qs = (
        visible_orders(actor)
        .filter(cond)
        .exclude(state__in=[S.MERGED, S.REJECTED])
        .exclude(Exists(ReviewCase.objects.filter(order=OuterRef("pk"))))
        .select_related("request_type", "lead_unit", "street")
    )
    if q:
        qs = qs.filter(Q(number=q) | Q(subject__icontains=q))
    return qs.order_by("-dissatisfied_count", "-repeat_count", "-created_at", "-id")
