"""Work orders, their assignments to units, replies, applications (extension, return, termination),
supervision, callbacks, contact logs, notes, attachments and the append-only event log.

Business rules live in ``actions``; the models carry data and database constraints only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yihaotong.core.errors import register_labels
from yihaotong.core.models import CompiledWrites, SavesChangedFields

from . import states as S


class OrderState(models.TextChoices):
    SUBMITTED = S.SUBMITTED, _("Submitted")
    PENDING_DISPATCH = S.PENDING_DISPATCH, _("Pending dispatch")
    DISPATCHED = S.DISPATCHED, _("Dispatched")
    IN_PROGRESS = S.IN_PROGRESS, _("In progress")
    REPLIED = S.REPLIED, _("Replied")
    PENDING_CALLBACK = S.PENDING_CALLBACK, _("Pending callback")
    CLOSED = S.CLOSED, _("Closed")
    ANSWERED = S.ANSWERED, _("Answered directly")
    REJECTED = S.REJECTED, _("Disposed")
    MERGED = S.MERGED, _("Merged")
    TERMINATED = S.TERMINATED, _("Terminated")


# Error messages name states by these labels when shown in the reader's language (core/errors.py).
register_labels("order_state", OrderState)


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    LETTER = "letter", _("Letter")
    WEB = "web", _("Web")
    TRANSFER = "transfer", _("Transfer")


class WarningLevel(models.TextChoices):
    NONE = "none", _("None")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class SupervisionLevel(models.TextChoices):
    NONE = "none", _("None")
    REMIND = "remind", _("Reminder")
    SUPERVISE = "supervise", _("Supervision")
    ESCALATE = "escalate", _("Escalation")


class WorkOrder(SavesChangedFields):
    number = models.CharField(_("order number"), max_length=24, unique=True)
    query_code_hash = models.CharField(max_length=64, editable=False)
    state = models.CharField(_("state"), max_length=20, choices=OrderState.choices)

    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    source = models.CharField(
        _("source"), max_length=64, blank=True, help_text=_("e.g. the mayor's public hotline, the secretary's mailbox")
    )
    upstream_ref = models.CharField(_("upstream reference"), max_length=64, blank=True)
    request_type = models.ForeignKey(
        "directory.RequestType", on_delete=models.PROTECT, db_index=False, verbose_name=_("request type")
    )
    urgency = models.ForeignKey(
        "directory.Urgency", on_delete=models.PROTECT, db_index=False, verbose_name=_("urgency")
    )
    category = models.ForeignKey(
        "directory.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        verbose_name=_("category"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("full text"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    street = models.ForeignKey(
        "directory.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("street"),
    )
    community = models.ForeignKey(
        "directory.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("community"),
    )

    requester_name = models.CharField(_("requester name"), max_length=64, blank=True)
    requester_phone = models.CharField(_("requester phone"), max_length=32, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    is_confidential = models.BooleanField(
        _("confidential"), default=False, help_text=_("Whistle-blowing or a confidentiality request.")
    )
    identity_disclosure_agreed = models.BooleanField(
        _("requester agreed to disclose identity to the unit"), default=False
    )
    consent_publish = models.BooleanField(_("consent to publish"), default=False)
    reply_wanted = models.BooleanField(_("reply wanted"), default=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("created at"))  # indexed with what the list filters (wo_created_list)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    reply_approved_at = models.DateTimeField(_("reply approved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # The current lead unit (denormalised from the active lead assignment, for lists and filters).
    lead_unit = models.ForeignKey(
        "directory.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("lead unit"),
    )
    # Clocks: stored, recomputed by actions (never by readers).
    sign_due = models.DateTimeField(_("sign-for due"), null=True, blank=True)
    handle_due = models.DateTimeField(_("handling due"), null=True, blank=True)
    handle_unit = models.CharField(max_length=4, blank=True)
    handle_started_at = models.DateTimeField(null=True, blank=True)
    callback_due = models.DateTimeField(_("callback due"), null=True, blank=True)
    sign_warn_at = models.DateTimeField(null=True, blank=True)
    handle_warn_at = models.DateTimeField(null=True, blank=True)
    callback_warn_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    due_at = models.DateTimeField(_("current deadline"), null=True, blank=True)
    next_warning_at = models.DateTimeField(null=True, blank=True)
    warning_level = models.CharField(
        _("warning"), max_length=8, choices=WarningLevel.choices, default=WarningLevel.NONE
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    extension_days = models.PositiveIntegerField(_("extension (working days)"), default=0)

    repeat_count = models.PositiveIntegerField(_("repeat contacts"), default=0)
    redo_count = models.PositiveIntegerField(_("redo rounds"), default=0)
    dissatisfied_count = models.PositiveIntegerField(_("dissatisfied callbacks"), default=0)
    supervision_level = models.CharField(
        _("supervision level"), max_length=12, choices=SupervisionLevel.choices, default=SupervisionLevel.NONE
    )
    master = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_orders",
        db_index=False,
        verbose_name=_("merged into"),
    )
    disposition_reason = models.CharField(_("disposition reason"), max_length=32, blank=True)
    article_ref = models.CharField(_("knowledge-base article"), max_length=64, blank=True)
    public_reply = models.TextField(_("public reply"), blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True)
    is_review_candidate = models.BooleanField(_("third-party review candidate"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["state", "lead_unit", "due_at"], name="wo_state_unit_due"),
            models.Index(fields=["lead_unit", "state", "-created_at"], name="wo_unit_state_created"),
            # The list's filters carry the columns the others test (PostgreSQL INCLUDE; plain elsewhere), so
            # counting the matches of "this street, closed" reads the index only, not a million rows.
            models.Index(
                fields=["street", "-created_at"], include=["state", "request_type", "id"], name="wo_street_list"
            ),
            models.Index(fields=["category", "-created_at"], name="wo_category_created"),
            models.Index(fields=["warning_level", "state"], name="wo_warning_state"),
            # Every action rewrites the row with an indexed column changed (state, clocks), so PostgreSQL
            # updates every index of the table each time: keep them few, and partial where most rows are
            # empty (closed orders have no clock). The composites above lead with state, lead_unit,
            # street, category and warning_level; no single-column index repeats them.
            models.Index(
                fields=["request_type", "-created_at"], include=["state", "street", "id"], name="wo_type_list"
            ),
            models.Index(
                fields=["-created_at"], include=["state", "street", "request_type", "id"], name="wo_created_list"
            ),
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="wo_due_open"),
            models.Index(
                fields=["next_warning_at"], condition=Q(next_warning_at__isnull=False), name="wo_next_warning"
            ),
            models.Index(fields=["requester_phone"], condition=~Q(requester_phone=""), name="wo_requester_phone"),
            models.Index(fields=["upstream_ref"], condition=~Q(upstream_ref=""), name="wo_upstream_ref"),
            models.Index(fields=["master"], condition=Q(master__isnull=False), name="wo_master"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=S.MERGED) | Q(master__isnull=False), name="merged_order_has_master"
            ),
            models.CheckConstraint(
                condition=~Q(state=S.REJECTED) | ~Q(disposition_reason=""), name="rejected_order_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in S.OPEN_STATES


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    SUPPORT = "support", _("Support")


class AssignmentState(models.TextChoices):
    PENDING_SIGN = "pending_sign", _("To sign")
    SIGNED = "signed", _("Signed")
    REPLIED = "replied", _("Replied")
    RETURNED = "returned", _("Returned")
    WITHDRAWN = "withdrawn", _("Withdrawn")


ACTIVE_ASSIGNMENT_STATES = (AssignmentState.PENDING_SIGN, AssignmentState.SIGNED, AssignmentState.REPLIED)


class Assignment(SavesChangedFields):
    """派单记录: an order given to a unit, as lead or support, or sub-dispatched to a sub-unit."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("directory.Unit", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("sub-dispatched from"),
    )
    state = models.CharField(_("state"), max_length=16, choices=AssignmentState.choices)
    designated = models.BooleanField(
        _("designated by the centre"), default=False, help_text=_("A designated unit may not return twice.")
    )
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    dispatched_at = models.DateTimeField(_("dispatched at"))
    sign_due = models.DateTimeField(_("sign-for due"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("return reason"), blank=True)
    instructions = models.TextField(_("instructions"), blank=True)

    class Meta:
        ordering = ["dispatched_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["unit", "state", "dispatched_at"], name="asg_unit_state"),
            # The unit-member visibility rule is an EXISTS on (unit, order); measured in bench/README.md.
            models.Index(fields=["unit", "order"], name="asg_unit_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(role="lead", parent__isnull=True, state__in=["pending_sign", "signed", "replied"]),
                name="one_active_lead_assignment",
            ),
            models.UniqueConstraint(
                fields=["order", "unit"],
                condition=Q(state__in=["pending_sign", "signed", "replied"]),
                name="one_active_assignment_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} → {self.unit} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_ASSIGNMENT_STATES


class ReplyState(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", pgettext_lazy("reply state", "Approved")
    SENT_BACK = "sent_back", _("Sent back")
    INTERNAL = "internal", _("Internal (to the lead unit)")


class Reply(SavesChangedFields):
    """答复: a unit's handling notes (internal) and the public reply text (what the requester reads)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="replies")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    internal_notes = models.TextField(_("handling notes (internal)"))
    public_text = models.TextField(_("public reply"), blank=True)
    requester_contacted = models.BooleanField(_("requester contacted"), default=False)
    solved = models.BooleanField(_("solved"), null=True)
    state = models.CharField(_("state"), max_length=12, choices=ReplyState.choices)
    created_at = models.DateTimeField(_("created at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"


class ApplicationKind(models.TextChoices):
    EXTENSION = "extension", _("Extension")
    RETURN = "return", _("Return")
    TERMINATION = "termination", _("Termination")


class ApplicationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", pgettext_lazy("application state", "Approved")
    REFUSED = "refused", pgettext_lazy("application state", "Refused")


class Application(SavesChangedFields):
    """A unit's request that the centre decides: extension, return or termination."""

    kind = models.CharField(_("kind"), max_length=12, choices=ApplicationKind.choices)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="applications")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="applications")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    reason = models.TextField(_("reason"))
    working_days = models.PositiveIntegerField(_("working days"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ApplicationState.choices, default=ApplicationState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    old_due = models.DateTimeField(null=True, blank=True)
    new_due = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind"], condition=Q(state="pending"), name="one_pending_application_per_kind"
            ),
            models.CheckConstraint(condition=~Q(kind="extension") | Q(working_days__gte=1), name="extension_has_days"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"


class Supervision(CompiledWrites):
    """催办 / 督办 / 挂牌督办 of an order."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="supervisions")
    level = models.CharField(_("level"), max_length=12, choices=SupervisionLevel.choices)
    unit = models.ForeignKey("directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    REFUSED = "refused", pgettext_lazy("callback outcome", "Refused")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class Callback(CompiledWrites):
    """回访: one attempt to call the requester back, and what they said."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="callbacks")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    round = models.PositiveIntegerField(_("redo round"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallbackOutcome.choices)
    contacted = models.BooleanField(_("unit contacted the requester"), null=True)
    solved = models.BooleanField(_("solved"), null=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True)
    score5 = models.PositiveSmallIntegerField(_("5-level score"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        constraints = [
            models.CheckConstraint(
                condition=Q(score5__isnull=True) | (Q(score5__gte=1) & Q(score5__lte=5)), name="score5_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"


class ContactLog(CompiledWrites):
    """Who called the requester, when, and what came of it."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="contact_logs")
    unit = models.ForeignKey("directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    method = models.CharField(_("method"), max_length=16, default="phone")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("contact log")
        verbose_name_plural = _("contact logs")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"


class Note(CompiledWrites):
    """An internal note on an order (never public)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey("directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"


def attachment_path(instance, filename: str) -> str:
    return f"attachments/{timezone.now():%Y/%m}/{instance.order_id}/{filename}"


class Attachment(CompiledWrites):
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    is_public = models.BooleanField(_("public"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"


class AppendOnlyError(RuntimeError):
    pass


class Event(CompiledWrites):
    """The append-only audit trail of an order: every change, with actor, time, from/to, reason, payload."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(_("kind"), max_length=32)  # indexed with ``at`` (event_kind_at)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    actor_label = models.CharField(_("actor"), max_length=100, blank=True)
    unit = models.ForeignKey(
        "directory.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Indexed only with the order and with the kind (every action appends events: few indexes).
    at = models.DateTimeField(_("at"))
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    is_public = models.BooleanField(_("public"), default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["order", "at"], name="event_order_at"),
            models.Index(fields=["kind", "at"], name="event_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk} ({self.order_id})"

    def save(self, *args, **kwargs):
        # Append-only: an event is written once and never changed.
        if self.pk is not None:
            raise AppendOnlyError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("events are append-only")


class OrderSequence(models.Model):
    """The last order number issued per day (one row per day, bumped atomically)."""

    day = models.CharField(max_length=8, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"
