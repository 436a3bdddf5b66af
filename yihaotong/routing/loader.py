"""The active routing models and a snapshot of the directory, cached per process.

Every process (web workers, the huey consumer) loads the active model of each kind lazily, from the
database, and looks again at most every ``CHECK_SECONDS`` whether the active rows changed (one small query
of ids); when they did, it loads the new blobs. Activating in this process invalidates at once (on commit).
A blob is unpickled only when its HMAC under SECRET_KEY (or one of SECRET_KEY_FALLBACKS) matches: a missing,
altered or unreadable model leaves that kind on the catalogue fallback, with the reason kept for the admin.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError

from .hints import CatalogueItem, split_keywords
from .ml import TextClassifier

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
_SALT = b"yihaotong.routing.model"


def sign_blob(blob: bytes, key: str | None = None) -> str:
    """Return the HMAC-SHA256 (hex) of ``blob`` under ``key`` (SECRET_KEY by default)."""
    secret = (key if key is not None else settings.SECRET_KEY).encode()
    return hmac.new(hashlib.sha256(_SALT + secret).digest(), bytes(blob), hashlib.sha256).hexdigest()


def blob_signed(blob: bytes, checksum: str) -> bool:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(sign_blob(blob, key), checksum or "") for key in keys)


@dataclass
class LoadedModel:
    kind: str
    model_id: int
    version: int
    classifier: TextClassifier | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.classifier is not None


@dataclass
class _State:
    checked_at: float = -1e9
    active: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind → (model id, version)
    models: dict[str, LoadedModel] = field(default_factory=dict)
    error: str = ""  # the active rows could not be read at all


_state = _State()
_lock = threading.Lock()


def load_model_row(model_id: int) -> LoadedModel:
    """Load one stored model; never raise (the error is returned in ``LoadedModel.error``)."""
    from .models import RouterModel

    row = RouterModel.objects.filter(pk=model_id).values("kind", "version", "blob", "checksum").first()
    if row is None:
        return LoadedModel(kind="", model_id=model_id, version=0, error="the model row is gone")
    loaded = LoadedModel(kind=row["kind"], model_id=model_id, version=row["version"])
    blob = bytes(row["blob"] or b"")
    if not blob:
        loaded.error = "the model blob is empty"
    elif not blob_signed(blob, row["checksum"]):
        loaded.error = "checksum mismatch: the blob is corrupt or was not written by this installation"
    else:
        try:
            loaded.classifier = TextClassifier.loads(blob)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means "fall back", with the reason
            loaded.error = f"cannot load the model: {type(exc).__name__}: {exc}"[:300]
    if loaded.error:
        log.warning("routing model v%s %s not loaded: %s", loaded.version, loaded.kind, loaded.error)
    return loaded


def active_models(*, refresh: bool = False) -> dict[str, LoadedModel]:
    """Return the active model of each kind (loaded, or with its load error), rechecked every CHECK_SECONDS."""
    global _state
    state = _state
    if not refresh and time.monotonic() - state.checked_at < CHECK_SECONDS:
        return state.models
    with _lock:
        state = _state
        if not refresh and time.monotonic() - state.checked_at < CHECK_SECONDS:
            return state.models
        from .models import RouterModel

        try:
            rows = list(RouterModel.objects.filter(is_active=True).values_list("kind", "id", "version"))
        except DatabaseError as exc:  # no table yet (before migrate), database away: fall back, try again later
            _state = _State(checked_at=time.monotonic(), error=f"cannot read the models: {exc}"[:300])
            return _state.models
        active = {kind: (pk, version) for kind, pk, version in rows}
        models = {}
        for kind, (pk, _version) in active.items():
            previous = state.models.get(kind)
            models[kind] = previous if previous is not None and previous.model_id == pk else load_model_row(pk)
        _state = _State(checked_at=time.monotonic(), active=active, models=models)
        return models


def model_status() -> dict[str, dict]:
    """Return, per kind, what this process serves: the version and "loaded", or the load error."""
    models = active_models()
    return {
        kind: {"version": m.version, "model_id": m.model_id, "loaded": m.ok, "error": m.error}
        for kind, m in models.items()
    } | ({"_": {"error": _state.error}} if _state.error else {})


def invalidate_models() -> None:
    """Forget the cached models and directory so the next call reads the tables (after an activation)."""
    global _state, _directory
    _state = _State()
    _directory = None


# --- the directory, as suggestions need it ---------------------------------------------------------------------


@dataclass(frozen=True)
class Directory:
    categories: dict[str, str]  # active category code → name
    units: dict[str, tuple[str, str]]  # active unit code → (name, kind)
    request_types: dict[str, str]  # code → name
    catalogue: tuple[CatalogueItem, ...]
    streets_by_name: dict[str, str]  # street or community name (and short name) → street code
    communities: dict[str, tuple[str, str]]  # community code → (name, street code)


_directory: tuple[float, Directory] | None = None


def get_directory(*, refresh: bool = False) -> Directory:
    """Return the directory snapshot (at most CHECK_SECONDS old unless ``refresh``)."""
    global _directory
    cached = _directory
    if not refresh and cached is not None and time.monotonic() - cached[0] < CHECK_SECONDS:
        return cached[1]
    directory = _build_directory()
    _directory = (time.monotonic(), directory)
    return directory


def _build_directory() -> Directory:
    from yihaotong.directory.models import CatalogueEntry, Category, RequestType, Unit, UnitKind

    cats = {c.code: c for c in Category.objects.filter(is_active=True).only("code", "name", "keywords", "parent_id")}
    by_id = {c.pk: c for c in cats.values()}
    units = {
        u.code: u for u in Unit.objects.filter(is_active=True).only("code", "name", "short_name", "kind", "parent_id")
    }
    unit_by_id = {u.pk: u for u in units.values()}
    entries = {
        e.category_id: e
        for e in CatalogueEntry.objects.filter(version__is_current=True).select_related("lead_unit", "category")
    }

    def effective_entry(category):
        node = category
        while node is not None:
            if node.pk in entries:
                return entries[node.pk]
            node = by_id.get(node.parent_id)
        return None

    items = []
    for code, category in cats.items():
        entry = effective_entry(category)
        if entry is None or category.parent_id is None:
            continue  # no route, or a level-1 heading (its keywords are too broad to route by)
        own = entry.category_id == category.pk
        lead = entry.lead_unit.code if entry.lead_unit_id and entry.lead_unit.is_active else None
        keywords = split_keywords(category.keywords, entry.keywords if own else "")
        if keywords and (lead or entry.by_territory):
            items.append(CatalogueItem(code, category.name, lead, entry.by_territory, keywords))
    streets_by_name, communities = {}, {}
    for unit in units.values():
        if unit.kind == UnitKind.STREET:
            for name in {unit.name, unit.short_name} - {""}:
                streets_by_name[name] = unit.code
        elif unit.kind == UnitKind.COMMUNITY and unit.parent_id in unit_by_id:
            street = unit_by_id[unit.parent_id].code
            communities[unit.code] = (unit.name, street)
            streets_by_name.setdefault(unit.name, street)
    return Directory(
        categories={code: c.name for code, c in cats.items()},
        units={code: (u.name, u.kind) for code, u in units.items()},
        request_types=dict(RequestType.objects.values_list("code", "name")),
        catalogue=tuple(items),
        streets_by_name=streets_by_name,
        communities=communities,
    )
