"""The staff notification centre (``/notifications/``): the in-app notifications a staff member sees,
newest first, with read state per user; marking read is POST only (architecture.md: no state change over
GET). The same selectors and actions serve the API (``api.py``)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from yihaotong.core.api import paginate
from yihaotong.core.errors import NotFound

from .actions import do_mark_all_notifications_read, do_mark_notification_read
from .selectors import COUNT_CAP, list_notifications, newest_unread_candidate, present
from .templates import KIND_LABELS

PAGE_SIZE = 30
SHOW = ("all", "unread")


def _params(data) -> dict:
    show = data.get("show") or "all"
    kind = (data.get("kind") or "").strip()
    return {"show": show if show in SHOW else "all", "kind": kind if kind in KIND_LABELS else ""}


def _back(request):
    """Return to the list the form was posted from (its filters and page), never to another site."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:list")


@require_GET
@login_required
def notification_list(request):
    params = _params(request.GET)
    now = timezone.now()
    qs = list_notifications(
        request.user, now=now, unread=True if params["show"] == "unread" else None, kind=params["kind"]
    )
    rows, meta = paginate(qs, request.GET.get("page"), PAGE_SIZE, count_cap=COUNT_CAP)
    page_query = urlencode({k: v for k, v in params.items() if v})
    context = {
        "items": present(request.user, rows),
        "meta": meta,
        "params": params,
        "kinds": sorted(((k, str(v)) for k, v in KIND_LABELS.items()), key=lambda kv: kv[1]),
        "page_query": page_query,
        "here": request.get_full_path(),
        # "mark all read" covers what existed when this page was built: rows that arrive meanwhile stay unread.
        "up_to": newest_unread_candidate(request.user, now=now),
    }
    template = "notifications/_rows.html" if request.htmx and not request.htmx.boosted else "notifications/list.html"
    return render(request, template, context)


@require_GET
def notification_bell(request):
    """The top bar's bell again, for the page that polls it (every minute while the tab is visible): a
    console left open all day learns of new notifications without a reload. After the session has ended
    the bell is left as it was (204: htmx swaps nothing) rather than replaced by the login page."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    # The bell is marked as the current page when the page that polls it is the notification list.
    polled_from = urlsplit(request.headers.get("HX-Current-URL", "")).path
    return render(request, "notifications/_bell.html", {"bell_current": polled_from == reverse("notifications:list")})


@require_POST
@login_required
def notification_read(request, pk: int):
    try:
        do_mark_notification_read(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.localized()) from exc
    return _back(request)


@require_POST
@login_required
def notification_open(request, pk: int):
    """Mark the notification read and go to its order (when the reader may see it), else back to the list."""
    try:
        row = do_mark_notification_read(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.localized()) from exc
    item = present(request.user, [row])[0]
    if item.order_id:
        return redirect("consoles:order", item.order_id)
    return _back(request)


@require_POST
@login_required
def notification_read_all(request):
    try:
        up_to = int(request.POST.get("up_to") or 0) or None
    except ValueError:
        up_to = None
    do_mark_all_notifications_read(request.user, up_to=up_to)
    return _back(request)
