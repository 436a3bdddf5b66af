"""Knowledge-base endpoints: search (staff and public), articles and their lifecycle, revisions and diffs,
usage and gap marks, synonyms and the user dictionary, import and export. Same actions as the console."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from yihaotong.core.api import paginate

from . import actions as A
from .access import access_article, available_moves, can_edit, can_propose, is_kb_team
from .models import Article, ArticleRevision, DictionaryWord, SearchChannel, SynonymGroup
from .search import SearchFilters, search_articles
from .selectors import ArticleFilter, diff_revisions, list_articles
from .transfer import do_import_articles, export_csv, export_xlsx

router = Router()
public_router = Router()


# ---------------------------------------------------------------------------------------------------------
# schemas


class HitOut(Schema):
    article_id: int
    ref: str
    title: str
    title_html: str
    snippet: str
    score: float
    coverage: float
    category: str
    owner_unit: str
    issuing_unit: str
    material_type: str
    visibility: str
    expired: bool
    not_yet_effective: bool
    review_overdue: bool
    long: bool


class SearchOut(Schema):
    search_id: int | None
    query: str
    total: int
    took_ms: float
    hits: list[HitOut]


class SearchParams(Schema):
    q: str = ""
    category: str = ""
    unit: str = ""
    material_type: str = ""
    visibility: str = ""
    validity: str = "current"
    limit: int = 10
    channel: str = "api"  # desk when the operator desk asks


class Ref(Schema):
    code: str
    name: str


class ArticleIn(Schema):
    title: str
    category: str
    content: str
    material_type: str
    owner_unit: str
    issuing_unit: str = ""
    keywords: list[str] | str = ""
    phrasings: list[str] | str = ""
    visibility: str = "public"
    effective_from: date | None = None
    expires_on: date | None = None
    next_review_on: date | None = None


class ArticleEditIn(ArticleIn):
    expected_revision: int | None = None


class ArticleItem(Schema):
    id: int
    ref: str
    title: str
    state: str
    category: Ref
    owner_unit: Ref
    material_type: str
    visibility: str
    revision: int
    updated_at: datetime
    expires_on: date | None
    next_review_on: date | None


class RevisionOut(Schema):
    number: int
    action: str
    state: str
    note: str
    actor: str
    at: datetime


class ArticleOut(ArticleItem):
    content: str
    content_text: str
    issuing_unit: str
    keywords: list[str]
    phrasings: list[str]
    effective_from: date | None
    published_at: datetime | None
    can_edit: bool
    can_propose: bool
    proposal: dict | None
    actions: list[str]
    revisions: list[RevisionOut]


class ArticleList(Schema):
    items: list[ArticleItem]
    page: int
    page_size: int
    total: int
    pages: int


class ReasonIn(Schema):
    reason: str = ""


class ChangeOut(Schema):
    field: str
    before: str
    after: str
    html: str


class UsageIn(Schema):
    kind: str
    search_id: int | None = None
    reference: str = ""


class GapIn(Schema):
    query: str
    note: str = ""
    search_id: int | None = None


class IdOut(Schema):
    id: int


class SynonymIn(Schema):
    terms: list[str] | str
    is_active: bool = True
    note: str = ""


class SynonymOut(Schema):
    id: int
    terms: list[str]
    is_active: bool
    note: str


class WordIn(Schema):
    word: str
    is_active: bool = True
    note: str = ""


class WordOut(Schema):
    id: int
    word: str
    is_active: bool


class ImportRow(Schema):
    row: int
    title: str
    ok: bool
    errors: dict[str, list[str]]
    article_id: int | None


class ImportOut(Schema):
    created: int
    rejected: int
    rows: list[ImportRow]


# ---------------------------------------------------------------------------------------------------------
# helpers


def _ref(obj) -> dict:
    return {"code": obj.code, "name": obj.short_name if getattr(obj, "short_name", "") else obj.name}


def _item(a: Article) -> dict:
    return {
        "id": a.pk,
        "ref": a.ref,
        "title": a.title,
        "state": a.state,
        "category": {"code": a.category.code, "name": a.category.name},
        "owner_unit": _ref(a.owner_unit),
        "material_type": a.material_type,
        "visibility": a.visibility,
        "revision": a.revision,
        "updated_at": a.updated_at,
        "expires_on": a.expires_on,
        "next_review_on": a.next_review_on,
    }


def article_out(actor, article_id: int) -> dict:
    a = access_article(actor, article_id)
    revisions = ArticleRevision.objects.filter(article=a).select_related("actor").order_by("-number")
    data = _item(a)
    data.update(
        content=a.content,
        content_text=a.content_text,
        issuing_unit=a.issuing_unit,
        keywords=a.keyword_list(),
        phrasings=a.phrasing_list(),
        effective_from=a.effective_from,
        published_at=a.published_at,
        can_edit=can_edit(actor, a),
        can_propose=can_propose(actor, a),
        proposal=a.proposal if (a.proposal and (can_propose(actor, a) or is_kb_team(actor))) else None,
        actions=available_moves(actor, a),
        revisions=[
            {
                "number": r.number,
                "action": r.action,
                "state": r.state,
                "note": r.note,
                "actor": str(r.actor) if r.actor else "",
                "at": r.at,
            }
            for r in revisions
        ],
    )
    return data


def _input(payload: ArticleIn) -> A.ArticleInput:
    return A.ArticleInput(
        title=payload.title,
        category=payload.category,
        content=payload.content,
        material_type=payload.material_type,
        owner_unit=payload.owner_unit,
        issuing_unit=payload.issuing_unit,
        keywords=payload.keywords,
        phrasings=payload.phrasings,
        visibility=payload.visibility,
        effective_from=payload.effective_from,
        expires_on=payload.expires_on,
        next_review_on=payload.next_review_on,
    )


def run_search(actor, p: SearchParams, *, channel: str, log: bool = True) -> dict:
    filters = SearchFilters(
        category=p.category, unit=p.unit, material_type=p.material_type, visibility=p.visibility, validity=p.validity
    )
    result = search_articles(p.q, actor=actor, filters=filters, limit=p.limit)
    search_id = None
    if log and result.query:
        search_id = A.do_log_search(
            actor,
            channel=channel,
            query=result.query,
            filters=filters.as_dict(),
            article_ids=result.article_ids,
            took_ms=result.took_ms,
            best_coverage=result.best_coverage,
        ).pk
    return {
        "search_id": search_id,
        "query": result.query,
        "total": result.total,
        "took_ms": round(result.took_ms, 2),
        "hits": [h.__dict__ for h in result.hits],
    }


# ---------------------------------------------------------------------------------------------------------
# search


@router.get("/search", response=SearchOut, summary="Search the knowledge base (logged)")
def search(request: HttpRequest, params: Query[SearchParams]):
    channel = params.channel if params.channel in (SearchChannel.DESK, SearchChannel.API) else SearchChannel.API
    return run_search(request.auth, params, channel=channel)


@public_router.get("/search", response=SearchOut, auth=None, summary="Search the public articles (portal)")
def public_search(request: HttpRequest, params: Query[SearchParams]):
    params.visibility = ""
    params.validity = "current"
    return run_search(None, params, channel=SearchChannel.PORTAL)


# ---------------------------------------------------------------------------------------------------------
# articles


@router.get("/articles", response=ArticleList, summary="List articles")
def list_(
    request: HttpRequest,
    q: str = "",
    state: str = "",
    category: str = "",
    unit: str = "",
    material_type: str = "",
    visibility: str = "",
    flag: str = "",
    sort: str = "-updated",
    page: int = 1,
    page_size: int = 50,
):
    f = ArticleFilter(q, state, category, unit, material_type, visibility, flag, sort)
    items, meta = paginate(list_articles(request.auth, f), page, page_size)
    return {"items": [_item(a) for a in items], **meta}


@router.post("/articles", response={201: ArticleOut}, summary="Write a new article (a draft)")
def create(request: HttpRequest, payload: ArticleIn):
    article = A.do_create_article(request.auth, _input(payload))
    return Status(201, article_out(request.auth, article.pk))


@router.get("/articles/{int:article_id}", response=ArticleOut, summary="An article with its revisions")
def detail(request: HttpRequest, article_id: int):
    return article_out(request.auth, article_id)


@router.put("/articles/{int:article_id}", response=ArticleOut, summary="Change an article")
def edit(request: HttpRequest, article_id: int, payload: ArticleEditIn):
    A.do_edit_article(request.auth, article_id, _input(payload), expected_revision=payload.expected_revision)
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/submit", response=ArticleOut, summary="Submit for review")
def submit(request: HttpRequest, article_id: int):
    A.do_submit_article(request.auth, article_id)
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/return", response=ArticleOut, summary="Return to the author")
def return_(request: HttpRequest, article_id: int, payload: ReasonIn):
    A.do_return_article(request.auth, article_id, reason=payload.reason)
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/publish", response=ArticleOut, summary="Publish")
def publish(request: HttpRequest, article_id: int):
    A.do_publish_article(request.auth, article_id)
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/archive", response=ArticleOut, summary="Archive")
def archive(request: HttpRequest, article_id: int, payload: ReasonIn):
    A.do_archive_article(request.auth, article_id, reason=payload.reason)
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/restore", response=ArticleOut, summary="Restore as a draft")
def restore(request: HttpRequest, article_id: int):
    A.do_restore_article(request.auth, article_id)
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/proposal", response=ArticleOut, summary="Propose a change (owner unit)")
def propose(request: HttpRequest, article_id: int, payload: ArticleIn):
    A.do_propose_change(request.auth, article_id, _input(payload))
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/proposal/accept", response=ArticleOut, summary="Accept a proposed change")
def accept_proposal(request: HttpRequest, article_id: int):
    A.do_accept_change(request.auth, article_id)
    return article_out(request.auth, article_id)


@router.post("/articles/{int:article_id}/proposal/reject", response=ArticleOut, summary="Reject a proposed change")
def reject_proposal(request: HttpRequest, article_id: int, payload: ReasonIn):
    A.do_reject_change(request.auth, article_id, reason=payload.reason)
    return article_out(request.auth, article_id)


@router.get("/articles/{int:article_id}/diff", response=list[ChangeOut], summary="Changes between two revisions")
def diff(request: HttpRequest, article_id: int, old: int, new: int):
    article = access_article(request.auth, article_id)
    return [c.__dict__ for c in diff_revisions(article, old, new)]


@router.post("/articles/{int:article_id}/usage", response={201: IdOut}, summary="Record opened / used / marked")
def usage(request: HttpRequest, article_id: int, payload: UsageIn):
    row = A.do_record_usage(
        request.auth, article_id, payload.kind, search_id=payload.search_id, reference=payload.reference
    )
    return Status(201, {"id": row.pk})


@router.post("/gaps", response={201: IdOut}, summary="Mark a question no article answered")
def gap(request: HttpRequest, payload: GapIn):
    row = A.do_mark_gap(request.auth, payload.query, note=payload.note, search_id=payload.search_id)
    return Status(201, {"id": row.pk})


# ---------------------------------------------------------------------------------------------------------
# vocabulary


def _synonym(g: SynonymGroup) -> dict:
    return {"id": g.pk, "terms": g.term_list(), "is_active": g.is_active, "note": g.note}


@router.get("/synonyms", response=list[SynonymOut], summary="Synonym groups")
def synonyms(request: HttpRequest):
    return [_synonym(g) for g in SynonymGroup.objects.all()]


@router.post("/synonyms", response={201: SynonymOut}, summary="Add a synonym group (used at once)")
def add_synonyms(request: HttpRequest, payload: SynonymIn):
    group = A.do_save_synonym_group(request.auth, payload.terms, is_active=payload.is_active, note=payload.note)
    return Status(201, _synonym(group))


@router.put("/synonyms/{int:group_id}", response=SynonymOut, summary="Change a synonym group")
def change_synonyms(request: HttpRequest, group_id: int, payload: SynonymIn):
    group = A.do_save_synonym_group(
        request.auth, payload.terms, group_id=group_id, is_active=payload.is_active, note=payload.note
    )
    return _synonym(group)


@router.delete("/synonyms/{int:group_id}", response={204: None}, summary="Delete a synonym group")
def delete_synonyms(request: HttpRequest, group_id: int):
    A.do_delete_synonym_group(request.auth, group_id)
    return Status(204, None)


@router.get("/dictionary", response=list[WordOut], summary="The user dictionary")
def dictionary(request: HttpRequest):
    return [{"id": w.pk, "word": w.word, "is_active": w.is_active} for w in DictionaryWord.objects.all()]


@router.post("/dictionary", response={201: WordOut}, summary="Add a word to the user dictionary")
def add_word(request: HttpRequest, payload: WordIn):
    w = A.do_save_dictionary_word(request.auth, payload.word, is_active=payload.is_active, note=payload.note)
    return Status(201, {"id": w.pk, "word": w.word, "is_active": w.is_active})


@router.delete("/dictionary/{int:word_id}", response={204: None}, summary="Remove a word")
def delete_word(request: HttpRequest, word_id: int):
    A.do_delete_dictionary_word(request.auth, word_id)
    return Status(204, None)


# ---------------------------------------------------------------------------------------------------------
# import and export


@router.post("/import", response=ImportOut, summary="Import up to 1,000 articles (xlsx or CSV)")
def import_(request: HttpRequest, file: File[UploadedFile], publish: bool = False):
    report = do_import_articles(request.auth, file.name or "", file.read(), publish=publish)
    return report.as_dict()


@router.get("/export", summary="Export the articles you may read (xlsx or CSV)")
def export(request: HttpRequest, format: str = "xlsx", state: str = "", category: str = "", unit: str = ""):
    qs = list_articles(request.auth, ArticleFilter(state=state, category=category, unit=unit))[:10_000]
    stamp = datetime.now().strftime("%Y%m%d")
    if format == "csv":
        response = HttpResponse(export_csv(qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="kb-{stamp}.csv"'
        return response
    response = HttpResponse(
        export_xlsx(qs), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="kb-{stamp}.xlsx"'
    return response
