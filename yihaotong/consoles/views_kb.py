"""The knowledge-base console: list and search, article page with its lifecycle buttons and revisions,
edit, diff, import and export, and the KB team's gap list. Views parse and render; actions write."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yihaotong.accounts import roles as R
from yihaotong.core.api import paginate
from yihaotong.core.errors import DomainError, Invalid, NotFound
from yihaotong.kb import actions as A
from yihaotong.kb.access import (
    access_article,
    available_moves,
    can_edit,
    can_propose,
    is_kb_team,
    is_staff_reader,
)
from yihaotong.kb.actions import snapshot
from yihaotong.kb.dashboard import build_dashboard
from yihaotong.kb.models import (
    ArticleRevision,
    ArticleState,
    DictionaryWord,
    GapMark,
    GapState,
    MaterialType,
    SearchChannel,
    SynonymGroup,
    UsageKind,
    Visibility,
)
from yihaotong.kb.search import SearchFilters, search_articles
from yihaotong.kb.selectors import ArticleFilter, diff_revisions, diff_snapshots, list_articles, usage_counts
from yihaotong.kb.transfer import do_import_articles, export_csv, export_xlsx

from .actions_util import apply_domain_error, run_action
from .forms_kb import ArticleForm, ImportForm, ReasonForm, leaf_category_choices, unit_choices

FILTERS = ["q", "s", "state", "category", "unit", "material_type", "visibility", "flag", "validity", "sort"]
FLAGS = [
    ("expired", gettext_lazy("Expired")),
    ("review_overdue", gettext_lazy("Overdue for review")),
    ("proposal", gettext_lazy("Change proposed")),
]
MOVES = {"submit", "return", "publish", "archive", "restore", "accept_proposal", "reject_proposal"}
MARKS = {UsageKind.HELPFUL, UsageKind.UNHELPFUL, UsageKind.OUTDATED}


def _reader(view):
    """Staff only (every role but panel members); the screens check rights on each article themselves."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not (is_staff_reader(request.user) or is_kb_team(request.user)):
            raise PermissionDenied(_("The knowledge base console is for staff."))
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _int(value) -> int:
    return int(value) if (value or "").isdigit() else 0


def _writer(user) -> bool:
    return is_kb_team(user) or R.UNIT_ADMIN in user.roles


@require_GET
@_reader
def kb_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTERS}
    context = {
        "params": params,
        "states": ArticleState.choices,
        "materials": MaterialType.choices,
        "visibilities": Visibility.choices,
        "flags": FLAGS,
        "categories": leaf_category_choices()[1:],
        "units": unit_choices()[1:],
        "can_write": _writer(request.user),
        "is_kb_team": is_kb_team(request.user),
        "is_leader": R.LEADER in request.user.roles,
        "errors": {},
    }
    if params["s"]:
        # A ranked search (the same search as the desk and the API), logged as a console search.
        filters = SearchFilters(
            category=params["category"],
            unit=params["unit"],
            material_type=params["material_type"],
            visibility=params["visibility"],
            validity=params["validity"] or "current",
        )
        try:
            result = search_articles(params["s"], actor=request.user, filters=filters, limit=30)
            A.do_log_search(
                request.user,
                channel=SearchChannel.CONSOLE,
                query=result.query,
                filters=filters.as_dict(),
                article_ids=result.article_ids,
                took_ms=result.took_ms,
                best_coverage=result.best_coverage,
            )
            context["result"] = result
        except Invalid as exc:
            context["errors"] = exc.localized_errors()
    else:
        f = ArticleFilter(
            q=params["q"],
            state=params["state"],
            category=params["category"],
            unit=params["unit"],
            material_type=params["material_type"],
            visibility=params["visibility"],
            flag=params["flag"],
            sort=params["sort"] or "-updated",
        )
        try:
            items, meta = paginate(list_articles(request.user, f), request.GET.get("page", 1), 50)
        except Invalid as exc:
            context["errors"] = exc.localized_errors()
            items, meta = [], {"page": 1, "page_size": 50, "total": 0, "pages": 0}
        context.update(rows=items, meta=meta)
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    template = "consoles/kb/_rows.html" if request.htmx else "consoles/kb/list.html"
    return render(request, template, context)


def _article_or_404(user, pk: int):
    try:
        return access_article(user, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@require_GET
@_reader
def kb_article(request, pk: int):
    article = _article_or_404(request.user, pk)
    revisions = list(ArticleRevision.objects.filter(article=article).select_related("actor").order_by("-number"))
    context = {
        "article": article,
        "revisions": revisions,
        "moves": available_moves(request.user, article),
        "can_edit": can_edit(request.user, article),
        "can_propose": can_propose(request.user, article),
        "proposal_changes": (
            diff_snapshots(snapshot(article), article.proposal)
            if article.proposal and (can_propose(request.user, article) or is_kb_team(request.user))
            else None
        ),
        "usage": usage_counts([article.pk])[article.pk],
        "reason_form": ReasonForm(),
        "marks": [(k, UsageKind(k).label) for k in (UsageKind.HELPFUL, UsageKind.UNHELPFUL, UsageKind.OUTDATED)],
    }
    return render(request, "consoles/kb/article.html", context)


@require_http_methods(["GET", "POST"])
@_reader
def kb_new(request):
    if not _writer(request.user):
        raise PermissionDenied(_("Only the knowledge-base team and unit admins write articles."))
    initial = {"owner_unit": request.user.unit.code if request.user.unit_id else "", "visibility": "public"}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        article = run_action(
            request, form, lambda d: A.do_create_article(request.user, form.to_input()), success=_("Draft saved.")
        )
        if article is not None:
            return redirect("consoles:kb_article", article.pk)
    return render(request, "consoles/kb/edit.html", {"form": form, "article": None})


@require_http_methods(["GET", "POST"])
@_reader
def kb_edit(request, pk: int):
    article = _article_or_404(request.user, pk)
    if not can_edit(request.user, article):
        raise PermissionDenied(_("You may not edit this article in its current state."))
    form = ArticleForm(request.POST or None, initial=ArticleForm.initial_of(article))
    if request.method == "POST":
        saved = run_action(
            request,
            form,
            lambda d: A.do_edit_article(
                request.user, pk, form.to_input(), expected_revision=d.get("expected_revision")
            ),
            success=_("Article saved."),
        )
        if saved is not None:
            return redirect("consoles:kb_article", pk)
    return render(request, "consoles/kb/edit.html", {"form": form, "article": article})


@require_POST
@_reader
def kb_move(request, pk: int, move: str):
    if move in MARKS:
        run_action(request, None, lambda d: A.do_record_usage(request.user, pk, move), success=_("Thank you: noted."))
        return redirect("consoles:kb_article", pk)
    if move not in MOVES:
        raise Http404("No such move.")
    form = ReasonForm(request.POST)
    calls = {
        "submit": lambda d: A.do_submit_article(request.user, pk),
        "return": lambda d: A.do_return_article(request.user, pk, reason=d.get("reason") or ""),
        "publish": lambda d: A.do_publish_article(request.user, pk),
        "archive": lambda d: A.do_archive_article(request.user, pk, reason=d.get("reason") or ""),
        "restore": lambda d: A.do_restore_article(request.user, pk),
        "accept_proposal": lambda d: A.do_accept_change(request.user, pk),
        "reject_proposal": lambda d: A.do_reject_change(request.user, pk, reason=d.get("reason") or ""),
    }
    if run_action(request, form, calls[move], success=_("Done.")) is None:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("consoles:kb_article", pk)


@require_GET
@_reader
def kb_diff(request, pk: int):
    article = _article_or_404(request.user, pk)
    try:
        new = int(request.GET.get("new") or article.revision)
        old = int(request.GET.get("old") or new - 1)
        changes = diff_revisions(article, old, new)
    except (ValueError, NotFound) as exc:
        raise Http404(_("No such revision.")) from exc
    return render(request, "consoles/kb/diff.html", {"article": article, "changes": changes, "old": old, "new": new})


@require_http_methods(["GET", "POST"])
@_reader
def kb_import(request):
    if not _writer(request.user):
        raise PermissionDenied(_("Only the knowledge-base team and unit admins import articles."))
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = do_import_articles(
                request.user, upload.name, upload.read(), publish=form.cleaned_data.get("publish", False)
            )
        except DomainError as exc:
            apply_domain_error(form, request, exc)
            for name, errors in exc.localized_errors().items():
                for error in errors:
                    form.add_error(None, f"{name}: {error}")
    return render(request, "consoles/kb/import.html", {"form": form, "report": report})


@require_GET
@_reader
def kb_export(request):
    f = ArticleFilter(state=request.GET.get("state", ""), category=request.GET.get("category", ""))
    try:
        qs = list_articles(request.user, f)[:10_000]
    except Invalid as exc:
        raise Http404(exc.localized()) from exc
    stamp = datetime.now().strftime("%Y%m%d")
    if request.GET.get("format") == "csv":
        response = HttpResponse(export_csv(qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="kb-{stamp}.csv"'
    else:
        response = HttpResponse(
            export_xlsx(qs), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="kb-{stamp}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@_reader
def kb_gaps(request):
    if not is_kb_team(request.user):
        raise PermissionDenied(_("The gap list is for the knowledge-base team."))
    if request.method == "POST":
        gap_id = _int(request.POST.get("gap"))
        article = run_action(
            request,
            None,
            lambda d: A.do_draft_from_gap(
                request.user,
                gap_id,
                category=request.POST.get("category", ""),
                owner_unit=request.POST.get("owner_unit", ""),
            ),
            success=_("Draft started from the question."),
        )
        if article is not None:
            return redirect("consoles:kb_edit", article.pk)
    gaps = GapMark.objects.filter(state=GapState.OPEN).select_related("actor")[:200]
    context = {"gaps": gaps, "categories": leaf_category_choices()[1:], "units": unit_choices()[1:]}
    return render(request, "consoles/kb/gaps.html", context)


@require_http_methods(["GET", "POST"])
@_reader
def kb_dashboard(request):
    """Usage and gaps for the KB team and leaders; a cluster of unanswered questions becomes a draft."""
    if not (is_kb_team(request.user) or R.LEADER in request.user.roles):
        raise PermissionDenied(_("The dashboard is for the knowledge-base team and leaders."))
    if request.method == "POST":
        gap_ids = [int(g) for g in request.POST.getlist("gap") if g.isdigit()]
        article = run_action(
            request,
            None,
            lambda d: A.do_draft_from_questions(
                request.user,
                request.POST.getlist("question"),
                gap_ids=gap_ids,
                category=request.POST.get("category", ""),
                owner_unit=request.POST.get("owner_unit", ""),
            ),
            success=_("Draft started from the question."),
        )
        if article is not None:
            return redirect("consoles:kb_edit", article.pk)
    try:
        days = max(1, min(int(request.GET.get("days") or 30), 366))
    except ValueError:
        days = 30
    context = {
        "d": build_dashboard(request.user, days=days),
        "days": days,
        "can_draft": is_kb_team(request.user),
        "categories": leaf_category_choices()[1:],
        "units": unit_choices()[1:],
    }
    return render(request, "consoles/kb/dashboard.html", context)


@require_http_methods(["GET", "POST"])
@_reader
def kb_vocabulary(request):
    """Synonym groups and the user dictionary (KB team): used by the analyser at every process's next poll."""
    if not is_kb_team(request.user):
        raise PermissionDenied(_("Synonyms and the user dictionary are edited by the knowledge-base team."))
    if request.method == "POST":
        op = request.POST.get("op", "")
        calls = {
            "add_synonyms": lambda d: A.do_save_synonym_group(request.user, request.POST.get("terms", "")),
            "delete_synonyms": lambda d: A.do_delete_synonym_group(request.user, _int(request.POST.get("id"))),
            "add_word": lambda d: A.do_save_dictionary_word(request.user, request.POST.get("word", "")),
            "delete_word": lambda d: A.do_delete_dictionary_word(request.user, _int(request.POST.get("id"))),
        }
        if op not in calls:
            raise Http404("No such operation.")
        run_action(request, None, calls[op], success=_("Saved; searches use it within a few seconds."))
        return redirect("consoles:kb_vocabulary")
    context = {"groups": SynonymGroup.objects.all(), "words": DictionaryWord.objects.all()}
    return render(request, "consoles/kb/vocabulary.html", context)


@require_http_methods(["GET", "POST"])
@_reader
def kb_propose(request, pk: int):
    """The owner unit proposes a change to its published article (the KB team accepts or rejects it)."""
    article = _article_or_404(request.user, pk)
    if not can_propose(request.user, article):
        raise PermissionDenied(_("Only the owner unit proposes changes to a published article."))
    initial = ArticleForm.initial_of(article)
    if article.proposal:
        initial.update({k: v for k, v in article.proposal.items() if k in initial})
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST":
        done = run_action(
            request,
            form,
            lambda d: A.do_propose_change(request.user, pk, form.to_input()),
            success=_("Change proposed: the knowledge-base team will review it."),
        )
        if done is not None:
            return redirect("consoles:kb_article", pk)
    return render(request, "consoles/kb/edit.html", {"form": form, "article": article, "proposing": True})
