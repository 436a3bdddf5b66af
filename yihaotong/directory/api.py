"""Directory endpoints (read): units with hotline aliases, request types, urgency, categories, catalogue."""

from __future__ import annotations

from django.db.models import Q
from ninja import Router, Schema

from .actions import current_catalogue
from .models import Category, HotlineAlias, RequestType, Unit, Urgency

router = Router()


class UnitOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    parent_id: int | None
    hotlines: list[str]


class CodeName(Schema):
    code: str
    name: str
    name_en: str = ""


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    level: int
    parent_code: str | None


class CatalogueEntryOut(Schema):
    category: str
    lead_unit: str | None
    by_territory: bool
    support_units: list[str]
    keywords: str


class CatalogueOut(Schema):
    version: int | None
    entries: list[CatalogueEntryOut]


@router.get("/units", response=list[UnitOut], summary="Units; q matches names and old hotline numbers")
def units(request, q: str = "", kind: str = "", parent: str = ""):
    qs = Unit.objects.filter(is_active=True)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(short_name__icontains=q)
            | Q(code=q)
            | Q(pk__in=HotlineAlias.objects.filter(number__contains=q).values("unit_id"))
        )
    if kind:
        qs = qs.filter(kind=kind)
    if parent:
        qs = qs.filter(parent__code=parent)
    qs = qs.prefetch_related("hotlines")
    return [
        {
            "id": u.pk,
            "code": u.code,
            "name": u.name,
            "short_name": u.short_name,
            "kind": u.kind,
            "parent_id": u.parent_id,
            "hotlines": [h.number for h in u.hotlines.all()],
        }
        for u in qs
    ]


@router.get("/request-types", response=list[CodeName])
def request_types(request):
    return list(RequestType.objects.values("code", "name", "name_en"))


@router.get("/urgencies", response=list[CodeName])
def urgencies(request):
    return list(Urgency.objects.values("code", "name", "name_en"))


@router.get("/categories", response=list[CategoryOut])
def categories(request, level: int | None = None):
    qs = Category.objects.filter(is_active=True).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "level": c.level,
            "parent_code": c.parent.code if c.parent_id else None,
        }
        for c in qs
    ]


@router.get("/catalogue", response=CatalogueOut, summary="The dispatch catalogue in force")
def catalogue(request):
    version = current_catalogue()
    if version is None:
        return {"version": None, "entries": []}
    entries = version.entries.select_related("category", "lead_unit").prefetch_related("support_units")
    return {
        "version": version.number,
        "entries": [
            {
                "category": e.category.code,
                "lead_unit": e.lead_unit.code if e.lead_unit_id else None,
                "by_territory": e.by_territory,
                "support_units": [u.code for u in e.support_units.all()],
                "keywords": e.keywords,
            }
            for e in entries
        ],
    }
