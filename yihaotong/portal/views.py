"""Public portal pages (no account). Writes go through the domain actions (services.py); every POST is
rate-limited per client address; domain errors are shown in the reader's language."""

from __future__ import annotations

import functools
import hashlib
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yihaotong.core.errors import DomainError, NotFound
from yihaotong.directory.models import Category
from yihaotong.kb import actions as kb_actions
from yihaotong.kb.access import visible_articles
from yihaotong.kb.models import SearchChannel, Visibility
from yihaotong.kb.search import SearchFilters, search_articles
from yihaotong.kb.selectors import helpful_counts
from yihaotong.notifications import limits
from yihaotong.notifications.codes import do_check_verification_code, do_send_verification_code
from yihaotong.notifications.delivery import kick_delivery
from yihaotong.notifications.optout import do_opt_in, do_opt_out, hash_from_token, is_opted_out
from yihaotong.worktime.calendar import TZ

from . import services
from .forms import RateForm, SubmitForm, TrackForm
from .images import MAX_PHOTOS, BadImage, clean_image

POSTS_PER_MINUTE = limits.Limit("portal-post", 30, 60)
PAGES_PER_MINUTE = limits.Limit("portal-get", 240, 60)
CODE_PURPOSE = "portal_submit"
VERIFIED_FOR = 15 * 60  # a verified phone stays verified in this browser session for 15 minutes
TRACKED_FOR = 30 * 60


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted reverse proxy (``PORTAL_TRUSTED_PROXIES``)
    the last address in X-Forwarded-For that is not one of the proxies."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    trusted = set(getattr(settings, "PORTAL_TRUSTED_PROXIES", ()) or ())
    if remote not in trusted:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return remote


def _throttled(request, exc: DomainError):
    response = render(request, "portal/throttled.html", {"message": exc.localized()}, status=429)
    response["Retry-After"] = str(exc.extra.get("retry_after", 60))
    return response


def rate_limited(view):
    """Count every request per client address (POSTs and pages apart); past a limit, answer 429 without
    running the view."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            limits.check_and_hit(POSTS_PER_MINUTE if request.method == "POST" else PAGES_PER_MINUTE, client_ip(request))
        except limits.Throttled as exc:
            return _throttled(request, exc)
        return view(request, *args, **kwargs)

    return wrapper


POPULAR_DAYS = 90
POPULAR_SIZE = 8
POPULAR_CACHE_SECONDS = 600


def popular_articles() -> list[dict]:
    """The public articles the hotline answered from most in the last 90 days (direct answers: what
    citizens ask most), for the portal's front page; cached for ten minutes."""
    from django.core.cache import cache

    from yihaotong.kb.dashboard import answer_counts

    key = "portal:popular-articles"
    rows = cache.get(key)
    if rows is None:
        now = timezone.now()
        uses = answer_counts(now - timedelta(days=POPULAR_DAYS), now)
        public = {
            a["pk"]: a for a in _public_articles().filter(pk__in=list(uses)).values("pk", "title", "category__name")
        }
        ranked = sorted(public, key=lambda pk: (-uses[pk], public[pk]["title"]))
        rows = [public[pk] for pk in ranked[:POPULAR_SIZE]]
        cache.set(key, rows, POPULAR_CACHE_SECONDS)
    return rows


@rate_limited
@require_GET
def home(request):
    return render(request, "portal/home.html", {"popular": popular_articles()})


# ---------------------------------------------------------------------------------------------------------
# submit


def _verified_phone(request) -> str:
    v = request.session.get("portal_verified") or {}
    return v.get("phone", "") if v.get("until", 0) > time.time() else ""


def _kb_hits(query: str, limit: int = 5):
    if not query.strip():
        return []
    return search_articles(
        query, actor=AnonymousUser(), filters=SearchFilters(visibility=Visibility.PUBLIC), limit=limit
    ).hits


def _read_photos(request, form) -> list:
    files = request.FILES.getlist("photos")
    if len(files) > MAX_PHOTOS:
        form.add_error(None, _("At most %(n)d photos.") % {"n": MAX_PHOTOS})
        return []
    photos = []
    for f in files:
        try:
            if f.size > 5 * 1024 * 1024:
                raise BadImage(_("A photo may be at most 5 MB."))
            photos.append(clean_image(f.read()))
        except BadImage as exc:
            form.add_error(None, f"{f.name}: {exc}")
    return photos


@rate_limited
@require_http_methods(["GET", "POST"])
def submit(request):
    ctx = {"max_photos": MAX_PHOTOS}
    if request.method == "GET":
        form = SubmitForm(initial={"request_type": "consult"})
        return render(request, "portal/submit.html", {**ctx, "form": form})
    form = SubmitForm(request.POST)
    action = request.POST.get("action", "submit")
    if action == "send_code":
        return _send_code(request, form)
    valid = form.is_valid()
    photos = _read_photos(request, form) if valid else []
    ctx["kb_hits"] = _kb_hits(f"{request.POST.get('subject', '')} {request.POST.get('text', '')}")
    if not valid or form.errors:
        return render(request, "portal/submit.html", {**ctx, "form": form}, status=422)
    data = form.cleaned_data
    phone = data["phone"]
    if _verified_phone(request) != phone:
        try:
            do_check_verification_code(phone, data["code"], purpose=CODE_PURPOSE)
        except DomainError as exc:
            form.add_error("code", exc.localized())
            return render(request, "portal/submit.html", {**ctx, "form": form}, status=422)
        request.session["portal_verified"] = {"phone": phone, "until": time.time() + VERIFIED_FOR}
    duplicate = services.find_duplicate(phone, data["subject"], data["text"])
    if duplicate is not None and not data.get("same_matter"):
        return render(request, "portal/submit.html", {**ctx, "form": form, "duplicate": duplicate}, status=409)
    try:
        if duplicate is not None and data["same_matter"] == "same" and duplicate.is_open:
            services.record_same_matter(duplicate)
            request.session["portal_done"] = {"number": duplicate.number, "repeat": True}
            return redirect("portal:submitted")
        order, code = services.submit_request(
            services.Submission(
                request_type=data["request_type"],
                subject=data["subject"],
                text=data["text"],
                phone=phone,
                address=data["address"],
                name=data["name"],
                anonymous=data["anonymous"],
                consent_publish=data["consent_publish"],
                confidential=data["confidential"],
                photos=photos,
            )
        )
    except DomainError as exc:
        form.add_error(None, exc.localized())
        for field, errors in exc.localized_errors().items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
        return render(request, "portal/submit.html", {**ctx, "form": form}, status=422)
    request.session["portal_done"] = {"number": order.number, "code": code}
    _remember_order(request, order.number)
    return redirect("portal:submitted")


def _send_code(request, form):
    phone = request.POST.get("phone", "")
    status, message, ok = 200, "", False
    try:
        do_send_verification_code(phone, purpose=CODE_PURPOSE, ip=client_ip(request))
        kick_delivery()
        message, ok = _("A code has been sent by SMS. It is valid for 5 minutes."), True
    except limits.Throttled as exc:
        status, message = 429, exc.localized()
    except DomainError as exc:
        status, message = 422, exc.localized()
    if request.htmx:
        return render(request, "portal/_code_status.html", {"message": message, "ok": ok}, status=status)
    return render(
        request,
        "portal/submit.html",
        {"form": form, "max_photos": MAX_PHOTOS, "code_message": message, "code_ok": ok},
        status=status,
    )


@rate_limited
@require_GET
def submitted(request):
    done = request.session.pop("portal_done", None)
    if not done:
        return redirect("portal:track")
    return render(request, "portal/submitted.html", {"done": done})


@rate_limited
@require_GET
def kb_suggest(request):
    q = f"{request.GET.get('subject', '')} {request.GET.get('text', '')}".strip() or request.GET.get("q", "")
    return render(request, "portal/_kb_hits.html", {"kb_hits": _kb_hits(q[:400])})


# ---------------------------------------------------------------------------------------------------------
# track and rate


def _remember_order(request, number: str) -> None:
    tracked = {k: v for k, v in (request.session.get("portal_orders") or {}).items() if v > time.time()}
    tracked[number] = time.time() + TRACKED_FOR
    request.session["portal_orders"] = tracked


def _tracked_order(request, number: str):
    tracked = request.session.get("portal_orders") or {}
    if tracked.get(number, 0) <= time.time():
        return None
    return services.WorkOrder.objects.filter(number=number).select_related("lead_unit", "request_type").first()


@rate_limited
@require_http_methods(["GET", "POST"])
def track(request):
    if request.method == "GET":
        return render(request, "portal/track.html", {"form": TrackForm()})
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=422)
    try:
        order = services.lookup_order(form.cleaned_data["number"], form.cleaned_data["code"], ip=client_ip(request))
    except (limits.Throttled, NotFound) as exc:
        # The code is never echoed back; the answer is the same whether the number exists or not.
        fresh = TrackForm(initial={"number": form.cleaned_data["number"]})
        return render(request, "portal/track.html", {"form": fresh, "error": exc.localized()}, status=exc.status)
    _remember_order(request, order.number)
    return redirect("portal:order", number=order.number)


@rate_limited
@require_GET
def order_page(request, number: str):
    order = _tracked_order(request, number)
    if order is None:
        return redirect("portal:track")
    return render(
        request,
        "portal/order.html",
        {
            "order": order,
            "timeline": services.public_timeline(order),
            "can_rate": services.can_rate(order),
            "rate_form": RateForm(),
        },
    )


@rate_limited
@require_POST
def rate(request, number: str):
    order = _tracked_order(request, number)
    if order is None:
        return redirect("portal:track")
    form = RateForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.rate_order(
                order, satisfaction=form.cleaned_data["satisfaction"], reason=form.cleaned_data["reason"]
            )
            request.session["portal_rated"] = number
            return redirect("portal:order", number=number)
        except DomainError as exc:
            error = exc.localized()
    ctx = {
        "order": order,
        "timeline": services.public_timeline(order),
        "can_rate": services.can_rate(order),
        "rate_form": form,
        "error": error,
    }
    return render(request, "portal/order.html", ctx, status=422)


# ---------------------------------------------------------------------------------------------------------
# public knowledge base (便民知识库)


def _current(qs):
    today = timezone.localdate(timezone=TZ)
    return qs.filter(Q(effective_from__isnull=True) | Q(effective_from__lte=today)).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )


def _public_articles():
    return _current(visible_articles(AnonymousUser()))


@rate_limited
@require_GET
def kb_index(request):
    q = (request.GET.get("q") or "").strip()[:200]
    category = (request.GET.get("category") or "").strip()
    codes = list(_public_articles().values_list("category__code", flat=True))
    counts: dict[str, int] = {}
    for code in codes:
        top = code.split("-")[0]
        counts[top] = counts.get(top, 0) + 1
    tops = [(c, counts[c.code]) for c in Category.objects.filter(code__in=counts, level=1).order_by("sort", "code")]
    ctx = {"q": q, "category": category, "categories": tops}
    if category and not Category.objects.filter(code=category).exists():
        category = ""
        ctx["category"] = ""
    if q:
        try:
            result = search_articles(
                q,
                actor=AnonymousUser(),
                filters=SearchFilters(visibility=Visibility.PUBLIC, category=category),
                limit=30,
            )
        except DomainError:
            result = None
        if result is not None:
            kb_actions.do_log_search(
                None,
                channel=SearchChannel.PORTAL,
                query=q,
                filters={"category": category},
                article_ids=[h.article_id for h in result.hits],
                took_ms=result.took_ms,
                best_coverage=max((h.coverage for h in result.hits), default=0.0),
            )
        ctx["hits"] = result.hits if result else []
    else:
        qs = _public_articles().select_related("category").order_by("-published_at", "-pk")
        if category:
            qs = qs.filter(Q(category__code=category) | Q(category__code__startswith=category + "-"))
        ctx["page"] = Paginator(qs.only("pk", "title", "category__name", "published_at"), 20).get_page(
            request.GET.get("page")
        )
    return render(request, "portal/kb_index.html", ctx)


def _voter(request) -> str:
    if not request.session.session_key:
        request.session.save()
    return "portal:" + hashlib.sha256(request.session.session_key.encode()).hexdigest()[:40]


@rate_limited
@require_GET
def kb_article(request, pk: int):
    article = _public_articles().select_related("category").filter(pk=pk).first()
    if article is None:
        raise Http404(_("No such article."))
    related = [
        h
        for h in search_articles(
            article.title, actor=AnonymousUser(), filters=SearchFilters(visibility=Visibility.PUBLIC), limit=6
        ).hits
        if h.article_id != article.pk
    ][:5]
    up, down = helpful_counts([article.pk]).get(article.pk, (0, 0))
    voted = request.session.get("kb_votes", {}).get(str(article.pk))
    return render(
        request,
        "portal/kb_article.html",
        {"article": article, "related": related, "helpful_up": up, "helpful_down": down, "voted": voted},
    )


@rate_limited
@require_POST
def kb_vote(request, pk: int):
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return redirect("portal:kb_article", pk=pk)
    try:
        kb_actions.do_record_helpful_vote(
            AnonymousUser(),
            pk,
            helpful=helpful == "yes",
            voter=_voter(request),
            comment=(request.POST.get("comment") or "")[:500],
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    votes = request.session.get("kb_votes", {})
    votes[str(pk)] = helpful
    request.session["kb_votes"] = votes
    if request.htmx:
        return render(request, "portal/_kb_voted.html", {"voted": helpful})
    return redirect(reverse("portal:kb_article", args=[pk]) + "#helpful")


# ---------------------------------------------------------------------------------------------------------
# SMS opt-out


@rate_limited
@require_http_methods(["GET", "POST"])
def sms_optout(request, token: str):
    ph = hash_from_token(token)
    if ph is None:
        raise Http404(_("This link is not valid."))
    if request.method == "POST":
        if request.POST.get("choice") == "in":
            do_opt_in(ph)
        else:
            do_opt_out(ph, source="link")
        return redirect("portal:sms_optout", token=token)
    return render(request, "portal/sms_optout.html", {"opted_out": is_opted_out(ph)})
