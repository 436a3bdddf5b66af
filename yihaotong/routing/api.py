"""Intake-intelligence endpoints (mounted at /api/v1/routing): routing suggestions and the decisions on them.

Centre staff only (``actions.ROUTING_ROLES``); an order is read through ``access_order`` (its visibility rule).
Beside them: address → street and community (the gazetteer), personal data and abusive words in a text
(with the text redacted as a public reply would be), and open orders that are probably the same matter.
"""

from __future__ import annotations

from dataclasses import asdict

from django.utils import timezone
from ninja import Router, Status

from yihaotong.workorders.access import access_order

from . import duplicates, gazetteer, sensitive
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


@router.post("/address", response=SC.AddressOut, summary="The street and community of an address (gazetteer)")
def address_(request, payload: SC.AddressIn):
    check_routing_role(request.auth)
    return gazetteer.match_address(payload.address).as_dict()


@router.post("/sensitive", response=SC.SensitiveOut, summary="Personal data and abusive words in a text; redacted")
def sensitive_(request, payload: SC.SensitiveIn):
    check_routing_role(request.auth)
    findings = sensitive.detect(payload.text)
    return {
        "findings": [{"kind": f.kind, "start": f.start, "end": f.end} for f in findings],
        "kinds": list(dict.fromkeys(f.kind for f in findings)),
        "redacted": sensitive.redact(payload.text),
    }


def _same_matter(actor, *, text, subject, address, phone, exclude_ids=()) -> dict:
    now = timezone.now()
    found = duplicates.find_same_matter(
        actor, text=text, subject=subject, address=address, phone=phone, now=now, exclude_ids=exclude_ids
    )
    return {
        "candidates": [asdict(c) for c in found],
        "repeat_contacts": duplicates.count_repeat_contacts(phone, now=now),
    }


@router.post("/same-matter", response=SC.SameMatterOut, summary="Open orders that are probably the same matter")
def same_matter(request, payload: SC.SameMatterIn):
    check_routing_role(request.auth)
    return _same_matter(
        request.auth, text=payload.text, subject=payload.subject, address=payload.address, phone=payload.phone
    )


@router.get(
    "/orders/{int:order_id}/same-matter",
    response=SC.SameMatterOut,
    summary="Other open orders that are probably the same matter as this one (to merge)",
)
def order_same_matter(request, order_id: int):
    check_routing_role(request.auth)
    order = access_order(request.auth, order_id)
    return _same_matter(
        request.auth,
        text=order.text,
        subject=order.subject,
        address=order.address,
        phone=order.requester_phone,
        exclude_ids=[order.pk],
    )
