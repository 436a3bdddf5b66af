"""Feedback endpoints: third-party review (roster, sessions, cases, scores, outcomes, conclusion), the
redacted case file, rectifications, publications; public lists of published cases and review summaries.
The same actions and visibility rules as the /feedback/ screens; domain errors become RFC 7807 problems."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Router, Schema, Status

from yihaotong.core.api import paginate
from yihaotong.core.errors import NotPermitted

from . import access as X
from . import actions as A
from .casefile import build_case_file
from .models import PanelMember, Publication, PublicationKind, Rectification, ReviewCase, ReviewSession
from .public_views import search_published
from .selectors import review_candidates

router = Router()
public_router = Router()


class MemberOut(Schema):
    id: int
    user_id: int
    name: str
    panel_type: str
    organisation: str
    is_active: bool


class MemberIn(Schema):
    user_id: int
    panel_type: str
    organisation: str = ""
    is_active: bool = True


class ScoreOut(Schema):
    member_id: int
    panel_type: str
    verdict: str
    score: int
    comment: str


class CaseOut(Schema):
    id: int
    order_id: int
    order_number: str
    reason: str
    outcome: str
    outcome_note: str
    rectification_required: str
    rectification_unit: str | None
    rectification_deadline: date | None
    scores: list[ScoreOut] | None = None


class SessionOut(Schema):
    id: int
    title: str
    held_on: date
    location: str
    state: str
    members: list[MemberOut]
    cases: list[CaseOut]


class SessionIn(Schema):
    title: str
    held_on: date | None = None
    location: str = ""


class SessionList(Schema):
    items: list[SessionOut]
    page: int
    page_size: int
    total: int
    pages: int


class CandidateOut(Schema):
    order_id: int
    number: str
    subject: str
    dissatisfied_count: int
    redo_count: int
    repeat_count: int
    reason: str


class CandidateList(Schema):
    items: list[CandidateOut]
    page: int
    page_size: int
    total: int
    pages: int


class AddCaseIn(Schema):
    order_id: int


class PanelIn(Schema):
    member_ids: list[int]


class ScoreIn(Schema):
    verdict: str
    score: int | None = None
    comment: str = ""


class OutcomeIn(Schema):
    outcome: str
    note: str = ""
    rectification_required: str = ""
    unit_id: int | None = None
    deadline: date | None = None


class EntryOut(Schema):
    at: datetime
    kind: str
    unit: str
    states: str
    text: str


class CaseFileOut(Schema):
    number: str
    subject: str
    question: str
    request_type: str
    street: str
    address: str
    created_at: datetime
    redo_count: int
    dissatisfied_count: int
    repeat_count: int
    timeline: list[EntryOut]
    replies: list[dict]
    callbacks: list[dict]


class RectOut(Schema):
    id: int
    order_number: str
    unit: str
    requirement: str
    deadline: date
    state: str
    reply: str
    review_note: str


class RectList(Schema):
    items: list[RectOut]
    page: int
    page_size: int
    total: int
    pages: int


class ReplyIn(Schema):
    reply: str


class DecideIn(Schema):
    accept: bool
    note: str = ""


class PublicationOut(Schema):
    id: int
    kind: str
    state: str
    title: str
    question: str
    answer: str
    request_type: str
    unit_name: str
    street_name: str
    happened_on: date
    published_at: datetime | None
    order_id: int | None
    session_id: int | None
    leftovers: list[str] = []


class PublicationList(Schema):
    items: list[PublicationOut]
    page: int
    page_size: int
    total: int
    pages: int


class PublicationIn(Schema):
    title: str
    question: str = ""
    answer: str


class ReasonIn(Schema):
    reason: str


class DraftIn(Schema):
    order_id: int


class PublicOut(Schema):
    id: int
    title: str
    question: str
    answer: str
    request_type: str
    unit_name: str
    street_name: str
    happened_on: date
    published_at: datetime | None


class PublicList(Schema):
    items: list[PublicOut]
    page: int
    page_size: int
    total: int
    pages: int


# ---------------------------------------------------------------------------------------------------------


def _member(m: PanelMember) -> dict:
    return {
        "id": m.pk,
        "user_id": m.user_id,
        "name": m.user.display_name or m.user.username,
        "panel_type": m.panel_type,
        "organisation": m.organisation,
        "is_active": m.is_active,
    }


def _case(c: ReviewCase, *, scores: bool) -> dict:
    out = {
        "id": c.pk,
        "order_id": c.order_id,
        "order_number": c.order.number,
        "reason": c.reason,
        "outcome": c.outcome,
        "outcome_note": c.outcome_note,
        "rectification_required": c.rectification_required,
        "rectification_unit": c.rectification_unit.name if c.rectification_unit_id else None,
        "rectification_deadline": c.rectification_deadline,
    }
    if scores:
        out["scores"] = [
            {
                "member_id": s.member_id,
                "panel_type": s.member.panel_type,
                "verdict": s.verdict,
                "score": s.score,
                "comment": s.comment,
            }
            for s in c.scores.select_related("member")
        ]
    return out


def _session(actor, s: ReviewSession) -> dict:
    manager = X.is_manager(actor)
    return {
        "id": s.pk,
        "title": s.title,
        "held_on": s.held_on,
        "location": s.location,
        "state": s.state,
        "members": [_member(m) for m in s.members.select_related("user")],
        "cases": [
            _case(c, scores=manager) for c in s.cases.select_related("order", "rectification_unit").order_by("id")
        ],
    }


def _session_out(actor, session_id: int) -> dict:
    return _session(actor, X.access_session(actor, session_id))


def _rect(r: Rectification) -> dict:
    return {
        "id": r.pk,
        "order_number": r.case.order.number,
        "unit": r.unit.name,
        "requirement": r.requirement,
        "deadline": r.deadline,
        "state": r.state,
        "reply": r.reply,
        "review_note": r.review_note,
    }


def _pub(p: Publication, *, check: bool = False) -> dict:
    from .redaction import leftovers

    out = {f: getattr(p, f) for f in ("id", "kind", "state", "title", "question", "answer", "request_type")}
    out |= {
        "unit_name": p.unit_name,
        "street_name": p.street_name,
        "happened_on": p.happened_on,
        "published_at": p.published_at,
        "order_id": p.order_id,
        "session_id": p.session_id,
    }
    if check and p.state == "draft":
        out["leftovers"] = leftovers("\n".join([p.title, p.question, p.answer]))
    return out


# --- review ----------------------------------------------------------------------------------------------


@router.get("/review/candidates", response=CandidateList, summary="Orders for third-party review")
def candidates(request: HttpRequest, reason: str = "", q: str = "", page: int = 1, page_size: int = 50):
    X.check_manager(request.auth)
    items, meta = paginate(review_candidates(request.auth, reason=reason, q=q), page, page_size)
    out = [
        {
            "order_id": o.pk,
            "number": o.number,
            "subject": o.subject,
            "dissatisfied_count": o.dissatisfied_count,
            "redo_count": o.redo_count,
            "repeat_count": o.repeat_count,
            "reason": A.case_reason(o),
        }
        for o in items
    ]
    return {"items": out, **meta}


@router.get("/review/roster", response=list[MemberOut], summary="The panel roster")
def roster(request: HttpRequest):
    X.check_manager(request.auth)
    return [_member(m) for m in PanelMember.objects.select_related("user").order_by("panel_type", "id")]


@router.post("/review/roster", response={201: MemberOut}, summary="Put a panel member on the roster")
def roster_save(request: HttpRequest, payload: MemberIn):
    m = A.do_save_panel_member(
        request.auth,
        payload.user_id,
        panel_type=payload.panel_type,
        organisation=payload.organisation,
        is_active=payload.is_active,
    )
    return Status(201, _member(m))


@router.get("/review/sessions", response=SessionList, summary="Review sessions (a panel member: theirs)")
def sessions(request: HttpRequest, state: str = "", page: int = 1, page_size: int = 20):
    qs = X.visible_sessions(request.auth)
    if state:
        qs = qs.filter(state=state)
    items, meta = paginate(qs.order_by("-held_on", "-id"), page, page_size)
    return {"items": [_session(request.auth, s) for s in items], **meta}


@router.post("/review/sessions", response={201: SessionOut}, summary="Plan a review session")
def session_create(request: HttpRequest, payload: SessionIn):
    s = A.do_create_session(request.auth, title=payload.title, held_on=payload.held_on, location=payload.location)
    return Status(201, _session_out(request.auth, s.pk))


@router.get("/review/sessions/{int:session_id}", response=SessionOut, summary="A review session")
def session_detail(request: HttpRequest, session_id: int):
    return _session_out(request.auth, session_id)


@router.post("/review/sessions/{int:session_id}/cases", response={201: SessionOut}, summary="Add a case")
def session_add_case(request: HttpRequest, session_id: int, payload: AddCaseIn):
    A.do_add_case(request.auth, session_id, order_id=payload.order_id)
    return Status(201, _session_out(request.auth, session_id))


@router.delete("/review/cases/{int:case_id}", response={204: None}, summary="Remove a case (planned session)")
def case_remove(request: HttpRequest, case_id: int):
    A.do_remove_case(request.auth, case_id)
    return Status(204, None)


@router.put("/review/sessions/{int:session_id}/panel", response=SessionOut, summary="Choose the panel")
def session_panel(request: HttpRequest, session_id: int, payload: PanelIn):
    A.do_set_panel(request.auth, session_id, member_ids=payload.member_ids)
    return _session_out(request.auth, session_id)


@router.post("/review/sessions/{int:session_id}/open", response=SessionOut, summary="Open to the panel")
def session_open(request: HttpRequest, session_id: int):
    A.do_open_session(request.auth, session_id)
    return _session_out(request.auth, session_id)


@router.post("/review/sessions/{int:session_id}/conclude", response=SessionOut, summary="Conclude the session")
def session_conclude(request: HttpRequest, session_id: int):
    A.do_conclude_session(request.auth, session_id)
    return _session_out(request.auth, session_id)


@router.get("/review/cases/{int:case_id}/file", response=CaseFileOut, summary="The redacted case file")
def case_file(request: HttpRequest, case_id: int):
    cf = build_case_file(X.access_case(request.auth, case_id))
    return {**cf.__dict__, "timeline": [e.__dict__ for e in cf.timeline]}


@router.put("/review/cases/{int:case_id}/score", response=ScoreOut, summary="A panel member's score")
def case_score(request: HttpRequest, case_id: int, payload: ScoreIn):
    s = A.do_score_case(request.auth, case_id, verdict=payload.verdict, score=payload.score, comment=payload.comment)
    return {
        "member_id": s.member_id,
        "panel_type": s.member.panel_type,
        "verdict": s.verdict,
        "score": s.score,
        "comment": s.comment,
    }


@router.put("/review/cases/{int:case_id}/outcome", response=CaseOut, summary="The session's outcome on a case")
def case_outcome(request: HttpRequest, case_id: int, payload: OutcomeIn):
    c = A.do_record_outcome(request.auth, case_id, **payload.dict())
    return _case(c, scores=True)


# --- rectifications --------------------------------------------------------------------------------------


@router.get("/rectifications", response=RectList, summary="Rectifications (a unit: its own)")
def rectifications(request: HttpRequest, state: str = "", page: int = 1, page_size: int = 50):
    if not (X.is_manager(request.auth) or request.auth.roles & X.UNIT_STAFF):
        raise NotPermitted(gettext_noop("Your roles may not list rectifications."))
    qs = X.visible_rectifications(request.auth).select_related("unit", "case__order")
    if state:
        qs = qs.filter(state=state)
    items, meta = paginate(qs.order_by("deadline", "id"), page, page_size)
    return {"items": [_rect(r) for r in items], **meta}


@router.post("/rectifications/{int:rect_id}/reply", response=RectOut, summary="The unit's reply")
def rect_reply(request: HttpRequest, rect_id: int, payload: ReplyIn):
    return _rect(A.do_reply_rectification(request.auth, rect_id, reply=payload.reply))


@router.post("/rectifications/{int:rect_id}/decide", response=RectOut, summary="Accept or send back")
def rect_decide(request: HttpRequest, rect_id: int, payload: DecideIn):
    return _rect(A.do_decide_rectification(request.auth, rect_id, accept=payload.accept, note=payload.note))


# --- publications ----------------------------------------------------------------------------------------


@router.get("/publications", response=PublicationList, summary="Drafts and publications")
def publications(request: HttpRequest, state: str = "draft", kind: str = "", page: int = 1, page_size: int = 50):
    X.check_publisher(request.auth)
    qs = X.visible_publications(request.auth).filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    items, meta = paginate(qs.order_by("-created_at", "-id"), page, page_size)
    return {"items": [_pub(p) for p in items], **meta}


@router.post("/publications", response={201: PublicationOut}, summary="Draft a published case from an order")
def publication_draft(request: HttpRequest, payload: DraftIn):
    return Status(201, _pub(A.do_draft_case(request.auth, payload.order_id), check=True))


@router.post(
    "/review/sessions/{int:session_id}/summary", response={201: PublicationOut}, summary="Draft the session summary"
)
def summary_draft(request: HttpRequest, session_id: int):
    return Status(201, _pub(A.do_draft_review_summary(request.auth, session_id), check=True))


@router.get("/publications/{int:pub_id}", response=PublicationOut, summary="A publication")
def publication_detail(request: HttpRequest, pub_id: int):
    X.check_publisher(request.auth)
    return _pub(X.access_publication(request.auth, pub_id), check=True)


@router.put("/publications/{int:pub_id}", response=PublicationOut, summary="Edit a draft")
def publication_edit(request: HttpRequest, pub_id: int, payload: PublicationIn):
    p = A.do_edit_publication(
        request.auth, pub_id, title=payload.title, question=payload.question, answer=payload.answer
    )
    return _pub(p, check=True)


@router.post("/publications/{int:pub_id}/publish", response=PublicationOut, summary="Publish a checked draft")
def publication_publish(request: HttpRequest, pub_id: int):
    return _pub(A.do_publish(request.auth, pub_id))


@router.post("/publications/{int:pub_id}/reject", response=PublicationOut, summary="Reject a draft")
def publication_reject(request: HttpRequest, pub_id: int, payload: ReasonIn):
    return _pub(A.do_reject_publication(request.auth, pub_id, reason=payload.reason))


@router.post("/publications/{int:pub_id}/withdraw", response=PublicationOut, summary="Take off the portal")
def publication_withdraw(request: HttpRequest, pub_id: int, payload: ReasonIn):
    return _pub(A.do_withdraw_publication(request.auth, pub_id, reason=payload.reason))


# --- public ----------------------------------------------------------------------------------------------


def _public(kind: str, q: str, page: int, page_size: int) -> dict:
    items, meta = paginate(search_published(kind, q[:100]), page, page_size, max_size=50)
    return {"items": [_pub(p) for p in items], **meta}


@public_router.get("/cases", response=PublicList, auth=None, summary="Published cases (portal)")
def public_cases(request: HttpRequest, q: str = "", page: int = 1, page_size: int = 10):
    return _public(PublicationKind.CASE, q, page, page_size)


@public_router.get("/reviews", response=PublicList, auth=None, summary="Published review summaries (portal)")
def public_reviews(request: HttpRequest, q: str = "", page: int = 1, page_size: int = 10):
    return _public(PublicationKind.REVIEW, q, page, page_size)
