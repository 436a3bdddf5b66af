"""Schemas of the routing endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class SuggestIn(Schema):
    subject: str = Field("", max_length=1000)
    text: str = Field("", max_length=100_000)
    address: str = Field("", max_length=1000)
    channel: str = Field("", max_length=16)


class ChoiceOut(Schema):
    code: str
    name: str
    confidence: float
    words: list[str]


class UrgencyReason(Schema):
    kind: str
    words: list[str]


class UrgencyOut(Schema):
    level: str
    services: list[str]
    reasons: list[UrgencyReason]


class PlaceOut(Schema):
    code: str
    name: str
    confidence: float
    method: str = ""


class SuggestionOut(Schema):
    request_type: list[ChoiceOut]
    category: list[ChoiceOut]
    unit: list[ChoiceOut]
    urgency: UrgencyOut
    source: str
    sources: dict[str, str]
    model_version: int | None
    accept_threshold: float
    street: PlaceOut | None
    community: PlaceOut | None
    sensitive: list[str]
    notes: list[str]
    empty: bool


class OrderSuggestionOut(SuggestionOut):
    order_id: int


class DecisionIn(Schema):
    field: Literal["category", "unit", "request_type"]
    suggested: str = Field("", max_length=32)
    chosen: str = Field(..., min_length=1, max_length=32)
    confidence: float | None = Field(None, ge=0, le=1)
    model_version: int | None = Field(None, ge=1)
    source: str = Field("", max_length=32)


class DecisionOut(Schema):
    id: int
    order_id: int
    field: str
    suggested: str
    chosen: str
    accepted: bool
    confidence: float | None
    model_version: int | None
    source: str
    at: datetime


class AddressIn(Schema):
    address: str = Field(..., max_length=1000)


class AddressOut(Schema):
    street_code: str | None
    street_name: str
    community_code: str | None
    community_name: str
    matched: str
    confidence: float
    method: str
    reason: str


class SensitiveIn(Schema):
    text: str = Field(..., max_length=100_000)


class FindingOut(Schema):
    kind: str
    start: int
    end: int


class SensitiveOut(Schema):
    findings: list[FindingOut]
    kinds: list[str]
    redacted: str


class SameMatterIn(Schema):
    subject: str = Field("", max_length=1000)
    text: str = Field("", max_length=100_000)
    address: str = Field("", max_length=1000)
    phone: str = Field("", max_length=32)


class CandidateOut(Schema):
    order_id: int
    number: str
    subject: str
    state: str
    score: float
    reasons: list[str]
    created_at: datetime | None
    street_code: str | None


class SameMatterOut(Schema):
    candidates: list[CandidateOut]
    repeat_contacts: int
