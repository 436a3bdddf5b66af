"""The only code that writes Open311 data: API keys (issue, revoke) and service requests (a contact and its
work order created through the intake and work-order actions, plus what the client sent beside them)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.core.errors import Conflict, Invalid, Message, NotFound, NotPermitted
from yihaotong.core.text import normalise_phone
from yihaotong.directory.models import RequestType, Unit, UnitKind, Urgency
from yihaotong.intake.actions import ContactInput, do_create_order_from_contact
from yihaotong.workorders.actions import OrderInput

from . import conf
from .models import ApiClient, ServiceRequest, generate_key, hash_key
from .services import CONSENT_VALUES, Service, get_service

MAX_DESCRIPTION = 5000
MAX_EXTRA_ATTRIBUTES = 20
CHANNEL = "web"  # the closest of the order channels; the client is named in ``source``

# ---------------------------------------------------------------------------------------------------------
# API keys


def _check_key_admin(actor) -> None:
    if not (getattr(actor, "is_superuser", False) or actor.has_role(R.SYSADMIN)):
        raise NotPermitted(gettext_noop("Only system administrators issue and revoke Open311 keys."))


@transaction.atomic
def do_issue_api_key(actor, *, name: str, note: str = "", now: datetime | None = None) -> tuple[ApiClient, str]:
    """Register a client with its own service account; return it and the raw key (shown once, kept hashed)."""
    now = now or timezone.now()
    _check_key_admin(actor)
    name = (name or "").strip()
    errors: dict[str, list] = {}
    if not name:
        errors["name"] = [gettext_noop("This field is required.")]
    elif len(name) > 64:
        errors["name"] = [gettext_noop("At most 64 characters.")]
    elif ApiClient.objects.filter(name=name).exists():
        errors["name"] = [gettext_noop("A client of this name exists already.")]
    if len(note or "") > 255:
        errors["note"] = [gettext_noop("At most 255 characters.")]
    if errors:
        raise Invalid(gettext_noop("The Open311 client is not valid."), errors=errors)
    centre = Unit.objects.filter(kind=UnitKind.CENTRE).order_by("pk").first()
    account = do_create_user(
        username=f"open311-{secrets.token_hex(5)}",
        password=None,
        roles=[R.INTEGRATION],
        unit=centre,
        display_name=f"Open311 · {name}"[:64],
        is_service=True,
    )
    raw = generate_key()
    client = ApiClient.objects.create(
        name=name,
        note=(note or "").strip(),
        account=account,
        key_prefix=raw[:12],
        key_hash=hash_key(raw),
        created_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    return client, raw


@transaction.atomic
def do_revoke_api_key(actor, client_id: int, *, now: datetime | None = None) -> ApiClient:
    """Revoke a client's key at once (its orders and their history stay)."""
    now = now or timezone.now()
    _check_key_admin(actor)
    client = ApiClient.objects.select_for_update().filter(pk=client_id).first()
    if client is None:
        raise NotFound(gettext_noop("No such Open311 client."))
    if client.revoked_at is None:
        client.revoked_at = now
        client.revoked_by = actor if getattr(actor, "pk", None) else None
        client.save(update_fields=["revoked_at", "revoked_by"])
    return client


def authenticate_api_key(raw: str | None, *, now: datetime | None = None) -> ApiClient | None:
    """Return the active client of a raw key, or None (unknown, revoked, or its account disabled)."""
    if not raw:
        return None
    client = (
        ApiClient.objects.select_related("account")
        .filter(key_hash=hash_key(raw), revoked_at__isnull=True, account__is_active=True)
        .first()
    )
    if client is None:
        return None
    now = now or timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


# ---------------------------------------------------------------------------------------------------------
# service requests


@dataclass
class PostedRequest:
    """A POST Service Request, parsed and checked (``parse_request``)."""

    service: Service
    description: str
    subject: str
    lat: Decimal | None = None
    long: Decimal | None = None
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""
    request_type: str = ""
    urgency: str = "normal"
    consent_publish: bool = True
    attributes: dict = field(default_factory=dict)


_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def _subject(description: str, title: str) -> str:
    text = (title or "").strip() or _SENTENCE_END.split(description.strip(), maxsplit=1)[0].strip()
    text = text or description.strip()
    return text if len(text) <= 60 else text[:59] + "…"


def requester_name(first: str, last: str) -> str:
    """Chinese names read family name first (张 + 三); others "First Last"."""
    first, last = (first or "").strip(), (last or "").strip()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _one(params, key: str) -> str:
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _coordinate(raw: str, low: int, high: int, field_name: str, errors: dict) -> Decimal | None:
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not (low <= value <= high):
        errors.setdefault(field_name, []).append(
            Message(
                gettext_noop("%(field)s must be a number from %(low)s to %(high)s."),
                field=field_name,
                low=low,
                high=high,
            )
        )
        return None
    return value.quantize(Decimal("0.0000001"))


def parse_request(params) -> PostedRequest:
    """Check the fields of a POST Service Request (a dict of strings; ``attribute[code]`` keys for attributes).

    Raises ``Invalid`` naming every bad field; nothing is written.
    """
    errors: dict[str, list] = {}

    def err(key: str, message) -> None:
        errors.setdefault(key, []).append(message)

    code = _one(params, "service_code")
    service = get_service(code) if code else None
    if not code:
        err("service_code", gettext_noop("service_code was not provided."))
    elif service is None:
        err("service_code", Message(gettext_noop("service_code %(code)r was not found."), code=code))

    description = _one(params, "description")
    if not description:
        err("description", gettext_noop("description was not provided."))
    elif len(description) > MAX_DESCRIPTION:
        err("description", Message(gettext_noop("At most %(n)s characters."), n=MAX_DESCRIPTION))

    lat_raw, long_raw = _one(params, "lat"), _one(params, "long")
    lat = _coordinate(lat_raw, -90, 90, "lat", errors)
    lon = _coordinate(long_raw, -180, 180, "long", errors)
    if bool(lat_raw) != bool(long_raw):
        err("lat", gettext_noop("lat and long go together."))
    address_string, address_id = _one(params, "address_string"), _one(params, "address_id")
    if not ((lat_raw and long_raw) or address_string or address_id):
        err("location", gettext_noop("A location is required: lat and long, address_string or address_id."))
    if len(address_string) > 255:
        err("address_string", Message(gettext_noop("At most %(n)s characters."), n=255))

    email = _one(params, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            err("email", gettext_noop("Enter a valid email address."))
    phone = normalise_phone(_one(params, "phone"))
    if _one(params, "phone") and not (7 <= len(phone.lstrip("+")) <= 20):
        err("phone", gettext_noop("Enter a valid phone number."))
    media_url = _one(params, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            err("media_url", gettext_noop("Enter a valid http or https URL."))
        if len(media_url) > 500:
            err("media_url", Message(gettext_noop("At most %(n)s characters."), n=500))
    short = {}
    for key, limit in (("device_id", 64), ("account_id", 64), ("first_name", 32), ("last_name", 32)):
        short[key] = _one(params, key)
        if len(short[key]) > limit:
            err(key, Message(gettext_noop("At most %(n)s characters."), n=limit))

    attributes: dict[str, str] = {}
    for key in params:
        m = re.fullmatch(r"attribute\[(.+)\]", key)
        if m:
            attributes[m.group(1)] = _one(params, key)
    if len(attributes) > MAX_EXTRA_ATTRIBUTES + 3 or any(len(v) > 500 for v in attributes.values()):
        err("attribute", gettext_noop("Too many or too long attributes."))

    request_type = urgency = ""
    consent = True
    if service is not None:
        request_type = service.request_type or attributes.get("request_type") or conf.default_request_type()
        if not RequestType.objects.filter(code=request_type).exists():
            err(
                "attribute[request_type]",
                Message(gettext_noop("unknown request type %(code)r"), code=request_type),
            )
        urgency = attributes.get("urgency") or "normal"
        if not Urgency.objects.filter(code=urgency).exists():
            err("attribute[urgency]", Message(gettext_noop("unknown urgency %(code)r"), code=urgency))
        raw_consent = (attributes.get("consent_publish") or "true").lower()
        if raw_consent not in CONSENT_VALUES:
            err("attribute[consent_publish]", gettext_noop("consent_publish is true or false."))
        consent = CONSENT_VALUES.get(raw_consent, False)
    if errors:
        raise Invalid(gettext_noop("The service request is not valid."), errors=errors)
    return PostedRequest(
        service=service,
        description=description,
        subject=_subject(description, attributes.get("title", "")),
        lat=lat,
        long=lon,
        address_string=address_string,
        address_id=address_id,
        email=email,
        phone=phone,
        media_url=media_url,
        request_type=request_type,
        urgency=urgency,
        consent_publish=consent,
        attributes=attributes,
        **short,
    )


def _street(address: str) -> str | None:
    if not address:
        return None
    from yihaotong.routing.gazetteer import match_address

    match = match_address(address)
    return match.street_code if match.street_code and match.confidence >= 0.5 else None


@transaction.atomic
def do_submit_request(client: ApiClient, posted: PostedRequest, *, now: datetime | None = None):
    """Create the contact and its work order as the client's service account; return (row, query code).

    The order waits for an operator (待受理) like every order from outside the centre.
    """
    now = now or timezone.now()
    if client.revoked_at is not None:
        raise NotPermitted(gettext_noop("This API key is revoked."))
    actor = client.account
    name = requester_name(posted.first_name, posted.last_name)
    anonymous = not posted.phone
    address = posted.address_string
    street = _street(address)
    source = f"Open311 · {client.name}"[:64]
    contact_in = ContactInput(
        channel=CHANNEL,
        summary=posted.subject,
        text=posted.description,
        phone=posted.phone,
        name=name,
        is_anonymous=anonymous,
        address=address,
        street=street,
        request_type=posted.request_type,
        urgency=posted.urgency,
        source=source,
    )
    order_in = OrderInput(
        channel=CHANNEL,
        request_type=posted.request_type,
        subject=posted.subject,
        text=posted.description,
        urgency=posted.urgency,
        category=posted.service.category,
        address=address,
        street=street,
        requester_name=name,
        requester_phone=posted.phone,
        is_anonymous=anonymous,
        consent_publish=posted.consent_publish,
        reply_wanted=not anonymous,
        source=source,
    )
    contact, order, code = do_create_order_from_contact(actor, contact_in, order_in, now=now)
    try:
        with transaction.atomic():
            row = ServiceRequest.objects.create(
                order=order,
                contact=contact,
                client=client,
                service_code=posted.service.code,
                token=secrets.token_hex(16),
                received_at=now,
                lat=posted.lat,
                long=posted.long,
                address_string=posted.address_string,
                address_id=posted.address_id,
                email=posted.email,
                device_id=posted.device_id,
                account_id=posted.account_id,
                media_url=posted.media_url,
                attributes=posted.attributes,
            )
    except IntegrityError as exc:  # pragma: no cover - a token collision of 128 random bits
        raise Conflict(gettext_noop("Please retry.")) from exc
    return row, code
