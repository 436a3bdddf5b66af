"""Every write of the feedback app: review roster, sessions, cases, scores, outcomes, rectifications,
publications, and the feedback policy switches.

Each action runs in one transaction, checks permission through ``access``, locks the row it changes, and
appends a ``FeedbackEvent``; what touches an order also appends an event to the order's timeline
(``workorders.actions.record_event``). Messages to requesters and units go through the notifications
outbox in the same transaction. ``now`` may be passed in (demo, tests).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from yihaotong.accounts import roles as R
from yihaotong.core.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from yihaotong.directory.models import Setting, Unit, UnitKind
from yihaotong.directory.policy import get_policy, invalidate_policy
from yihaotong.notifications.actions import queue_notification
from yihaotong.workorders import states as S
from yihaotong.workorders.access import access_order
from yihaotong.workorders.actions import record_event
from yihaotong.workorders.models import WorkOrder

from . import access as X
from .models import (
    CaseReason,
    FeedbackEvent,
    Outcome,
    PanelMember,
    PanelScore,
    PanelType,
    Publication,
    PublicationKind,
    PublicationState,
    Rectification,
    RectificationState,
    ReviewCase,
    ReviewSession,
    SessionState,
    Verdict,
)
from .redaction import leftovers, order_names, redact_text

# Feedback policy switches (stored as directory settings, read with get_policy()).
FEEDBACK_POLICY = {
    # Callback questionnaire scale: "3" (满意 / 基本满意 / 不满意) or "5" (the national 好差评 scale).
    "satisfaction_scale": ("3", ("3", "5")),
    # After the last unanswered callback attempt: "sms" invites the requester to rate online; "none" does not.
    "callback_fallback": ("sms", ("sms", "none")),
}


def feedback_policy() -> dict:
    policy = get_policy()
    return {key: str(policy.get(key, default)) for key, (default, _choices) in FEEDBACK_POLICY.items()} | {
        "review_candidate_dissatisfied": int(policy["review_candidate_dissatisfied"]),
        "review_candidate_contacts": int(policy["review_candidate_contacts"]),
    }


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _log(kind: str, actor, now: datetime, *, session=None, case=None, publication=None, **payload) -> FeedbackEvent:
    event = FeedbackEvent(
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=now,
        session=session,
        case=case,
        publication=publication,
        payload=payload,
    )
    event.save()
    return event


def _required(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(
            gettext_noop("Fill in the required fields."), errors={field: [gettext_noop("This field is required.")]}
        )
    return value


# ---------------------------------------------------------------------------------------------------------
# policy


@transaction.atomic
def do_set_feedback_policy(actor, key: str, value: str) -> None:
    """Set a feedback policy switch (sysadmins and supervisors); recorded in the policy-change log."""
    from yihaotong.audit.actions import do_save_config

    if not actor.roles & {R.SYSADMIN, R.SUPERVISOR}:
        raise NotPermitted(gettext_noop("Only administrators and supervisors change the feedback policy."))
    if key not in FEEDBACK_POLICY:
        raise Invalid(gettext_noop("Unknown policy setting."), errors={"key": [gettext_noop("unknown key")]})
    if str(value) not in FEEDBACK_POLICY[key][1]:
        raise Invalid(gettext_noop("Choose one of the listed values."), errors={key: [gettext_noop("not allowed")]})
    setting = Setting.objects.select_for_update().filter(key=key).first() or Setting(key=key)
    setting.value = str(value)
    do_save_config(actor, setting, note=f"feedback policy {key}={value}")
    invalidate_policy()


# ---------------------------------------------------------------------------------------------------------
# roster and sessions


@transaction.atomic
def do_save_panel_member(
    actor, user_id: int, *, panel_type: str, organisation: str = "", is_active: bool = True, now=None
) -> PanelMember:
    """Put a user with role panel_member on the roster (or change their seat)."""
    now = _now(now)
    X.check_manager(actor)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or R.PANEL_MEMBER not in user.roles:
        raise Invalid(
            gettext_noop("Only users with the role panel member can sit on review panels."),
            errors={"user": [gettext_noop("not a panel member")]},
        )
    if panel_type not in PanelType.values:
        raise Invalid(
            gettext_noop("Choose a panel type."), errors={"panel_type": [gettext_noop("choose a listed type")]}
        )
    seat = PanelMember.objects.select_for_update().filter(user=user).first() or PanelMember(user=user)
    seat.panel_type, seat.organisation, seat.is_active = panel_type, (organisation or "").strip(), is_active
    seat.save()
    _log("panel_member_saved", actor, now, user=user.pk, panel_type=panel_type, active=is_active)
    return seat


@transaction.atomic
def do_create_session(actor, *, title: str, held_on: date | None, location: str = "", now=None) -> ReviewSession:
    now = _now(now)
    X.check_manager(actor)
    title = _required(title, "title")
    if held_on is None:
        raise Invalid(
            gettext_noop("Give the date of the session."), errors={"held_on": [gettext_noop("This field is required.")]}
        )
    session = ReviewSession.objects.create(
        title=title[:200], held_on=held_on, location=(location or "").strip(), created_by=actor, created_at=now
    )
    _log("session_created", actor, now, session=session, title=session.title)
    return session


def _planned(actor, session_id: int) -> ReviewSession:
    X.check_manager(actor)
    session = X.access_session(actor, session_id, for_update=True)
    if session.state != SessionState.PLANNED:
        raise InvalidTransition(gettext_noop("Cases and panel can change only while the session is planned."))
    return session


def case_reason(order: WorkOrder) -> str:
    policy = feedback_policy()
    if order.dissatisfied_count >= policy["review_candidate_dissatisfied"]:
        return CaseReason.DISSATISFIED
    if order.repeat_count >= policy["review_candidate_contacts"]:
        return CaseReason.REPEATED
    if order.is_review_candidate and order.dissatisfied_count:
        return CaseReason.DISSATISFIED  # out of redo rounds before the dissatisfaction threshold
    return CaseReason.OTHER


@transaction.atomic
def do_add_case(actor, session_id: int, *, order_id: int, now=None) -> ReviewCase:
    """Put an order before the session (a candidate, or any closed order the centre chooses)."""
    now = _now(now)
    session = _planned(actor, session_id)
    order = access_order(actor, order_id, for_update=True)
    if order.state != S.CLOSED and order.state not in S.OPEN_STATES:
        raise InvalidTransition(gettext_noop("Only orders that were handled can be reviewed."), state=order.state)
    if ReviewCase.objects.filter(order=order, session__state__in=[SessionState.PLANNED, SessionState.OPEN]).exists():
        raise Conflict(gettext_noop("This order is already before a review session."))
    case = ReviewCase.objects.create(session=session, order=order, reason=case_reason(order))
    _log("case_added", actor, now, session=session, case=case, order=order.pk)
    record_event(order, "review_case", actor, now, payload={"session": session.pk})
    return case


@transaction.atomic
def do_remove_case(actor, case_id: int, *, now=None) -> None:
    now = _now(now)
    case = X.access_case(actor, case_id)
    session = _planned(actor, case.session_id)
    _log("case_removed", actor, now, session=session, order=case.order_id)
    record_event(case.order, "review_case_removed", actor, now, payload={"session": session.pk})
    case.delete()


@transaction.atomic
def do_set_panel(actor, session_id: int, *, member_ids: list[int], now=None) -> ReviewSession:
    """Choose the session's panel from the active roster."""
    now = _now(now)
    session = _planned(actor, session_id)
    ids = sorted({int(i) for i in member_ids})
    members = list(PanelMember.objects.filter(pk__in=ids, is_active=True))
    if len(members) != len(ids):
        raise Invalid(
            gettext_noop("Choose panel members from the active roster."),
            errors={"members": [gettext_noop("not on the roster")]},
        )
    session.members.set(members)
    _log("panel_set", actor, now, session=session, members=ids)
    return session


@transaction.atomic
def do_draw_panel(
    actor, session_id: int, *, per_type: int = 1, rng: random.Random | None = None, now=None
) -> ReviewSession:
    """Draw the panel from the active roster: ``per_type`` members of each panel type, at random."""
    now = _now(now)
    session = _planned(actor, session_id)
    if not 1 <= int(per_type) <= 5:
        raise Invalid(
            gettext_noop("Draw 1 to 5 members of each type."), errors={"per_type": [gettext_noop("between 1 and 5")]}
        )
    rng = rng or random.SystemRandom()
    drawn = []
    for panel_type in PanelType.values:
        seats = list(PanelMember.objects.filter(is_active=True, panel_type=panel_type).order_by("id"))
        drawn += rng.sample(seats, min(int(per_type), len(seats)))
    if not drawn:
        raise Invalid(gettext_noop("The roster is empty."), errors={"members": [gettext_noop("not on the roster")]})
    session.members.set(drawn)
    _log("panel_drawn", actor, now, session=session, members=sorted(m.pk for m in drawn), per_type=int(per_type))
    return session


@transaction.atomic
def do_open_session(actor, session_id: int, *, now=None) -> ReviewSession:
    """Open the session: its panel members can now read the redacted case files and score them."""
    now = _now(now)
    session = _planned(actor, session_id)
    errors = {}
    if not session.cases.exists():
        errors["cases"] = [gettext_noop("add at least one case")]
    if not session.members.exists():
        errors["members"] = [gettext_noop("choose at least one panel member")]
    if errors:
        raise Invalid(gettext_noop("A session needs cases and a panel before it opens."), errors=errors)
    session.state, session.opened_at = SessionState.OPEN, now
    session.save(update_fields=["state", "opened_at"])
    for member in session.members.select_related("user"):
        queue_notification(
            kind="review_session",
            user=member.user,
            subject=f"第三方评议：{session.title}（{session.held_on}）",
            now=now,
        )
    _log("session_opened", actor, now, session=session)
    return session


# ---------------------------------------------------------------------------------------------------------
# scoring and outcomes


@transaction.atomic
def do_score_case(actor, case_id: int, *, verdict: str, score: int | None, comment: str = "", now=None) -> PanelScore:
    """A panel member's judgement of one case: did the units do their duty, a score 1-5, a comment."""
    now = _now(now)
    seat = X.panel_seat(actor)
    case = X.access_case(actor, case_id)
    if seat is None or not case.session.members.filter(pk=seat.pk).exists():
        raise NotPermitted(gettext_noop("Only the session's panel members score its cases."))
    session = ReviewSession.objects.select_for_update().get(pk=case.session_id)
    if session.state != SessionState.OPEN:
        raise InvalidTransition(gettext_noop("Scores are taken only while the session is open."))
    errors = {}
    if verdict not in Verdict.values:
        errors["verdict"] = [gettext_noop("choose a listed answer")]
    if score is None or not 1 <= int(score) <= 5:
        errors["score"] = [gettext_noop("between 1 and 5")]
    if verdict == Verdict.NOT_FULFILLED and not (comment or "").strip():
        errors["comment"] = [gettext_noop("say what the units failed to do")]
    if errors:
        raise Invalid(gettext_noop("Check the score."), errors=errors)
    row, created = PanelScore.objects.update_or_create(
        case=case,
        member=seat,
        defaults={"verdict": verdict, "score": int(score), "comment": (comment or "").strip(), "at": now},
    )
    _log("case_scored", actor, now, session=session, case=case, verdict=verdict, score=int(score), first=created)
    return row


@transaction.atomic
def do_record_outcome(
    actor,
    case_id: int,
    *,
    outcome: str,
    note: str = "",
    rectification_required: str = "",
    unit_id: int | None = None,
    deadline: date | None = None,
    now=None,
) -> ReviewCase:
    """The session's outcome on a case: 认可, or 不认可 with the rectification required, its unit and deadline."""
    now = _now(now)
    X.check_manager(actor)
    case = X.access_case(actor, case_id)
    session = ReviewSession.objects.select_for_update().get(pk=case.session_id)
    if session.state != SessionState.OPEN:
        raise InvalidTransition(gettext_noop("Outcomes are recorded while the session is open."))
    case = ReviewCase.objects.select_for_update().get(pk=case.pk)
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [gettext_noop("choose a listed outcome")]
    unit = None
    if outcome == Outcome.NOT_ENDORSED:
        if not (rectification_required or "").strip():
            errors["rectification_required"] = [gettext_noop("say what must be rectified")]
        unit = Unit.objects.filter(
            pk=unit_id or case.order.lead_unit_id,
            is_active=True,
            kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET, UnitKind.COMMUNITY],
        ).first()
        if unit is None:
            errors["unit"] = [gettext_noop("choose the unit that rectifies")]
        if deadline is None:
            errors["deadline"] = [gettext_noop("This field is required.")]
        elif deadline < timezone.localtime(now).date():
            errors["deadline"] = [gettext_noop("the deadline cannot be in the past")]
    if errors:
        raise Invalid(gettext_noop("Check the outcome."), errors=errors)
    case.outcome = outcome
    case.outcome_note = (note or "").strip()
    endorsed = outcome == Outcome.ENDORSED
    case.rectification_required = "" if endorsed else rectification_required.strip()
    case.rectification_unit = None if endorsed else unit
    case.rectification_deadline = None if endorsed else deadline
    case.decided_by, case.decided_at = actor, now
    case.save()
    _log("outcome_recorded", actor, now, session=session, case=case, outcome=outcome)
    return case


@transaction.atomic
def do_conclude_session(actor, session_id: int, *, now=None) -> ReviewSession:
    """Conclude: every case needs an outcome; 不认可 opens a rectification for its unit; requesters are told."""
    now = _now(now)
    X.check_manager(actor)
    session = X.access_session(actor, session_id, for_update=True)
    if session.state != SessionState.OPEN:
        raise InvalidTransition(gettext_noop("Only an open session can be concluded."))
    cases = list(session.cases.select_related("order", "rectification_unit"))
    missing = [c.order.number for c in cases if not c.outcome]
    if missing:
        raise Invalid(
            gettext_noop("Record an outcome for every case first (missing: %(orders)s)."),
            params={"orders": ", ".join(missing)},
            errors={"cases": [gettext_noop("outcome missing")]},
        )
    for case in cases:
        order = case.order
        endorsed = case.outcome == Outcome.ENDORSED
        record_event(
            order,
            "review_outcome",
            actor,
            now,
            reason=case.outcome_note,
            payload={"session": session.pk, "outcome": case.outcome},
            public=True,
        )
        if not endorsed:
            rect = Rectification.objects.create(
                case=case,
                unit=case.rectification_unit,
                requirement=case.rectification_required,
                deadline=case.rectification_deadline,
                created_at=now,
            )
            queue_notification(
                kind="rectification",
                unit=rect.unit,
                roles=(R.HANDLER, R.UNIT_ADMIN),
                order=order,
                subject=f"第三方评议整改 {order.number}，期限 {rect.deadline}",
                now=now,
            )
            _log("rectification_assigned", actor, now, session=session, case=case, unit=rect.unit_id)
        if order.requester_phone and not order.is_anonymous:
            text = "认可" if endorsed else "不认可，已要求承办单位整改"
            queue_notification(
                kind="review_result",
                phone=order.requester_phone,
                order=order,
                subject=f"您的工单{order.number}经第三方评议：{text}。",
                body=f"您的工单{order.number}经第三方评议：{text}。",
                now=now,
                context={"number": order.number, "variant": "endorsed" if endorsed else "not_endorsed"},
            )
    session.state, session.concluded_at = SessionState.CONCLUDED, now
    session.save(update_fields=["state", "concluded_at"])
    _log("session_concluded", actor, now, session=session, cases=len(cases))
    return session


# ---------------------------------------------------------------------------------------------------------
# rectification


@transaction.atomic
def do_reply_rectification(actor, rect_id: int, *, reply: str, now=None) -> Rectification:
    """The unit reports what it rectified."""
    now = _now(now)
    rect = X.access_rectification(actor, rect_id, for_update=True)
    if not actor.roles & X.UNIT_STAFF or actor.unit_id != rect.unit_id:
        raise NotPermitted(gettext_noop("Only the unit that rectifies replies."))
    if rect.state != RectificationState.ASSIGNED:
        raise InvalidTransition(gettext_noop("This rectification is not waiting for the unit's reply."))
    rect.reply = _required(reply, "reply")
    rect.state, rect.replied_by, rect.replied_at = RectificationState.REPLIED, actor, now
    rect.save()
    case = rect.case
    record_event(case.order, "rectification_reply", actor, now, unit=rect.unit, payload={"rectification": rect.pk})
    queue_notification(
        kind="rectification_reply",
        roles=(R.SUPERVISOR,),
        order=case.order,
        subject=f"整改已回复 {case.order.number}",
        now=now,
    )
    _log("rectification_replied", actor, now, session=case.session, case=case)
    return rect


@transaction.atomic
def do_decide_rectification(actor, rect_id: int, *, accept: bool, note: str = "", now=None) -> Rectification:
    """The centre accepts the rectification, or sends it back to the unit with a note."""
    now = _now(now)
    X.check_manager(actor)
    rect = X.access_rectification(actor, rect_id, for_update=True)
    if rect.state != RectificationState.REPLIED:
        raise InvalidTransition(gettext_noop("This rectification has no reply to decide on."))
    if not accept and not (note or "").strip():
        raise Invalid(
            gettext_noop("Say what is still missing."), errors={"note": [gettext_noop("This field is required.")]}
        )
    rect.review_note = (note or "").strip()
    if accept:
        rect.state, rect.accepted_by, rect.accepted_at = RectificationState.ACCEPTED, actor, now
    else:
        rect.state = RectificationState.ASSIGNED
        queue_notification(
            kind="rectification_sent_back",
            unit=rect.unit,
            roles=(R.HANDLER, R.UNIT_ADMIN),
            order=rect.case.order,
            subject=f"整改被退回 {rect.case.order.number}",
            now=now,
        )
    rect.save()
    record_event(
        rect.case.order,
        "rectification_accepted" if accept else "rectification_sent_back",
        actor,
        now,
        reason=rect.review_note,
    )
    _log("rectification_decided", actor, now, session=rect.case.session, case=rect.case, accept=accept)
    return rect


def do_sweep_rectifications(*, now=None) -> int:
    """Remind the unit once when a rectification's deadline is near (policy ``rectification_warning_days``)
    and tell the unit and the supervisors once when it has passed unanswered; return how many were overdue
    now. Each row in its own short transaction, locked and re-checked."""
    now = _now(now)
    today = timezone.localtime(now).date()
    days = int(get_policy().get("rectification_warning_days") or 0)
    if days > 0:

        def due_soon(rect, order):
            left = (rect.deadline - today).days
            when = "今天到期" if left == 0 else f"剩余 {left} 天"
            return f"第三方评议整改即将到期 {order.number}（期限 {rect.deadline}，{when}）"

        _notify_rectifications_once(
            Q(deadline__gte=today, deadline__lte=today + timedelta(days=days)),
            "due_soon_notified_at",
            "rectification_due_soon",
            due_soon,
            supervisors=False,
            now=now,
        )
    return _notify_rectifications_once(
        Q(deadline__lt=today),
        "overdue_notified_at",
        "rectification_overdue",
        lambda rect, order: f"第三方评议整改逾期 {order.number}（期限 {rect.deadline}）",
        supervisors=True,
        now=now,
    )


def _notify_rectifications_once(which: Q, mark: str, kind: str, subject, *, supervisors: bool, now) -> int:
    """Notify the unit (and the supervisors) of each assigned rectification matching ``which`` whose ``mark``
    is still empty, set ``mark``, and log ``kind``; return how many were notified."""
    unmarked = Q(state=RectificationState.ASSIGNED, **{f"{mark}__isnull": True})
    done = 0
    for pk in list(Rectification.objects.filter(which, unmarked).values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            rect = (
                Rectification.objects.select_for_update()
                .select_related("case__order", "case__session", "unit")
                .filter(unmarked, pk=pk)
                .first()
            )
            if rect is None:
                continue
            order = rect.case.order
            text = subject(rect, order)
            queue_notification(
                kind=kind, unit=rect.unit, roles=(R.HANDLER, R.UNIT_ADMIN), order=order, subject=text, now=now
            )
            if supervisors:
                queue_notification(kind=kind, roles=(R.SUPERVISOR,), order=order, subject=text, now=now)
            setattr(rect, mark, now)
            rect.save(update_fields=[mark])
            _log(kind, None, now, session=rect.case.session, case=rect.case, deadline=str(rect.deadline))
            done += 1
    return done


# ---------------------------------------------------------------------------------------------------------
# publications


def publishable_orders():
    """Closed orders whose requesters agreed to publish, with a public reply, not confidential, not yet drafted."""
    return WorkOrder.objects.filter(
        state=S.CLOSED, consent_publish=True, is_confidential=False, publication__isnull=True
    ).exclude(public_reply="")


@transaction.atomic
def do_draft_case(actor, order_id: int, *, now=None) -> Publication:
    """Prepare the redacted draft of a published case from a closed order's question and reply."""
    now = _now(now)
    X.check_publisher(actor)
    order = access_order(actor, order_id, for_update=True)
    if not publishable_orders().filter(pk=order.pk).exists():
        if Publication.objects.filter(order=order).exists():
            raise Conflict(gettext_noop("This order already has a publication."))
        raise InvalidTransition(
            gettext_noop("Only closed orders with a public reply whose requester agreed to publish can be published.")
        )
    names = order_names(order)
    pub = Publication.objects.create(
        kind=PublicationKind.CASE,
        order=order,
        state=PublicationState.DRAFT,
        title=redact_text(order.subject, names)[:200],
        question=redact_text(order.text, names),
        answer=redact_text(order.public_reply, names),
        request_type=order.request_type.name,
        unit_name=order.lead_unit.name if order.lead_unit_id else "",
        street_name=order.street.name if order.street_id else "",
        happened_on=timezone.localtime(order.closed_at or now).date(),
        created_at=now,
    )
    _log("publication_drafted", actor, now, publication=pub, order=order.pk)
    record_event(order, "publication_drafted", actor, now, payload={"publication": pub.pk})
    return pub


@transaction.atomic
def do_draft_review_summary(actor, session_id: int, *, now=None) -> Publication:
    """Prepare the redacted public summary of a concluded session (one paragraph per case)."""
    from .casefile import case_summary

    now = _now(now)
    X.check_publisher(actor)
    X.check_manager(actor)
    session = X.access_session(actor, session_id, for_update=True)
    if session.state != SessionState.CONCLUDED:
        raise InvalidTransition(gettext_noop("Only a concluded session has a summary to publish."))
    if Publication.objects.filter(session=session).exists():
        raise Conflict(gettext_noop("This session already has a summary."))
    cases = list(
        session.cases.select_related("order__request_type", "order__lead_unit", "rectification_unit").prefetch_related(
            "scores__member"
        )
    )
    with translation.override("zh-hans"):  # the public summary is Chinese, whoever drafts it
        panel = "、".join(sorted({str(m.get_panel_type_display()) for m in session.members.all()}))
    lines = [f"评议日期：{session.held_on}；评议团：{panel}；评议案件 {len(cases)} 件。", ""]
    lines += [case_summary(c) for c in cases]
    pub = Publication.objects.create(
        kind=PublicationKind.REVIEW,
        session=session,
        state=PublicationState.DRAFT,
        title=redact_text(session.title)[:200],
        answer="\n".join(lines),
        happened_on=session.held_on,
        created_at=now,
    )
    _log("publication_drafted", actor, now, session=session, publication=pub)
    return pub


def _draft(actor, pub_id: int) -> Publication:
    X.check_publisher(actor)
    pub = X.access_publication(actor, pub_id, for_update=True)
    if pub.state != PublicationState.DRAFT:
        raise InvalidTransition(gettext_noop("Only a draft can be edited, published or rejected."))
    return pub


@transaction.atomic
def do_edit_publication(actor, pub_id: int, *, title: str, question: str = "", answer: str, now=None) -> Publication:
    now = _now(now)
    pub = _draft(actor, pub_id)
    pub.title = _required(title, "title")[:200]
    pub.answer = _required(answer, "answer")
    pub.question = (question or "").strip()
    pub.edited_by = actor
    pub.save()
    _log("publication_edited", actor, now, publication=pub)
    return pub


@transaction.atomic
def do_publish(actor, pub_id: int, *, now=None) -> Publication:
    """Publish a checked draft. Refused while the text still holds what looks like personal data."""
    now = _now(now)
    pub = _draft(actor, pub_id)
    found = leftovers("\n".join([pub.title, pub.question, pub.answer]))
    if found:
        raise Invalid(
            gettext_noop("The text still contains what looks like personal data: %(found)s. Edit it first."),
            params={"found": "; ".join(found[:5])},
            errors={"answer": [gettext_noop("personal data left")]},
        )
    pub.state, pub.published_at, pub.decided_by, pub.decided_at = PublicationState.PUBLISHED, now, actor, now
    pub.save()
    _log("publication_published", actor, now, publication=pub, session=pub.session)
    if pub.order_id:
        record_event(pub.order, "case_published", actor, now, payload={"publication": pub.pk})
    return pub


@transaction.atomic
def do_reject_publication(actor, pub_id: int, *, reason: str, now=None) -> Publication:
    now = _now(now)
    pub = _draft(actor, pub_id)
    pub.reject_reason = _required(reason, "reason")
    pub.state, pub.decided_by, pub.decided_at = PublicationState.REJECTED, actor, now
    pub.save()
    _log("publication_rejected", actor, now, publication=pub, session=pub.session)
    return pub


@transaction.atomic
def do_withdraw_publication(actor, pub_id: int, *, reason: str, now=None) -> Publication:
    """Take a published text off the portal (it becomes rejected, with the reason)."""
    now = _now(now)
    X.check_publisher(actor)
    pub = X.access_publication(actor, pub_id, for_update=True)
    if pub.state != PublicationState.PUBLISHED:
        raise InvalidTransition(gettext_noop("Only a published text can be withdrawn."))
    pub.reject_reason = _required(reason, "reason")
    pub.state, pub.decided_by, pub.decided_at = PublicationState.REJECTED, actor, now
    pub.save()
    _log("publication_withdrawn", actor, now, publication=pub)
    return pub


__all__ = ["NotFound"]
