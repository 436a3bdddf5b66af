"""Open311 services from our directory: one service per active leaf category (事项分类) and one per request
type (诉求类型) for what no category fits. Pure reads of policy data; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from yihaotong.directory.models import Category, RequestType, Urgency

from . import conf

REQUEST_TYPE_GROUP = "诉求类型"
CONSENT_VALUES = {"true": True, "false": False}


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    description: str
    values: list[tuple[str, str]] = field(default_factory=list)
    variable: bool = True
    datatype_description: str = ""


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: str
    category: str | None  # category code, or None for a request-type service
    request_type: str | None  # the request type of a request-type service
    metadata: bool = True
    type: str = "realtime"


def _categories() -> tuple[dict[int, Category], set[int]]:
    rows = {c.pk: c for c in Category.objects.filter(is_active=True).order_by("sort", "code")}
    parents = {c.parent_id for c in rows.values() if c.parent_id}
    return rows, parents


def _path(cat: Category, rows: dict[int, Category]) -> list[Category]:
    path = [cat]
    while path[-1].parent_id and path[-1].parent_id in rows:
        path.append(rows[path[-1].parent_id])
    return list(reversed(path))


def _category_service(cat: Category, rows: dict[int, Category]) -> Service:
    path = _path(cat, rows)
    return Service(
        code=cat.code,
        name=cat.name,
        description=" › ".join(c.name for c in path),
        group=path[0].name,
        keywords=cat.keywords.replace("，", ","),
        category=cat.code,
        request_type=None,
    )


def _type_service(rt: RequestType) -> Service:
    return Service(
        code=rt.code,
        name=rt.name,
        description=_("A %(type)s about a matter that no listed category fits.") % {"type": rt.name},
        group=REQUEST_TYPE_GROUP,
        keywords=rt.name_en,
        category=None,
        request_type=rt.code,
    )


def list_services() -> list[Service]:
    """Every service: the leaf categories in the taxonomy's order, then the request types."""
    rows, parents = _categories()
    services = [_category_service(cat, rows) for cat in rows.values() if cat.pk not in parents]
    services += [_type_service(rt) for rt in RequestType.objects.order_by("sort", "code")]
    return services


def get_service(code: str) -> Service | None:
    """The service of a code (an active leaf category or a request type), or None."""
    if not code:
        return None
    rows, parents = _categories()
    cat = next((c for c in rows.values() if c.code == code), None)
    if cat is not None:
        return None if cat.pk in parents else _category_service(cat, rows)
    rt = RequestType.objects.filter(code=code).first()
    return _type_service(rt) if rt is not None else None


def attributes(service: Service) -> list[Attribute]:
    """The questions a client may answer with ``attribute[code]`` when it posts a request of this service."""
    attrs = []
    if service.category:
        attrs.append(
            Attribute(
                code="request_type",
                datatype="singlevaluelist",
                required=False,
                description=_("What kind of request is this? (default: %(default)s)")
                % {"default": _type_name(conf.default_request_type())},
                values=[(rt.code, rt.name) for rt in RequestType.objects.order_by("sort", "code")],
            )
        )
    attrs.append(
        Attribute(
            code="urgency",
            datatype="singlevaluelist",
            required=False,
            description=_("How urgent is it? (default: normal)"),
            values=[(u.code, u.name) for u in Urgency.objects.order_by("sort", "code")],
        )
    )
    attrs.append(
        Attribute(
            code="consent_publish",
            datatype="singlevaluelist",
            required=False,
            description=_(
                "May the description, the location and the reply be shown in public request lists? (default: yes)"
            ),
            values=[("true", _("yes")), ("false", _("no"))],
        )
    )
    return attrs


def _type_name(code: str) -> str:
    rt = RequestType.objects.filter(code=code).first()
    return rt.name if rt else code
