"""Third-party review (第三方评议) and publication of replies (published cases, review summaries).

Review: a roster of panel members (users with role panel_member, each of one panel type); review sessions
with their cases (orders) and panel; each member's score and comment per case; the session's outcome per
case (认可 / 不认可 with the rectification required); the unit's rectification, tracked like an order.

Publication: a redacted draft of a closed order's reply (published case) or of a concluded session's
summary (published review), checked and edited by a reviewer, then published or rejected.

Business rules live in ``actions``; every change appends a ``FeedbackEvent``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yihaotong.core.errors import register_labels


class PanelType(models.TextChoices):
    NPC = "npc", _("NPC deputy")  # 人大代表
    CPPCC = "cppcc", _("CPPCC member")  # 政协委员
    CITIZEN = "citizen", _("Citizen representative")  # 市民代表
    MEDIA = "media", _("Media representative")  # 媒体代表
    LEGAL = "legal", _("Legal adviser")  # 法律顾问


class PanelMember(models.Model):
    """The roster: a user with role panel_member and the seat they hold on review panels."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_seat")
    panel_type = models.CharField(_("panel type"), max_length=12, choices=PanelType.choices)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["panel_type", "id"]
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_panel_type_display()})"


class SessionState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open for review")
    CONCLUDED = "concluded", _("Concluded")


register_labels("review_session_state", SessionState)


class ReviewSession(models.Model):
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=SessionState.choices, default=SessionState.PLANNED)
    members = models.ManyToManyField(PanelMember, related_name="sessions", blank=True, verbose_name=_("panel"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("review session")
        verbose_name_plural = _("review sessions")

    def __str__(self) -> str:
        return self.title


class CaseReason(models.TextChoices):
    DISSATISFIED = "dissatisfied", _("Dissatisfied twice or more")
    REPEATED = "repeated", _("Many contacts on one matter")
    OTHER = "other", _("Chosen by the centre")


class Outcome(models.TextChoices):
    ENDORSED = "endorsed", _("Endorsed")  # 认可
    NOT_ENDORSED = "not_endorsed", _("Not endorsed")  # 不认可


class ReviewCase(models.Model):
    """One order put before a review session, and the session's outcome on it."""

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="cases")
    order = models.ForeignKey("workorders.WorkOrder", on_delete=models.PROTECT, related_name="review_cases")
    reason = models.CharField(_("why reviewed"), max_length=16, choices=CaseReason.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("panel's conclusion"), blank=True)
    rectification_required = models.TextField(_("rectification required"), blank=True)
    rectification_unit = models.ForeignKey(
        "directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    rectification_deadline = models.DateField(_("rectification deadline"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("review case")
        verbose_name_plural = _("review cases")
        constraints = [models.UniqueConstraint(fields=["session", "order"], name="review_case_once")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.order_id}"


class Verdict(models.TextChoices):
    FULFILLED = "fulfilled", _("Units did their duty")  # 履职到位
    PARTLY = "partly", _("Partly")  # 基本到位
    NOT_FULFILLED = "not_fulfilled", _("Units did not do their duty")  # 未履职到位


class PanelScore(models.Model):
    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="scores")
    verdict = models.CharField(_("did the units do their duty?"), max_length=16, choices=Verdict.choices)
    score = models.PositiveSmallIntegerField(_("score (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = _("panel score")
        verbose_name_plural = _("panel scores")
        constraints = [
            models.UniqueConstraint(fields=["case", "member"], name="panel_score_once"),
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="panel_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.member_id} {self.verdict}"


class RectificationState(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to the unit")
    REPLIED = "replied", _("Replied, awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")


register_labels("rectification_state", RectificationState)


class Rectification(models.Model):
    """整改: what a 不认可 outcome requires of a unit, tracked like an order (unit, deadline, reply, acceptance)."""

    case = models.OneToOneField(ReviewCase, on_delete=models.CASCADE, related_name="rectification")
    unit = models.ForeignKey("directory.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    requirement = models.TextField(_("rectification required"))
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=12, choices=RectificationState.choices, default=RectificationState.ASSIGNED
    )
    reply = models.TextField(_("unit's reply"), blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    replied_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("centre's note"), blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # When the unit and the supervisors were told that the deadline passed (once; see do_sweep_rectifications).
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # When the unit was reminded that the deadline is near (once; policy rectification_warning_days).
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        indexes = [models.Index(fields=["unit", "state"], name="rectification_unit_state")]

    def __str__(self) -> str:
        return f"{self.unit} {self.deadline}"


class PublicationKind(models.TextChoices):
    CASE = "case", _("Published case")
    REVIEW = "review", _("Review summary")


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


register_labels("publication_state", PublicationState)


class Publication(models.Model):
    """A redacted text for the portal: a closed order's question and reply, or a review session's summary."""

    kind = models.CharField(_("kind"), max_length=8, choices=PublicationKind.choices)
    order = models.OneToOneField(
        "workorders.WorkOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="publication"
    )
    session = models.OneToOneField(
        ReviewSession, null=True, blank=True, on_delete=models.PROTECT, related_name="publication"
    )
    state = models.CharField(_("state"), max_length=12, choices=PublicationState.choices)
    title = models.CharField(_("title"), max_length=200)
    question = models.TextField(_("question"), blank=True)
    answer = models.TextField(_("reply or summary"))
    request_type = models.CharField(_("request type"), max_length=64, blank=True)
    unit_name = models.CharField(_("unit"), max_length=120, blank=True)
    street_name = models.CharField(_("street"), max_length=120, blank=True)
    happened_on = models.DateField(_("date"))
    created_at = models.DateTimeField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        indexes = [models.Index(fields=["kind", "state", "-published_at"], name="publication_list")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="case") & Q(order__isnull=False)) | (Q(kind="review") & Q(session__isnull=False)),
                name="publication_has_source",
            )
        ]

    def __str__(self) -> str:
        return self.title


class AppendOnlyError(RuntimeError):
    pass


class FeedbackEvent(models.Model):
    """Append-only log of every change in this app (sessions, cases, scores, rectifications, publications)."""

    kind = models.CharField(_("kind"), max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    session = models.ForeignKey(ReviewSession, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(ReviewCase, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    publication = models.ForeignKey(Publication, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("feedback event")
        verbose_name_plural = _("feedback events")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("feedback events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("feedback events are append-only")
