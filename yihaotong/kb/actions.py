"""The only code that changes the knowledge base (architecture.md §3.1).

Article actions run in one transaction, lock the article row through ``access_article`` (visibility
first), check the move against ``states``, write the change and one append-only revision, and move the
search index version when the published set changes (``_touch_index``), so every server process sees the
change at its next poll (docs/decisions/0008).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import nh3
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from yihaotong.core.analysis import normalise
from yihaotong.core.errors import Conflict, Invalid, InvalidTransition, Message, NotFound, NotPermitted
from yihaotong.directory.models import Category, Unit

from . import states as S
from .access import access_article, capacities, check_can_edit, is_kb_team
from .models import (
    Article,
    ArticleRevision,
    ArticleState,
    ArticleUsage,
    DictionaryWord,
    GapMark,
    GapState,
    HelpfulVote,
    IndexState,
    MaterialType,
    RevisionAction,
    SearchChannel,
    SearchLog,
    SynonymGroup,
    UsageKind,
    Visibility,
)

TITLE_MAX = 128
KEYWORD_MAX = 20
CONTENT_MAX = 100_000
PHRASING_MAX = 200
SNAPSHOT_FIELDS = [
    "title",
    "category",
    "content",
    "issuing_unit",
    "material_type",
    "keywords",
    "phrasings",
    "visibility",
    "effective_from",
    "expires_on",
    "next_review_on",
    "owner_unit",
]
DATE_FIELDS = ("effective_from", "expires_on", "next_review_on")
_SPLIT_KEYWORDS = re.compile(r"[,，、;；\n]+")
_BLOCK_END = re.compile(r"(?i)</(p|div|li|h[1-6]|tr)>|<br\s*/?>")
_TAGS = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"[ \t\r\f\v]+")

# ---------------------------------------------------------------------------------------------------------
# input


@dataclass
class ArticleInput:
    """What an author gives for an article: codes for the category and the owner unit."""

    title: str
    category: str  # category code
    content: str
    material_type: str
    owner_unit: str  # unit code
    issuing_unit: str = ""
    keywords: str | list[str] = ""
    phrasings: str | list[str] = ""
    visibility: str = Visibility.PUBLIC
    effective_from: date | None = None
    expires_on: date | None = None
    next_review_on: date | None = None


@dataclass
class CleanArticle:
    values: dict
    errors: dict[str, list[str]] = field(default_factory=dict)


def sanitise_html(content: str) -> str:
    """Return ``content`` as safe HTML; plain text (no tags) becomes paragraphs."""
    content = (content or "").strip()
    if "<" not in content:
        paragraphs = [p.strip() for p in content.splitlines() if p.strip()]
        return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return nh3.clean(content)


def html_to_text(content: str) -> str:
    """Return the plain text of sanitised HTML, one line per block."""
    text = _BLOCK_END.sub("\n", content or "")
    text = html.unescape(_TAGS.sub("", text))
    lines = [_BLANKS.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def split_keywords(value: str | list[str] | None) -> list[str]:
    items = value if isinstance(value, list) else _SPLIT_KEYWORDS.split(value or "")
    seen, out = set(), []
    for item in items:
        item = normalise(item) if item else ""
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def split_phrasings(value: str | list[str] | None) -> list[str]:
    items = value if isinstance(value, list) else (value or "").splitlines()
    return [p.strip() for p in items if p and p.strip()]


def clean_article_input(
    data: ArticleInput,
    *,
    categories: dict[str, Category] | None = None,
    units: dict[str, Unit] | None = None,
    leaf_ids: set[int] | None = None,
) -> CleanArticle:
    """Validate ``data`` without writing; return the model values and the errors by field.

    The import passes the lookups in (one query per batch, not per row).
    """
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    title = (data.title or "").strip()
    if not title:
        err("title", gettext_noop("required"))
    elif len(title) > TITLE_MAX:
        err("title", Message(gettext_noop("at most %(max)s characters"), max=TITLE_MAX))
    content = sanitise_html(data.content or "")
    text = html_to_text(content)
    if not text:
        err("content", gettext_noop("required"))
    elif len(content) > CONTENT_MAX:
        err("content", Message(gettext_noop("at most %(max)s characters"), max=CONTENT_MAX))
    code = (data.category or "").strip()
    category = categories.get(code) if categories is not None else Category.objects.filter(code=code).first()
    if category is None:
        err("category", gettext_noop("unknown category") if code else gettext_noop("required"))
    else:
        is_leaf = (
            category.pk in leaf_ids if leaf_ids is not None else not Category.objects.filter(parent=category).exists()
        )
        if not is_leaf:
            err("category", gettext_noop("choose a leaf of the category tree"))
    code = (data.owner_unit or "").strip()
    unit = units.get(code) if units is not None else Unit.objects.filter(code=code).first()
    if unit is None:
        err("owner_unit", gettext_noop("unknown unit") if code else gettext_noop("required"))
    if data.material_type not in MaterialType.values:
        err("material_type", Message(gettext_noop("one of %(values)s"), values=", ".join(MaterialType.values)))
    if data.visibility not in Visibility.values:
        err("visibility", gettext_noop("public or internal"))
    keywords = split_keywords(data.keywords)
    for k in keywords:
        if len(k) > KEYWORD_MAX:
            err(
                "keywords",
                Message(gettext_noop("'%(keyword)s' is longer than %(max)s characters"), keyword=k, max=KEYWORD_MAX),
            )
        if title and k == normalise(title):
            err("keywords", gettext_noop("a keyword may not repeat the title"))
    phrasings = split_phrasings(data.phrasings)
    for p in phrasings:
        if len(p) > PHRASING_MAX:
            err("phrasings", Message(gettext_noop("a phrasing is longer than %(max)s characters"), max=PHRASING_MAX))
    issuing = (data.issuing_unit or "").strip()
    if len(issuing) > 128:
        err("issuing_unit", gettext_noop("at most 128 characters"))
    if data.effective_from and data.expires_on and data.expires_on < data.effective_from:
        err("expires_on", gettext_noop("before the effective date"))
    values = {
        "title": title,
        "category": category,
        "content": content,
        "content_text": text,
        "issuing_unit": issuing,
        "material_type": data.material_type,
        "keywords": ",".join(keywords),
        "phrasings": "\n".join(phrasings),
        "visibility": data.visibility,
        "effective_from": data.effective_from,
        "expires_on": data.expires_on,
        "next_review_on": data.next_review_on,
        "owner_unit": unit,
    }
    if len(values["keywords"]) > 512:
        err("keywords", gettext_noop("too many keywords"))
    return CleanArticle(values, errors)


# ---------------------------------------------------------------------------------------------------------
# helpers


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def snapshot(article: Article) -> dict:
    """Return the authored fields of ``article`` as JSON values (what revisions keep and diff)."""
    out = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(article, name)
        if name == "category":
            value = article.category.code
        elif name == "owner_unit":
            value = article.owner_unit.code
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def _record(article: Article, action: str, actor, now: datetime, note: str = "") -> ArticleRevision:
    article.revision += 1
    Article.objects.filter(pk=article.pk).update(revision=article.revision)
    return ArticleRevision.objects.create(
        article=article,
        number=article.revision,
        action=action,
        state=article.state,
        snapshot=snapshot(article),
        note=(note or "")[:255],
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
    )


def _next_index_version(*, analysis: bool = False) -> int:
    """Take the next index version (the row lock orders concurrent writers until they commit)."""
    state, _ = IndexState.objects.get_or_create(pk=1)
    changes = {"version": F("version") + 1}
    if analysis:
        changes["analysis_version"] = F("analysis_version") + 1
    IndexState.objects.filter(pk=1).update(**changes)
    state.refresh_from_db()
    return state.version


@transaction.atomic
def do_request_reindex() -> int:
    """Make every server process rebuild its search index from the database at its next poll."""
    return _next_index_version(analysis=True)


def _touch_index(article: Article) -> None:
    """Mark ``article`` as changed for the search index (entered, changed in, or left the published set)."""
    article.index_version = _next_index_version()
    Article.objects.filter(pk=article.pk).update(index_version=article.index_version)


def _check_unique_title(title: str, exclude_pk: int | None = None) -> None:
    qs = Article.objects.filter(title=title)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise Invalid(
            gettext_noop("An article with this title exists."),
            errors={"title": [gettext_noop("already used by another article")]},
        )


def _raise_errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise Invalid(gettext_noop("The article has invalid fields."), errors=errors)


# ---------------------------------------------------------------------------------------------------------
# articles


@transaction.atomic
def do_create_article(
    actor, data: ArticleInput, *, now: datetime | None = None, action: str = RevisionAction.CREATE, note: str = ""
) -> Article:
    """Create a draft article (units for themselves, the KB team for any unit)."""
    now = _now(now)
    clean = clean_article_input(data)
    _raise_errors(clean.errors)
    if not capacities(actor, owner_unit=clean.values["owner_unit"]):
        raise NotPermitted(gettext_noop("You may write articles only for your own unit."))
    _check_unique_title(clean.values["title"])
    try:
        with transaction.atomic():
            article = Article.objects.create(
                **clean.values,
                state=ArticleState.DRAFT,
                created_by=actor if getattr(actor, "pk", None) else None,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:
        raise Conflict(gettext_noop("An article with this title exists.")) from exc
    _record(article, action, actor, now, note)
    return article


@transaction.atomic
def do_edit_article(
    actor, article_id: int, data: ArticleInput, *, expected_revision: int | None = None, now: datetime | None = None
) -> Article:
    """Change an article's fields; a published article changes in place and in the index (KB team only)."""
    now = _now(now)
    article = access_article(actor, article_id, for_update=True)
    check_can_edit(actor, article)
    if expected_revision is not None and expected_revision != article.revision:
        raise Conflict(gettext_noop("Someone else changed this article; reload it and edit again."))
    clean = clean_article_input(data)
    _raise_errors(clean.errors)
    if S.KB_TEAM not in capacities(actor, article) and not capacities(actor, owner_unit=clean.values["owner_unit"]):
        raise NotPermitted(gettext_noop("You may give articles only to your own unit."))
    _check_unique_title(clean.values["title"], exclude_pk=article.pk)
    before = snapshot(article)
    for name, value in clean.values.items():
        setattr(article, name, value)
    if snapshot(article) == before:
        return article
    article.updated_at = now
    article.save()
    if article.state == ArticleState.PUBLISHED:
        _touch_index(article)
    _record(article, RevisionAction.EDIT, actor, now)
    return article


def _proposal_of(clean: CleanArticle) -> dict:
    """Return validated article values as JSON (what a revision snapshot holds)."""
    v = clean.values
    out = {}
    for name in SNAPSHOT_FIELDS:
        value = v[name]
        if name in ("category", "owner_unit"):
            value = value.code
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def _input_of(proposal: dict) -> ArticleInput:
    dates = {k: date.fromisoformat(proposal[k]) if proposal.get(k) else None for k in DATE_FIELDS}
    return ArticleInput(
        title=proposal["title"],
        category=proposal["category"],
        content=proposal["content"],
        material_type=proposal["material_type"],
        owner_unit=proposal["owner_unit"],
        issuing_unit=proposal.get("issuing_unit") or "",
        keywords=proposal.get("keywords") or "",
        phrasings=proposal.get("phrasings") or "",
        visibility=proposal["visibility"],
        **dates,
    )


@transaction.atomic
def do_propose_change(actor, article_id: int, data: ArticleInput, *, now: datetime | None = None) -> Article:
    """Propose a change to a published article of one's own unit; it stays published until the KB team
    accepts (the change goes live) or rejects it. A newer proposal replaces an older one."""
    now = _now(now)
    article = access_article(actor, article_id, for_update=True)
    if S.AUTHOR not in capacities(actor, article):
        raise NotPermitted(gettext_noop("Only the owner unit proposes changes to its articles."))
    if article.state != ArticleState.PUBLISHED:
        raise InvalidTransition(gettext_noop("Only a published article takes proposals; edit a draft directly."))
    clean = clean_article_input(data)
    _raise_errors(clean.errors)
    if not capacities(actor, owner_unit=clean.values["owner_unit"]):
        raise NotPermitted(gettext_noop("You may give articles only to your own unit."))
    _check_unique_title(clean.values["title"], exclude_pk=article.pk)
    proposal = _proposal_of(clean)
    if proposal == snapshot(article):
        raise Invalid(
            gettext_noop("The proposal changes nothing."), errors={"__all__": [gettext_noop("nothing changed")]}
        )
    article.proposal, article.proposal_by, article.proposal_at = proposal, actor, now
    article.save(update_fields=["proposal", "proposal_by", "proposal_at"])
    _record(article, RevisionAction.PROPOSE, actor, now)
    return article


@transaction.atomic
def do_accept_change(actor, article_id: int, *, now: datetime | None = None) -> Article:
    """Put the proposed change live (the KB team): the same edit as the team's own, then clear it."""
    now = _now(now)
    article = access_article(actor, article_id, for_update=True)
    if S.KB_TEAM not in capacities(actor, article):
        raise NotPermitted(gettext_noop("Only the knowledge-base team accepts proposed changes."))
    if not article.proposal:
        raise InvalidTransition(gettext_noop("This article has no proposed change."))
    data = _input_of(article.proposal)
    Article.objects.filter(pk=article.pk).update(proposal=None, proposal_by=None, proposal_at=None)
    return do_edit_article(actor, article.pk, data, now=now)


@transaction.atomic
def do_reject_change(actor, article_id: int, *, reason: str, now: datetime | None = None) -> Article:
    """Turn a proposed change down, saying why (the KB team)."""
    now = _now(now)
    article = access_article(actor, article_id, for_update=True)
    if S.KB_TEAM not in capacities(actor, article):
        raise NotPermitted(gettext_noop("Only the knowledge-base team rejects proposed changes."))
    if not article.proposal:
        raise InvalidTransition(gettext_noop("This article has no proposed change."))
    if not (reason or "").strip():
        raise Invalid(gettext_noop("Give a reason."), errors={"reason": [gettext_noop("required")]})
    article.proposal, article.proposal_by, article.proposal_at = None, None, None
    article.save(update_fields=["proposal", "proposal_by", "proposal_at"])
    _record(article, RevisionAction.REJECT_PROPOSAL, actor, now, reason)
    return article


def _move(actor, article_id: int, name: str, *, reason: str = "", now: datetime | None = None) -> Article:
    now = _now(now)
    article = access_article(actor, article_id, for_update=True)
    t = S.check_transition(name, article.state, capacities(actor, article), reason)
    was_published = article.state == ArticleState.PUBLISHED
    article.state = t.target
    article.updated_at = now
    if t.target == ArticleState.PUBLISHED:
        article.published_at = now
    if t.target == ArticleState.ARCHIVED:
        article.archived_at = now
    article.save(update_fields=["state", "updated_at", "published_at", "archived_at"])
    if was_published or t.target == ArticleState.PUBLISHED:
        _touch_index(article)
    _record(article, name, actor, now, reason)
    return article


@transaction.atomic
def do_submit_article(actor, article_id: int, *, now: datetime | None = None) -> Article:
    """Send a draft to the KB team for review."""
    return _move(actor, article_id, "submit", now=now)


@transaction.atomic
def do_return_article(actor, article_id: int, *, reason: str, now: datetime | None = None) -> Article:
    """Send an article in review back to its author as a draft, saying why."""
    return _move(actor, article_id, "return", reason=reason, now=now)


@transaction.atomic
def do_publish_article(actor, article_id: int, *, now: datetime | None = None) -> Article:
    """Publish an article: searches in every process find it within the poll interval."""
    return _move(actor, article_id, "publish", now=now)


@transaction.atomic
def do_archive_article(actor, article_id: int, *, reason: str, now: datetime | None = None) -> Article:
    """Take a published article out of use (it leaves the search index)."""
    return _move(actor, article_id, "archive", reason=reason, now=now)


@transaction.atomic
def do_restore_article(actor, article_id: int, *, now: datetime | None = None) -> Article:
    """Bring an archived article back as a draft."""
    return _move(actor, article_id, "restore", now=now)


# ---------------------------------------------------------------------------------------------------------
# the analyser's vocabulary (KB team)


def _check_kb_team(actor) -> None:
    if not is_kb_team(actor):
        raise NotPermitted(gettext_noop("Only the knowledge-base team edits synonyms and the user dictionary."))


@transaction.atomic
def do_save_synonym_group(
    actor, terms: str | list[str], *, group_id: int | None = None, is_active: bool = True, note: str = ""
) -> SynonymGroup:
    """Create or change a synonym group; every process re-analyses the articles at its next poll."""
    _check_kb_team(actor)
    items = split_keywords(terms)
    if len(items) < 2:
        raise Invalid(
            gettext_noop("A synonym group needs at least two terms."),
            errors={"terms": [gettext_noop("at least two terms")]},
        )
    if any(len(t) > 32 for t in items):
        raise Invalid(
            gettext_noop("A term is too long."), errors={"terms": [gettext_noop("each term at most 32 characters")]}
        )
    if group_id is None:
        group = SynonymGroup(terms=",".join(items), is_active=is_active, note=note)
    else:
        group = SynonymGroup.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotFound(gettext_noop("No such synonym group."))
        group.terms, group.is_active, group.note = ",".join(items), is_active, note
    group.save()
    _next_index_version(analysis=True)
    return group


@transaction.atomic
def do_delete_synonym_group(actor, group_id: int) -> None:
    _check_kb_team(actor)
    deleted, _ = SynonymGroup.objects.filter(pk=group_id).delete()
    if not deleted:
        raise NotFound(gettext_noop("No such synonym group."))
    _next_index_version(analysis=True)


@transaction.atomic
def do_save_dictionary_word(actor, word: str, *, is_active: bool = True, note: str = "") -> DictionaryWord:
    """Add (or switch on or off) a word of the user dictionary."""
    _check_kb_team(actor)
    word = normalise(word)
    if not word or len(word) > 32 or " " in word:
        raise Invalid(
            gettext_noop("Give one word of at most 32 characters."),
            errors={"word": [gettext_noop("one word, ≤ 32 characters")]},
        )
    obj, _ = DictionaryWord.objects.update_or_create(word=word, defaults={"is_active": is_active, "note": note})
    _next_index_version(analysis=True)
    return obj


@transaction.atomic
def do_delete_dictionary_word(actor, word_id: int) -> None:
    _check_kb_team(actor)
    deleted, _ = DictionaryWord.objects.filter(pk=word_id).delete()
    if not deleted:
        raise NotFound(gettext_noop("No such word."))
    _next_index_version(analysis=True)


# ---------------------------------------------------------------------------------------------------------
# usage and gaps (append-only)


def do_log_search(
    actor,
    *,
    channel: str,
    query: str,
    filters: dict,
    article_ids: list[int],
    took_ms: float,
    best_coverage: float = 0.0,
    now=None,
) -> SearchLog:
    """Record one search by a person (not the evaluation command's)."""
    return SearchLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        channel=channel,
        query=(query or "")[:500],
        filters={k: v for k, v in (filters or {}).items() if v not in (None, "", [])},
        result_count=len(article_ids),
        top_article_ids=list(article_ids[:10]),
        took_ms=round(float(took_ms), 2),
        best_coverage=round(float(best_coverage), 3),
        at=_now(now),
    )


def _search_of(actor, search_id: int | None) -> SearchLog | None:
    if not search_id:
        return None
    search = SearchLog.objects.filter(pk=search_id, actor=actor if getattr(actor, "pk", None) else None).first()
    if search is None:
        raise Invalid(gettext_noop("No such search of yours."), errors={"search_id": [gettext_noop("unknown search")]})
    return search


@transaction.atomic
def do_record_usage(
    actor,
    article_id: int,
    kind: str,
    *,
    search_id: int | None = None,
    reference: str = "",
    now: datetime | None = None,
) -> ArticleUsage:
    """Record that ``actor`` opened, used or marked an article (one click on the desk)."""
    if kind not in UsageKind.values:
        raise Invalid(
            gettext_noop("Unknown usage."),
            errors={"kind": [Message(gettext_noop("one of %(values)s"), values=", ".join(UsageKind.values))]},
        )
    article = access_article(actor, article_id)
    return ArticleUsage.objects.create(
        article=article,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        search=_search_of(actor, search_id),
        reference=(reference or "")[:64],
        at=_now(now),
    )


VOTER_MAX = 64
COMMENT_MAX = 500


@transaction.atomic
def do_record_helpful_vote(
    actor,
    article_id: int,
    *,
    helpful: bool,
    voter: str = "",
    comment: str = "",
    channel: str = SearchChannel.PORTAL,
    now: datetime | None = None,
) -> HelpfulVote:
    """Record a reader's "was this helpful?" answer on a published article (the portal; one click).

    ``voter`` identifies the reader (the portal passes a hash of its session); for a signed-in actor it
    defaults to the user. One vote per voter and article: a second one replaces the first. The article
    must be one the actor may read (the public: published public articles) and be published.
    """
    if not isinstance(helpful, bool):
        raise Invalid(gettext_noop("Say whether the article helped."), errors={"helpful": [gettext_noop("yes or no")]})
    if channel not in SearchChannel.values:
        raise Invalid(
            gettext_noop("Unknown channel."),
            errors={"channel": [Message(gettext_noop("one of %(values)s"), values=", ".join(SearchChannel.values))]},
        )
    voter = (voter or "").strip()
    if not voter and getattr(actor, "pk", None):
        voter = f"user:{actor.pk}"
    if not voter or len(voter) > VOTER_MAX:
        raise Invalid(
            gettext_noop("The vote needs a voter of at most 64 characters."),
            errors={"voter": [gettext_noop("required")]},
        )
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Invalid(
            gettext_noop("The comment is too long."),
            errors={"comment": [Message(gettext_noop("at most %(max)s characters"), max=COMMENT_MAX)]},
        )
    article = access_article(actor, article_id)
    if article.state != ArticleState.PUBLISHED:
        raise Conflict(gettext_noop("Only published articles take votes."))
    at = _now(now)
    vote = HelpfulVote.objects.select_for_update().filter(article=article, voter=voter).first()
    if vote is None:
        try:
            with transaction.atomic():
                return HelpfulVote.objects.create(
                    article=article,
                    voter=voter,
                    helpful=helpful,
                    comment=comment,
                    channel=channel,
                    at=at,
                    updated_at=at,
                )
        except IntegrityError:  # the same voter's other click committed first: replace it below
            vote = HelpfulVote.objects.select_for_update().get(article=article, voter=voter)
    vote.helpful, vote.comment, vote.channel, vote.updated_at = helpful, comment, channel, at
    vote.save(update_fields=["helpful", "comment", "channel", "updated_at"])
    return vote


@transaction.atomic
def do_mark_gap(
    actor, query: str, *, note: str = "", search_id: int | None = None, now: datetime | None = None
) -> GapMark:
    """Record "no article answered this" for the KB team."""
    query = (query or "").strip()
    if not query:
        raise Invalid(gettext_noop("Say what the caller asked."), errors={"query": [gettext_noop("required")]})
    return GapMark.objects.create(
        query=query[:500],
        note=(note or "")[:500],
        actor=actor if getattr(actor, "pk", None) else None,
        search=_search_of(actor, search_id),
        at=_now(now),
    )


@transaction.atomic
def do_draft_from_questions(
    actor,
    questions: list[str],
    *,
    category: str,
    owner_unit: str,
    gap_ids: list[int] = (),
    material_type: str = MaterialType.DAILY,
    now=None,
) -> Article:
    """Start a draft article from callers' questions (a gap or a cluster of them; the KB team, one click).

    The first question becomes the title, all of them the alternative phrasings; the open gaps named are
    marked drafted and linked to the draft.
    """
    _check_kb_team(actor)
    questions = [q.strip() for q in questions if q and q.strip()]
    if not questions:
        raise Invalid(gettext_noop("Give at least one question."), errors={"questions": [gettext_noop("required")]})
    gaps = list(GapMark.objects.select_for_update().filter(pk__in=list(gap_ids)))
    if len(gaps) != len(set(gap_ids)):
        raise NotFound(gettext_noop("No such gap."))
    if any(g.state != GapState.OPEN for g in gaps):
        raise Conflict(gettext_noop("This gap already has a draft or is closed."))
    first = questions[0]
    title = first[:TITLE_MAX]
    n = 1
    while Article.objects.filter(title=title).exists():
        n += 1
        suffix = f"（{n}）"
        title = first[: TITLE_MAX - len(suffix)] + suffix
    phrasings = list(dict.fromkeys(q[:PHRASING_MAX] for q in questions))[:20]
    data = ArticleInput(
        title=title,
        category=category,
        content=f"（待补充）{first}",
        material_type=material_type,
        owner_unit=owner_unit,
        phrasings=phrasings,
    )
    article = do_create_article(actor, data, now=now, note="from callers' questions")
    for gap in gaps:
        gap.state, gap.article = GapState.DRAFTED, article
        gap.save(update_fields=["state", "article"])
    return article


def do_draft_from_gap(
    actor, gap_id: int, *, category: str, owner_unit: str, material_type: str = MaterialType.DAILY, now=None
) -> Article:
    """Start a draft article from one gap mark (its question is the title and a phrasing)."""
    gap = GapMark.objects.filter(pk=gap_id).first()
    if gap is None:
        raise NotFound(gettext_noop("No such gap."))
    return do_draft_from_questions(
        actor,
        [gap.query],
        category=category,
        owner_unit=owner_unit,
        gap_ids=[gap.pk],
        material_type=material_type,
        now=now,
    )
