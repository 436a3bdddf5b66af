"""The redacted case file a panel member reads: the order's question, timeline, replies and callbacks, with
names, ID and phone numbers, bank cards and exact addresses masked; staff appear by their unit only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from yihaotong.workorders.events import event_label
from yihaotong.workorders.models import Callback, Event, OrderState, Reply, ReplyState

from .models import Outcome, ReviewCase, Verdict
from .redaction import order_names, redact_text

# Internal events that a panel does not need (notes, reveals of contact details, clock bookkeeping).
HIDDEN_EVENTS = frozenset({"note", "reveal_contact", "warning", "attachment", "publication_drafted", "case_published"})


@dataclass
class Entry:
    at: datetime
    kind: str
    unit: str
    states: str
    text: str


@dataclass
class CaseFile:
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
    timeline: list[Entry] = field(default_factory=list)
    replies: list[dict] = field(default_factory=list)
    callbacks: list[dict] = field(default_factory=list)


def _state_label(code: str) -> str:
    try:
        return str(OrderState(code).label)
    except ValueError:
        return code


def build_case_file(case: ReviewCase) -> CaseFile:
    order = case.order
    names = order_names(order)

    def r(text):
        return redact_text(text, names)

    cf = CaseFile(
        number=order.number,
        subject=r(order.subject),
        question=r(order.text),
        request_type=order.request_type.name,
        street=order.street.name if order.street_id else "",
        address=r(order.address),
        created_at=order.created_at,
        redo_count=order.redo_count,
        dissatisfied_count=order.dissatisfied_count,
        repeat_count=order.repeat_count,
    )
    for ev in Event.objects.filter(order=order).select_related("unit").order_by("at", "id"):
        if ev.kind in HIDDEN_EVENTS:
            continue
        states = f"{_state_label(ev.from_state)} → {_state_label(ev.to_state)}" if ev.to_state else ""
        cf.timeline.append(
            Entry(ev.at, event_label(ev.kind), ev.unit.name if ev.unit_id else _("Centre"), states, r(ev.reason))
        )
    for reply in Reply.objects.filter(order=order).select_related("assignment__unit").order_by("created_at", "id"):
        if reply.state == ReplyState.INTERNAL:
            continue
        cf.replies.append(
            {
                "at": reply.created_at,
                "unit": reply.assignment.unit.name,
                "state": reply.get_state_display(),
                "public_text": r(reply.public_text),
                "notes": r(reply.internal_notes),
                "contacted": reply.requester_contacted,
            }
        )
    for cb in Callback.objects.filter(order=order).order_by("at", "id"):
        cf.callbacks.append(
            {
                "at": cb.at,
                "round": cb.round,
                "outcome": cb.get_outcome_display(),
                "contacted": cb.contacted,
                "solved": cb.solved,
                "satisfaction": cb.get_satisfaction_display() if cb.satisfaction else "",
                "score5": cb.score5,
                "reason": r(cb.reason),
            }
        )
    return cf


def case_summary(case: ReviewCase) -> str:
    """One paragraph of a session's public summary (Chinese, redacted): subject, type, unit, panel, outcome."""
    order = case.order
    names = order_names(order)
    scores = list(case.scores.all())
    counts = {v: sum(1 for s in scores if s.verdict == v) for v in Verdict.values}
    avg = f"{sum(s.score for s in scores) / len(scores):.1f}" if scores else "—"
    outcome = "认可" if case.outcome == Outcome.ENDORSED else "不认可"
    unit = order.lead_unit.name if order.lead_unit_id else "—"
    votes = (
        f"履职到位 {counts['fulfilled']} 票，基本到位 {counts['partly']} 票，未履职到位 {counts['not_fulfilled']} 票"
    )
    text = (
        f"【{order.request_type.name}】{redact_text(order.subject, names)}（承办单位：{unit}）。"
        f"评议意见：{votes}，平均 {avg} 分。评议结果：{outcome}。"
    )
    if case.outcome_note:
        note = redact_text(case.outcome_note.strip(), names)
        text += note if note.endswith(("。", "！", "？", ".", "；")) else note + "。"
    if case.outcome == Outcome.NOT_ENDORSED:
        text += f"整改要求：{redact_text(case.rectification_required, names)}（期限 {case.rectification_deadline}）。"
    return text
