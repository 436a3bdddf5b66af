from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class Ref(Schema):
    id: int
    code: str
    name: str


class Requester(Schema):
    name: str
    phone: str
    masked: bool
    anonymous: bool


class AssignmentOut(Schema):
    id: int
    unit: Ref
    role: str
    state: str
    parent_id: int | None
    designated: bool
    dispatched_at: datetime
    sign_due: datetime | None
    signed_at: datetime | None
    replied_at: datetime | None
    returned_at: datetime | None
    return_reason: str


class OrderListItem(Schema):
    id: int
    number: str
    state: str
    state_label: str
    channel: str
    request_type: str
    urgency: str
    category: Ref | None
    subject: str
    street: Ref | None
    lead_unit: Ref | None
    requester: Requester
    created_at: datetime
    due_at: datetime | None
    warning_level: str
    repeat_count: int
    redo_count: int
    supervision_level: str
    is_confidential: bool


class OrderOut(OrderListItem):
    text: str
    address: str
    community: Ref | None
    source: str
    upstream_ref: str
    accepted_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    sign_due: datetime | None
    handle_due: datetime | None
    callback_due: datetime | None
    extension_days: int
    satisfaction: str
    public_reply: str
    disposition_reason: str
    article_ref: str
    master_number: str | None
    is_review_candidate: bool
    consent_publish: bool
    reply_wanted: bool
    assignments: list[AssignmentOut]
    actions: list[str]


class Page(Schema):
    page: int
    page_size: int
    total: int = Field(description="Matching rows, counted up to 10,000 on order lists (see capped).")
    pages: int
    capped: bool = Field(False, description="True when there are more matching rows than total says.")


class OrderList(Schema):
    items: list[OrderListItem]
    meta: Page


class EventOut(Schema):
    id: int
    kind: str
    at: datetime
    actor: str
    unit: str | None
    from_state: str
    to_state: str
    reason: str
    payload: dict
    is_public: bool


class OrderCreate(Schema):
    channel: Literal["call", "letter", "web", "transfer"]
    request_type: str = Field(..., min_length=1, max_length=16)
    subject: str = Field(..., min_length=1, max_length=200)
    text: str = Field(..., min_length=1, max_length=20000)
    urgency: str = "normal"
    category: str | None = None
    address: str = Field("", max_length=255)
    street: str | None = None
    community: str | None = None
    requester_name: str = Field("", max_length=64)
    requester_phone: str = Field("", max_length=32)
    is_anonymous: bool = False
    is_confidential: bool = False
    identity_disclosure_agreed: bool = False
    consent_publish: bool = False
    reply_wanted: bool = True
    source: str = Field("", max_length=64)
    upstream_ref: str = Field("", max_length=64)
    accepted: bool | None = None


class OrderCreated(Schema):
    order: OrderOut
    query_code: str


class ClassifyIn(Schema):
    category: str


class AnswerIn(Schema):
    answer: str = Field(..., min_length=1)
    article_ref: str = ""


class RejectIn(Schema):
    disposition_reason: str
    reason: str = ""


class MergeIn(Schema):
    master_id: int
    reason: str = ""


class DispatchIn(Schema):
    lead_unit_id: int
    support_unit_ids: list[int] = []
    handle_due: datetime | None = None
    instructions: str = ""
    designated: bool = False


class SubdispatchIn(Schema):
    sub_unit_id: int
    assignment_id: int | None = None
    instructions: str = ""


class AssignmentIn(Schema):
    assignment_id: int | None = None


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1)
    assignment_id: int | None = None


class ExtensionIn(Schema):
    working_days: int = Field(..., ge=1, le=60)
    reason: str = Field(..., min_length=1)
    assignment_id: int | None = None


class ApplicationOut(Schema):
    id: int
    kind: str
    order_id: int
    order_number: str
    unit: Ref
    state: str
    reason: str
    working_days: int | None
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str
    old_due: datetime | None
    new_due: datetime | None


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class ReplyIn(Schema):
    internal_notes: str = Field(..., min_length=1)
    public_text: str = ""
    requester_contacted: bool = False
    solved: bool | None = None
    assignment_id: int | None = None


class ReplyOut(Schema):
    id: int
    state: str
    unit: Ref
    internal_notes: str
    public_text: str
    created_at: datetime
    review_comment: str


class ReviewIn(Schema):
    approve: bool
    comment: str = ""


class SuperviseIn(Schema):
    level: Literal["remind", "supervise", "escalate"]
    note: str = ""


class NoteIn(Schema):
    text: str = Field(..., min_length=1, max_length=5000)


class ContactLogIn(Schema):
    note: str = ""
    method: Literal["phone", "visit", "sms", "other"] = "phone"


class CallbackIn(Schema):
    outcome: Literal["reached", "no_answer", "refused", "wrong_number"]
    contacted: bool | None = None
    solved: bool | None = None
    satisfaction: Literal["satisfied", "basically", "dissatisfied", ""] = ""
    score5: int | None = Field(None, ge=1, le=5)
    reason: str = ""


class CloseIn(Schema):
    reason: str = ""


class RevealIn(Schema):
    reason: str = Field(..., min_length=2)


class RevealOut(Schema):
    name: str
    phone: str


class Done(Schema):
    id: int
    kind: str
