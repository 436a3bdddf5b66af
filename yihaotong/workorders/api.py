"""Work-order endpoints: lists, detail, timeline, and one POST per action (same actions as the screens)."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from yihaotong.core.api import paginate

from . import actions as A
from . import schemas as SC
from . import states as S
from .access import access_order, actor_assignments, is_centre, requester_contact, visible_orders
from .models import Application, OrderState, Reply, WorkOrder
from .selectors import OrderFilter, list_orders, visible_events

router = Router()


def _ref(obj):
    return None if obj is None else {"id": obj.pk, "code": obj.code, "name": obj.name}


# Order lists count matching orders up to this many (core.api.paginate): an exact count of a centre
# user's million orders cost more than the page.
ORDER_LIST_COUNT_CAP = 10_000


def _list_item(actor, o: WorkOrder) -> dict:
    contact = requester_contact(actor, o)
    return {
        "id": o.pk,
        "number": o.number,
        "state": o.state,
        "state_label": str(OrderState(o.state).label),
        "channel": o.channel,
        "request_type": o.request_type.code,
        "urgency": o.urgency.code,
        "category": _ref(o.category),
        "subject": o.subject,
        "street": _ref(o.street),
        "lead_unit": _ref(o.lead_unit),
        "requester": {**contact, "anonymous": o.is_anonymous},
        "created_at": o.created_at,
        "due_at": o.due_at,
        "warning_level": o.warning_level,
        "repeat_count": o.repeat_count,
        "redo_count": o.redo_count,
        "supervision_level": o.supervision_level,
        "is_confidential": o.is_confidential,
    }


def _actions(actor, order: WorkOrder) -> list[str]:
    """Return the moves to offer: a unit that holds no active part of the order (it returned it, say) has none."""
    if not is_centre(actor) and not actor_assignments(actor, order).exists():
        return []
    return S.available_actions(order.state, actor.roles)


def order_detail(actor, order: WorkOrder) -> dict:
    data = _list_item(actor, order)
    assignments = list(order.assignments.select_related("unit"))
    data.update(
        {
            "text": order.text,
            "address": order.address,
            "community": _ref(order.community),
            "source": order.source,
            "upstream_ref": order.upstream_ref,
            "accepted_at": order.accepted_at,
            "dispatched_at": order.dispatched_at,
            "signed_at": order.signed_at,
            "replied_at": order.replied_at,
            "closed_at": order.closed_at,
            "sign_due": order.sign_due,
            "handle_due": order.handle_due,
            "callback_due": order.callback_due,
            "extension_days": order.extension_days,
            "satisfaction": order.satisfaction,
            "public_reply": order.public_reply,
            "disposition_reason": order.disposition_reason,
            "article_ref": order.article_ref,
            "master_number": order.master.number if order.master_id else None,
            "is_review_candidate": order.is_review_candidate,
            "consent_publish": order.consent_publish,
            "reply_wanted": order.reply_wanted,
            "assignments": [
                {
                    "id": a.pk,
                    "unit": _ref(a.unit),
                    "role": a.role,
                    "state": a.state,
                    "parent_id": a.parent_id,
                    "designated": a.designated,
                    "dispatched_at": a.dispatched_at,
                    "sign_due": a.sign_due,
                    "signed_at": a.signed_at,
                    "replied_at": a.replied_at,
                    "returned_at": a.returned_at,
                    "return_reason": a.return_reason,
                }
                for a in assignments
            ],
            "actions": _actions(actor, order),
        }
    )
    return data


def _detail(request, order_id: int) -> dict:
    return order_detail(request.auth, access_order(request.auth, order_id))


@router.get("", response=SC.OrderList, summary="List work orders")
def list_(
    request: HttpRequest,
    state: str = "",
    unit: str = "",
    assigned_unit: str = "",
    street: str = "",
    request_type: str = "",
    category: str = "",
    warning: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    due_before: datetime | None = None,
    q: str = "",
    phone: str = "",
    review_candidate: bool | None = None,
    sort: str = "-created",
    page: int = 1,
    page_size: int = 50,
):
    f = OrderFilter(
        state=state,
        unit=unit,
        assigned_unit=assigned_unit,
        street=street,
        request_type=request_type,
        category=category,
        warning=warning,
        created_from=created_from,
        created_to=created_to,
        due_before=due_before,
        q=q,
        phone=phone,
        review_candidate=review_candidate,
        sort=sort,
    )
    items, meta = paginate(list_orders(request.auth, f), page, page_size, count_cap=ORDER_LIST_COUNT_CAP)
    return {"items": [_list_item(request.auth, o) for o in items], "meta": meta}


@router.post("", response={201: SC.OrderCreated}, summary="Create a work order")
def create(request, payload: SC.OrderCreate):
    data = payload.dict()
    accepted = data.pop("accepted")
    order, code = A.do_create_order(request.auth, A.OrderInput(**data), accepted=accepted)
    return Status(201, {"order": _detail(request, order.pk), "query_code": code})


@router.get("/by-number/{number}", response=SC.OrderOut, summary="Find a work order by its number")
def by_number(request, number: str):
    from .access import access_order_by_number

    return order_detail(request.auth, access_order_by_number(request.auth, number))


@router.get("/{int:order_id}", response=SC.OrderOut, summary="A work order")
def detail(request, order_id: int):
    return _detail(request, order_id)


@router.get("/{int:order_id}/events", response=list[SC.EventOut], summary="The order's timeline")
def events(request, order_id: int):
    order = access_order(request.auth, order_id)
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "at": e.at,
            "actor": e.actor_label,
            "unit": e.unit.name if e.unit else None,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "reason": e.reason,
            "payload": e.payload,
            "is_public": e.is_public,
        }
        for e in visible_events(request.auth, order)
    ]


@router.get("/{int:order_id}/replies", response=list[SC.ReplyOut], summary="Replies of the order")
def replies(request, order_id: int):
    order = access_order(request.auth, order_id)
    return [
        {
            "id": r.pk,
            "state": r.state,
            "unit": _ref(r.assignment.unit),
            "internal_notes": r.internal_notes,
            "public_text": r.public_text,
            "created_at": r.created_at,
            "review_comment": r.review_comment,
        }
        for r in Reply.objects.filter(order=order).select_related("assignment__unit")
    ]


@router.post("/{int:order_id}/classify", response=SC.OrderOut, summary="Set the category (事项分类)")
def classify(request, order_id: int, payload: SC.ClassifyIn):
    A.do_classify_order(request.auth, order_id, category=payload.category)
    return _detail(request, order_id)


@router.post("/{int:order_id}/accept", response=SC.OrderOut, summary="Accept a submitted order (受理)")
def accept(request, order_id: int):
    A.do_accept_order(request.auth, order_id)
    return _detail(request, order_id)


@router.post("/{int:order_id}/answer", response=SC.OrderOut, summary="Answer directly (直接答复)")
def answer(request, order_id: int, payload: SC.AnswerIn):
    A.do_answer_order(request.auth, order_id, answer=payload.answer, article_ref=payload.article_ref)
    return _detail(request, order_id)


@router.post("/{int:order_id}/reject", response=SC.OrderOut, summary="Dispose (分类处置)")
def reject(request, order_id: int, payload: SC.RejectIn):
    A.do_reject_order(request.auth, order_id, disposition_reason=payload.disposition_reason, reason=payload.reason)
    return _detail(request, order_id)


@router.post("/{int:order_id}/merge", response=SC.OrderOut, summary="Merge into another order (并单)")
def merge(request, order_id: int, payload: SC.MergeIn):
    A.do_merge_order(request.auth, order_id, master_id=payload.master_id, reason=payload.reason)
    return _detail(request, order_id)


@router.post("/{int:order_id}/dispatch", response=SC.OrderOut, summary="Dispatch or redispatch (派单 / 改派)")
def dispatch(request, order_id: int, payload: SC.DispatchIn):
    A.do_dispatch_order(
        request.auth,
        order_id,
        lead_unit_id=payload.lead_unit_id,
        support_unit_ids=payload.support_unit_ids,
        handle_due=payload.handle_due,
        instructions=payload.instructions,
        designated=payload.designated,
    )
    return _detail(request, order_id)


@router.post("/{int:order_id}/subdispatch", response=SC.OrderOut, summary="Sub-dispatch to a sub-unit (下派)")
def subdispatch(request, order_id: int, payload: SC.SubdispatchIn):
    A.do_subdispatch(
        request.auth,
        order_id,
        sub_unit_id=payload.sub_unit_id,
        assignment_id=payload.assignment_id,
        instructions=payload.instructions,
    )
    return _detail(request, order_id)


@router.post("/{int:order_id}/sign", response=SC.OrderOut, summary="Sign for (签收)")
def sign(request, order_id: int, payload: SC.AssignmentIn | None = None):
    A.do_sign_assignment(request.auth, order_id, assignment_id=payload.assignment_id if payload else None)
    return _detail(request, order_id)


def _application(app: Application) -> dict:
    return {
        "id": app.pk,
        "kind": app.kind,
        "order_id": app.order_id,
        "order_number": app.order.number,
        "unit": _ref(app.assignment.unit),
        "state": app.state,
        "reason": app.reason,
        "working_days": app.working_days,
        "requested_at": app.requested_at,
        "decided_at": app.decided_at,
        "decision_note": app.decision_note,
        "old_due": app.old_due,
        "new_due": app.new_due,
    }


def _app_out(app_id: int) -> dict:
    return _application(Application.objects.select_related("order", "assignment__unit").get(pk=app_id))


@router.post("/{int:order_id}/return-requests", response={201: SC.ApplicationOut}, summary="Ask to return (退单)")
def request_return(request, order_id: int, payload: SC.ReasonIn):
    app = A.do_request_return(request.auth, order_id, reason=payload.reason, assignment_id=payload.assignment_id)
    return Status(201, _app_out(app.pk))


@router.post("/{int:order_id}/extension-requests", response={201: SC.ApplicationOut}, summary="Ask for an extension")
def request_extension(request, order_id: int, payload: SC.ExtensionIn):
    app = A.do_request_extension(
        request.auth,
        order_id,
        working_days=payload.working_days,
        reason=payload.reason,
        assignment_id=payload.assignment_id,
    )
    return Status(201, _app_out(app.pk))


@router.post(
    "/{int:order_id}/termination-requests", response={201: SC.ApplicationOut}, summary="Ask to terminate (终止办理)"
)
def request_termination(request, order_id: int, payload: SC.ReasonIn):
    app = A.do_request_termination(request.auth, order_id, reason=payload.reason, assignment_id=payload.assignment_id)
    return Status(201, _app_out(app.pk))


@router.get("/{int:order_id}/applications", response=list[SC.ApplicationOut], summary="Applications of the order")
def order_applications(request, order_id: int):
    order = access_order(request.auth, order_id)
    return [_application(a) for a in order.applications.select_related("order", "assignment__unit")]


@router.post(
    "/applications/{int:application_id}/decide",
    response=SC.ApplicationOut,
    summary="Decide an extension, return or termination",
)
def decide(request, application_id: int, payload: SC.DecisionIn):
    # Look the application up through the order's visibility rule: an application of an order the actor may
    # not see is "not found" with the same words as a missing one (architecture.md §3.3).
    kind = (
        Application.objects.filter(pk=application_id, order__in=visible_orders(request.auth))
        .values_list("kind", flat=True)
        .first()
    )
    deciders = {
        "extension": A.do_decide_extension,
        "return": A.do_decide_return,
        "termination": A.do_decide_termination,
    }
    if kind is None:
        from yihaotong.core.errors import NotFound

        raise NotFound("No such application.")
    app = deciders[kind](request.auth, application_id, approve=payload.approve, note=payload.note)
    return _app_out(app.pk)


@router.post("/{int:order_id}/reply", response=SC.OrderOut, summary="Reply (答复)")
def reply(request, order_id: int, payload: SC.ReplyIn):
    A.do_reply_order(
        request.auth,
        order_id,
        internal_notes=payload.internal_notes,
        public_text=payload.public_text,
        requester_contacted=payload.requester_contacted,
        solved=payload.solved,
        assignment_id=payload.assignment_id,
    )
    return _detail(request, order_id)


@router.post("/{int:order_id}/review", response=SC.OrderOut, summary="Review the reply (审核)")
def review(request, order_id: int, payload: SC.ReviewIn):
    A.do_review_reply(request.auth, order_id, approve=payload.approve, comment=payload.comment)
    return _detail(request, order_id)


@router.post("/{int:order_id}/supervise", response=SC.OrderOut, summary="Remind, supervise or escalate")
def supervise(request, order_id: int, payload: SC.SuperviseIn):
    A.do_supervise_order(request.auth, order_id, level=payload.level, note=payload.note)
    return _detail(request, order_id)


@router.post("/{int:order_id}/notes", response={201: SC.Done}, summary="Add an internal note")
def note(request, order_id: int, payload: SC.NoteIn):
    n = A.do_add_note(request.auth, order_id, text=payload.text)
    return Status(201, {"id": n.pk, "kind": "note"})


@router.post("/{int:order_id}/contact-logs", response={201: SC.Done}, summary="Log a contact with the requester")
def contact_log(request, order_id: int, payload: SC.ContactLogIn):
    log = A.do_log_contact(request.auth, order_id, note=payload.note, method=payload.method)
    return Status(201, {"id": log.pk, "kind": "contact_log"})


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str


@router.post("/{int:order_id}/attachments", response={201: AttachmentOut}, summary="Upload an attachment")
def attach(request, order_id: int, file: File[UploadedFile], is_public: bool = False):
    att = A.do_add_attachment(request.auth, order_id, uploaded_file=file, is_public=is_public)
    return Status(201, {"id": att.pk, "name": att.name, "size": att.size, "content_type": att.content_type})


@router.post("/{int:order_id}/callbacks", response=SC.OrderOut, summary="Record a callback (回访)")
def callback(request, order_id: int, payload: SC.CallbackIn):
    A.do_record_callback(
        request.auth,
        order_id,
        outcome=payload.outcome,
        contacted=payload.contacted,
        solved=payload.solved,
        satisfaction=payload.satisfaction,
        score5=payload.score5,
        reason=payload.reason,
    )
    return _detail(request, order_id)


@router.post("/{int:order_id}/close", response=SC.OrderOut, summary="Close without a callback")
def close(request, order_id: int, payload: SC.CloseIn):
    A.do_close_order(request.auth, order_id, reason=payload.reason)
    return _detail(request, order_id)


@router.post("/{int:order_id}/redo", response=SC.OrderOut, summary="Redo (重办)")
def redo(request, order_id: int, payload: SC.ReasonIn):
    A.do_redo_order(request.auth, order_id, reason=payload.reason)
    return _detail(request, order_id)


@router.post(
    "/{int:order_id}/reveal-contact", response=SC.RevealOut, summary="Reveal the requester's contact details (logged)"
)
def reveal(request, order_id: int, payload: SC.RevealIn):
    ip = request.META.get("REMOTE_ADDR")
    return A.reveal_requester_contact(request.auth, order_id, reason=payload.reason, ip=ip)


__all__ = ["router", "order_detail", "is_centre", "Query"]
