"""Intake-intelligence endpoints (mounted at /api/v1/routing): routing suggestions and the decisions on them.

Centre staff only (``actions.ROUTING_ROLES``); an order is read through ``access_order`` (its visibility rule).
Other intake-intelligence endpoints (address → street, same matter, sensitive content) add themselves to
this ``router``.
"""

from __future__ import annotations

from ninja import Router, Status

from yihaotong.workorders.access import access_order

from . import schemas as SC
from .actions import check_routing_role, do_record_suggestion_decision
from .models import SuggestionDecision
from .suggest import suggest

router = Router()


def decision_out(d: SuggestionDecision) -> dict:
    return {
        "id": d.pk,
        "order_id": d.order_id,
        "field": d.field,
        "suggested": d.suggested,
        "chosen": d.chosen,
        "accepted": d.accepted,
        "confidence": d.confidence,
        "model_version": d.model_version,
        "source": d.source,
        "at": d.at,
    }


@router.post("/suggest", response=SC.SuggestionOut, summary="Suggest request type, category, lead unit, urgency")
def suggest_(request, payload: SC.SuggestIn):
    check_routing_role(request.auth)
    return suggest(payload.text, subject=payload.subject, address=payload.address, channel=payload.channel).as_dict()


@router.get("/orders/{int:order_id}/suggestion", response=SC.OrderSuggestionOut, summary="The suggestion for an order")
def order_suggestion(request, order_id: int):
    check_routing_role(request.auth)
    order = access_order(request.auth, order_id)
    out = suggest(order.text, subject=order.subject, address=order.address, channel=order.channel).as_dict()
    return {**out, "order_id": order.pk}


@router.post(
    "/orders/{int:order_id}/suggestion/decision",
    response={201: SC.DecisionOut},
    summary="Record the dispatcher's decision on a suggestion (accepted or overridden)",
)
def record_decision(request, order_id: int, payload: SC.DecisionIn):
    decision = do_record_suggestion_decision(
        request.auth,
        order_id,
        field=payload.field,
        suggested=payload.suggested,
        chosen=payload.chosen,
        confidence=payload.confidence,
        model_version=payload.model_version,
        source=payload.source,
    )
    return Status(201, decision_out(decision))
