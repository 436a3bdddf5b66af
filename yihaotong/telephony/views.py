"""Console screens of the telephony app: the screen pop polled by the intake desk, the call log with the
missed calls to call back, and the "called back" mark."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from yihaotong.accounts import roles as R
from yihaotong.core.api import paginate
from yihaotong.core.errors import DomainError

from . import actions as A
from .access import CALL_ROLES, CALLBACK_ROLES
from .models import CallState
from .selectors import MISSED_DONE, MISSED_OPEN, call_to_pop, list_calls

PAGE_SIZE = 30
POP_ROLES = frozenset({R.OPERATOR, R.DISPATCHER})

# What the call log shows: (value, label, list_calls arguments).
SHOWS = [
    ("missed", gettext_lazy("Missed, not called back"), {"missed": MISSED_OPEN}),
    ("called_back", gettext_lazy("Missed, called back"), {"missed": MISSED_DONE}),
    ("all", gettext_lazy("All calls"), {}),
    ("answered", gettext_lazy("In progress"), {"state": CallState.ANSWERED}),
    ("ended", gettext_lazy("Answered and ended"), {"state": CallState.ENDED}),
    ("ringing", gettext_lazy("Ringing"), {"state": CallState.RINGING}),
]


# htmx stops polling on this status: a session that expired (or a role without a desk) polls no more,
# instead of swapping the login page into the desk.
STOP_POLLING = 286


@require_GET
def pop(request):
    """The desk's poll (every 2 s): nothing (204, htmx swaps nothing) unless a call the operator answered
    and has not recorded yet is not on the desk yet; then the pop, which fills the phone and the history."""
    if not request.user.is_authenticated or not request.user.roles & POP_ROLES:
        return HttpResponse(status=STOP_POLLING)
    call = call_to_pop(request.user, timezone.now())
    shown = (request.GET.get("call_shown") or "").strip()
    if call is None or shown == str(call.pk):
        return HttpResponse(status=204)
    return render(request, "telephony/_pop.html", {"call": call})


def _params(request) -> dict:
    show = request.GET.get("show") or "missed"
    if show not in {s for s, _label, _args in SHOWS}:
        show = "missed"
    return {"show": show, "q": (request.GET.get("q") or "").strip()[:32]}


@require_GET
@login_required
def calls(request):
    """The call log; by default the missed calls not called back yet, the oldest first."""
    if not request.user.roles & CALL_ROLES:
        raise PermissionDenied(_("The call log is for the centre's staff."))
    params = _params(request)
    filters = dict(next(args for s, _label, args in SHOWS if s == params["show"]))
    qs = list_calls(request.user, phone=params["q"], **filters)
    rows, meta = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    context = {
        "rows": rows,
        "meta": meta,
        "params": params,
        "shows": [(s, label) for s, label, _args in SHOWS],
        "page_query": urlencode(params),
        "can_call_back": bool(request.user.roles & CALLBACK_ROLES),
        "filtered": bool(params["q"]),
    }
    template = "telephony/_rows.html" if request.htmx and not request.htmx.boosted else "telephony/calls.html"
    return render(request, template, context)


@require_POST
@login_required
def called_back(request, pk: int):
    """Mark a missed call as called back (with a note); back to the list where it was."""
    try:
        call = A.do_mark_called_back(request.user, pk, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.localized())
    else:
        messages.success(request, _("Call from %(caller)s marked as called back.") % {"caller": call.caller})
    # Back to the same filters (re-encoded: only our own parameters go into the address).
    back = QueryDict(request.POST.get("_query", ""))
    query = urlencode({k: back.get(k) for k in ("show", "q", "page") if back.get(k)})
    return redirect(reverse("telephony:calls") + (f"?{query}" if query else ""))
