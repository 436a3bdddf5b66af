"""Public pages of the portal: published cases (/portal/cases/) and review summaries (/portal/reviews/).

Only published, redacted texts; no login; search and pagination."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yihaotong.core.api import paginate

from .models import Publication, PublicationKind, PublicationState

PAGE_SIZE = 10


def published(kind: str):
    return Publication.objects.filter(kind=kind, state=PublicationState.PUBLISHED)


def search_published(kind: str, q: str = ""):
    qs = published(kind)
    for word in (q or "").split()[:5]:
        qs = qs.filter(Q(title__icontains=word) | Q(question__icontains=word) | Q(answer__icontains=word))
    return qs.order_by("-published_at", "-id")


def _list(request, kind: str, template: str):
    q = (request.GET.get("q") or "").strip()[:100]
    items, meta = paginate(search_published(kind, q), request.GET.get("page"), PAGE_SIZE)
    page_query = f"q={q}" if q else ""
    return render(request, template, {"items": items, "meta": meta, "q": q, "page_query": page_query})


def _detail(request, kind: str, pk: int, template: str):
    pub = published(kind).filter(pk=pk).first()
    if pub is None:
        raise Http404
    return render(request, template, {"pub": pub})


@require_GET
def cases(request):
    return _list(request, PublicationKind.CASE, "feedback/public/cases.html")


@require_GET
def case(request, pk: int):
    return _detail(request, PublicationKind.CASE, pk, "feedback/public/case.html")


@require_GET
def reviews(request):
    return _list(request, PublicationKind.REVIEW, "feedback/public/reviews.html")


@require_GET
def review(request, pk: int):
    return _detail(request, PublicationKind.REVIEW, pk, "feedback/public/review.html")
