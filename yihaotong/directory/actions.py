"""Writes to the directory. Every change goes through ``do_save_config`` (audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from yihaotong.audit.actions import do_save_config
from yihaotong.core.errors import Invalid

from .models import (
    CatalogueEntry,
    CatalogueVersion,
    Category,
    HotlineAlias,
    RequestType,
    Setting,
    TimeLimitRule,
    Unit,
    UnitKind,
    Urgency,
)


def _path_for(unit: Unit) -> str:
    return f"{unit.parent.path if unit.parent_id else '/'}{unit.pk}/"


@transaction.atomic
def do_save_unit(actor, unit: Unit) -> Unit:
    """Save a unit and keep the materialised paths of it and its subtree right."""
    if unit.parent_id:
        ancestor = unit.parent
        while ancestor is not None:
            if unit.pk and ancestor.pk == unit.pk:
                raise Invalid("A unit cannot sit under itself.", errors={"parent": ["creates a cycle"]})
            ancestor = ancestor.parent
    old_path = Unit.objects.filter(pk=unit.pk).values_list("path", flat=True).first() if unit.pk else None
    do_save_config(actor, unit)
    new_path = _path_for(unit)
    if unit.path != new_path:
        Unit.objects.filter(pk=unit.pk).update(path=new_path)
        unit.path = new_path
        if old_path:
            for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk):
                Unit.objects.filter(pk=child.pk).update(path=new_path + child.path[len(old_path) :])
    return unit


@transaction.atomic
def do_publish_catalogue(actor, version: CatalogueVersion) -> CatalogueVersion:
    """Put a catalogue version in force (the previous one stays, for the record)."""
    if not version.entries.exists():
        raise Invalid("An empty catalogue cannot be published.", errors={"entries": ["no entries"]})
    CatalogueVersion.objects.filter(is_current=True).exclude(pk=version.pk).update(is_current=False)
    version.is_current = True
    version.published_at = timezone.now()
    do_save_config(actor, version, note=f"publish catalogue v{version.number}")
    return version


@transaction.atomic
def do_copy_catalogue(actor, source: CatalogueVersion, *, note: str = "") -> CatalogueVersion:
    """Start a new draft version of the catalogue as a copy of ``source``."""
    number = (CatalogueVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    new = CatalogueVersion(number=number, note=note or f"copy of v{source.number}")
    do_save_config(actor, new)
    for entry in source.entries.prefetch_related("support_units"):
        supports = list(entry.support_units.all())
        entry.pk = None
        entry.version = new
        entry.save()
        entry.support_units.set(supports)
    return new


def current_catalogue() -> CatalogueVersion | None:
    return CatalogueVersion.objects.filter(is_current=True).first()


@transaction.atomic
def do_seed_directory(actor=None) -> dict[str, int]:
    """Load the district's directory, taxonomy, catalogue and time limits (idempotent by code)."""
    from .data import dispositions, taxonomy, time_limits, units  # noqa: F401

    counts = {"units": 0, "hotlines": 0, "categories": 0, "catalogue_entries": 0, "rules": 0}

    def unit(code, name, kind, parent=None, short_name="", duties=""):
        obj = Unit.objects.filter(code=code).first()
        if obj is None:
            obj = Unit(code=code, name=name, kind=kind, parent=parent, short_name=short_name, duties=duties)
            do_save_unit(actor, obj)
            counts["units"] += 1
        return obj

    def hotlines(obj, items):
        for h in items or []:
            _, created = HotlineAlias.objects.get_or_create(
                unit=obj, number=h["number"], defaults={"label": h.get("label", "")}
            )
            counts["hotlines"] += int(created)

    c = units.CENTRE
    unit(c["code"], c["name"], UnitKind.CENTRE, short_name=c.get("short_name", ""))
    for i, d in enumerate(units.DEPARTMENTS):
        dep = unit(
            d["code"], d["name"], UnitKind.DEPARTMENT, short_name=d.get("short_name", ""), duties=d.get("duties", "")
        )
        if dep.sort != i:
            Unit.objects.filter(pk=dep.pk).update(sort=i)
        hotlines(dep, d.get("hotlines"))
        for s in d.get("subunits", []):
            unit(s["code"], s["name"], UnitKind.SUBUNIT, parent=dep)
    for i, s in enumerate(units.STREETS):
        st = unit(s["code"], s["name"], UnitKind.STREET, short_name=s.get("short_name", ""), duties=s.get("duties", ""))
        if st.sort != 100 + i:
            Unit.objects.filter(pk=st.pk).update(sort=100 + i)
        hotlines(st, s.get("hotlines"))
        for cm in s.get("communities", []):
            unit(cm["code"], cm["name"], UnitKind.COMMUNITY, parent=st)

    for i, rt in enumerate(taxonomy.REQUEST_TYPES):
        RequestType.objects.update_or_create(
            code=rt["code"],
            defaults={
                "name": rt["name"],
                "name_en": rt.get("name_en", ""),
                "sort": i,
                "is_whistleblowing": rt.get("is_whistleblowing", False),
            },
        )
    for i, u in enumerate(taxonomy.URGENCIES):
        Urgency.objects.update_or_create(
            code=u["code"], defaults={"name": u["name"], "name_en": u.get("name_en", ""), "sort": i}
        )

    def category(node, parent, level, sort):
        obj, created = Category.objects.get_or_create(
            code=node["code"],
            defaults={
                "name": node["name"],
                "parent": parent,
                "level": level,
                "sort": sort,
                "keywords": node.get("keywords", ""),
            },
        )
        counts["categories"] += int(created)
        for j, child in enumerate(node.get("children", [])):
            category(child, obj, level + 1, j)

    for i, node in enumerate(taxonomy.CATEGORIES):
        category(node, None, 1, i)

    if not CatalogueVersion.objects.exists():
        version = CatalogueVersion.objects.create(number=1, note="初始派单目录")
        by_code = {u.code: u for u in Unit.objects.all()}
        cats = {c.code: c for c in Category.objects.all()}
        for e in taxonomy.CATALOGUE:
            entry = CatalogueEntry.objects.create(
                version=version,
                category=cats[e["category"]],
                lead_unit=by_code.get(e.get("lead") or ""),
                by_territory=bool(e.get("by_territory")),
                keywords=e.get("keywords", ""),
                duty_basis=e.get("duty_basis", ""),
            )
            entry.support_units.set([by_code[s] for s in e.get("support", [])])
            counts["catalogue_entries"] += 1
        version.is_current = True
        version.published_at = timezone.now()
        version.save()

    if not TimeLimitRule.objects.exists():
        types = {t.code: t for t in RequestType.objects.all()}
        urgs = {u.code: u for u in Urgency.objects.all()}
        for r in time_limits.TIME_LIMITS:
            TimeLimitRule.objects.create(
                request_type=types.get(r["request_type"]) if r["request_type"] else None,
                urgency=urgs.get(r["urgency"]) if r["urgency"] else None,
                sign_value=r["sign_value"],
                sign_unit=r["sign_unit"],
                handle_value=r["handle_value"],
                handle_unit=r["handle_unit"] or "",
                basis=r.get("basis", ""),
            )
            counts["rules"] += 1
    return counts


@transaction.atomic
def do_set_setting(actor, key: str, value, note: str = "") -> Setting:
    from .data.time_limits import POLICY_DEFAULTS

    if key not in POLICY_DEFAULTS:
        raise Invalid("Unknown policy setting.", errors={"key": [f"unknown key {key!r}"]})
    default = POLICY_DEFAULTS[key]
    if not isinstance(value, type(default)) and not (isinstance(default, float) and isinstance(value, int)):
        raise Invalid("Wrong type of value.", errors={"value": [f"expected {type(default).__name__}"]})
    setting = Setting.objects.filter(key=key).first() or Setting(key=key)
    setting.value = value
    setting.note = note
    do_save_config(actor, setting)
    return setting
