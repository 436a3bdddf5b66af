"""Read queries of the routing app: training examples from closed orders, models, decision statistics."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import RouterModel, SuggestionDecision


@dataclass(frozen=True)
class Example:
    order_id: int
    text: str  # subject + full text
    request_type: str
    category: str | None
    unit: str | None  # the unit that finally handled the order


def final_lead_unit_code():
    """Return a subquery: the unit of the order's last replied top-level lead assignment (the one that handled
    it to the end, not the first dispatch: a redispatch returns the first and creates another)."""
    from yihaotong.workorders.models import Assignment, AssignmentRole, AssignmentState

    return Subquery(
        Assignment.objects.filter(
            order=OuterRef("pk"), role=AssignmentRole.LEAD, parent__isnull=True, state=AssignmentState.REPLIED
        )
        .order_by("-dispatched_at", "-id")
        .values("unit__code")[:1]
    )


def training_examples(*, limit: int = 50_000) -> list[Example]:
    """Return the newest ``limit`` closed orders as training examples.

    Confidential orders are left out: their words must not shape what other staff are shown.
    """
    from yihaotong.workorders import states as S
    from yihaotong.workorders.models import WorkOrder

    rows = (
        WorkOrder.objects.filter(state=S.CLOSED, is_confidential=False)
        .annotate(final_unit=Coalesce(final_lead_unit_code(), "lead_unit__code"))
        .order_by("-closed_at", "-id")
        .values_list("pk", "subject", "text", "request_type__code", "category__code", "final_unit")[:limit]
    )
    return [
        Example(order_id=pk, text=f"{subject}\n{text}", request_type=rtype, category=category, unit=unit)
        for pk, subject, text, rtype, category, unit in rows
    ]


def list_models() -> QuerySet[RouterModel]:
    return RouterModel.objects.defer("blob").order_by("-version", "kind")


def active_versions() -> dict[str, int]:
    return dict(RouterModel.objects.filter(is_active=True).values_list("kind", "version"))


def decision_stats(*, since=None) -> dict[str, dict]:
    """Return per field: decisions, accepted, and the acceptance rate (how often the suggestion was taken)."""
    qs = SuggestionDecision.objects.all()
    if since is not None:
        qs = qs.filter(at__gte=since)
    out = {}
    for row in qs.values("field").annotate(n=Count("id"), accepted=Count("id", filter=Q(accepted=True))):
        out[row["field"]] = {
            "n": row["n"],
            "accepted": row["accepted"],
            "rate": round(row["accepted"] / row["n"], 4) if row["n"] else 0.0,
        }
    return out
