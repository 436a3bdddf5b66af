"""The only code that writes routing models and suggestion decisions (architecture.md §3.1)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Invalid, NotFound, NotPermitted
from yihaotong.directory.policy import get_policy

from .loader import active_models, invalidate_models, sign_blob
from .ml import ModelConfig, TextClassifier, TrainingError
from .models import DecisionCursor, DecisionField, ModelKind, RouterModel, SuggestionDecision
from .selectors import training_examples
from .suggest import fold_text, suggest

log = logging.getLogger(__name__)

# The centre staff who classify and dispatch at intake see and answer suggestions.
ROUTING_ROLES = frozenset({R.OPERATOR, R.DISPATCHER, R.SUPERVISOR, R.REVIEWER})
KINDS = (ModelKind.REQUEST_TYPE, ModelKind.CATEGORY, ModelKind.UNIT)


def check_routing_role(actor) -> None:
    """Raise NotPermitted unless ``actor`` is centre staff who may use routing suggestions."""
    if not getattr(actor, "roles", frozenset()) & ROUTING_ROLES:
        raise NotPermitted(
            "Routing suggestions are for the centre's operators, dispatchers, reviewers and supervisors."
        )


def _check_model_admin(actor) -> None:
    if actor is None or getattr(actor, "is_superuser", False) or R.SYSADMIN in getattr(actor, "roles", frozenset()):
        return
    raise NotPermitted("Only a system administrator may train or activate routing models.")


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- training ------------------------------------------------------------------------------------------------


@dataclass
class KindResult:
    kind: str
    trained: bool
    n_examples: int
    message: str
    metrics: dict = field(default_factory=dict)


@dataclass
class TrainingReport:
    version: int | None
    activated: bool
    results: list[KindResult]
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "activated": self.activated,
            "kinds": {
                r.kind: {"trained": r.trained, "n_examples": r.n_examples, "message": r.message, "metrics": r.metrics}
                for r in self.results
            },
            "messages": self.messages,
        }


def _fit_kind(kind, examples, *, min_orders, min_class_examples, config) -> tuple[KindResult, TextClassifier | None]:
    pairs = [(e.text, getattr(e, kind)) for e in examples if getattr(e, kind)]
    counts = Counter(label for _, label in pairs)
    small = sorted(label for label, n in counts.items() if n < min_class_examples)
    pairs = [(text, label) for text, label in pairs if counts[label] >= min_class_examples]
    n = len(pairs)
    if n < min_orders:
        msg = (
            f"too little history for the {kind} model: {n} closed orders usable (classes with at least "
            f"{min_class_examples} examples), {min_orders} needed; the catalogue fallback stays in use"
        )
        return KindResult(kind, False, n, msg), None
    if len({label for _, label in pairs}) < 2:
        return KindResult(kind, False, n, f"the {kind} model needs at least 2 classes; keeping the fallback"), None
    try:
        model = TextClassifier(config).fit([fold_text(t) for t, _ in pairs], [label for _, label in pairs])
    except TrainingError as exc:
        return KindResult(kind, False, n, f"the {kind} model could not be trained: {exc}"), None
    model.metrics["dropped_classes"] = {label: counts[label] for label in small}
    holdout = model.metrics.get("holdout", {})
    msg = (
        f"{kind}: {n} examples, {model.metrics['n_classes']} classes, hold-out macro-F1 {holdout.get('macro_f1', '—')}"
    )
    return KindResult(kind, True, n, msg, model.metrics), model


def _worse_than_active(fitted: dict[str, TextClassifier], max_drop: float) -> list[str]:
    """Return why the new models are clearly worse than the active ones (hold-out macro-F1), if they are."""
    reasons = []
    for row in RouterModel.objects.filter(is_active=True, kind__in=list(fitted)).only("kind", "version", "metrics"):
        old = (row.metrics or {}).get("holdout", {}).get("macro_f1")
        new = fitted[row.kind].metrics.get("holdout", {}).get("macro_f1")
        if old is not None and new is not None and new < old - max_drop:
            reasons.append(f"{row.kind}: hold-out macro-F1 {new} < {old} of active v{row.version} - {max_drop}")
    return reasons


def do_train_router_models(
    actor=None,
    *,
    kinds=KINDS,
    min_orders: int | None = None,
    min_class_examples: int | None = None,
    activate: str = "auto",
    config: ModelConfig | None = None,
    now: datetime | None = None,
) -> TrainingReport:
    """Train the request-type, category and unit models on the closed orders and store them as a new version.

    ``activate``: "auto" (default) activates the new version unless a model is clearly worse than the active
    one on its hold-out ("router_max_f1_drop"); "always"; "never". A kind with too little history gets no
    model (the report says so) and stays on the fallback. Fitting runs outside any transaction; the rows are
    written in one short transaction.
    """
    _check_model_admin(actor)
    if activate not in ("auto", "always", "never"):
        raise Invalid("activate must be auto, always or never.", errors={"activate": ["unknown value"]})
    now = _now(now)
    policy = get_policy()
    min_orders = int(policy["router_min_orders"] if min_orders is None else min_orders)
    min_class_examples = int(policy["router_min_class_examples"] if min_class_examples is None else min_class_examples)
    examples = training_examples(limit=int(policy["router_train_max_orders"]))
    results, fitted = [], {}
    for kind in kinds:
        result, model = _fit_kind(
            kind, examples, min_orders=min_orders, min_class_examples=min_class_examples, config=config
        )
        results.append(result)
        if model is not None:
            fitted[kind] = model
    report = TrainingReport(version=None, activated=False, results=results)
    if not fitted:
        report.messages.append("no model trained; suggestions keep using the catalogue and keyword rules")
        return report
    blobs = {kind: model.dumps() for kind, model in fitted.items()}
    for attempt in range(3):
        try:
            with transaction.atomic():
                report.version = (RouterModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
                for kind, model in fitted.items():
                    RouterModel.objects.create(
                        version=report.version,
                        kind=kind,
                        created_at=now,
                        trained_by=actor if getattr(actor, "pk", None) else None,
                        n_train=model.metrics["n_train"],
                        metrics=model.metrics,
                        blob=blobs[kind],
                        checksum=sign_blob(blobs[kind]),
                        size=len(blobs[kind]),
                    )
                reasons = _worse_than_active(fitted, float(policy["router_max_f1_drop"])) if activate == "auto" else []
                if activate == "never":
                    report.messages.append(f"stored as v{report.version}, not activated")
                elif reasons:
                    report.messages.append(f"stored as v{report.version}, NOT activated: " + "; ".join(reasons))
                else:
                    _activate(actor, report.version, now)
                    report.activated = True
                    report.messages.append(f"v{report.version} trained and activated")
            break
        except IntegrityError:  # another process took the same version number: take the next one
            if attempt == 2:
                raise
    return report


# --- activation (and rollback) --------------------------------------------------------------------------------


def _activate(actor, version: int, now: datetime) -> list[RouterModel]:
    from yihaotong.audit.models import ConfigChange

    rows = list(RouterModel.objects.select_for_update().filter(version=version).defer("blob"))
    if not rows:
        raise NotFound(f"No routing model of version {version}.")
    before = dict(RouterModel.objects.filter(is_active=True).values_list("kind", "version"))
    # Exactly this version's models become active; a kind it has no model for falls back to the catalogue.
    RouterModel.objects.filter(is_active=True).exclude(version=version).update(is_active=False)
    RouterModel.objects.filter(version=version).update(is_active=True, activated_at=now)
    ConfigChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
        model=RouterModel._meta.label_lower,
        object_id=str(version),
        action="update",
        summary=f"activate routing models v{version}",
        changes={"active": [before, {row.kind: version for row in rows}]},
    )
    transaction.on_commit(invalidate_models)
    return rows


@transaction.atomic
def do_activate_router_model(actor, version: int, *, now: datetime | None = None) -> list[RouterModel]:
    """Make the models of ``version`` the active ones (roll back or forward); audited."""
    _check_model_admin(actor)
    return _activate(actor, int(version), _now(now))


# --- decisions on suggestions -------------------------------------------------------------------------------


def _known_code(field_name: str, code: str) -> bool:
    from yihaotong.directory.models import Category, RequestType, Unit

    model = {"request_type": RequestType, "category": Category, "unit": Unit}[field_name]
    return model.objects.filter(code=code).exists()


@transaction.atomic
def do_record_suggestion_decision(
    actor,
    order_id: int,
    *,
    field: str,
    suggested: str,
    chosen: str,
    confidence: float | None = None,
    model_version: int | None = None,
    source: str = "",
    now: datetime | None = None,
) -> SuggestionDecision:
    """Record that the dispatcher accepted a suggestion or chose something else (every decision counts)."""
    from yihaotong.workorders.access import access_order

    check_routing_role(actor)
    order = access_order(actor, order_id)
    errors: dict[str, list[str]] = {}
    if field not in DecisionField.values:
        errors["field"] = [f"one of {', '.join(DecisionField.values)}"]
    suggested, chosen, source = (suggested or "").strip(), (chosen or "").strip(), (source or "").strip()
    if not chosen:
        errors["chosen"] = ["required"]
    elif field in DecisionField.values and not _known_code(field, chosen):
        errors["chosen"] = [f"no {field} with code {chosen!r}"]
    if len(suggested) > 32:
        errors["suggested"] = ["at most 32 characters"]
    if confidence is not None and not 0.0 <= float(confidence) <= 1.0:
        errors["confidence"] = ["between 0 and 1"]
    if errors:
        raise Invalid("The decision has invalid fields.", errors=errors)
    if model_version is None and not source:
        loaded = active_models().get(field)
        if loaded is not None and loaded.ok:
            model_version, source = loaded.version, f"model v{loaded.version}"
    elif model_version is not None and not source:
        source = f"model v{model_version}"
    return SuggestionDecision.objects.create(
        order=order,
        field=field,
        suggested=suggested,
        chosen=chosen,
        accepted=bool(suggested) and suggested == chosen,
        confidence=None if confidence is None else float(confidence),
        model_version=model_version,
        source=source[:32],
        actor=actor if getattr(actor, "pk", None) else None,
        at=_now(now),
    )


# --- decisions taken in the consoles, read from the event log ---------------------------------------------------

# Event kind → (the suggestion's field, the payload key that holds the code the person chose).
DECISION_EVENTS = {
    "create": (DecisionField.REQUEST_TYPE, "request_type"),
    "classify": (DecisionField.CATEGORY, "to"),
    "dispatch": (DecisionField.UNIT, "lead"),
}
# A decision recorded explicitly (the API) this close to the event is the same decision: not counted twice.
SAME_DECISION_WINDOW = timedelta(hours=1)


def _model_version(source: str) -> int | None:
    if source.startswith("model v") and source[7:].isdigit():
        return int(source[7:])
    return None


@transaction.atomic
def do_record_decisions_from_events(*, batch: int = 500, now: datetime | None = None) -> tuple[int, int]:
    """Record the decisions people took in the consoles on what routing suggests; return (recorded, read).

    Reads the work-order event log after a cursor (ids increase): a person's ``create`` (request type),
    ``classify`` (category) and ``dispatch`` (lead unit) event is compared with the suggestion for the
    order's text, address and channel (computed now, with the models active now: normally a minute after the
    decision), and recorded as accepted (the person chose the top suggestion) or overridden. Events of the
    system (no actor) and decisions already recorded through the API are skipped. The periodic task
    ``record_routing_decisions`` runs it every minute; one process at a time (the cursor row is locked).
    """
    from yihaotong.workorders.models import Event

    now = _now(now)
    cursor, _created = DecisionCursor.objects.get_or_create(pk=1)
    cursor = DecisionCursor.objects.select_for_update().get(pk=1)
    events = list(
        Event.objects.filter(id__gt=cursor.last_event_id, kind__in=list(DECISION_EVENTS))
        .select_related("order", "actor")
        .order_by("id")[:batch]
    )
    recorded = 0
    for event in events:
        field_name, key = DECISION_EVENTS[event.kind]
        chosen = str((event.payload or {}).get(key) or "").strip()
        if event.actor_id is None or not chosen or len(chosen) > 32:
            continue
        if SuggestionDecision.objects.filter(
            order_id=event.order_id,
            field=field_name,
            chosen=chosen,
            at__range=(event.at - SAME_DECISION_WINDOW, event.at + SAME_DECISION_WINDOW),
        ).exists():
            continue
        order = event.order
        try:
            found = suggest(order.text, subject=order.subject, address=order.address, channel=order.channel)
        except Exception:  # noqa: BLE001 - an unreadable order must not stop the log from being read
            log.exception("suggestion for order %s failed", order.pk)
            continue
        choices = getattr(found, field_name)
        top = choices[0] if choices else None
        source = found.sources.get(field_name, "")
        SuggestionDecision.objects.create(
            order=order,
            field=field_name,
            suggested=top.code if top else "",
            chosen=chosen,
            accepted=top is not None and top.code == chosen,
            confidence=None if top is None else min(max(float(top.confidence), 0.0), 1.0),
            model_version=_model_version(source),
            source=source[:32],
            actor=event.actor,
            at=event.at,
        )
        recorded += 1
    if events:
        cursor.last_event_id = events[-1].pk
    cursor.at = now
    cursor.save()
    return recorded, len(events)
