"""The intake desk (受理台): one screen to take a call, see the caller's history and record the outcome.

The page is one form. Live panes (htmx partials) follow what the operator types: the caller's history by
phone, the street of the address, the same-matter candidates, the knowledge base. Each outcome button posts
the whole form; the view parses it and calls one intake action through ``run_action``: the action writes the
contact (and the order) in one transaction or nothing at all, and its domain errors come back as field errors
on the re-rendered form, with everything the operator typed kept.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Invalid, NotFound, NotPermitted
from yihaotong.directory.data.dispositions import DISPOSITION_REASONS, EMERGENCY_SERVICES
from yihaotong.directory.models import RequestType, Urgency
from yihaotong.intake import actions as A
from yihaotong.intake.models import ContactOutcome
from yihaotong.intake.selectors import caller_history
from yihaotong.kb import actions as KA
from yihaotong.kb.access import access_article
from yihaotong.kb.models import ArticleState, SearchChannel, UsageKind
from yihaotong.kb.search import Hit, SearchFilters, search_articles
from yihaotong.routing.duplicates import find_same_matter
from yihaotong.routing.gazetteer import match_address
from yihaotong.telephony.actions import do_link_call
from yihaotong.workorders.access import access_order, visible_orders
from yihaotong.workorders.actions import OrderInput
from yihaotong.workorders.models import OrderState, Satisfaction
from yihaotong.workorders.selectors import public_events
from yihaotong.worktime.calendar import TZ

from . import forms_desk as F
from .actions_util import run_action
from .selectors import warning_tone

log = logging.getLogger(__name__)

DESK_ROLES = frozenset({R.OPERATOR, R.DISPATCHER})
STREET_MIN_CONFIDENCE = 0.5  # below this the gazetteer's reading is a guess: the dispatcher decides the street
HISTORY_LIMIT = 8
SIMILAR_LIMIT = 5
KB_LIMIT = 5  # articles in the pane: the operator reads them while the caller talks
KB_QUERY_CHARS = 200  # of the summary and full text searched (the search analyses no more)

# The actions name some inputs as the order does; the desk form names them as the contact does.
FIELD_OF_ERROR = {
    "subject": "summary",
    "requester_phone": "phone",
    "requester_name": "name",
    "street": "address",
    "community": "address",
    "order_id": "attach_number",
    "service": None,
}


def desk_view(view):
    """Require a login and one of the desk's roles (operator, dispatcher); others get 403."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.roles & DESK_ROLES:
            raise PermissionDenied(_("The intake desk is for operators and dispatchers."))
        return view(request, *args, **kwargs)

    return wrapped


# --- knowledge base -----------------------------------------------------------------------------------


def _kb_query(params) -> str:
    """What the pane searches for: the pane's own box, else the summary and the full text as typed."""
    q = (params.get("q") or "").strip()
    if q:
        return q
    parts = [(params.get(name) or "").strip() for name in ("summary", "text")]
    return " ".join(p for p in parts if p)[:KB_QUERY_CHARS]


def kb_search(actor, q: str, *, log: bool = True) -> tuple[list[Hit], int | None]:
    """Search the knowledge base for the pane; log the search; return the hits and the search's id.

    Staff see internal articles too. Expired articles are listed with a flag (the operator must see
    that the rule they remember has lapsed) but cannot be used for an answer; an empty query searches
    nothing and logs nothing.
    """
    if not q:
        return [], None
    result = search_articles(q, actor=actor, filters=SearchFilters(validity="all"), limit=KB_LIMIT)
    if not log:
        return result.hits, None
    entry = KA.do_log_search(
        actor,
        channel=SearchChannel.DESK,
        query=q,
        filters={},
        article_ids=result.article_ids,
        took_ms=result.took_ms,
        best_coverage=result.best_coverage,
    )
    return result.hits, entry.pk


def _search_id(params) -> int | None:
    value = (params.get("kb_search") or "").strip()
    return int(value) if value.isdigit() else None


def _usable(article) -> bool:
    """Whether an article may be read out as an answer today (in force: started and not expired)."""
    today = timezone.localdate(timezone=TZ)
    return not (article.expires_on and article.expires_on < today) and not (
        article.effective_from and article.effective_from > today
    )


def _answer_from_article(request, form: F.DeskForm, cd: dict, now) -> dict:
    """One click in the knowledge-base pane: the contact is a direct answer naming the article, and the
    knowledge base records the article as used (both in one transaction, or neither)."""
    actor = request.user
    try:
        article_id = int(form.outcome_arg)
    except ValueError:
        raise Invalid("bad article id", errors={"article_ref": [_("No such article.")]}) from None
    with transaction.atomic():
        try:
            article = access_article(actor, article_id)
        except NotFound:
            raise Invalid("no such article", errors={"article_ref": [_("No such article.")]}) from None
        if article.state != ArticleState.PUBLISHED or not _usable(article):
            raise Invalid(
                "article not in force", errors={"article_ref": [_("This article is not in force: answer in words.")]}
            )
        summary = (cd.get("summary") or "").strip() or _kb_query(request.POST) or article.title
        contact = A.do_answer_contact(
            actor,
            _contact_input(cd, summary=summary[:200]),
            answer_text=cd.get("answer_text") or "",
            article_ref=article.ref,
            now=now,
        )
        KA.do_record_usage(
            actor,
            article.pk,
            UsageKind.USED,
            search_id=_search_id(request.POST),
            reference=f"contact:{contact.pk}",
            now=now,
        )
    messages.success(
        request,
        _("Direct answer recorded with article %(ref)s “%(title)s”.") % {"ref": article.ref, "title": article.title},
    )
    return {"kind": F.ANSWER, "article": article, "contact": contact}


# --- street of the address ----------------------------------------------------------------------------


def _street(address: str):
    """Return the gazetteer's reading of ``address`` and whether it is sure enough to record."""
    found = match_address(address)
    return found, bool(found.street_code and found.confidence >= STREET_MIN_CONFIDENCE)


def _street_context(address: str) -> dict:
    address = (address or "").strip()
    if not address:
        return {"street": None, "street_sure": False, "street_outside": False}
    found, sure = _street(address)
    return {
        "street": found,
        "street_sure": sure,
        "street_outside": found.street_code is None and found.reason.startswith("outside the district"),
    }


# --- outcomes -----------------------------------------------------------------------------------------


def _remap(call):
    """Run ``call``; rename the fields of an ``Invalid`` error to the desk form's names."""

    def wrapped(cd):
        try:
            return call(cd)
        except Invalid as exc:
            if not exc.errors:
                raise
            errors: dict[str, list[str]] = {}
            for field, messages_ in exc.errors.items():
                target = FIELD_OF_ERROR.get(field, field)
                errors.setdefault(target or "__all__", []).extend(messages_)
            raise Invalid(exc.message, errors=errors) from exc

    return wrapped


def _contact_input(cd: dict, *, summary: str | None = None) -> A.ContactInput:
    found, sure = _street(cd.get("address") or "")
    return A.ContactInput(
        channel=cd["channel"],
        summary=summary if summary is not None else (cd.get("summary") or ""),
        text=cd.get("text") or "",
        phone=cd.get("phone") or "",
        name=cd.get("name") or "",
        is_anonymous=bool(cd.get("is_anonymous")),
        address=cd.get("address") or "",
        street=found.street_code if sure else None,
        request_type=cd.get("request_type") or None,
        urgency=cd.get("urgency") or None,
    )


def _order_input(data: A.ContactInput) -> OrderInput:
    return OrderInput(
        channel=data.channel,
        request_type=data.request_type or "",
        subject=data.summary,
        text=data.text or data.summary,  # a short call is its summary
        urgency=data.urgency or "normal",
        address=data.address,
        street=data.street,
        requester_name=data.name,
        requester_phone=data.phone,
        is_anonymous=data.is_anonymous,
    )


def _attach_target(actor, form: F.DeskForm, cd: dict) -> int:
    """Return the id of the order to attach to: a candidate's button, or the number typed."""
    if form.outcome_arg:
        try:
            return int(form.outcome_arg)
        except ValueError:
            raise Invalid("bad order id", errors={"attach_number": [_("No such open order.")]}) from None
    number = (cd.get("attach_number") or "").strip().upper()
    pk = visible_orders(actor).filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise Invalid("no such order", errors={"attach_number": [_("No order with this number.")]})
    return pk


def _progress(actor, order_id: int, now) -> dict:
    """What to tell a caller about an open order: its state, the lead unit, the deadline, the public steps."""
    order = access_order(actor, order_id)
    state_label = dict(OrderState.choices)
    events = [
        (e.at, state_label.get(e.to_state) or e.kind, e.unit) for e in public_events(order).order_by("-at", "-id")[:5]
    ]
    return {"order": order, "tone": warning_tone(order, now), "events": events}


def _record(request, form: F.DeskForm) -> dict | None:
    """Run the chosen outcome; return what the result panel shows, or None when nothing was written."""
    actor, now = request.user, timezone.now()
    outcome, arg = form.outcome, form.outcome_arg

    def answer(cd):
        if arg:  # the knowledge-base pane's one-click answer names the article
            return _answer_from_article(request, form, cd, now)
        contact = A.do_answer_contact(
            actor,
            _contact_input(cd),
            answer_text=cd.get("answer_text") or "",
            article_ref=(cd.get("article_ref") or "").strip(),
            now=now,
        )
        messages.success(request, _("Direct answer recorded."))
        return {"kind": F.ANSWER, "contact": contact}

    def create(cd):
        data = _contact_input(cd)
        contact, order, code = A.do_create_order_from_contact(actor, data, _order_input(data), now=now)
        messages.success(request, _("Work order %(number)s created.") % {"number": order.number})
        return {"kind": F.CREATE, "order": order, "query_code": code, "contact": contact}

    def attach(cd):
        order_id = _attach_target(actor, form, cd)
        try:
            contact = A.do_attach_contact(actor, _contact_input(cd), order_id=order_id, now=now)
        except NotFound:  # a stale candidate, or an order the actor may not see: a field error, not a 404 page
            raise Invalid("no such order", errors={"attach_number": [_("No such open order.")]}) from None
        messages.success(
            request,
            _("Attached to work order %(number)s (repeat contacts: %(n)s).")
            % {"number": contact.order.number, "n": contact.order.repeat_count},
        )
        return {"kind": F.ATTACH, **_progress(actor, order_id, now), "contact": contact}

    def emergency(cd):
        label = dict(EMERGENCY_SERVICES)[arg]
        summary = (cd.get("summary") or "").strip() or _("Emergency transfer to %(service)s") % {"service": arg}
        contact = A.do_transfer_emergency(actor, _contact_input(cd, summary=summary), service=arg, now=now)
        messages.success(
            request,
            _("Transferred to %(service)s %(label)s at %(time)s; recorded.")
            % {"service": arg, "label": label, "time": timezone.localtime(contact.transferred_at).strftime("%H:%M:%S")},
        )
        return {"kind": F.EMERGENCY, "contact": contact}

    def dispose(cd):
        reason = F.REASONS[cd["disposition_reason"]]
        contact = A.do_dispose_contact(
            actor,
            _contact_input(cd),
            disposition_reason=reason["code"],
            answer_text=(cd.get("answer_text") or "").strip() or reason["channel_hint"],
            now=now,
        )
        messages.success(request, _("Disposition recorded: %(reason)s.") % {"reason": reason["name"]})
        return {"kind": F.DISPOSE, "reason": reason, "contact": contact}

    call = {F.ANSWER: answer, F.CREATE: create, F.ATTACH: attach, F.EMERGENCY: emergency, F.DISPOSE: dispose}
    return run_action(request, form, _remap(_linking_call(request, call.get(outcome, answer))))


def _linking_call(request, run):
    """With a popped call on the desk (its id in ``call``), link the call to the contact recorded, in the
    same transaction (telephony's action; the first contact of a call is the one linked)."""
    ref = (request.POST.get("call") or "").strip()
    if not ref.isdigit():
        return run

    def wrapped(cd):
        with transaction.atomic():
            result = run(cd)
            do_link_call(request.user, int(ref), result["contact"])
        return result

    return wrapped


# --- views --------------------------------------------------------------------------------------------


def _page_context(form: F.DeskForm, result: dict | None = None, call_ref: str = "") -> dict:
    address = form["address"].value() or ""
    reason = F.REASONS.get(form["disposition_reason"].value() or "")
    return {
        "form": form,
        "result": result,
        "services": EMERGENCY_SERVICES,
        "hints": {d["code"]: d["channel_hint"] for d in DISPOSITION_REASONS},
        "hint": reason["channel_hint"] if reason else "",
        "kb_hits": [],
        "kb_asked": False,
        "call_ref": call_ref,  # the popped call the contact will be linked to (kept when the form failed)
        **_street_context(address if isinstance(address, str) else ""),
    }


@require_http_methods(["GET", "POST"])
@desk_view
def desk(request):
    """The desk: GET shows an empty contact form; POST records the outcome named by the button pressed."""
    result, call_ref = None, ""
    if request.method == "POST":
        outcome, arg = F.parse_outcome(request.POST.get("outcome"))
        form = F.DeskForm(request.POST, outcome=outcome, outcome_arg=arg)
        result = _record(request, form)
        if result is None:
            form.place_focus()
            call_ref = (request.POST.get("call") or "").strip()
        else:
            form = F.DeskForm(focus=result["kind"] not in (F.CREATE, F.ATTACH, F.DISPOSE))  # the next call
    else:
        form = F.DeskForm()
    template = "consoles/desk/_desk.html" if request.htmx else "consoles/desk/page.html"
    return render(request, template, _page_context(form, result, call_ref if call_ref.isdigit() else ""))


@require_GET
@desk_view
def desk_history(request):
    """The caller's history by phone (screen pop): contacts, open and recent orders, repeats, satisfaction."""
    phone = request.GET.get("phone", "")
    context: dict = {"phone": phone, "history": None, "error": ""}
    if phone.strip():
        try:
            history = caller_history(request.user, phone, limit=HISTORY_LIMIT)
        except NotPermitted as exc:
            raise PermissionDenied(exc.localized()) from exc
        except Invalid:
            context["error"] = _("Type at least 5 digits.")
        else:
            context["history"] = _history_rows(history, timezone.now())
    return render(request, "consoles/desk/_history.html", context)


def _history_rows(history: dict, now) -> dict:
    state_label = dict(OrderState.choices)
    outcome_label = dict(ContactOutcome.choices)
    sat_label = dict(Satisfaction.choices)
    open_ids = {o["id"] for o in history["open_orders"]}
    for o in history["open_orders"] + history["recent_orders"]:
        o["state_label"] = state_label.get(o["state"], o["state"])
        o["satisfaction_label"] = sat_label.get(o["satisfaction"], "")
        o["overdue"] = bool(o["due_at"] and o["due_at"] < now)
    for c in history["contacts"]:
        c["outcome_label"] = outcome_label.get(c["outcome"], c["outcome"])
    return {
        **history,
        "closed_orders": [o for o in history["recent_orders"] if o["id"] not in open_ids],
        "satisfaction_rows": [(sat_label.get(k, k), n) for k, n in sorted(history["satisfaction"].items())],
    }


@require_GET
@desk_view
def desk_street(request):
    """The street of the address as typed (the gazetteer's reading, shown beside the address field)."""
    return render(request, "consoles/desk/_street.html", _street_context(request.GET.get("address", "")))


def _reasons(reasons: list[str]) -> list[str]:
    out = []
    for reason in reasons:
        if reason.startswith("similar text"):
            out.append(_("similar text %(score)s") % {"score": reason.removeprefix("similar text").strip()})
        elif reason == "same street":
            out.append(_("same street"))
        elif reason == "same address":
            out.append(_("same address"))
        elif reason == "same caller":
            out.append(_("same caller"))
        else:
            out.append(reason)
    return out


@require_http_methods(["GET", "POST"])
@desk_view
def desk_similar(request):
    """Open orders that may be the same matter as what is being typed, each with an attach button.

    The page posts the form (a letter's text is too long for a URL); GET works too. Nothing is written.
    """
    params = request.POST if request.method == "POST" else request.GET
    text = params.get("text", "").strip()
    subject = params.get("summary", params.get("subject", "")).strip()
    candidates = []
    if text or subject:
        state_label = dict(OrderState.choices)
        candidates = [
            {
                "id": c.order_id,
                "number": c.number,
                "subject": c.subject,
                "state_label": state_label.get(c.state, c.state),
                "created_at": c.created_at,
                "score": round(c.score * 100),
                "reasons": _reasons(c.reasons),
            }
            for c in find_same_matter(
                request.user,
                text=text,
                subject=subject,
                address=params.get("address", ""),
                phone=params.get("phone", ""),
                now=timezone.now(),
                limit=SIMILAR_LIMIT,
            )
        ]
    context = {"candidates": candidates, "asked": bool(text or subject)}
    return render(request, "consoles/desk/_similar.html", context)


URGENCY_LEVELS = ("urgent", "critical")  # the urgency hints' levels are urgency codes


def suggestion_context(params) -> dict:
    """What the routing assistant suggests for what is typed: request type, urgency (with the emergency
    services to offer) and category, each with its confidence and source. Nothing is written; the operator
    decides (the ``create`` event records the choice, and routing compares it with the suggestion)."""
    from yihaotong.routing.suggest import suggest

    text = (params.get("text") or "").strip()
    subject = (params.get("summary") or "").strip()
    context: dict = {"asked": bool(text or subject), "suggestion": None}
    if not context["asked"]:
        return context
    try:
        result = suggest(text, subject=subject, address=params.get("address", ""), channel=params.get("channel", ""))
    except Exception:  # the assistant must never stop an intake  # noqa: BLE001
        log.exception("routing suggestion failed at the desk")
        return context
    level = result.urgency.get("level") or ""
    english = (get_language() or "").startswith("en")
    names = {
        code: (english and name_en) or name
        for model in (RequestType, Urgency)
        for code, name, name_en in model.objects.values_list("code", "name", "name_en")
    }
    top = result.request_type[0] if result.request_type else None
    context["suggestion"] = {
        "request_types": [
            {
                "code": c.code,
                "name": names.get(c.code, c.name),
                "confidence": round(c.confidence * 100),
                "words": c.words[:4],
            }
            for c in result.request_type
        ],
        "request_type": top.code if top else "",
        "confident": bool(top and top.confidence >= result.accept_threshold),
        "request_type_source": result.sources.get("request_type", ""),
        "urgency": level if level in URGENCY_LEVELS else "",
        "urgency_name": names.get(level, level),
        "services": result.urgency.get("services") or [],
        "categories": [
            {"name": c.name, "confidence": round(c.confidence * 100), "words": c.words[:4]} for c in result.category
        ],
        "category_source": result.sources.get("category", ""),
        "empty": result.empty and not level,
    }
    return context


@require_http_methods(["GET", "POST"])
@desk_view
def desk_suggest(request):
    """The routing assistant's pane: the suggested request type, urgency and category for what is typed,
    with a button (Alt+6) that puts the suggested request type and urgency in the form. The page posts the
    form (a letter's text is too long for a URL); GET works too."""
    params = request.POST if request.method == "POST" else request.GET
    return render(request, "consoles/desk/_suggest.html", suggestion_context(params))


@require_http_methods(["GET", "POST"])
@desk_view
def desk_kb(request):
    """The knowledge-base pane: the best articles for what is typed (the pane's box, else the summary and
    the full text), each with its highlighted passage, validity flags and a one-click answer button.

    The page posts the form (a letter's text is too long for a URL); each posted search is logged for the
    knowledge-base team (its id goes back with an open or an answer). GET works too and logs nothing.
    """
    posted = request.method == "POST"
    q = _kb_query(request.POST if posted else request.GET)
    hits, search_id = kb_search(request.user, q, log=posted)
    context = {"kb_hits": hits, "kb_asked": bool(q), "q": q, "kb_search": search_id}
    return render(request, "consoles/desk/_kb.html", context)


@require_POST
@desk_view
def desk_kb_article(request, pk: int):
    """Open one article in place in the pane (logged as opened), with the one-click answer button."""
    try:
        article = access_article(request.user, pk)
        search_id = _search_id(request.POST)
        KA.do_record_usage(request.user, article.pk, UsageKind.OPENED, search_id=search_id)
    except NotFound as exc:
        raise Http404(exc.localized()) from exc
    except Invalid:  # a search id that is not the operator's: log the open without it
        KA.do_record_usage(request.user, article.pk, UsageKind.OPENED)
        search_id = None
    today = timezone.localdate(timezone=TZ)
    context = {
        "article": article,
        "usable": article.state == ArticleState.PUBLISHED and _usable(article),
        "review_overdue": bool(article.next_review_on and article.next_review_on < today),
        "expired": bool(article.expires_on and article.expires_on < today),
        "kb_search": search_id,
        "q": _kb_query(request.POST),
    }
    return render(request, "consoles/desk/_kb_article.html", context)
