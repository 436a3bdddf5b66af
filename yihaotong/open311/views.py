"""GeoReport v2 endpoints under /open311/v2/ (JSON or XML by the extension). Domain errors are mapped to the
spec's error documents here, once: invalid input 400, a bad api_key 403, unknown things 404."""

from __future__ import annotations

import functools
import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt

from yihaotong.core.errors import DomainError, NotFound, NotPermitted, localize

from . import conf
from .actions import authenticate_api_key, do_submit_request, parse_request
from .models import ServiceRequest
from .public import get_request, request_row, request_rows, search_requests
from .render import errors, respond
from .services import attributes, get_service, list_services

log = logging.getLogger("yihaotong.open311")

# A DomainError's status → the spec's (the spec knows 400, 403 and 404).
_STATUS = {401: 403, 403: 403, 404: 404}


class JurisdictionError(DomainError):
    status = 404
    code = "jurisdiction"
    title = "Unknown jurisdiction"


def _descriptions(exc: DomainError) -> list[str]:
    if exc.errors:
        out = []
        for field, messages in exc.errors.items():
            for m in messages:
                out.append(f"{field}: {localize(m)}")
        return out
    return [exc.localized()]


def open311_view(*methods: str):
    """Answer domain errors (and wrong methods) with the spec's error document in the requested format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str = "json", **kwargs):
            if request.method not in allowed:
                response = errors(fmt, 405, [_("Use %(methods)s.") % {"methods": " or ".join(methods)}])
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except (RequestDataTooBig, TooManyFieldsSent) as exc:
                return errors(fmt, 400, [str(exc)])
            except DomainError as exc:
                status = exc.status if isinstance(exc, JurisdictionError) else _STATUS.get(exc.status, 400)
                log.info(
                    "open311 %s %s refused (%s): %s",
                    request.method,
                    request.path,
                    status,
                    exc.message,
                    extra={"errors": {k: [str(m) for m in v] for k, v in exc.errors.items()}},
                )
                return errors(fmt, status, _descriptions(exc))

        return wrapper

    return decorate


def _check_jurisdiction(params, *, status: int = 404) -> None:
    given = (params.get("jurisdiction_id") or "").strip()
    if given and given != conf.jurisdiction_id():
        exc = JurisdictionError(
            gettext_noop("jurisdiction_id %(given)r was not found; this endpoint serves %(ours)r."),
            params={"given": given, "ours": conf.jurisdiction_id()},
        )
        exc.status = status
        raise exc


@open311_view("GET")
def services(request, *, fmt):
    _check_jurisdiction(request.GET)
    items = [
        {
            "service_code": s.code,
            "service_name": s.name,
            "description": s.description,
            "metadata": s.metadata,
            "type": s.type,
            "keywords": s.keywords,
            "group": s.group,
        }
        for s in list_services()
    ]
    return respond(fmt, "services", "service", items)


@open311_view("GET")
def service_definition(request, code: str, *, fmt):
    _check_jurisdiction(request.GET)
    service = get_service(code)
    if service is None:
        raise NotFound(gettext_noop("service_code %(code)r was not found."), params={"code": code})
    attrs = []
    for order, a in enumerate(attributes(service), start=1):
        attrs.append(
            (
                "attribute",
                {
                    "variable": a.variable,
                    "code": a.code,
                    "datatype": a.datatype,
                    "required": a.required,
                    "datatype_description": a.datatype_description,
                    "order": order,
                    "description": a.description,
                    "values": [("value", {"key": k, "name": n}) for k, n in a.values],
                },
            )
        )
    data = {"service_code": service.code, "attributes": attrs}
    return respond(fmt, "service_definition", None, data)


@csrf_exempt  # an API called with an api_key, never with a browser session
@open311_view("GET", "POST")
def requests_(request, *, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    _check_jurisdiction(request.GET)
    orders, index = search_requests(request.GET)
    return respond(fmt, "service_requests", "request", request_rows(orders, index))


def _post_request(request, fmt):
    params = request.POST
    client = authenticate_api_key(params.get("api_key") or request.GET.get("api_key"))
    if client is None:
        raise NotPermitted(gettext_noop("api_key was not provided or is invalid."))
    _check_jurisdiction(params, status=400)
    posted = parse_request({k: params.get(k) for k in params})
    row, code = do_submit_request(client, posted)
    notice = conf.service_notice() + " " + _("Query code: %(code)s") % {"code": code}
    item = {
        "service_request_id": row.order.number,
        "token": row.token,
        "service_notice": notice,
        "account_id": row.account_id or None,
    }
    return respond(fmt, "service_requests", "request", [item])


@open311_view("GET")
def request_detail(request, number: str, *, fmt):
    _check_jurisdiction(request.GET)
    order, index = get_request(number)
    if order is None:
        raise NotFound(gettext_noop("service_request_id %(id)r was not found."), params={"id": number})
    return respond(fmt, "service_requests", "request", [request_row(order, index)])


@open311_view("GET")
def token(request, token: str, *, fmt):
    _check_jurisdiction(request.GET)
    row = ServiceRequest.objects.select_related("order").filter(token=token).first()
    if row is None or row.order.is_confidential or row.order.request_type.is_whistleblowing:
        raise NotFound(gettext_noop("token %(token)r was not found."), params={"token": token})
    return respond(fmt, "service_requests", "request", [{"service_request_id": row.order.number, "token": row.token}])


@open311_view("GET")
def discovery(request, *, fmt):
    """Service discovery: where this GeoReport v2 endpoint is, its formats, whom to ask for a key."""
    url = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"})).rsplit("/", 1)[0]
    data = {
        "changeset": conf.DISCOVERY_CHANGESET,
        "contact": conf.setting("OPEN311_CONTACT"),
        "key_service": conf.setting("OPEN311_KEY_SERVICE"),
        "endpoints": [
            (
                "endpoint",
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": url,
                    "changeset": conf.DISCOVERY_CHANGESET,
                    "type": "production",
                    "formats": [("format", "text/xml"), ("format", "application/json")],
                },
            )
        ],
    }
    return respond(fmt, "discovery", None, data)


@open311_view("GET", "POST")
def unknown(request, path: str = "", *, fmt):
    raise NotFound(gettext_noop("No such Open311 method."))


@csrf_exempt
def not_found(request, path: str = ""):
    fmt = "xml" if path.endswith(".xml") else "json"
    return unknown(request, path, fmt=fmt)
