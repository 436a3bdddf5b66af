"""Console screens of the letters app: the letters waiting for an operator, one letter with the form that
records it as a contact (through the intake actions), dismissal, attachments, and the refused mail."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yihaotong.consoles.actions_util import run_action
from yihaotong.core.api import paginate
from yihaotong.core.errors import NotFound
from yihaotong.directory.data.dispositions import DISPOSITION_REASONS
from yihaotong.intake.actions import ContactInput
from yihaotong.routing.gazetteer import match_address

from . import actions as A
from .access import HANDLER_ROLES, LETTER_ROLES, access_letter, visible_letters, visible_rejections
from .forms import DismissForm, RecordForm
from .models import LetterState

PAGE_SIZE = 30
STREET_MIN_CONFIDENCE = 0.5
STATES = [
    ("waiting", gettext_lazy("Waiting")),
    ("recorded", gettext_lazy("Recorded")),
    ("dismissed", gettext_lazy("Dismissed")),
    ("refused", gettext_lazy("Refused mail")),
]


def _letters_view(request) -> None:
    if not request.user.roles & LETTER_ROLES:
        raise PermissionDenied(_("Letters are for the centre's intake staff."))


@require_GET
@login_required
def letter_list(request):
    """Letters by state (waiting first, the oldest first), searchable by subject or sender; refused mail."""
    _letters_view(request)
    state = request.GET.get("state") or "waiting"
    if state not in {s for s, _label in STATES}:
        state = "waiting"
    q = (request.GET.get("q") or "").strip()[:100]
    if state == "refused":
        qs = visible_rejections(request.user)
        if q:
            qs = qs.filter(Q(subject__icontains=q) | Q(sender__icontains=q))
    else:
        qs = (
            visible_letters(request.user)
            .filter(state=state)
            .select_related("contact__order", "handled_by")
            .annotate(n_attachments=Count("attachments"))
        )
        if q:
            qs = qs.filter(Q(subject__icontains=q) | Q(sender_email__icontains=q) | Q(sender_name__icontains=q))
        qs = qs.order_by("received_at", "id") if state == LetterState.WAITING else qs.order_by("-handled_at", "-id")
    rows, meta = paginate(qs, request.GET.get("page"), PAGE_SIZE)
    params = {"state": state, "q": q}
    context = {
        "rows": rows,
        "meta": meta,
        "params": params,
        "states": STATES,
        "page_query": urlencode(params),
        "refused": state == "refused",
    }
    template = "letters/_rows.html" if request.htmx and not request.htmx.boosted else "letters/list.html"
    return render(request, template, context)


def _letter_or_404(request, pk: int):
    try:
        return access_letter(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.localized()) from exc


def _detail(request, letter, form=None, dismiss_form=None, status=200):
    context = {
        "letter": letter,
        "attachments": list(letter.attachments.all()),
        "form": form or RecordForm.for_letter(letter),
        "dismiss_form": dismiss_form or DismissForm(),
        "can_handle": bool(request.user.roles & HANDLER_ROLES) and letter.state == LetterState.WAITING,
        "hints": {d["code"]: d["channel_hint"] for d in DISPOSITION_REASONS},
    }
    return render(request, "letters/detail.html", context, status=status)


@require_GET
@login_required
def letter_detail(request, pk: int):
    _letters_view(request)
    return _detail(request, _letter_or_404(request, pk))


def _contact_input(cd: dict) -> ContactInput:
    found = match_address(cd.get("address") or "") if (cd.get("address") or "").strip() else None
    sure = bool(found and found.street_code and found.confidence >= STREET_MIN_CONFIDENCE)
    return ContactInput(
        channel="letter",
        summary=cd.get("summary") or "",
        text=cd.get("text") or "",
        phone=cd.get("phone") or "",
        name=cd.get("name") or "",
        is_anonymous=bool(cd.get("is_anonymous")),
        address=cd.get("address") or "",
        street=found.street_code if sure else None,
        request_type=cd.get("request_type") or None,
        urgency=cd.get("urgency") or None,
    )


@require_http_methods(["POST"])
@login_required
def letter_record(request, pk: int):
    """Record the letter as a contact with the outcome chosen; on success go to the order or the list."""
    _letters_view(request)
    letter = _letter_or_404(request, pk)
    form = RecordForm(request.POST)

    def call(cd):
        return A.do_record_letter(
            request.user,
            letter.pk,
            _contact_input(cd),
            outcome=cd["outcome"],
            answer_text=(cd.get("answer_text") or "").strip(),
            disposition_reason=cd.get("disposition_reason") or "",
            order_number=cd.get("order_number") or "",
        )

    result = run_action(request, form, call)
    if result is None:
        letter.refresh_from_db()
        return _detail(request, letter, form=form, status=422)
    _letter, contact, order, code = result
    if order is not None and code is None:
        messages.success(
            request,
            _("The letter is attached to work order %(number)s as a repeat contact.") % {"number": order.number},
        )
        return redirect("consoles:order", order.pk)
    if order is not None:
        messages.success(
            request,
            _("Work order %(number)s created from the letter; query code %(code)s.")
            % {"number": order.number, "code": code},
        )
        return redirect("consoles:order", order.pk)
    messages.success(request, _("The letter is recorded as a contact."))
    return redirect("letters:list")


@require_POST
@login_required
def letter_dismiss(request, pk: int):
    _letters_view(request)
    letter = _letter_or_404(request, pk)
    form = DismissForm(request.POST)
    result = run_action(request, form, lambda cd: A.do_dismiss_letter(request.user, letter.pk, reason=cd["reason"]))
    if result is None:
        letter.refresh_from_db()
        return _detail(request, letter, dismiss_form=form, status=422)
    messages.success(request, _("The letter is dismissed."))
    return redirect("letters:list")


@require_GET
@login_required
def letter_file(request, pk: int, file_pk: int):
    """An attachment of a letter, after the letter's access check; always downloaded, never rendered."""
    _letters_view(request)
    letter = _letter_or_404(request, pk)
    att = letter.attachments.filter(pk=file_pk).first()
    if att is None:
        raise Http404(_("No such attachment."))
    response = FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name, content_type=att.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
