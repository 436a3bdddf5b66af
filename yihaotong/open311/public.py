"""What Open311 shows of work orders: the public status only.

The one visibility rule for Open311 readers is ``public_orders()``: every order except the restricted ones
(whistle-blowing or confidential, ``workorders.access.RESTRICTED``). What a row shows (``request_row``):
open or closed; a status note from the approved public reply when the requester consented to publication,
else a note that names the state; the lead unit; the deadline; the street (or, with consent, the address
and the point the client sent). Never the requester, internal notes or staff names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yihaotong.core.errors import Invalid, Message
from yihaotong.directory.models import Category, RequestType, Unit, UnitKind
from yihaotong.routing.sensitive import redact, redact_names
from yihaotong.workorders import states as S
from yihaotong.workorders.access import RESTRICTED
from yihaotong.workorders.models import WorkOrder
from yihaotong.worktime.calendar import TZ

from . import conf

STATUS_NOTES = {
    S.SUBMITTED: gettext_noop("Received; waiting for an operator to accept it."),
    S.PENDING_DISPATCH: gettext_noop("Accepted; waiting to be dispatched."),
    S.DISPATCHED: gettext_noop("Dispatched to the responsible unit."),
    S.IN_PROGRESS: gettext_noop("The responsible unit is handling it."),
    S.REPLIED: gettext_noop("The unit has replied; the reply is being reviewed."),
    S.PENDING_CALLBACK: gettext_noop("Replied; the requester will be called back."),
    S.CLOSED: gettext_noop("Closed."),
    S.ANSWERED: gettext_noop("Answered directly."),
    S.REJECTED: gettext_noop("Not a matter for the hotline; the requester was told where to turn."),
    S.MERGED: gettext_noop("Merged into request %(number)s."),
    S.TERMINATED: gettext_noop("Handling was terminated."),
}


def public_orders() -> QuerySet[WorkOrder]:
    """Orders that Open311 may show at all."""
    return WorkOrder.objects.exclude(RESTRICTED)


def w3c(value: datetime | None) -> str | None:
    """A W3C date-time in the district's time zone (2026-03-09T09:00:00+08:00)."""
    if value is None:
        return None
    return timezone.localtime(value, TZ).replace(microsecond=0).isoformat()


_PLUS_LOST = re.compile(r" (\d{2}:?\d{2})$")


def parse_w3c(raw: str, field: str) -> datetime:
    """Parse a W3C date-time (a date alone means its midnight; no offset means the district's time)."""
    # A "+08:00" offset in an unencoded query string arrives as " 08:00".
    value = None
    try:  # a well-formed but impossible date (month 13) raises ValueError: malformed all the same
        value = parse_datetime(_PLUS_LOST.sub(r"+\1", raw.strip())) if raw else None
        day = parse_date(raw.strip()) if raw and value is None else None
        if day is not None:
            value = datetime(day.year, day.month, day.day)
    except ValueError:
        value = None
    if value is None:
        raise Invalid(
            gettext_noop("Dates are W3C date-times, e.g. 2026-03-09T09:00:00+08:00."),
            errors={field: [Message(gettext_noop("%(field)s is not a W3C date-time: %(raw)r"), field=field, raw=raw)]},
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=TZ)
    return value


# ---------------------------------------------------------------------------------------------------------
# the services of orders


@dataclass(frozen=True)
class ServiceIndex:
    """Leaf categories (services) and request types by id, to name the service of each order."""

    leaves: dict[int, Category]
    types: dict[int, RequestType]

    @classmethod
    def load(cls) -> ServiceIndex:
        cats = list(Category.objects.filter(is_active=True))
        parents = {c.parent_id for c in cats if c.parent_id}
        return cls(
            leaves={c.pk: c for c in cats if c.pk not in parents},
            types={t.pk: t for t in RequestType.objects.all()},
        )

    def service_of(self, order: WorkOrder) -> tuple[str, str]:
        cat = self.leaves.get(order.category_id) if order.category_id else None
        if cat is not None:
            return cat.code, cat.name
        rt = self.types[order.request_type_id]
        return rt.code, rt.name

    def filter_q(self, codes: list[str]) -> Q:
        """Orders of these services; an unknown code is an error (the spec's 400)."""
        by_code = {c.code: pk for pk, c in self.leaves.items()}
        type_by_code = {t.code: pk for pk, t in self.types.items()}
        unknown = [c for c in codes if c not in by_code and c not in type_by_code]
        if unknown:
            raise Invalid(
                gettext_noop("service_code was not found."),
                errors={
                    "service_code": [Message(gettext_noop("unknown service_code %(code)r"), code=c) for c in unknown]
                },
            )
        q = Q(pk__in=[])
        cat_ids = [by_code[c] for c in codes if c in by_code]
        if cat_ids:
            q |= Q(category_id__in=cat_ids)
        type_ids = [type_by_code[c] for c in codes if c in type_by_code and c not in by_code]
        if type_ids:
            q |= Q(request_type_id__in=type_ids) & (Q(category__isnull=True) | ~Q(category_id__in=list(self.leaves)))
        return q


# ---------------------------------------------------------------------------------------------------------
# queries


def _split(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def search_requests(params, *, now: datetime | None = None) -> tuple[list[WorkOrder], ServiceIndex]:
    """GET Service Requests: the spec's filters, newest first, at most 1000.

    ``service_request_id`` (comma-separated) overrides every other filter. Otherwise the requests made
    between ``start_date`` and ``end_date`` (at most 90 days apart; the last 90 days by default), of the
    ``service_code``s and ``status``es given.
    """
    now = now or timezone.now()
    index = ServiceIndex.load()
    qs = public_orders().select_related("lead_unit", "street", "master", "open311")
    ids = _split(params.get("service_request_id"))
    if ids:
        orders = list(qs.filter(number__in=ids[: conf.MAX_REQUESTS]).order_by("-created_at", "-id"))
        return orders, index
    errors: dict[str, list] = {}
    start = end = None
    for key in ("start_date", "end_date"):
        raw = params.get(key)
        if raw:
            try:
                value = parse_w3c(raw, key)
            except Invalid as exc:
                errors.update(exc.errors)
                continue
            if key == "start_date":
                start = value
            else:
                end = value
    statuses = [s.lower() for s in _split(params.get("status"))]
    bad = [s for s in statuses if s not in ("open", "closed")]
    if bad:
        errors["status"] = [Message(gettext_noop("status is open or closed, not %(value)r"), value=v) for v in bad]
    if errors:
        raise Invalid(gettext_noop("The search is not valid."), errors=errors)
    window = timedelta(days=conf.WINDOW_DAYS)
    if start is None and end is None:
        end = now
        start = end - window
    elif start is None:
        start = end - window
    elif end is None:
        end = start + window
    if start > end:
        raise Invalid(
            gettext_noop("start_date is after end_date."), errors={"start_date": ["start_date is after end_date."]}
        )
    if end - start > window:
        raise Invalid(
            Message(gettext_noop("The dates may not span more than %(days)s days."), days=conf.WINDOW_DAYS),
            errors={
                "end_date": [Message(gettext_noop("more than %(days)s days after start_date"), days=conf.WINDOW_DAYS)]
            },
        )
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    codes = _split(params.get("service_code"))
    if codes:
        qs = qs.filter(index.filter_q(codes))
    if set(statuses) == {"open"}:
        qs = qs.filter(state__in=S.OPEN_STATES)
    elif set(statuses) == {"closed"}:
        qs = qs.exclude(state__in=S.OPEN_STATES)
    return list(qs.order_by("-created_at", "-id")[: conf.MAX_REQUESTS]), index


def get_request(number: str) -> tuple[WorkOrder | None, ServiceIndex]:
    order = public_orders().select_related("lead_unit", "street", "master", "open311").filter(number=number).first()
    return order, ServiceIndex.load()


# ---------------------------------------------------------------------------------------------------------
# one row


def _centre_name() -> str:
    unit = Unit.objects.filter(kind=UnitKind.CENTRE).order_by("pk").only("name").first()
    return unit.name if unit else ""


def _status_notes(order: WorkOrder) -> str:
    if order.consent_publish and order.public_reply.strip():
        return redact_names(redact(order.public_reply.strip()), [order.requester_name])
    template = STATUS_NOTES.get(order.state, "")
    if order.state == S.MERGED and order.master_id:
        return _(template) % {"number": order.master.number}
    return _(template) if template else ""


def request_row(order: WorkOrder, index: ServiceIndex, *, centre: str | None = None) -> dict:
    """One request in the spec's field order; values are str, float or None."""
    code, name = index.service_of(order)
    extra = getattr(order, "open311", None)  # what an Open311 client sent, if it came that way
    consent = order.consent_publish
    names = [order.requester_name]
    if consent:
        description = redact_names(redact(order.text), names)
        address = redact(order.address) or (order.street.name if order.street else "")
    else:
        description = redact_names(redact(order.subject), names)
        address = order.street.name if order.street else ""
    show_point = consent and extra is not None
    return {
        "service_request_id": order.number,
        "status": "open" if order.state in S.OPEN_STATES else "closed",
        "status_notes": _status_notes(order),
        "service_name": name,
        "service_code": code,
        "description": description,
        "agency_responsible": order.lead_unit.name
        if order.lead_unit
        else (centre if centre is not None else _centre_name()),
        "service_notice": conf.service_notice(),
        "requested_datetime": w3c(order.created_at),
        "updated_datetime": w3c(order.updated_at),
        "expected_datetime": w3c(order.handle_due or order.due_at) if order.state in S.OPEN_STATES else None,
        "address": address,
        "address_id": extra.address_id if show_point else "",
        "zipcode": "",
        "lat": float(extra.lat) if show_point and extra.lat is not None else None,
        "long": float(extra.long) if show_point and extra.long is not None else None,
        "media_url": extra.media_url if show_point else "",
    }


def request_rows(orders: list[WorkOrder], index: ServiceIndex) -> list[dict]:
    centre = _centre_name()
    return [request_row(o, index, centre=centre) for o in orders]
