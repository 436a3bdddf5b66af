"""Handling-unit screens: the unit inbox, the unit panel of an order, and the attachments panel.

Reads start from the visibility rule (``actor_unit_ids_q`` / ``access_order``); every write is a POST that
runs one workorders action through ``actions_util.run_action``, so a refused move leaves nothing written
and comes back as a field error or a message. The same views answer htmx (a partial) and plain browsers
(a redirect after success, a whole page with the errors after a failure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Invalid, NotFound
from yihaotong.directory.models import Unit
from yihaotong.directory.policy import get_policy
from yihaotong.workorders import actions as A
from yihaotong.workorders import states as S
from yihaotong.workorders.access import access_order, actor_assignments, actor_unit_ids_q, can_reveal, is_centre
from yihaotong.workorders.access import requester_contact as masked_contact
from yihaotong.workorders.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Attachment,
    Reply,
    ReplyState,
    WorkOrder,
)
from yihaotong.worktime.calendar import TZ
from yihaotong.worktime.loader import get_calendar

from .actions_util import run_action
from .forms_unit import CONTACT_METHODS, UNIT_FORMS, AttachmentForm
from .selectors import warning_tone

# Messages that the workorders actions raise on the unit's screens. The actions speak English; the
# screens show these through the catalogue ({% translate %} of the error), so they are listed here for
# extraction. Messages built with f-strings (state names, numbers) stay English.
DOMAIN_MESSAGES = [
    gettext_noop("This assignment has been signed for already."),
    gettext_noop("Your unit holds no active assignment of this order."),
    gettext_noop("This assignment belongs to another unit."),
    gettext_noop("Only members of a handling unit may do this."),
    gettext_noop("Sign for the order before sub-dispatching it."),
    gettext_noop("Choose a sub-unit of your unit."),
    gettext_noop("not a sub-unit of the assignee"),
    gettext_noop("That sub-unit already holds this order."),
    gettext_noop("A sub-unit gives its part back to its parent unit, not to the centre."),
    gettext_noop("Only a pending or signed assignment can be returned."),
    gettext_noop("The return window has passed; ask for an extension or reply instead."),
    gettext_noop("A unit designated by the centre may not return the order twice."),
    gettext_noop("A return request is already waiting for a decision."),
    gettext_noop("Only the lead unit asks for an extension."),
    gettext_noop("Ask for at least one working day."),
    gettext_noop("must be at least 1"),
    gettext_noop("Extensions are asked for before the deadline."),
    gettext_noop("Hour-based deadlines cannot be extended in working days."),
    gettext_noop("An extension request is already waiting for a decision."),
    gettext_noop("The requester's reply text is required."),
    gettext_noop("Sign for the order before replying."),
    gettext_noop("A sub-unit has not replied yet."),
    gettext_noop("Only the lead unit asks for termination."),
    gettext_noop("A termination request is already waiting for a decision."),
    gettext_noop("The requester's identity is protected on this order."),
    gettext_noop("A reason is required."),
    gettext_noop("files may be at most 10 MB"),
]


def _order_or_404(actor, pk: int) -> WorkOrder:
    try:
        return access_order(actor, pk)
    except NotFound as exc:
        raise Http404(exc.localized()) from exc


def _is_unit_member(user) -> bool:
    return bool(user.roles & R.UNIT_ROLES)


def _require_unit_member(user) -> None:
    if not _is_unit_member(user):
        raise PermissionDenied(_("The unit inbox is for handlers and unit admins."))


def _int(value, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _is_partial(request) -> bool:
    """An htmx request wants a partial, except when htmx restores a page from history (it needs the page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _focus_first_error(form) -> None:
    """Put the keyboard focus on the first field that needs correcting."""
    for name in form.fields:
        if name in form.errors:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _countdown(due: datetime, now: datetime) -> str:
    """Say how long is left until ``due`` (or how long it is overdue), to the minute."""
    seconds = int((due - now).total_seconds())
    overdue = seconds < 0
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    else:
        span = _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return (_("overdue by %(span)s") if overdue else _("%(span)s left")) % {"span": span}


def _due_label(due: datetime | None, *, short: bool = False) -> str:
    """Write a deadline for people: a working-day deadline ends at local midnight, written as 24:00 of its last day."""
    if due is None:
        return ""
    local = timezone.localtime(due, TZ)
    day_format = "%m-%d" if short else "%Y-%m-%d"
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{(local - timedelta(microseconds=1)):{day_format}} 24:00"
    return f"{local:{day_format} %H:%M}"


# ---------------------------------------------------------------------------------------------------------
# inbox

SECTIONS = [
    ("to_sign", gettext_lazy("To sign")),
    ("in_progress", gettext_lazy("In progress")),
    ("replied", gettext_lazy("Replied, awaiting review")),
    ("returned", gettext_lazy("Returned or withdrawn")),
]
SECTION_NAMES = [name for name, _label in SECTIONS]
PAGE_SIZE = 25
# Returned and withdrawn assignments stay in the inbox this long (a reading aid, not a rule of the hotline).
RECENT_DAYS = 30

ORDERINGS = {
    "to_sign": [F("sign_due").asc(nulls_last=True), "id"],
    "in_progress": [F("order__due_at").asc(nulls_last=True), "id"],
    "replied": [F("replied_at").desc(nulls_last=True), "-id"],
    "returned": [F("returned_at").desc(nulls_last=True), "-id"],
}


def _sign_tone(asg: Assignment, order: WorkOrder, now: datetime) -> str:
    """Red once the sign-for deadline has passed; yellow from the order's sign warning (same clock) on."""
    if asg.sign_due is None or asg.state != AssignmentState.PENDING_SIGN:
        return ""
    if now >= asg.sign_due:
        return "danger"
    warn_at = order.sign_warn_at if order.sign_due == asg.sign_due else None
    return "warn" if warn_at and now >= warn_at else ""


def _section_filters(now: datetime) -> dict[str, Q]:
    recent = now - timedelta(days=RECENT_DAYS)
    gone = [AssignmentState.RETURNED, AssignmentState.WITHDRAWN]
    return {
        "to_sign": Q(state=AssignmentState.PENDING_SIGN),
        "in_progress": Q(state=AssignmentState.SIGNED, order__state__in=S.OPEN_FOR_UNITS),
        # Replied, and nobody has approved the reply yet (the lead's goes to review; a part goes to the lead).
        "replied": Q(state=AssignmentState.REPLIED, order__state__in=[S.DISPATCHED, S.IN_PROGRESS, S.REPLIED]),
        "returned": Q(state__in=gone)
        & (Q(returned_at__gte=recent) | Q(state=AssignmentState.WITHDRAWN, order__updated_at__gte=recent)),
    }


def _unit_scope(user) -> Q:
    """Return the assignments the user's unit works on: the same rule that makes their orders visible to it."""
    unit_q = actor_unit_ids_q(user)
    return unit_q if unit_q is not None else Q(pk__in=[])


@dataclass
class InboxRow:
    asg: Assignment
    order: WorkOrder
    tone: str = ""
    countdown: str = ""
    pending: str = ""  # label of a pending application (return, extension, termination) of this assignment
    due_label: str = ""


APPLICATION_LABELS = dict(ApplicationKind.choices)


def _section_counts(scope: Q, filters: dict[str, Q]) -> dict[str, int]:
    """Count each section's assignments in one statement: a UNION ALL of one count per section.

    Each count starts from its own selective condition (few assignments are pending or signed; few orders
    are open), so the database reads only those rows. One aggregate with a FILTER per section had to join
    every assignment the unit ever had to its order (a unit keeps its replied assignments for years):
    0.4 s for a busy unit at a million orders.
    """
    parts = [
        Assignment.objects.filter(scope, filters[name])
        .order_by()
        .annotate(section=Value(name))
        .values("section")
        .annotate(n=Count("pk"))
        .values_list("section", "n")
        for name in SECTION_NAMES
    ]
    counts = dict.fromkeys(SECTION_NAMES, 0)
    counts.update(dict(parts[0].union(*parts[1:], all=True)))
    return counts


def _inbox_context(request, section: str, page: int) -> dict:
    user = request.user
    now = timezone.now()
    scope = _unit_scope(user)
    filters = _section_filters(now)
    counts = _section_counts(scope, filters)
    total = counts[section]
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(1, page), pages)
    pending_kind = Application.objects.filter(assignment=OuterRef("pk"), state=ApplicationState.PENDING).order_by("id")
    qs = (
        Assignment.objects.filter(scope, filters[section])
        .select_related("order__request_type", "order__urgency", "unit", "parent__unit")
        .annotate(pending_kind=Subquery(pending_kind.values("kind")[:1]))
        .order_by(*ORDERINGS[section])
    )
    rows = []
    for asg in qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        row = InboxRow(asg=asg, order=asg.order, pending=APPLICATION_LABELS.get(asg.pending_kind, ""))
        if section == "to_sign" and asg.sign_due:
            row.countdown = _countdown(asg.sign_due, now)
            row.due_label = _due_label(asg.sign_due, short=True)
            row.tone = _sign_tone(asg, asg.order, now)
        elif section == "in_progress":
            row.tone = warning_tone(asg.order, now)
            row.due_label = _due_label(asg.order.due_at, short=True)
            if asg.order.due_at and asg.order.state in S.CLOCK_OF_STATE:
                row.countdown = _countdown(asg.order.due_at, now)
        rows.append(row)
    return {
        "section": section,
        "section_label": dict(SECTIONS)[section],
        "sections": [(name, label, counts[name]) for name, label in SECTIONS],
        "rows": rows,
        "meta": {"page": page, "pages": pages, "total": total, "page_size": PAGE_SIZE},
        "now": now,
        "is_admin": R.UNIT_ADMIN in user.roles,
        "recent_days": RECENT_DAYS,
    }


@require_GET
@login_required
def inbox(request):
    """The unit's inbox: to sign, in progress, replied, returned/withdrawn (one tab each, polled)."""
    _require_unit_member(request.user)
    section = request.GET.get("section", "to_sign")
    if section not in SECTION_NAMES:
        section = "to_sign"
    context = _inbox_context(request, section, _int(request.GET.get("page"), 1))
    partial = _is_partial(request)
    context["partial"] = partial
    template = "consoles/unit/_inbox_rows.html" if partial else "consoles/unit/inbox.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@login_required
def inbox_sign(request, pk: int):
    """Sign for one assignment from the inbox (one click), then show the to-sign rows again."""
    _require_unit_member(request.user)
    asg = Assignment.objects.filter(_unit_scope(request.user), pk=pk).only("pk", "order_id").first()
    if asg is None:
        raise Http404(_("No such assignment."))
    result = run_action(
        request,
        None,
        lambda _cd: A.do_sign_assignment(request.user, asg.order_id, assignment_id=asg.pk),
        success="",
    )
    if result is not None:
        messages.success(request, _("Signed for %(number)s.") % {"number": result.order.number})
    section = request.POST.get("section", "to_sign")
    section = section if section in SECTION_NAMES else "to_sign"
    page = _int(request.POST.get("page"), 1)
    if not request.htmx:
        return redirect(f"{reverse('consoles:inbox')}?section={section}&page={page}")
    context = _inbox_context(request, section, page)
    context["partial"] = True
    return render(request, "consoles/unit/_inbox_rows.html", context)


# ---------------------------------------------------------------------------------------------------------
# unit panel of an order


CONTACT_METHOD_LABELS = dict(CONTACT_METHODS)


def _pick_assignment(user, assignments: list[Assignment], selected_id: int | None) -> Assignment:
    for asg in assignments:
        if asg.pk == selected_id:
            return asg
    # As the actions do: the actor's own unit first, then the lead.
    return sorted(assignments, key=lambda a: (a.unit_id != user.unit_id, a.role != AssignmentRole.LEAD, a.id))[0]


def _extension_remaining(order: WorkOrder) -> tuple[int, int]:
    max_days = int(get_policy()["extension_max_wd"])
    return max_days, max(0, max_days - order.extension_days)


def _extension_preview(order: WorkOrder, days: int | None, remaining: int) -> dict:
    """Compute the deadline an extension of ``days`` working days would give, as the reviewer's approval does."""
    preview = {"days": days, "new_due": None, "label": "", "error": ""}
    if order.handle_due is None or order.handle_unit != "wd":
        preview["error"] = _("This deadline is counted in hours; it cannot be extended in working days.")
    elif days is None or days < 1:
        preview["error"] = _("Enter at least one working day.")
    elif days > remaining:
        preview["error"] = _("At most %(n)d more working days may be asked for.") % {"n": remaining}
    else:
        try:
            # Counted from the old deadline, same-day basis: what do_decide_extension does on approval.
            new_due = get_calendar().add_working_days(order.handle_due, days, count_from="same_day")
        except Invalid as exc:
            preview["error"] = exc.localized()
        else:
            preview["new_due"] = new_due
            preview["label"] = _due_label(new_due)
    return preview


def _panel_context(
    request,
    order: WorkOrder,
    *,
    selected_id: int | None = None,
    bound: dict | None = None,
    revealed: dict | None = None,
) -> dict:
    user = request.user
    bound = bound or {}
    context: dict = {"order": order, "asg": None, "bound": bound, "errors_only": bool(bound)}
    if not _is_unit_member(user):
        return context
    assignments = list(actor_assignments(user, order).select_related("unit", "parent__unit"))
    if not assignments:
        return context
    now = timezone.now()
    asg = _pick_assignment(user, assignments, selected_id)
    is_top = asg.parent_id is None
    is_lead = is_top and asg.role == AssignmentRole.LEAD
    allowed = set(S.available_actions(order.state, user.roles))
    policy = get_policy()
    pending = list(Application.objects.filter(order=order, state=ApplicationState.PENDING).order_by("id"))
    children = list(Assignment.objects.filter(parent=asg).select_related("unit").order_by("id"))
    signed = asg.state == AssignmentState.SIGNED

    def form(name: str, **kwargs):
        if name in bound:
            return bound[name]
        return UNIT_FORMS[name](initial={"assignment_id": asg.pk}, **kwargs)

    context.update(
        asg=asg,
        assignments=assignments,
        is_top=is_top,
        is_lead=is_lead,
        now=now,
        pending=pending,
        children=children,
        sign_tone=_sign_tone(asg, order, now),
        sign_countdown=_countdown(asg.sign_due, now) if asg.sign_due and not asg.signed_at else "",
        sign_due_label=_due_label(asg.sign_due),
        handle_due_label=_due_label(order.handle_due),
        tone=warning_tone(order, now),
    )

    # 签收
    context["show_sign"] = asg.state == AssignmentState.PENDING_SIGN and order.state in S.OPEN_FOR_UNITS
    context["sign_form"] = form("sign")

    # 退单: top-level parts only, within the return window after dispatch.
    if is_top and asg.state in (AssignmentState.PENDING_SIGN, AssignmentState.SIGNED) and "request_return" in allowed:
        info = {"window_end": None, "passed": False, "error": "", "form": form("return")}
        info["pending"] = next(
            (a for a in pending if a.kind == ApplicationKind.RETURN and a.assignment_id == asg.pk), None
        )
        try:
            info["window_end"] = get_calendar().add_working_days(
                asg.dispatched_at, int(policy["return_window_wd"]), count_from=policy["count_from"]
            )
        except Invalid as exc:
            info["error"] = exc.localized()
        else:
            info["passed"] = now > info["window_end"]
        context["return_info"] = info
        context["return_window_label"] = _due_label(info["window_end"])

    # 联系群众: the number masked; a reveal (logged) when the order allows it.
    if revealed is not None:
        contact = {**revealed, "masked": False}
    else:
        contact = masked_contact(user, order)
    context.update(
        contact=contact,
        revealed=revealed is not None,
        may_reveal=revealed is None and bool(order.requester_phone or order.requester_name) and can_reveal(user, order),
        reveal_form=form("reveal"),
        show_contact_log="contact_log" in allowed,
        contact_form=form("contact"),
        contact_logs=[
            (log, CONTACT_METHOD_LABELS.get(log.method, log.method))
            for log in order.contact_logs.select_related("by", "unit").order_by("-at", "-id")[:10]
        ],
    )

    # 答复: the lead replies when the order is in progress; a part (support, sub-unit) while it is open.
    may_reply = signed and (("reply" in allowed) if is_lead else order.state in S.OPEN_FOR_UNITS)
    open_children = [c for c in children if c.state in (AssignmentState.PENDING_SIGN, AssignmentState.SIGNED)]
    last_reply = Reply.objects.filter(assignment=asg).order_by("-created_at", "-id").first()
    parts = Reply.objects.filter(order=order, state=ReplyState.INTERNAL).select_related("assignment__unit", "author")
    if not is_lead:
        parts = parts.filter(assignment__parent=asg)
    context.update(
        show_reply=may_reply,
        reply_form=form("reply"),
        public_required=is_lead and order.reply_wanted,
        open_children=open_children,
        last_reply=last_reply,
        part_replies=list(parts.order_by("created_at", "id")),
    )

    # 延期: the lead unit, before the deadline, within the policy's maximum.
    if is_lead and signed and "request_extension" in allowed:
        max_days, remaining = _extension_remaining(order)
        ext_form = form("extension", remaining=remaining)
        # Typing a number shows the deadline it would give, before anything is submitted.
        ext_form.fields["working_days"].widget.attrs.update(
            {
                "hx-get": reverse("consoles:unit_extension_preview", args=[order.pk]),
                "hx-trigger": "input changed delay:300ms, change",
                "hx-target": "#unit-extension-preview",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        days = _int(ext_form.data.get("working_days")) if ext_form.is_bound else ext_form.fields["working_days"].initial
        context["extension"] = {
            "max": max_days,
            "used": order.extension_days,
            "remaining": remaining,
            "pending": next((a for a in pending if a.kind == ApplicationKind.EXTENSION), None),
            "form": ext_form,
            "preview": _extension_preview(order, days, remaining),
            "deadline_passed": order.handle_due is None or now >= order.handle_due,
            "hour_based": order.handle_unit != "wd",
        }

    # 终止办理
    if is_lead and signed and "request_termination" in allowed:
        context["termination"] = {
            "pending": next((a for a in pending if a.kind == ApplicationKind.TERMINATION), None),
            "form": form("termination"),
        }

    # 下派: to a sub-unit of the assignment's unit that does not hold the order yet.
    if signed and "subdispatch" in allowed:
        holding = {c.unit_id for c in children if c.is_active}
        sub_units = [u for u in Unit.objects.filter(parent=asg.unit_id, is_active=True) if u.pk not in holding]
        if sub_units or "subdispatch" in bound:
            context["subdispatch"] = {"form": form("subdispatch", sub_units=sub_units), "sub_units": sub_units}
    return context


def _render_panel(request, context: dict, *, partial: bool) -> HttpResponse:
    template = "consoles/unit/_panel.html" if partial else "consoles/unit/panel_page.html"
    context["partial"] = partial
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
def unit_panel(request, pk: int):
    """The unit's actions on one order; empty for anyone whose unit holds no active part of it."""
    order = _order_or_404(request.user, pk)
    context = _panel_context(request, order, selected_id=_int(request.GET.get("assignment")))
    response = _render_panel(request, context, partial=_is_partial(request) or context["asg"] is None)
    if context["asg"] is None and request.htmx:
        # Nothing for this user here: take the empty card off the order page rather than show a blank box.
        response["HX-Reswap"] = "delete"
    return response


def _sign(request, order, cd):
    return A.do_sign_assignment(request.user, order.pk, assignment_id=cd["assignment_id"])


def _return(request, order, cd):
    return A.do_request_return(request.user, order.pk, reason=cd["reason"], assignment_id=cd["assignment_id"])


def _reveal(request, order, cd):
    return A.reveal_requester_contact(request.user, order.pk, reason=cd["reason"], ip=request.META.get("REMOTE_ADDR"))


def _contact(request, order, cd):
    return A.do_log_contact(request.user, order.pk, note=cd["note"], method=cd["method"])


def _reply(request, order, cd):
    return A.do_reply_order(
        request.user,
        order.pk,
        internal_notes=cd["internal_notes"],
        public_text=cd["public_text"],
        requester_contacted=cd["requester_contacted"],
        solved=cd["solved"],
        assignment_id=cd["assignment_id"],
    )


def _extension(request, order, cd):
    return A.do_request_extension(
        request.user, order.pk, working_days=cd["working_days"], reason=cd["reason"], assignment_id=cd["assignment_id"]
    )


def _termination(request, order, cd):
    return A.do_request_termination(request.user, order.pk, reason=cd["reason"], assignment_id=cd["assignment_id"])


def _subdispatch(request, order, cd):
    return A.do_subdispatch(
        request.user,
        order.pk,
        sub_unit_id=cd["sub_unit_id"],
        instructions=cd["instructions"],
        assignment_id=cd["assignment_id"],
    )


UNIT_ACTIONS = {
    "sign": (_sign, gettext_lazy("Signed for. The order is in your unit's hands now.")),
    "return": (_return, gettext_lazy("Return requested; the dispatcher decides.")),
    "reveal": (_reveal, ""),
    "contact": (_contact, gettext_lazy("Contact with the requester recorded.")),
    "reply": (_reply, gettext_lazy("Reply sent.")),
    "extension": (_extension, gettext_lazy("Extension requested; a reviewer decides.")),
    "termination": (_termination, gettext_lazy("Termination requested; a reviewer decides.")),
    "subdispatch": (_subdispatch, gettext_lazy("Sub-dispatched to the sub-unit.")),
}


def _bound_form(request, order: WorkOrder, action: str, selected_id: int | None):
    kwargs = {}
    if action == "extension":
        kwargs["remaining"] = _extension_remaining(order)[1]
    elif action == "subdispatch":
        asg = actor_assignments(request.user, order).filter(pk=selected_id).only("unit_id").first()
        kwargs["sub_units"] = list(Unit.objects.filter(parent=asg.unit_id, is_active=True)) if asg else []
    return UNIT_FORMS[action](request.POST, **kwargs)


@require_POST
@login_required
def unit_action(request, pk: int, action: str):
    """Run one unit action on the order; answer the refreshed panel (htmx) or redirect (plain browser)."""
    if action not in UNIT_ACTIONS:
        raise Http404(_("No such action."))
    order = _order_or_404(request.user, pk)
    _require_unit_member(request.user)
    call, success = UNIT_ACTIONS[action]
    selected_id = _int(request.POST.get("assignment_id"))
    form = _bound_form(request, order, action, selected_id)
    result = run_action(request, form, lambda cd: call(request, order, cd), success=str(success) if success else "")
    if result is not None and action != "reveal" and not request.htmx:
        return redirect(reverse("consoles:order", args=[order.pk]))
    if result is None:
        _focus_first_error(form)
    try:
        order = access_order(request.user, pk)  # the action changed it
    except NotFound:
        return redirect(reverse("consoles:inbox"))
    context = _panel_context(
        request,
        order,
        selected_id=selected_id,
        bound={action: form} if result is None else None,
        revealed=result if action == "reveal" and result is not None else None,
    )
    response = _render_panel(request, context, partial=bool(request.htmx))
    if result is not None and action != "reveal":
        # The rest of the order page (state, timeline) may listen for this and reload itself.
        response["HX-Trigger"] = "yihaotong:order-changed"
    if action == "reveal":
        response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def extension_preview(request, pk: int):
    """Show the deadline an extension would give (reads only; the reviewer's approval computes it again)."""
    order = _order_or_404(request.user, pk)
    if not _is_unit_member(request.user) or not actor_assignments(request.user, order).exists():
        return HttpResponse("")
    remaining = _extension_remaining(order)[1]
    preview = _extension_preview(order, _int(request.GET.get("working_days")), remaining)
    return render(request, "consoles/unit/_extension_preview.html", {"preview": preview, "order": order})


# ---------------------------------------------------------------------------------------------------------
# attachments

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}


def _may_upload(user, order: WorkOrder) -> bool:
    """Centre staff, and unit members whose unit holds an active part, attach files while the table allows."""
    if "attach" not in S.available_actions(order.state, user.roles):
        return False
    return is_centre(user) or actor_assignments(user, order).exists()


@require_http_methods(["GET", "POST"])
@login_required
def attachments_panel(request, pk: int):
    """List the order's attachments (images as thumbnails); upload one (POST) if the user may."""
    order = _order_or_404(request.user, pk)
    may_upload = _may_upload(request.user, order)
    form = AttachmentForm()
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied(_("You may not attach files to this order."))
        form = AttachmentForm(request.POST, request.FILES)
        result = run_action(
            request,
            form,
            lambda cd: A.do_add_attachment(request.user, order.pk, uploaded_file=cd["file"]),
            success=_("Attachment uploaded."),
        )
        if result is not None:
            if not request.htmx:
                return redirect(reverse("consoles:order", args=[order.pk]) + "#attachments-panel")
            form = AttachmentForm()
        else:
            _focus_first_error(form)
    attachments = list(order.attachments.select_related("uploaded_by").order_by("at", "id"))
    partial = _is_partial(request)
    context = {
        "order": order,
        "attachments": [(a, a.content_type in IMAGE_TYPES) for a in attachments],
        "may_upload": may_upload,
        "form": form,
        "partial": partial,
    }
    template = "consoles/unit/_attachments.html" if partial else "consoles/unit/attachments_page.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    """Stream one attachment to a user who may see the order (media files are never served directly)."""
    order = _order_or_404(request.user, pk)
    att = Attachment.objects.filter(pk=attachment_pk, order=order).first()
    if att is None:
        raise Http404(_("No such attachment."))
    try:
        handle = att.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("The file of this attachment is missing.")) from exc
    inline = att.content_type in IMAGE_TYPES
    response = FileResponse(handle, content_type=att.content_type, as_attachment=not inline, filename=att.name)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a file lies about its type, it cannot run script in the application's origin.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response
