"""The knowledge base (知识库, domain.md §8): articles, their revisions, the analyser's vocabulary, usage.

Rows are written only by ``actions``. ``IndexState`` is the one row every server process polls to keep its
in-memory search index fresh (docs/decisions/0008): an article that enters, changes in or leaves the
published set gets the next ``version`` in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class MaterialType(models.TextChoices):
    GUIDE = "guide", _("Service guide")
    LAW = "law", _("Laws and regulations")
    HOT_QA = "hot_qa", _("Hot questions")
    DAILY = "daily", _("Everyday enquiries")
    NOTICE = "notice", _("Notices")
    BUSINESS = "business", _("Business guidance")
    OTHER = "other", _("Other")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal only")


class Article(models.Model):
    """A knowledge-base article (条目). ``content`` is sanitised HTML; ``content_text`` its plain text."""

    title = models.CharField(_("title"), max_length=128, unique=True)
    category = models.ForeignKey(
        "directory.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    content = models.TextField(_("content"))
    content_text = models.TextField(_("plain text"), editable=False, default="")
    issuing_unit = models.CharField(_("issuing unit"), max_length=128, blank=True)
    material_type = models.CharField(_("material type"), max_length=16, choices=MaterialType.choices)
    keywords = models.CharField(
        _("keywords"), max_length=512, blank=True, help_text=_("Comma-separated, each at most 20 characters.")
    )
    phrasings = models.TextField(
        _("alternative phrasings"), blank=True, help_text=_("Other ways callers ask this question, one a line.")
    )
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    next_review_on = models.DateField(_("next review on"), null=True, blank=True)
    owner_unit = models.ForeignKey(
        "directory.Unit", verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="kb_articles"
    )
    state = models.CharField(_("state"), max_length=16, choices=ArticleState.choices, default=ArticleState.DRAFT)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    index_version = models.BigIntegerField(default=0, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    # A change the owner unit proposed to the published text (the fields as a revision keeps them); the
    # article stays published until the KB team accepts or rejects it.
    proposal = models.JSONField(_("proposed change"), null=True, blank=True, editable=False)
    proposal_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    proposal_at = models.DateTimeField(_("proposed at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["state", "owner_unit"], name="kb_article_state_unit")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(expires_on__gte=models.F("effective_from")),
                name="kb_article_expires_after_effective",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def ref(self) -> str:
        """Return what a contact or order records as its article reference."""
        return f"KB-{self.pk}"

    def keyword_list(self) -> list[str]:
        return [k for k in (self.keywords or "").split(",") if k]

    def phrasing_list(self) -> list[str]:
        return [p for p in (self.phrasings or "").splitlines() if p.strip()]


class RevisionAction(models.TextChoices):
    CREATE = "create", _("Created")
    EDIT = "edit", _("Edited")
    SUBMIT = "submit", _("Submitted for review")
    RETURN = "return", _("Returned to the author")
    PUBLISH = "publish", _("Published")
    ARCHIVE = "archive", _("Archived")
    RESTORE = "restore", _("Restored as a draft")
    IMPORT = "import", _("Imported")
    PROPOSE = "propose", _("Change proposed")
    REJECT_PROPOSAL = "reject_proposal", _("Proposed change rejected")


class ArticleRevision(models.Model):
    """An append-only snapshot of an article after each action (diffable against any other)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    action = models.CharField(_("action"), max_length=16, choices=RevisionAction.choices)
    state = models.CharField(_("state"), max_length=16, choices=ArticleState.choices)
    snapshot = models.JSONField(_("snapshot"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_revision_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"


class SynonymGroup(models.Model):
    """Words that mean the same to callers (医保, 医疗保险, 医疗保障): the analyser maps them to the first."""

    terms = models.CharField(_("terms"), max_length=512, help_text=_("Comma-separated; the first is canonical."))
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return self.terms

    def term_list(self) -> list[str]:
        return [t for t in self.terms.split(",") if t]


class DictionaryWord(models.Model):
    """A word of the user dictionary that the segmenter keeps whole (新生儿参保, 灵活就业人员)."""

    word = models.CharField(_("word"), max_length=32, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("dictionary word")
        verbose_name_plural = _("user dictionary")

    def __str__(self) -> str:
        return self.word


class IndexState(models.Model):
    """The one row (pk 1) that search processes poll: ``version`` moves on every change of the index."""

    version = models.BigIntegerField(default=0)
    # Moves when synonyms or the user dictionary change: every article must be analysed again.
    analysis_version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("search index state")
        verbose_name_plural = _("search index state")

    def __str__(self) -> str:
        return f"v{self.version} / analysis v{self.analysis_version}"


class SearchChannel(models.TextChoices):
    DESK = "desk", _("Intake desk")
    CONSOLE = "console", _("Knowledge-base console")
    API = "api", _("API")
    PORTAL = "portal", _("Public portal")


USEFUL_COVERAGE = 0.5


class SearchLog(models.Model):
    """One search by a person (append-only): the query, the filters, what came back."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(_("channel"), max_length=16, choices=SearchChannel.choices)
    query = models.CharField(_("query"), max_length=500)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    result_count = models.PositiveIntegerField(_("results"), default=0)
    top_article_ids = models.JSONField(default=list, blank=True)
    # The best hit's share of the query's words (0 to 1): below USEFUL_COVERAGE the search found nothing useful.
    best_coverage = models.FloatField(_("best match"), default=0)
    took_ms = models.FloatField(_("time (ms)"), default=0)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("search")
        verbose_name_plural = _("search log")

    def __str__(self) -> str:
        return self.query


class UsageKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    USED = "used", _("Used for a direct answer")
    HELPFUL = "helpful", _("Marked helpful")
    UNHELPFUL = "unhelpful", _("Marked unhelpful")
    OUTDATED = "outdated", _("Marked outdated")


class ArticleUsage(models.Model):
    """An operator opened an article, answered from it, or marked it (append-only)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="usages")
    kind = models.CharField(_("kind"), max_length=16, choices=UsageKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    search = models.ForeignKey(SearchLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="usages")
    # The contact or work order the answer went to (its number), when known.
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at"]
        verbose_name = _("article usage")
        verbose_name_plural = _("article usage")
        indexes = [models.Index(fields=["article", "kind"], name="kb_usage_article_kind")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.kind}"


class GapState(models.TextChoices):
    OPEN = "open", _("Open")
    DRAFTED = "drafted", _("Draft article started")
    CLOSED = "closed", _("Closed")


class GapMark(models.Model):
    """An operator's mark "no article answered this" (知识库缺口), fed back to the KB team."""

    query = models.CharField(_("question"), max_length=500)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    search = models.ForeignKey(SearchLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="gaps")
    state = models.CharField(_("state"), max_length=16, choices=GapState.choices, default=GapState.OPEN)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="gaps")
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("knowledge gap")
        verbose_name_plural = _("knowledge gaps")

    def __str__(self) -> str:
        return self.query


class HelpfulVote(models.Model):
    """A reader's answer to "was this helpful?" under an article (the public portal; one per voter).

    ``voter`` identifies the reader without storing who they are: a user's id, or a hash the portal
    derives from its session. A second vote by the same voter replaces the first (``updated_at`` moves).
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="helpful_votes")
    helpful = models.BooleanField(_("helpful"))
    voter = models.CharField(_("voter"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=SearchChannel.choices, default=SearchChannel.PORTAL)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    at = models.DateTimeField(_("at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [models.UniqueConstraint(fields=["article", "voter"], name="kb_helpful_vote_once")]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"
