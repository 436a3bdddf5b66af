"""Staff screens of third-party review, rectification and publication (under /feedback/).

Views never write: each POST runs one action through ``consoles.actions_util.run_action`` and redirects
(post/redirect/get); a failed form re-renders the page with its errors. Permission: ``access``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yihaotong.accounts import roles as R
from yihaotong.consoles.actions_util import run_action
from yihaotong.core.api import paginate
from yihaotong.core.errors import NotFound, NotPermitted
from yihaotong.workorders.access import visible_orders

from . import access as X
from . import actions as A
from . import forms as F
from .casefile import build_case_file
from .models import (
    PanelMember,
    PanelScore,
    Publication,
    PublicationKind,
    PublicationState,
    RectificationState,
    ReviewSession,
    SessionState,
)
from .selectors import review_candidates

PAGE_SIZE = 20


def _require_manager(request) -> None:
    if not X.is_manager(request.user):
        raise PermissionDenied(gettext("Your roles may not open this screen."))


def _require_publisher(request) -> None:
    if not X.is_publisher(request.user):
        raise PermissionDenied(gettext("Your roles may not open this screen."))


def _get(call):
    try:
        return call()
    except NotFound as exc:
        raise Http404(exc.localized()) from exc
    except NotPermitted as exc:
        raise PermissionDenied(exc.localized()) from exc


def _query(data, drop=("page",)) -> str:
    q = data.copy()
    for key in ("csrfmiddlewaretoken", *drop):
        q.pop(key, None)
    return q.urlencode()


def _list_template(request, full: str, part: str) -> str:
    return part if request.htmx and not request.htmx.boosted else full


# ---------------------------------------------------------------------------------------------------------
# sessions


@require_http_methods(["GET", "POST"])
@login_required
def sessions(request):
    """Review sessions (managers: all; panel members: theirs), and a form to plan a new one."""
    user = request.user
    if not (X.is_manager(user) or X.panel_seat(user)):
        raise PermissionDenied(gettext("Your roles may not open this screen."))
    form = F.SessionForm(request.POST or None)
    if request.method == "POST":
        _require_manager(request)
        session = run_action(
            request,
            form,
            lambda d: A.do_create_session(user, title=d["title"], held_on=d["held_on"], location=d["location"]),
            success=gettext("The review session was planned. Add cases and choose the panel."),
        )
        if session is not None:
            return redirect("feedback:session", session.pk)
    filters = F.SessionFilterForm(request.GET)
    filters.is_valid()
    state = filters.cleaned_data.get("state") or ""
    qs = X.visible_sessions(user).annotate(
        n_cases=Count("cases", distinct=True), n_members=Count("members", distinct=True)
    )
    if state:
        qs = qs.filter(state=state)
    items, meta = paginate(qs.order_by("-held_on", "-id"), request.GET.get("page"), PAGE_SIZE)
    ctx = {
        "sessions": items,
        "meta": meta,
        "page_query": _query(request.GET),
        "state": state,
        "states": SessionState.choices,
        "form": form if X.is_manager(user) else None,
        "is_manager": X.is_manager(user),
        "not_manager": not X.is_manager(user),
    }
    return render(request, _list_template(request, "feedback/sessions.html", "feedback/_session_rows.html"), ctx)


@require_http_methods(["GET", "POST"])
@login_required
def candidates(request):
    """Orders for third-party review, with a way to put them before a planned session."""
    _require_manager(request)
    user = request.user
    planned = list(X.visible_sessions(user).filter(state=SessionState.PLANNED).order_by("held_on", "id"))
    if request.method == "POST":
        session_id = request.POST.get("session")
        ids = request.POST.getlist("order")
        if not session_id or not ids:
            from django.contrib import messages

            messages.error(request, gettext("Choose a planned session and at least one order."))
        else:
            added = 0
            for order_id in ids:
                if run_action(
                    request, None, lambda d, oid=order_id: A.do_add_case(user, int(session_id), order_id=int(oid))
                ):
                    added += 1
            if added:
                from django.contrib import messages

                messages.success(request, gettext("%(n)d case(s) added to the session.") % {"n": added})
                return redirect("feedback:session", int(session_id))
        return redirect(f"{reverse('feedback:candidates')}?{_query(request.GET, drop=())}")
    filters = F.CandidateFilterForm(request.GET)
    filters.is_valid()
    p = {k: (filters.cleaned_data.get(k) or "").strip() for k in ("q", "reason")}
    items, meta = paginate(review_candidates(user, reason=p["reason"], q=p["q"]), request.GET.get("page"), PAGE_SIZE)
    ctx = {"orders": items, "meta": meta, "params": p, "page_query": _query(request.GET), "planned": planned}
    return render(request, _list_template(request, "feedback/candidates.html", "feedback/_candidate_rows.html"), ctx)


def _session_context(request, session: ReviewSession, failures: dict | None = None) -> dict:
    user = request.user
    failures = failures or {}
    manager = X.is_manager(user)
    seat = X.panel_seat(user)
    cases = list(
        session.cases.select_related("order__request_type", "order__lead_unit", "rectification_unit")
        .prefetch_related(Prefetch("scores", queryset=PanelScore.objects.select_related("member__user")))
        .order_by("id")
    )
    rows = []
    unit_choices = F.unit_options() if manager and session.state == SessionState.OPEN and cases else []
    for case in cases:
        mine = next((s for s in case.scores.all() if seat and s.member_id == seat.pk), None)
        form = None
        if manager and session.state == SessionState.OPEN:
            form = failures.get(("outcome", case.pk)) or F.OutcomeForm(
                case_id=case.pk,
                unit_choices=unit_choices,
                initial={
                    "outcome": case.outcome,
                    "note": case.outcome_note,
                    "rectification_required": case.rectification_required,
                    "unit": case.rectification_unit_id,
                    "deadline": case.rectification_deadline,
                },
            )
        rows.append({"case": case, "mine": mine, "form": form, "scores": list(case.scores.all())})
    roster = list(PanelMember.objects.filter(is_active=True).select_related("user"))
    ctx = {
        "session": session,
        "rows": rows,
        "is_manager": manager,
        "members": list(session.members.select_related("user")),
        "publication": Publication.objects.filter(session=session).first(),
    }
    if manager and session.state == SessionState.PLANNED:
        ctx["add_form"] = failures.get("add_case") or F.AddCaseForm()
        ctx["panel_form"] = failures.get("panel") or F.PanelForm(
            roster=roster, initial={"members": [str(m.pk) for m in ctx["members"]]}
        )
    ctx["failure"] = failures.get("general")
    return ctx


@require_GET
@login_required
def session(request, pk: int):
    s = _get(lambda: X.access_session(request.user, pk))
    return render(request, "feedback/session.html", _session_context(request, s))


@require_POST
@login_required
def session_action(request, pk: int, name: str):
    user = request.user
    _require_manager(request)
    s = _get(lambda: X.access_session(user, pk))
    failures: dict = {}
    ok = None
    if name == "add_case":
        form = F.AddCaseForm(request.POST)

        def add(d):
            order = visible_orders(user).filter(number=d["number"].strip()).values_list("pk", flat=True).first()
            if order is None:
                from yihaotong.core.errors import Invalid

                raise Invalid("No order with this number is visible to you.", errors={"number": ["no such order"]})
            return A.do_add_case(user, pk, order_id=order)

        ok = run_action(request, form, add, success=gettext("The case was added."))
        failures["add_case"] = form
    elif name == "remove_case":
        ok = run_action(
            request,
            None,
            lambda d: A.do_remove_case(user, int(request.POST.get("case", 0))),
            success=gettext("The case was removed."),
        )
    elif name == "panel":
        roster = list(PanelMember.objects.filter(is_active=True).select_related("user"))
        form = F.PanelForm(request.POST, roster=roster)
        ok = run_action(
            request,
            form,
            lambda d: A.do_set_panel(user, pk, member_ids=d["members"]),
            success=gettext("The panel was saved."),
        )
        failures["panel"] = form
    elif name == "draw":
        ok = run_action(
            request,
            None,
            lambda d: A.do_draw_panel(user, pk, per_type=int(request.POST.get("per_type") or 1)),
            success=gettext("The panel was drawn from the roster."),
        )
    elif name == "open":
        ok = run_action(
            request,
            None,
            lambda d: A.do_open_session(user, pk),
            success=gettext("The session is open: the panel can read and score the cases."),
        )
    elif name == "outcome":
        case_id = int(request.POST.get("case", 0))
        form = F.OutcomeForm(request.POST, case_id=case_id)
        ok = run_action(
            request,
            form,
            lambda d: A.do_record_outcome(
                user,
                case_id,
                outcome=d["outcome"],
                note=d.get("note", ""),
                rectification_required=d.get("rectification_required", ""),
                unit_id=d.get("unit"),
                deadline=d.get("deadline"),
            ),
            success=gettext("The outcome was recorded."),
        )
        failures[("outcome", case_id)] = form
    elif name == "conclude":
        ok = run_action(
            request,
            None,
            lambda d: A.do_conclude_session(user, pk),
            success=gettext("The session was concluded; requesters and units were notified."),
        )
    elif name == "draft_summary":
        pub = run_action(
            request,
            None,
            lambda d: A.do_draft_review_summary(user, pk),
            success=gettext("A redacted summary was drafted."),
        )
        if pub is not None:
            return redirect("feedback:publication", pub.pk)
    else:
        raise Http404
    if ok is not None:
        return redirect("feedback:session", pk)
    s.refresh_from_db()
    return render(request, "feedback/session.html", _session_context(request, s, failures), status=400)


@require_http_methods(["GET", "POST"])
@login_required
def case_file(request, pk: int):
    """The redacted case file; the session's panel members score it here while the session is open."""
    user = request.user
    case = _get(lambda: X.access_case(user, pk))
    seat = X.panel_seat(user)
    sits = seat is not None and case.session.members.filter(pk=seat.pk).exists()
    mine = PanelScore.objects.filter(case=case, member=seat).first() if sits else None
    form = None
    if sits and case.session.state == SessionState.OPEN:
        initial = {"verdict": mine.verdict, "score": mine.score, "comment": mine.comment} if mine else {}
        form = F.ScoreForm(request.POST or None, initial=initial)
        if request.method == "POST":
            done = run_action(
                request,
                form,
                lambda d: A.do_score_case(
                    user, pk, verdict=d["verdict"], score=d["score"], comment=d.get("comment", "")
                ),
                success=gettext("Your score was saved."),
            )
            if done is not None:
                return redirect("feedback:session", case.session_id)
    elif request.method == "POST":
        raise PermissionDenied(gettext("Only the session's panel members score its cases, while it is open."))
    siblings = list(case.session.cases.order_by("id").values_list("pk", flat=True))
    ctx = {
        "case": case,
        "file": build_case_file(case),
        "form": form,
        "mine": mine,
        "next_case": next((c for c in siblings if c > case.pk), None),
        "is_manager": X.is_manager(user),
        "scores": list(case.scores.select_related("member__user")) if X.is_manager(user) else [],
    }
    return render(request, "feedback/case_file.html", ctx, status=400 if form is not None and form.errors else 200)


@require_http_methods(["GET", "POST"])
@login_required
def roster(request):
    _require_manager(request)
    user = request.user
    users = get_user_model().objects.filter(groups__name=R.PANEL_MEMBER, is_active=True).order_by("username")
    form = F.RosterForm(request.POST or None, users=users)
    if request.method == "POST":
        done = run_action(
            request,
            form,
            lambda d: A.do_save_panel_member(
                user,
                d["user"],
                panel_type=d["panel_type"],
                organisation=d.get("organisation", ""),
                is_active=request.POST.get("is_active", "1") == "1",
            ),
            success=gettext("The roster was updated."),
        )
        if done is not None:
            return redirect("feedback:roster")
    members = (
        PanelMember.objects.select_related("user").annotate(n_sessions=Count("sessions")).order_by("panel_type", "id")
    )
    return render(request, "feedback/roster.html", {"members": members, "form": form})


# ---------------------------------------------------------------------------------------------------------
# rectifications


@require_GET
@login_required
def rectifications(request):
    user = request.user
    if not (X.is_manager(user) or user.roles & X.UNIT_STAFF):
        raise PermissionDenied(gettext("Your roles may not open this screen."))
    filters = F.RectFilterForm(request.GET)
    filters.is_valid()
    qs = X.visible_rectifications(user).select_related("unit", "case__order", "case__session")
    state = filters.cleaned_data.get("state") or ""
    if state:
        qs = qs.filter(state=state)
    today = timezone.localdate()
    if filters.cleaned_data.get("overdue"):
        qs = qs.filter(deadline__lt=today).exclude(state=RectificationState.ACCEPTED)
    items, meta = paginate(qs.order_by("deadline", "id"), request.GET.get("page"), PAGE_SIZE)
    ctx = {
        "items": items,
        "meta": meta,
        "state": state,
        "overdue": bool(filters.cleaned_data.get("overdue")),
        "states": RectificationState.choices,
        "page_query": _query(request.GET),
        "today": today,
    }
    return render(request, _list_template(request, "feedback/rectifications.html", "feedback/_rect_rows.html"), ctx)


@require_http_methods(["GET", "POST"])
@login_required
def rectification(request, pk: int):
    user = request.user
    rect = _get(lambda: X.access_rectification(user, pk))
    can_reply = (
        bool(user.roles & X.UNIT_STAFF) and user.unit_id == rect.unit_id and rect.state == RectificationState.ASSIGNED
    )
    can_decide = X.is_manager(user) and rect.state == RectificationState.REPLIED
    reply_form = F.RectReplyForm(request.POST if request.POST.get("_do") == "reply" else None) if can_reply else None
    decide_form = (
        F.RectDecideForm(request.POST if request.POST.get("_do") == "decide" else None) if can_decide else None
    )
    if request.method == "POST":
        if request.POST.get("_do") == "reply" and reply_form is not None:
            done = run_action(
                request,
                reply_form,
                lambda d: A.do_reply_rectification(user, pk, reply=d["reply"]),
                success=gettext("The reply was sent to the centre."),
            )
        elif request.POST.get("_do") == "decide" and decide_form is not None:
            done = run_action(
                request,
                decide_form,
                lambda d: A.do_decide_rectification(user, pk, accept=d["decision"] == "accept", note=d.get("note", "")),
                success=gettext("The decision was recorded."),
            )
        else:
            raise PermissionDenied(gettext("This rectification cannot be changed by you now."))
        if done is not None:
            return redirect("feedback:rectification", pk)
    ctx = {
        "rect": rect,
        "case": rect.case,
        "reply_form": reply_form,
        "decide_form": decide_form,
        "overdue": rect.state != RectificationState.ACCEPTED and rect.deadline < timezone.localdate(),
    }
    status = 400 if any(f is not None and f.is_bound and f.errors for f in (reply_form, decide_form)) else 200
    return render(request, "feedback/rectification.html", ctx, status=status)


# ---------------------------------------------------------------------------------------------------------
# publications


@require_http_methods(["GET", "POST"])
@login_required
def publications(request):
    """Published cases and review summaries: orders to draft, drafts to check, published, rejected."""
    _require_publisher(request)
    user = request.user
    if request.method == "POST":
        pub = run_action(
            request,
            None,
            lambda d: A.do_draft_case(user, int(request.POST.get("order", 0))),
            success=gettext("A redacted draft was prepared: check it before publishing."),
        )
        if pub is not None:
            return redirect("feedback:publication", pub.pk)
        return redirect(f"{reverse('feedback:publications')}?tab=candidates")
    filters = F.PublicationFilterForm(request.GET)
    filters.is_valid()
    tab = filters.cleaned_data.get("tab") or "draft"
    q = (filters.cleaned_data.get("q") or "").strip()
    if tab == "candidates":
        qs = (
            A.publishable_orders()
            .filter(pk__in=visible_orders(user).values("pk"))
            .select_related("request_type", "lead_unit")
            .order_by("-closed_at", "-id")
        )
        if q:
            qs = qs.filter(Q(number=q) | Q(subject__icontains=q))
    else:
        qs = X.visible_publications(user).filter(state=tab).order_by("-created_at", "-id")
        if q:
            qs = qs.filter(Q(title__icontains=q) | Q(answer__icontains=q))
    items, meta = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    counts = dict(X.visible_publications(user).values_list("state").annotate(n=Count("id")))
    ctx = {
        "tab": tab,
        "q": q,
        "items": items,
        "meta": meta,
        "page_query": _query(request.GET),
        "tabs": [("candidates", gettext("To draft"))] + [(v, str(label)) for v, label in PublicationState.choices],
        "counts": counts,
    }
    return render(
        request, _list_template(request, "feedback/publications.html", "feedback/_publication_rows.html"), ctx
    )


@require_http_methods(["GET", "POST"])
@login_required
def publication(request, pk: int):
    _require_publisher(request)
    user = request.user
    pub = _get(lambda: X.access_publication(user, pk))
    form = F.PublicationForm(
        request.POST if request.POST.get("_do") in ("save", "publish") else None,
        initial={"title": pub.title, "question": pub.question, "answer": pub.answer},
    )
    if pub.kind == PublicationKind.REVIEW:
        del form.fields["question"]  # a summary has no question
    reason_form = F.ReasonForm(request.POST if request.POST.get("_do") in ("reject", "withdraw") else None)
    if request.method == "POST":
        do = request.POST.get("_do")
        done = None
        if do in ("save", "publish"):

            def save(d):
                A.do_edit_publication(user, pk, title=d["title"], question=d.get("question", ""), answer=d["answer"])
                if do == "publish":
                    return A.do_publish(user, pk)
                return True

            # Saving and publishing are separate transactions: a refused publication keeps the edits.
            done = run_action(
                request,
                form,
                save,
                success=gettext("Published on the portal.") if do == "publish" else gettext("The draft was saved."),
            )
        elif do == "reject":
            done = run_action(
                request,
                reason_form,
                lambda d: A.do_reject_publication(user, pk, reason=d["reason"]),
                success=gettext("The draft was rejected."),
            )
        elif do == "withdraw":
            done = run_action(
                request,
                reason_form,
                lambda d: A.do_withdraw_publication(user, pk, reason=d["reason"]),
                success=gettext("The text was taken off the portal."),
            )
        else:
            raise Http404
        if done is not None:
            return redirect("feedback:publication", pk)
        pub.refresh_from_db()
    from .redaction import leftovers

    ctx = {
        "pub": pub,
        "form": form,
        "reason_form": reason_form,
        "leftovers": leftovers("\n".join([pub.title, pub.question, pub.answer]))
        if pub.state == PublicationState.DRAFT
        else [],
        "public_url": (
            reverse("portal_cases:detail", args=[pub.pk])
            if pub.kind == PublicationKind.CASE
            else reverse("portal_reviews:detail", args=[pub.pk])
        )
        if pub.state == PublicationState.PUBLISHED
        else "",
    }
    status = 400 if form.errors or reason_form.errors else 200
    return render(request, "feedback/publication.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def policy(request):
    user = request.user
    if not user.roles & {R.SYSADMIN, R.SUPERVISOR}:
        raise PermissionDenied(gettext("Your roles may not open this screen."))
    current = A.feedback_policy()
    form = F.PolicyForm(request.POST or None, initial=current)
    if request.method == "POST":

        def save(d):
            for key in A.FEEDBACK_POLICY:
                if d[key] != current[key]:
                    A.do_set_feedback_policy(user, key, d[key])
            return True

        if run_action(request, form, save, success=gettext("The feedback policy was saved.")) is not None:
            return redirect("feedback:policy")
    return render(request, "feedback/policy.html", {"form": form, "policy": current})
