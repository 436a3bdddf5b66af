"""The centre's screens: dispatch queue, review, callback desk, supervision board, and the centre's panels on
the order detail page (actions; related orders; the dispatch deadline preview).

Views never write: every POST runs one ``do_…`` action through ``actions_util.run_action`` and renders the
refreshed panel (htmx) or redirects (no JavaScript). Lists start from ``visible_orders`` / ``list_orders``,
paginate, and load their related rows with a fixed number of queries whatever the page holds.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yihaotong.accounts import roles as R
from yihaotong.core.api import paginate
from yihaotong.core.errors import DomainError, Invalid, NotFound, NotPermitted
from yihaotong.directory.models import CatalogueEntry, LimitUnit, RequestType, Unit, UnitKind, Urgency
from yihaotong.directory.policy import get_policy, get_rules
from yihaotong.routing import duplicates
from yihaotong.workorders import actions as A
from yihaotong.workorders import deadlines as D
from yihaotong.workorders import states as S
from yihaotong.workorders.access import access_order, is_centre, is_restricted, visible_orders
from yihaotong.workorders.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    Assignment,
    AssignmentState,
    Callback,
    Reply,
    ReplyState,
    Supervision,
    WorkOrder,
)
from yihaotong.workorders.selectors import OrderFilter, list_orders
from yihaotong.worktime.loader import get_calendar

from . import forms_centre as F
from .actions_util import run_action
from .selectors import warning_tone

log = logging.getLogger(__name__)

# Centre staff who work on orders through the HTML consoles (service accounts use the API).
CENTRE_STAFF = R.CENTRE_ROLES - {R.INTEGRATION}
QUEUE_ROLES = frozenset({R.DISPATCHER})
REVIEW_ROLES = frozenset({R.REVIEWER, R.DISPATCHER})
CALLBACK_ROLES = frozenset({R.CALLBACK_AGENT})
SUPERVISION_ROLES = frozenset({R.SUPERVISOR, R.LEADER})

PAGE_SIZE = 25
POLL = "every 20s"


def _now() -> datetime:
    """Return the current time (one place, so that tests can pin it)."""
    return timezone.now()


def _require(request, roles) -> None:
    if not request.user.roles & set(roles):
        raise PermissionDenied(gettext("Your roles may not open this screen."))


def _access(request, pk: int) -> WorkOrder:
    try:
        return access_order(request.user, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc


def _page(value) -> int:
    try:
        return max(1, int(value or 1))
    except (TypeError, ValueError):
        return 1


def _query(data: QueryDict, *, drop: tuple[str, ...] = ()) -> str:
    q = data.copy()
    for key in ("csrfmiddlewaretoken", *drop):
        q.pop(key, None)
    return q.urlencode()


# ---------------------------------------------------------------------------------------------------------
# the actions the centre runs from its panel and its lists


@dataclass(frozen=True)
class CentreAction:
    """One POST route under /orders/<pk>/centre/<name>/ and the action it runs."""

    name: str
    panel: str  # which form block of the panel it belongs to
    shown_by: frozenset[str]  # names from states.available_actions that make the block appear
    form: type[F.CentreForm]
    run: Callable[[Any, WorkOrder, dict, datetime], Any]
    success: Any  # lazy message
    aliases: dict[str, str] = field(default_factory=dict)  # action error key -> form field


def _run_merge(user, order, d, now):
    master = visible_orders(user).filter(number=d["master_number"]).values_list("pk", flat=True).first()
    if master is None:
        raise Invalid(
            gettext("No order with this number is visible to you."),
            errors={"master_number": [gettext("No order with this number is visible to you.")]},
        )
    return A.do_merge_order(user, order.pk, master_id=master, reason=d.get("reason", ""), now=now)


def _run_decide(user, order, d, now):
    app = Application.objects.filter(pk=d["application"], order=order).only("kind").first()
    if app is None:
        raise NotFound("No such application.")
    approve = d["decision"] == "approve"
    run = {
        ApplicationKind.RETURN: A.do_decide_return,
        ApplicationKind.EXTENSION: A.do_decide_extension,
        ApplicationKind.TERMINATION: A.do_decide_termination,
    }[app.kind]
    return run(user, app.pk, approve=approve, note=d.get("note", ""), now=now)


def _supervise(level: str):
    def run(user, order, d, now):
        return A.do_supervise_order(user, order.pk, level=level, note=d.get("note", ""), now=now)

    return run


_DECIDE = frozenset(
    {"approve_return", "refuse_return", "decide_extension", "approve_termination", "refuse_termination"}
)

ACTIONS: dict[str, CentreAction] = {
    a.name: a
    for a in [
        CentreAction(
            "accept",
            "accept",
            frozenset({"accept"}),
            F.ConfirmForm,
            lambda u, o, d, now: A.do_accept_order(u, o.pk, now=now),
            _("The order was accepted and waits for dispatch."),
        ),
        CentreAction(
            "classify",
            "classify",
            frozenset({"classify"}),
            F.ClassifyForm,
            lambda u, o, d, now: A.do_classify_order(u, o.pk, category=d["category"], now=now),
            _("The category was saved."),
        ),
        CentreAction(
            "answer",
            "answer",
            frozenset({"answer"}),
            F.AnswerForm,
            lambda u, o, d, now: A.do_answer_order(
                u, o.pk, answer=d["answer"], article_ref=d.get("article_ref", ""), now=now
            ),
            _("The order was answered directly."),
        ),
        CentreAction(
            "reject",
            "reject",
            frozenset({"reject"}),
            F.RejectForm,
            lambda u, o, d, now: A.do_reject_order(
                u, o.pk, disposition_reason=d["disposition_reason"], reason=d.get("reason", ""), now=now
            ),
            _("The order was disposed of."),
        ),
        CentreAction(
            "merge",
            "merge",
            frozenset({"merge"}),
            F.MergeForm,
            _run_merge,
            _("The order was merged into its master order."),
            {"master_id": "master_number"},
        ),
        CentreAction(
            "dispatch",
            "dispatch",
            frozenset({"dispatch"}),
            F.DispatchForm,
            lambda u, o, d, now: A.do_dispatch_order(
                u,
                o.pk,
                lead_unit_id=d["lead_unit_id"],
                support_unit_ids=d.get("support_unit_ids") or [],
                handle_due=d.get("handle_due"),
                instructions=d.get("instructions", ""),
                designated=bool(d.get("designated")),
                now=now,
            ),
            _("The order was dispatched."),
            {"units": "lead_unit_id"},
        ),
        CentreAction(
            "review",
            "review",
            frozenset({"approve_reply", "send_back"}),
            F.ReviewForm,
            lambda u, o, d, now: A.do_review_reply(
                u, o.pk, approve=d["decision"] == "approve", comment=d.get("comment", ""), now=now
            ),
            _("The review was recorded."),
            {"reason": "comment"},
        ),
        CentreAction(
            "decide",
            "decide",
            _DECIDE,
            F.DecideForm,
            _run_decide,
            _("The decision was recorded."),
            {"reason": "note"},
        ),
        CentreAction(
            "callback",
            "callback",
            frozenset({"callback_attempt"}),
            F.CallbackForm,
            lambda u, o, d, now: A.do_record_callback(
                u,
                o.pk,
                outcome=d["outcome"],
                contacted=d.get("contacted"),
                solved=d.get("solved"),
                satisfaction=d.get("satisfaction", ""),
                score5=d.get("score5"),
                reason=d.get("reason", ""),
                now=now,
            ),
            _("The callback was recorded."),
        ),
        CentreAction(
            "close",
            "close",
            frozenset({"close"}),
            F.ReasonForm,
            lambda u, o, d, now: A.do_close_order(u, o.pk, reason=d.get("reason", ""), now=now),
            _("The order was closed without a callback."),
        ),
        CentreAction(
            "redo",
            "redo",
            frozenset({"redo"}),
            F.RedoForm,
            lambda u, o, d, now: A.do_redo_order(u, o.pk, reason=d["reason"], now=now),
            _("The order went back to its unit for redo."),
        ),
        CentreAction(
            "remind",
            "supervision",
            frozenset({"remind"}),
            F.SuperviseForm,
            _supervise("remind"),
            _("The reminder was sent."),
            {"reason": "note"},
        ),
        CentreAction(
            "supervise",
            "supervision",
            frozenset({"supervise"}),
            F.SuperviseForm,
            _supervise("supervise"),
            _("The supervision notice was sent."),
            {"reason": "note"},
        ),
        CentreAction(
            "escalate",
            "supervision",
            frozenset({"escalate"}),
            F.SuperviseForm,
            _supervise("escalate"),
            _("The order was escalated."),
            {"reason": "note"},
        ),
    ]
}
# The panel blocks, in the order the panel shows them; each lists the routes that post from it.
PANEL_BLOCKS: dict[str, list[str]] = {}
for _a in ACTIONS.values():
    PANEL_BLOCKS.setdefault(_a.panel, []).append(_a.name)


@dataclass
class Failure:
    """A failed POST: the bound form (typed input kept, errors in place) and how to say what went wrong."""

    action: str
    panel: str
    form: F.CentreForm
    status: int
    order_id: int
    state_label: str = ""  # after a 409: the state the order is in now (someone else acted first)

    @property
    def title(self) -> str:
        if self.status == 409:
            return gettext("The order changed before your action, so nothing was done.")
        if self.status == 403:
            return gettext("Your roles may not do this.")
        return gettext("Nothing was saved: please correct the marked fields.")


def _renamed(exc: Invalid, aliases: dict[str, str], form) -> Invalid:
    """Return ``exc`` with its error keys renamed to the form's fields; unplaced errors keep the message."""
    errors: dict[str, list[str]] = {}
    for key, msgs in exc.errors.items():
        errors.setdefault(aliases.get(key, key), []).extend(msgs)
    if not errors or any(key not in form.fields for key in errors):
        errors.setdefault("__all__", []).insert(0, exc.message)
    return Invalid(exc.message, errors=errors)


def _form_kwargs(spec: CentreAction, cache: dict) -> dict:
    """Choices that come from the database, loaded once per request."""
    if spec.form is F.ClassifyForm:
        if "categories" not in cache:
            cache["categories"] = F.leaf_category_choices()
        return {"categories": cache["categories"]}
    if spec.form is F.DispatchForm:
        if "units" not in cache:
            cache["units"] = F.dispatch_unit_choices()
        return {"units": cache["units"]}
    return {}


def _perform(request, spec: CentreAction, order: WorkOrder, form) -> tuple[bool, int]:
    """Run the action of ``spec`` on ``order``; return (ok, HTTP status for a no-JS response)."""
    caught: dict[str, Any] = {}
    now = _now()

    def call(data: dict):
        try:
            return spec.run(request.user, order, data, now)
        except Invalid as exc:
            caught["status"] = exc.status
            raise _renamed(exc, spec.aliases, form) from exc
        except DomainError as exc:
            caught["status"] = exc.status
            raise

    def done(data: dict):
        result = call(data)
        caught["ok"] = True
        return result

    run_action(request, form, done)
    if caught.get("ok"):
        return True, 200
    form.focus_first_error()
    return False, caught.get("status", 422)


# ---------------------------------------------------------------------------------------------------------
# the dispatch helpers: routing suggestions, the catalogue entry, the deadline preview


def routing_suggestions(actor, order: WorkOrder, now: datetime) -> list[dict]:
    """Return the routing assistant's top lead units and categories for ``order`` (model or catalogue).

    Each row says its field (``unit`` / ``category``), its code and whether it may be accepted with one key:
    the field's first choice, when its confidence reaches the centre's ``router_accept_threshold`` (only a
    trained model's calibrated confidence can; the catalogue's keyword shares are capped below it).
    """
    from yihaotong.routing.suggest import suggest

    try:
        result = suggest(order.text, subject=order.subject, address=order.address, channel=order.channel)
    except Exception:  # the assistant must never stop a dispatch  # noqa: BLE001
        log.exception("routing suggestions failed for order %s", order.pk)
        return []
    units = {u.code: u.pk for u in Unit.objects.filter(code__in=[c.code for c in result.unit])}
    rows = []
    for field_name, label, choices in (
        ("unit", _("lead unit"), result.unit),
        ("category", _("category"), result.category),
    ):
        source = result.sources.get(field_name, result.source)
        for rank, choice in enumerate(choices[:3]):
            rows.append(
                {
                    "field": field_name,
                    "code": choice.code,
                    "label": choice.name,
                    "kind": f"{label} · {source}",
                    "confidence": round(choice.confidence * 100) if choice.confidence is not None else None,
                    "unit_id": units.get(choice.code) if field_name == "unit" else None,
                    "words": choice.words[:5],
                    "confident": rank == 0
                    and choice.confidence is not None
                    and choice.confidence >= result.accept_threshold,
                }
            )
    return rows


def one_key_choice(suggestions: list[dict], field_name: str, form) -> dict | None:
    """Return the suggestion of ``field_name`` the dispatcher may accept with one key, or None.

    Only a confident first choice that the form can take (a unit the dispatch form lists, a category the
    classify form lists) is offered.
    """
    for row in suggestions:
        if row["field"] != field_name or not row["confident"]:
            continue
        value = row["unit_id"] if field_name == "unit" else row["code"]
        choices = {str(v) for v, _label in _flat_choices(form.fields[_ACCEPT_FIELD[field_name]].choices)}
        if value is not None and str(value) in choices:
            return {**row, "value": value}
    return None


# The form field a one-key accept fills, and the name of the button that carries the accepted value.
_ACCEPT_FIELD = {"unit": "lead_unit_id", "category": "category"}
ACCEPT_BUTTON = {"dispatch": ("accept_unit", "lead_unit_id"), "classify": ("accept_category", "category")}


def _flat_choices(choices) -> list[tuple]:
    """Return (value, label) pairs of a choice list whose entries may be groups (label, [(value, label), …])."""
    out = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            out.extend(label)
        else:
            out.append((value, label))
    return out


def accepted_data(action: str, data):
    """Return the POST data of an action, with the value of a one-key accept button put in its field.

    The accept button sits in the dispatch (classify) form and posts the suggested unit (category) under its
    own name, so the rest of the form (supporting units, deadline, instructions) goes with it unchanged.
    """
    button = ACCEPT_BUTTON.get(action)
    if button is None or not (data.get(button[0]) or "").strip():
        return data
    data = data.copy()
    data[button[1]] = data[button[0]].strip()
    return data


def catalogue_entry(order: WorkOrder) -> CatalogueEntry | None:
    """Return the entry of the dispatch catalogue in force for the order's category, or its parent's."""
    if order.category_id is None:
        return None
    ids = [order.category_id] + ([order.category.parent_id] if order.category.parent_id else [])
    entries = {
        e.category_id: e
        for e in CatalogueEntry.objects.filter(version__is_current=True, category_id__in=ids)
        .select_related("lead_unit", "category", "version")
        .prefetch_related("support_units")
    }
    for cat_id in ids:
        if cat_id in entries:
            return entries[cat_id]
    return None


def _limit_text(limit: D.Limit) -> str:
    if not limit.is_set:
        return gettext("set by the dispatcher")
    return f"{limit.value} {dict(LimitUnit.choices).get(limit.unit, limit.unit)}"


@dataclass
class DeadlinePreview:
    sign_due: datetime | None = None
    sign_warn: datetime | None = None
    handle_due: datetime | None = None
    handle_warn: datetime | None = None
    rule: str = ""
    note: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.sign_due is not None

    sign_due_text = property(lambda self: due_text(self.sign_due))
    sign_warn_text = property(lambda self: due_text(self.sign_warn))
    handle_due_text = property(lambda self: due_text(self.handle_due))
    handle_warn_text = property(lambda self: due_text(self.handle_warn))


def due_text(instant: datetime | None, *, short: bool = False) -> str:
    """Format a deadline in local time; a working-day deadline (local midnight) reads as 24:00 of its last day."""
    if instant is None:
        return ""
    local = timezone.localtime(instant)
    day = "m-d" if short else "Y-m-d (D)"
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{date_format(local - timedelta(microseconds=1), day)} 24:00"
    return date_format(local, f"{day} H:i")


def preview_deadlines(order: WorkOrder, *, handle_due: datetime | None, now: datetime) -> DeadlinePreview:
    """Compute the deadlines a dispatch made ``now`` would set, without writing (mirrors do_dispatch_order)."""
    rule = D.pick_rule(get_rules(), order.request_type.code, order.urgency.code)
    if rule is None:
        raise Invalid(
            gettext("No time-limit rule applies to this request type and urgency."),
            errors={"handle_due": [gettext("no time-limit rule")]},
        )
    policy = get_policy()
    cal = get_calendar()
    args = {
        "yellow_fraction": float(policy["yellow_hour_fraction"]),
        "yellow_working_days": int(policy["yellow_working_days"]),
    }
    preview = DeadlinePreview(
        rule=gettext("Sign for within %(sign)s; handle within %(handle)s.")
        % {"sign": _limit_text(rule.sign), "handle": _limit_text(rule.handle)}
    )
    sign = D.make_clock(now, rule.sign, cal, count_from=policy["count_from"], **args)
    preview.sign_due, preview.sign_warn = sign.due, sign.warn_at
    if handle_due is not None:
        if handle_due <= now:
            raise Invalid(
                gettext("The deadline must be in the future."), errors={"handle_due": [gettext("in the past")]}
            )
        clock = D.clock_with_due(now, handle_due, cal, unit=rule.handle.unit or "h", **args)
    elif not rule.handle.is_set:
        if order.handle_due is not None and order.handle_started_at is not None:
            preview.handle_due, preview.handle_warn = order.handle_due, order.handle_warn_at
            preview.note = gettext("The deadline set at the earlier dispatch stands.")
            return preview
        raise Invalid(
            gettext("This urgency needs a handling deadline set by the dispatcher."),
            errors={"handle_due": [gettext("Required for this urgency.")]},
        )
    elif policy["clock_start"] == "dispatch":
        clock = D.make_clock(now, rule.handle, cal, count_from=policy["count_from"], **args)
    else:
        preview.note = gettext("The handling clock starts when the lead unit signs for the order.")
        return preview
    preview.handle_due, preview.handle_warn = clock.due, clock.warn_at
    return preview


def _preview_for_form(order: WorkOrder, form: F.DispatchForm, now: datetime) -> DeadlinePreview:
    form.is_valid()
    if "handle_due" in form.errors:
        return DeadlinePreview(error=" ".join(form.errors["handle_due"]))
    try:
        return preview_deadlines(order, handle_due=form.cleaned_data.get("handle_due"), now=now)
    except DomainError as exc:
        detail = exc.localized_errors().get("handle_due") if exc.errors else None
        if detail and "handle_due" in form.fields:
            form.errors.pop("handle_due", None)
            form.add_error("handle_due", detail)
        return DeadlinePreview(error=exc.localized())


# ---------------------------------------------------------------------------------------------------------
# the centre panel on the order detail page


def _extension_new_due(app: Application, order: WorkOrder) -> datetime | None:
    """Return the deadline an approval would set (as do_decide_extension computes it), or None."""
    if not app.working_days or order.handle_due is None:
        return None
    try:
        return get_calendar().add_working_days(order.handle_due, int(app.working_days), count_from="same_day")
    except DomainError:
        return None


def panel_context(
    request,
    order: WorkOrder,
    *,
    failure: Failure | None = None,
    notice: str = "",
    dispatch_form: F.DispatchForm | None = None,
    preview: DeadlinePreview | None = None,
) -> dict:
    user = request.user
    now = _now()
    allowed = set(S.available_actions(order.state, user.roles))
    cache: dict = {}
    blocks: dict[str, Any] = {}
    for panel, names in PANEL_BLOCKS.items():
        shown = [n for n in names if ACTIONS[n].shown_by & allowed]
        if not shown:
            continue
        spec = ACTIONS[shown[0]]
        if failure is not None and failure.panel == panel:
            form = failure.form
        elif panel == "dispatch" and dispatch_form is not None:
            form = dispatch_form
        else:
            form = spec.form(order_id=order.pk, **_form_kwargs(spec, cache))
        blocks[panel] = {"form": form, "routes": shown}
    ctx: dict[str, Any] = {
        "order": order,
        "blocks": blocks,
        "failure": failure,
        "notice": notice,
        "now": now,
        "tone": warning_tone(order, now),
    }
    if "classify" in blocks and order.category_id and not blocks["classify"]["form"].is_bound:
        blocks["classify"]["form"].initial = {"category": order.category.code}
    suggestions = routing_suggestions(user, order, now) if {"classify", "dispatch"} & set(blocks) else []
    if "classify" in blocks:
        ctx["accept_category"] = one_key_choice(suggestions, "category", blocks["classify"]["form"])
    if "reject" in blocks:
        ctx["dispositions"] = F.DISPOSITION_REASONS
    if "merge" in blocks:
        blocks["merge"]["form"].fields["master_number"].widget.attrs["list"] = f"merge-candidates-{order.pk}"
        ctx["merge_candidates"] = duplicates.find_same_matter(
            user,
            text=order.text,
            subject=order.subject,
            address=order.address,
            street_code=order.street.code if order.street_id else None,
            phone=order.requester_phone,
            now=now,
            exclude_ids=[order.pk],
        )
    if "dispatch" in blocks:
        entry = catalogue_entry(order)
        form = blocks["dispatch"]["form"]
        if not form.is_bound and entry is not None:
            lead = entry.lead_unit if entry.lead_unit_id else (order.street if entry.by_territory else None)
            form.initial = {
                "lead_unit_id": lead.pk if lead else None,
                "support_unit_ids": [u.pk for u in entry.support_units.all()],
            }
        ctx.update(
            returns=list(
                Assignment.objects.filter(order=order, state=AssignmentState.RETURNED)
                .select_related("unit")
                .order_by("returned_at", "id")
            ),
            catalogue=entry,
            catalogue_lead=(entry.lead_unit or (order.street if entry.by_territory else None)) if entry else None,
            suggestions=suggestions,
            accept_unit=one_key_choice(suggestions, "unit", form),
            preview=preview,
            needs_deadline=_needs_deadline(order),
        )
    if "review" in blocks:
        ctx["pending_reply"] = (
            Reply.objects.filter(order=order, state=ReplyState.PENDING)
            .select_related("assignment__unit", "author")
            .order_by("created_at", "id")
            .last()
        )
    if "decide" in blocks:
        kinds = []
        if allowed & {"approve_return", "refuse_return"}:
            kinds.append(ApplicationKind.RETURN)
        if "decide_extension" in allowed:
            kinds.append(ApplicationKind.EXTENSION)
        if allowed & {"approve_termination", "refuse_termination"}:
            kinds.append(ApplicationKind.TERMINATION)
        apps = list(
            Application.objects.filter(order=order, state=ApplicationState.PENDING, kind__in=kinds).select_related(
                "assignment__unit", "requested_by"
            )
        )
        rows = []
        for app in apps:
            if (
                failure is not None
                and failure.panel == "decide"
                and failure.form.data.get("application") == str(app.pk)
            ):
                form = failure.form
            else:
                form = F.DecideForm(order_id=f"{order.pk}_{app.pk}", initial={"application": app.pk})
            new_due = _extension_new_due(app, order) if app.kind == ApplicationKind.EXTENSION else None
            rows.append(
                {
                    "app": app,
                    "form": form,
                    "new_due": new_due,
                    "new_due_text": due_text(new_due),
                    "old_due_text": due_text(order.handle_due),
                    "can_approve": _can_decide(app.kind, True, allowed),
                    "can_refuse": _can_decide(app.kind, False, allowed),
                }
            )
        if rows:
            blocks["decide"]["rows"] = rows
        else:
            del blocks["decide"]
    primary = PRIMARY_BLOCK.get(order.state)
    for name, block in blocks.items():
        block["open"] = (
            name == primary
            or (name == "classify" and order.category_id is None)
            or (failure is not None and failure.panel == name)
        )
    if "callback" in blocks or "close" in blocks:
        ctx["attempts"] = list(order.callbacks.select_related("agent").order_by("at", "id"))
    if "supervision" in blocks:
        ctx["supervisions"] = list(order.supervisions.select_related("by", "unit").order_by("at", "id"))
    return ctx


# The block a state is mostly about opens by itself; the others stay folded.
PRIMARY_BLOCK = {
    S.SUBMITTED: "accept",
    S.PENDING_DISPATCH: "dispatch",
    S.DISPATCHED: "decide",
    S.IN_PROGRESS: "decide",
    S.REPLIED: "review",
    S.PENDING_CALLBACK: "callback",
}


def _needs_deadline(order: WorkOrder) -> bool:
    rule = D.pick_rule(get_rules(), order.request_type.code, order.urgency.code)
    return rule is not None and not rule.handle.is_set


def _can_decide(kind: str, approve: bool, allowed: set[str]) -> bool:
    need = {
        (ApplicationKind.RETURN, True): "approve_return",
        (ApplicationKind.RETURN, False): "refuse_return",
        (ApplicationKind.EXTENSION, True): "decide_extension",
        (ApplicationKind.EXTENSION, False): "decide_extension",
        (ApplicationKind.TERMINATION, True): "approve_termination",
        (ApplicationKind.TERMINATION, False): "refuse_termination",
    }[(kind, approve)]
    return need in allowed


def _render_panel(request, order: WorkOrder, *, status: int = 200, **kwargs) -> HttpResponse:
    ctx = panel_context(request, order, **kwargs)
    if request.htmx:
        return render(request, "consoles/centre/_panel.html", ctx)
    return render(request, "consoles/centre/action_page.html", ctx, status=status)


@require_GET
@login_required
def centre_panel(request, pk: int):
    _require(request, CENTRE_STAFF)
    order = _access(request, pk)
    return _render_panel(request, order)


@require_http_methods(["GET", "POST"])
@login_required
def dispatch_preview(request, pk: int):
    """Show the deadlines a dispatch would set now (sign-for and handling), before the dispatcher confirms."""
    _require(request, QUEUE_ROLES)
    order = _access(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    form = F.DispatchForm(data, order_id=order.pk, units=F.dispatch_unit_choices())
    preview = _preview_for_form(order, form, _now())
    if request.htmx:
        return render(request, "consoles/centre/_dispatch_preview.html", {"order": order, "preview": preview})
    return _render_panel(request, order, dispatch_form=form, preview=preview)


LISTS = {"review", "callbacks", "supervision"}
QUEUE_STATES = (S.SUBMITTED, S.PENDING_DISPATCH)


@require_POST
@login_required
def centre_action(request, pk: int, action: str):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    _require(request, CENTRE_STAFF)
    order = _access(request, pk)
    prefix_id = order.pk
    if spec.form is F.DecideForm:
        prefix_id = f"{order.pk}_{request.POST.get('application', '')}"
    form = spec.form(accepted_data(action, request.POST), order_id=prefix_id, **_form_kwargs(spec, {}))
    ok, status = _perform(request, spec, order, form)
    source = request.POST.get("_list", "")
    if source in LISTS and not request.user.roles & _LIST_CONTEXTS[source][2]:
        source = ""
    list_query = QueryDict(request.POST.get("_query", ""))
    order = _access_after(request, order)
    if ok:
        notice = _success_text(spec, order)
        if request.htmx:
            if source in LISTS:
                response = _render_list(request, source, list_query, notice=notice)
            else:
                response = _render_panel(request, order, notice=notice)
            response["HX-Trigger"] = "yht:order-changed"
            return response
        messages.success(request, notice)
        if source in LISTS:
            url = reverse(f"consoles:{source}")
            return redirect(f"{url}?{list_query.urlencode()}" if list_query else url)
        return redirect("consoles:order", pk=order.pk)
    failure = Failure(
        action=spec.name,
        panel=spec.panel,
        form=form,
        status=status,
        order_id=order.pk,
        state_label=str(order.get_state_display()) if status == 409 else "",
    )
    if request.htmx and source in LISTS:
        return _render_list(request, source, list_query, failure=failure)
    return _render_panel(request, order, failure=failure, status=status)


def _access_after(request, order: WorkOrder) -> WorkOrder:
    """Reload the order after an action (it may have left the actor's sight: say so on the detail page)."""
    try:
        return access_order(request.user, order.pk)
    except DomainError:
        return order


def _success_text(spec: CentreAction, order: WorkOrder) -> str:
    text = str(spec.success)
    if spec.name == "callback" and order.state == S.IN_PROGRESS:
        unit = order.lead_unit.name if order.lead_unit_id else ""
        text = gettext("The requester is dissatisfied: the order went back to %(unit)s for redo.") % {"unit": unit}
    now_in = gettext("The order is now: %(state)s.") % {"state": order.get_state_display()}
    return f"{text} {now_in}"


# ---------------------------------------------------------------------------------------------------------
# the related-orders panel


@require_GET
@login_required
def related_panel(request, pk: int):
    order = _access(request, pk)
    user = request.user
    now = _now()
    same_caller = []
    centre = is_centre(user)
    if centre and order.requester_phone and not order.is_anonymous:
        same_caller = list(
            visible_orders(user)
            .filter(requester_phone=order.requester_phone)
            .exclude(pk=order.pk)
            .only("id", "number", "subject", "state", "created_at")
            .order_by("-created_at", "-id")[:10]
        )
    master = None
    if order.master_id:
        master = visible_orders(user).filter(pk=order.master_id).only("id", "number", "subject", "state").first()
    merged = list(
        visible_orders(user).filter(master=order).only("id", "number", "subject", "state").order_by("created_at")[:20]
    )
    similar = duplicates.find_same_matter(
        user,
        text=order.text,
        subject=order.subject,
        address=order.address,
        street_code=order.street.code if order.street_id else None,
        phone=order.requester_phone if centre and not is_restricted(order) else "",
        now=now,
        exclude_ids=[order.pk, *(o.pk for o in merged)],
    )
    ctx = {
        "order": order,
        "same_caller": same_caller,
        "show_caller": centre,
        "master": master,
        "merged": merged,
        "similar": similar,
    }
    return render(request, "consoles/centre/_related.html", ctx)


# ---------------------------------------------------------------------------------------------------------
# dispatch queue


def _returned_q():
    return Exists(Assignment.objects.filter(order=OuterRef("pk"), state=AssignmentState.RETURNED))


@functools.lru_cache(maxsize=4096)
def _matter_features(subject: str, text: str, address: str) -> tuple[duplicates.TextFeatures, str]:
    """Text features and address key of a matter (pure; cached because the queue polls)."""
    return duplicates.text_features(f"{subject} {text}"), duplicates.address_key(address)


# The queue's duplicate column shows only strong candidates; the order's merge block lists the weaker ones too.
QUEUE_MIN_SCORE = 0.5


def _merge_candidates(rows: list[WorkOrder], pool: list[WorkOrder], *, limit: int = 3) -> dict[int, list[dict]]:
    """Score each queue row against the pool of recent open orders (pure, like duplicates.score_pair)."""
    from yihaotong.core.text import normalise_phone

    features = {o.pk: _matter_features(o.subject, o.text, o.address) for o in [*rows, *pool]}
    phones = {o.pk: normalise_phone(o.requester_phone) for o in [*rows, *pool]}
    result: dict[int, list[dict]] = {}
    for row in rows:
        qf, q_addr = features[row.pk]
        scored = []
        for other in pool:
            # A newer order still in the queue is the duplicate, not the master: it lists this one instead.
            if other.pk == row.pk or (other.created_at > row.created_at and other.state in QUEUE_STATES):
                continue
            of, o_addr = features[other.pk]
            score = duplicates.feature_similarity(qf, of)
            if row.street_id and row.street_id == other.street_id:
                score += duplicates.STREET_BOOST
            if len(q_addr) >= 4 and q_addr == o_addr:
                score += duplicates.ADDRESS_BOOST
            if len(phones[row.pk]) >= 5 and phones[row.pk] == phones[other.pk]:
                score += duplicates.CALLER_BOOST
            if score >= QUEUE_MIN_SCORE:
                scored.append((-min(score, 1.0), other.pk, other))
        scored.sort(key=lambda t: (t[0], t[1]))
        result[row.pk] = [{"order": o, "score": round(-neg * 100)} for neg, _pk, o in scored[:limit]]
    return result


def queue_context(request, data: QueryDict) -> dict:
    user = request.user
    now = _now()
    form = F.QueueFilterForm(data)
    form.is_valid()
    p = {k: (form.cleaned_data.get(k) or "").strip() for k in ("q", "request_type", "urgency", "street", "sort")}
    sort = p["sort"] or "oldest"
    base = list_orders(
        user,
        OrderFilter(
            state=f"{S.SUBMITTED},{S.PENDING_DISPATCH}",
            request_type=p["request_type"],
            street=p["street"],
            q=p["q"],
            sort="created",
        ),
    )
    if p["urgency"]:
        base = base.filter(urgency__code=p["urgency"])
    new = base.filter(~_returned_q())
    new = new.order_by("-urgency__sort", "created_at", "id") if sort == "urgency" else new.order_by("created_at", "id")
    items, meta = paginate(new, _page(data.get("page")), PAGE_SIZE)
    pool = list(
        visible_orders(user)
        .filter(state__in=S.OPEN_STATES, created_at__gte=now - timedelta(days=30), created_at__lte=now)
        .only("id", "number", "subject", "text", "address", "state", "street_id", "requester_phone", "created_at")
        .order_by("-created_at", "-id")[:200]
    )
    candidates = _merge_candidates(items, pool) if items else {}
    rows = [(o, warning_tone(o, now), candidates.get(o.pk, [])) for o in items]

    last_return = Assignment.objects.filter(order=OuterRef("pk"), state=AssignmentState.RETURNED).order_by(
        "-returned_at", "-id"
    )
    returned = (
        base.filter(state=S.PENDING_DISPATCH)
        .filter(_returned_q())
        .annotate(
            return_unit=Subquery(last_return.values("unit__name")[:1]),
            return_reason=Subquery(last_return.values("return_reason")[:1]),
            returned_at=Subquery(last_return.values("returned_at")[:1]),
        )
        .order_by("created_at", "id")
    )
    returned_items, returned_meta = paginate(returned, _page(data.get("rpage")), PAGE_SIZE)
    requests_qs = (
        Application.objects.filter(
            kind=ApplicationKind.RETURN,
            state=ApplicationState.PENDING,
            order__in=visible_orders(user).filter(state__in=[S.DISPATCHED, S.IN_PROGRESS]),
        )
        .select_related("order", "assignment__unit")
        .order_by("requested_at", "id")
    )
    if p["request_type"]:
        requests_qs = requests_qs.filter(order__request_type__code=p["request_type"])
    if p["street"]:
        requests_qs = requests_qs.filter(order__street__code=p["street"])
    return_requests = list(requests_qs[:50])
    query = _query(data, drop=("page",))
    return {
        "params": {**p, "sort": sort},
        "returns_total": returned_meta["total"] + len(return_requests),
        "rquery": _query(data, drop=("rpage",)),
        "rows": rows,
        "meta": meta,
        "returned": returned_items,
        "returned_meta": returned_meta,
        "return_requests": return_requests,
        "query": query,
        "self_url": f"{reverse('consoles:queue')}?{_query(data)}",
        "now": now,
    }


@require_GET
@login_required
def queue(request):
    _require(request, QUEUE_ROLES)
    ctx = queue_context(request, request.GET)
    if request.htmx:
        return render(request, "consoles/centre/_queue_rows.html", ctx)
    ctx.update(
        request_types=RequestType.objects.all(),
        urgencies=Urgency.objects.all(),
        streets=Unit.objects.filter(kind=UnitKind.STREET, is_active=True),
    )
    return render(request, "consoles/centre/queue.html", ctx)


# ---------------------------------------------------------------------------------------------------------
# review


def review_tabs(user) -> list[tuple[str, Any]]:
    tabs = []
    if R.REVIEWER in user.roles:
        tabs += [
            ("replies", _("Replies to review")),
            (ApplicationKind.EXTENSION.value, _("Extensions")),
            (ApplicationKind.RETURN.value, _("Returns")),
            (ApplicationKind.TERMINATION.value, _("Terminations")),
        ]
    elif R.DISPATCHER in user.roles:
        tabs.append((ApplicationKind.RETURN.value, _("Returns")))
    return tabs


def review_context(request, data: QueryDict, *, failure: Failure | None = None, notice: str = "") -> dict:
    user = request.user
    now = _now()
    tabs = review_tabs(user)
    names = [t[0] for t in tabs]
    tab = data.get("tab") if data.get("tab") in names else names[0]
    orders = visible_orders(user)
    counts = dict(
        Application.objects.filter(state=ApplicationState.PENDING, order__in=orders, kind__in=names)
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    if "replies" in names:
        counts["replies"] = orders.filter(state=S.REPLIED).count()
    rows = []
    if tab == "replies":
        qs = (
            orders.filter(state=S.REPLIED)
            .select_related("request_type", "urgency", "lead_unit", "street")
            .prefetch_related(
                Prefetch(
                    "replies",
                    queryset=Reply.objects.filter(state=ReplyState.PENDING)
                    .select_related("assignment__unit", "author")
                    .order_by("created_at", "id"),
                    to_attr="pending_replies",
                )
            )
            .order_by("replied_at", "id")
        )
        items, meta = paginate(qs, _page(data.get("page")), PAGE_SIZE)
        for o in items:
            failed = failure is not None and failure.order_id == o.pk and failure.panel == "review"
            rows.append(
                {
                    "order": o,
                    "reply": o.pending_replies[-1] if o.pending_replies else None,
                    "due": due_text(o.due_at, short=True),
                    "form": failure.form if failed else F.ReviewForm(order_id=o.pk),
                    "failure": failure if failed else None,
                    "tone": warning_tone(o, now),
                }
            )
    else:
        qs = (
            Application.objects.filter(kind=tab, state=ApplicationState.PENDING, order__in=orders)
            .select_related(
                "order__request_type", "order__urgency", "order__lead_unit", "assignment__unit", "requested_by"
            )
            .order_by("requested_at", "id")
        )
        items, meta = paginate(qs, _page(data.get("page")), PAGE_SIZE)
        allowed_by_state: dict[str, set[str]] = {}
        for app in items:
            o = app.order
            allowed = allowed_by_state.setdefault(o.state, set(S.available_actions(o.state, user.roles)))
            new_due = _extension_new_due(app, o) if app.kind == ApplicationKind.EXTENSION else None
            failed = (
                failure is not None
                and failure.order_id == o.pk
                and failure.panel == "decide"
                and failure.form.data.get("application") == str(app.pk)
            )
            rows.append(
                {
                    "order": o,
                    "app": app,
                    "form": failure.form
                    if failed
                    else F.DecideForm(order_id=f"{o.pk}_{app.pk}", initial={"application": app.pk}),
                    "failure": failure if failed else None,
                    "new_due": new_due,
                    "new_due_text": due_text(new_due),
                    "old_due_text": due_text(o.handle_due),
                    "due": due_text(o.due_at, short=True),
                    "can_approve": _can_decide(app.kind, True, allowed),
                    "can_refuse": _can_decide(app.kind, False, allowed),
                    "tone": warning_tone(o, now),
                }
            )
    query = _query(data)
    return {
        "tabs": [(name, label, counts.get(name, 0)) for name, label in tabs],
        "tab": tab,
        "rows": rows,
        "meta": meta,
        "query": query,
        "page_query": _query(data, drop=("page",)),
        "self_url": f"{reverse('consoles:review')}?{query}",
        "notice": notice,
        "failure": failure if failure is not None and not any(r["failure"] for r in rows) else None,
        "now": now,
    }


@require_GET
@login_required
def review(request):
    _require(request, REVIEW_ROLES)
    ctx = review_context(request, request.GET)
    if request.htmx:
        return render(request, "consoles/centre/_review_rows.html", ctx)
    return render(
        request, "consoles/centre/review.html", _focus_first_row(ctx, "comment" if ctx["tab"] == "replies" else "note")
    )


# ---------------------------------------------------------------------------------------------------------
# callback desk


def _callback_filters(data: QueryDict, now: datetime) -> tuple[dict, Q]:
    """The callback desk's filters: search, due (overdue / today), lead unit, first callback or after redo."""
    form = F.CallbackFilterForm(data)
    form.is_valid()
    p = {k: (form.cleaned_data.get(k) or "").strip() for k in ("q", "due", "unit", "redo")}
    cond = Q()
    if p["q"]:
        cond &= Q(number=p["q"]) | Q(subject__icontains=p["q"])
    if p["due"] == "overdue":
        cond &= Q(callback_due__lte=now)
    elif p["due"] == "today":
        day_end = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        cond &= Q(callback_due__lt=day_end)
    if p["unit"]:
        cond &= Q(lead_unit__code=p["unit"])
    if p["redo"] == "0":
        cond &= Q(redo_count=0)
    elif p["redo"] == "1":
        cond &= Q(redo_count__gte=1)
    return p, cond


def callbacks_context(request, data: QueryDict, *, failure: Failure | None = None, notice: str = "") -> dict:
    user = request.user
    now = _now()
    params, cond = _callback_filters(data, now)
    qs = (
        visible_orders(user)
        .filter(state=S.PENDING_CALLBACK)
        .filter(cond)
        .select_related("request_type", "urgency", "lead_unit", "street")
        .prefetch_related(
            Prefetch(
                "callbacks", queryset=Callback.objects.select_related("agent").order_by("at", "id"), to_attr="attempts"
            )
        )
        .order_by("callback_due", "id")
    )
    items, meta = paginate(qs, _page(data.get("page")), PAGE_SIZE)
    rows = []
    for o in items:
        no_call = o.is_anonymous or not o.requester_phone or not o.reply_wanted
        failed = failure is not None and failure.order_id == o.pk
        rows.append(
            {
                "order": o,
                "tone": warning_tone(o, now),
                "due": due_text(o.callback_due, short=True),
                "no_call": no_call,
                "round_attempts": sum(1 for cb in o.attempts if cb.round == o.redo_count),
                "form": failure.form
                if failed and failure.panel == "callback"
                else F.CallbackForm(order_id=o.pk, initial={"outcome": "reached"}),
                "close_form": failure.form if failed and failure.panel == "close" else F.ReasonForm(order_id=o.pk),
                "failure": failure if failed else None,
            }
        )
    query = _query(data)
    return {
        "rows": rows,
        "meta": meta,
        "query": query,
        "page_query": _query(data, drop=("page",)),
        "self_url": f"{reverse('consoles:callbacks')}?{query}",
        "notice": notice,
        "failure": failure if failure is not None and not any(r["failure"] for r in rows) else None,
        "now": now,
        "params": params,
        "max_attempts": int(get_policy()["callback_max_attempts"]),
        "units": Unit.objects.filter(is_active=True, kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET])
        .only("code", "name")
        .order_by("code"),
    }


@require_GET
@login_required
def callbacks(request):
    _require(request, CALLBACK_ROLES)
    ctx = callbacks_context(request, request.GET)
    if request.htmx:
        return render(request, "consoles/centre/_callback_rows.html", ctx)
    return render(request, "consoles/centre/callbacks.html", _focus_first_row(ctx, "outcome"))


# ---------------------------------------------------------------------------------------------------------
# supervision board


def _warning_counts(open_orders, key: str) -> list[dict]:
    """Yellow and red warnings per ``key`` (a lead unit or a street): one aggregate query."""
    rows = (
        open_orders.filter(warning_level__in=["yellow", "red"])
        .values(f"{key}_id", f"{key}__name")
        .annotate(
            yellow=Count("id", filter=Q(warning_level="yellow")),
            red=Count("id", filter=Q(warning_level="red")),
        )
        .order_by("-red", "-yellow", f"{key}__name")
    )
    return [{"id": r[f"{key}_id"], "name": r[f"{key}__name"], "yellow": r["yellow"], "red": r["red"]} for r in rows]


SUPERVISION_SHOWS = [("overdue", _("Overdue")), ("yellow", _("Yellow warnings"))]


def supervision_context(request, data: QueryDict, *, failure: Failure | None = None, notice: str = "") -> dict:
    user = request.user
    now = _now()
    can_act = R.SUPERVISOR in user.roles
    open_orders = visible_orders(user).filter(state__in=S.OPEN_STATES)
    by_unit = _warning_counts(open_orders, "lead_unit")
    by_street = _warning_counts(open_orders, "street")
    show = data.get("show") if data.get("show") in dict(SUPERVISION_SHOWS) else "overdue"
    clocked = open_orders.filter(state__in=list(S.CLOCK_OF_STATE))
    if show == "overdue":
        qs = clocked.filter(Q(warning_level="red") | Q(due_at__lt=now))
    else:
        qs = clocked.filter(Q(warning_level="yellow") | Q(warn_at__lte=now, due_at__gte=now)).exclude(due_at__lt=now)
    unit, street = data.get("unit", ""), data.get("street", "")
    if unit.isdigit():
        qs = qs.filter(lead_unit_id=int(unit))
    elif unit == "none":
        qs = qs.filter(lead_unit__isnull=True)
    if street.isdigit():
        qs = qs.filter(street_id=int(street))
    elif street == "none":
        qs = qs.filter(street__isnull=True)
    qs = (
        qs.select_related("request_type", "urgency", "lead_unit", "street")
        .prefetch_related(
            Prefetch(
                "supervisions",
                queryset=Supervision.objects.select_related("by").order_by("at", "id"),
                to_attr="history",
            )
        )
        .order_by("due_at", "id")
    )
    items, meta = paginate(qs, _page(data.get("page")), PAGE_SIZE)
    rows = []
    for o in items:
        failed = failure is not None and failure.order_id == o.pk
        rows.append(
            {
                "order": o,
                "tone": warning_tone(o, now),
                "due": due_text(o.due_at, short=True),
                "form": (failure.form if failed else F.SuperviseForm(order_id=o.pk)) if can_act else None,
                "failure": failure if failed else None,
            }
        )
    query = _query(data)
    return {
        "by_unit": by_unit,
        "by_street": by_street,
        "shows": SUPERVISION_SHOWS,
        "show": show,
        "unit": unit,
        "street": street,
        "rows": rows,
        "meta": meta,
        "can_act": can_act,
        "query": query,
        "page_query": _query(data, drop=("page",)),
        "self_url": f"{reverse('consoles:supervision')}?{query}",
        "notice": notice,
        "failure": failure if failure is not None and not any(r["failure"] for r in rows) else None,
        "now": now,
    }


@require_GET
@login_required
def supervision(request):
    _require(request, SUPERVISION_ROLES)
    ctx = supervision_context(request, request.GET)
    template = "consoles/centre/_supervision_rows.html" if request.htmx else "consoles/centre/supervision.html"
    return render(request, template, ctx)


_LIST_CONTEXTS = {
    "review": (review_context, "consoles/centre/_review_rows.html", REVIEW_ROLES),
    "callbacks": (callbacks_context, "consoles/centre/_callback_rows.html", CALLBACK_ROLES),
    "supervision": (supervision_context, "consoles/centre/_supervision_rows.html", SUPERVISION_ROLES),
}


def _focus_first_row(ctx: dict, field: str) -> dict:
    """On a full page, put the keyboard focus in the first row's form (polls and swaps never move it)."""
    rows = ctx.get("rows") or []
    form = rows[0].get("form") if rows and isinstance(rows[0], dict) else None
    if form is not None and field in form.fields:
        form.fields[field].widget.attrs["autofocus"] = True
    return ctx


def _render_list(request, name: str, data: QueryDict, **kwargs) -> HttpResponse:
    build, template, roles = _LIST_CONTEXTS[name]
    _require(request, roles)
    return render(request, template, build(request, data, **kwargs))
