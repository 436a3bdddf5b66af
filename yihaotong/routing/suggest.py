"""``suggest``: the one entry point of routing help at intake and dispatch (domain.md §6; the human decides).

Given what the operator has (subject, text, address, channel) it returns the likely request type, category
and lead unit (top 3 each, with confidences and the words that drove them), an urgency hint with the
emergency services to offer, and, from the gazetteer and the sensitive-content check when they are
installed, the street / community of the address and the kinds of personal data found in the text.

Sources, per field: the active trained model ("model vN"); before any model (or when it cannot be
loaded) the dispatch catalogue's keywords for category and unit ("catalogue") and keyword rules for the
request type ("rules"). Catalogue and rule confidences are keyword shares capped below the one-key accept
threshold: only a model's calibrated confidence can reach it.

Never raises on bad input: empty, huge, punctuation-only, emoji, traditional or English text gives a
suggestion or an honest empty one (``empty`` true, with the reason in ``notes``).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import asdict, dataclass, field

from .hints import catalogue_confidences, match_catalogue, request_type_hints, urgency_hint
from .loader import Directory, active_models, get_directory
from .ml import has_content, prepare
from .models import ModelKind

log = logging.getLogger(__name__)

# Inputs are capped here before anything reads them (the classifier reads its own first 1,000 characters).
MAX_INPUT_CHARS = 5000
MAX_ADDRESS_CHARS = 300
TOP_K = 3


@dataclass
class Choice:
    code: str
    name: str
    confidence: float
    words: list[str] = field(default_factory=list)


@dataclass
class Suggestion:
    request_type: list[Choice] = field(default_factory=list)
    category: list[Choice] = field(default_factory=list)
    unit: list[Choice] = field(default_factory=list)
    urgency: dict = field(default_factory=lambda: {"level": "", "services": [], "reasons": []})
    source: str = "none"  # "model vN" when any field came from a model, else "catalogue", "rules" or "none"
    sources: dict[str, str] = field(default_factory=dict)  # per field
    model_version: int | None = None
    accept_threshold: float = 0.8
    street: dict | None = None  # {"code", "name", "confidence", "method"} from the address
    community: dict | None = None
    sensitive: list[str] = field(default_factory=list)  # kinds of personal / abusive content found
    notes: list[str] = field(default_factory=list)
    empty: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


# --- hooks to the gazetteer and the sensitive-content check (routing/gazetteer.py, routing/sensitive.py) -----


def _optional(module: str):
    try:
        return importlib.import_module(f"yihaotong.routing.{module}")
    except ImportError:
        return None


def fold_text(text: str) -> str:
    """Fold traditional characters and full-width forms when the gazetteer's folding is installed."""
    gazetteer = _optional("gazetteer")
    fold = getattr(gazetteer, "fold", None)
    if fold is None:
        return text
    try:
        return fold(text)
    except Exception:  # noqa: BLE001 - a hook must never break a suggestion
        log.exception("gazetteer.fold failed")
        return text


def locate(address: str, text: str, directory: Directory) -> tuple[dict | None, dict | None, str]:
    """Return (street, community, note) for the address (or, failing that, the text).

    Hook: ``yihaotong.routing.gazetteer.match_address(address)`` (and ``street_for_text(text)``) returning an
    object with ``street_code``, ``street_name``, ``community_code``, ``community_name``, ``confidence`` and
    ``method``. Without the gazetteer, street and community names of the directory are looked for in the
    address.
    """
    gazetteer = _optional("gazetteer")
    if gazetteer is not None and hasattr(gazetteer, "match_address"):
        try:
            found = gazetteer.match_address(address) if address.strip() else None
            if (found is None or not getattr(found, "street_code", None)) and hasattr(gazetteer, "street_for_text"):
                found = gazetteer.street_for_text(text)
        except Exception:  # noqa: BLE001
            log.exception("gazetteer.match_address failed")
            found = None
        if found is None or not getattr(found, "street_code", None):
            return None, None, getattr(found, "reason", "") if found is not None else ""
        confidence = round(float(getattr(found, "confidence", 0.0)), 4)
        method = getattr(found, "method", "")
        street = {
            "code": found.street_code,
            "name": getattr(found, "street_name", "") or directory.units.get(found.street_code, ("", ""))[0],
            "confidence": confidence,
            "method": method,
        }
        community = None
        if getattr(found, "community_code", None):
            community = {
                "code": found.community_code,
                "name": getattr(found, "community_name", ""),
                "confidence": confidence,
                "method": method,
            }
        return street, community, ""
    for name in sorted(directory.streets_by_name, key=len, reverse=True):
        if name and name in address:
            code = directory.streets_by_name[name]
            street = {"code": code, "name": directory.units.get(code, (name, ""))[0], "confidence": 0.5}
            street["method"] = "directory"
            return street, None, ""
    return None, None, ""


def sensitive_kinds(text: str) -> list[str]:
    """Return the kinds of personal data or abusive words in ``text`` (hook: ``sensitive.detect``)."""
    sensitive = _optional("sensitive")
    detect = getattr(sensitive, "detect", None)
    if detect is None:
        return []
    try:
        kinds = []
        for finding in detect(text):
            kind = getattr(finding, "kind", None)
            if kind and kind not in kinds:
                kinds.append(kind)
        return kinds
    except Exception:  # noqa: BLE001
        log.exception("sensitive.detect failed")
        return []


# --- the entry point ----------------------------------------------------------------------------------------------


def _policy_threshold() -> float:
    from yihaotong.directory.policy import get_policy

    return float(get_policy().get("router_accept_threshold", 0.8))


def suggest(text: str | None, *, subject: str = "", address: str = "", channel: str = "") -> Suggestion:
    """Return the routing suggestion for a request; never raise on bad input."""
    text = str(text or "")[:MAX_INPUT_CHARS]
    subject = str(subject or "")[:MAX_INPUT_CHARS]
    address = str(address or "")[:MAX_ADDRESS_CHARS]
    out = Suggestion(accept_threshold=_policy_threshold())
    directory = get_directory()
    full = fold_text(f"{subject}\n{text}".strip())
    out.urgency = urgency_hint(full).as_dict()
    out.street, out.community, where_note = locate(fold_text(address), full, directory)
    if where_note and address.strip():
        out.notes.append(f"address: {where_note}")
    out.sensitive = sensitive_kinds(full)
    if not has_content(prepare(full)):
        out.notes.append("no suggestion: the text has no words to go by")
        return out

    models = active_models()
    versions = []
    for kind in (ModelKind.REQUEST_TYPE, ModelKind.CATEGORY, ModelKind.UNIT):
        loaded = models.get(kind)
        if loaded is not None and not loaded.ok:
            out.notes.append(f"{kind} model v{loaded.version} not loaded ({loaded.error}); using the fallback")
        choices = _from_model(kind, loaded.classifier, full, directory) if loaded is not None and loaded.ok else []
        if choices:
            setattr(out, kind, choices)
            out.sources[kind] = f"model v{loaded.version}"
            versions.append(loaded.version)
    if "request_type" not in out.sources:
        out.request_type = [
            Choice(code, directory.request_types.get(code, code), conf, words)
            for code, conf, words in request_type_hints(full)
            if code in directory.request_types
        ]
        if out.request_type:
            out.sources["request_type"] = "rules"
    if "category" not in out.sources or "unit" not in out.sources:
        _from_catalogue(out, full, directory)
    if versions:
        out.model_version = max(versions)
        out.source = f"model v{out.model_version}"
    elif "category" in out.sources or "unit" in out.sources:
        out.source = "catalogue"
    elif out.sources:
        out.source = "rules"
    out.empty = not (out.request_type or out.category or out.unit)
    if out.empty:
        out.notes.append("no suggestion: nothing in the text matches the models or the catalogue")
    return out


def _from_model(kind: str, classifier, text: str, directory: Directory) -> list[Choice]:
    names = {
        ModelKind.REQUEST_TYPE: directory.request_types,
        ModelKind.CATEGORY: directory.categories,
        ModelKind.UNIT: {code: name for code, (name, _kind) in directory.units.items()},
    }[kind]
    try:
        predictions = classifier.top(text, k=TOP_K + 2)
    except Exception:  # noqa: BLE001 - a model that fails at prediction time falls back like a missing one
        log.exception("routing model %s failed", kind)
        return []
    # Labels that left the directory (a unit merged, a category retired) are not suggested.
    return [Choice(p.label, names[p.label], p.confidence, p.words) for p in predictions if p.label in names][:TOP_K]


def _from_catalogue(out: Suggestion, text: str, directory: Directory) -> None:
    matches = match_catalogue(text, directory.catalogue, k=TOP_K)
    confidences = catalogue_confidences(matches)
    if "category" not in out.sources and matches:
        out.category = [
            Choice(m.item.category, m.item.category_name, c, list(m.words))
            for m, c in zip(matches, confidences, strict=True)
        ]
        out.sources["category"] = "catalogue"
    if "unit" in out.sources or not matches:
        return
    units: dict[str, Choice] = {}
    for m, c in zip(matches, confidences, strict=True):
        code = m.item.lead_unit
        if m.item.by_territory:
            code = out.street["code"] if out.street else None
            if code is None:
                out.notes.append(f"{m.item.category_name}: the street of the address leads (属地管理), address unknown")
                continue
        if code not in directory.units:
            continue
        if code in units:
            units[code].confidence = round(units[code].confidence + c, 4)
            units[code].words += [w for w in m.words if w not in units[code].words]
        else:
            units[code] = Choice(code, directory.units[code][0], c, list(m.words))
    if units:
        out.unit = sorted(units.values(), key=lambda ch: -ch.confidence)[:TOP_K]
        out.sources["unit"] = "catalogue"
