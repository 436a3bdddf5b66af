"""Third-party review through the actions: candidates, sessions, panel, scores, outcomes, conclusion,
requester SMS, rectification tracked to acceptance, permissions, events."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import EDU, drive, new_order
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.core.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from yihaotong.directory.actions import do_set_setting
from yihaotong.directory.policy import invalidate_policy
from yihaotong.feedback import actions as FA
from yihaotong.feedback.access import visible_cases, visible_rectifications, visible_sessions
from yihaotong.feedback.models import FeedbackEvent, Rectification, SessionState
from yihaotong.feedback.selectors import review_candidates
from yihaotong.notifications.models import Outbox
from yihaotong.workorders.models import Event

from .conftest import dissatisfied_twice

DEADLINE = date(2099, 1, 31)


def test_candidates_are_dissatisfied_twice_or_repeated_contacts(cast):
    twice = dissatisfied_twice(cast)
    assert twice.dissatisfied_count == 2 and twice.is_review_candidate
    once = drive(cast, new_order(cast, subject="一次不满意"), "closed")
    do_set_setting(cast.sysadmin, "review_candidate_contacts", 3)
    invalidate_policy()  # do_save_config invalidates on commit; the test transaction never commits
    caller = new_order(cast, subject="反复来电")
    for _ in range(3):
        from yihaotong.workorders.actions import do_record_repeat_contact

        do_record_repeat_contact(cast.operator, caller.pk)
    ids = set(review_candidates(cast.supervisor).values_list("pk", flat=True))
    assert twice.pk in ids and caller.pk in ids and once.pk not in ids
    assert set(review_candidates(cast.supervisor, reason="repeated").values_list("pk", flat=True)) == {caller.pk}
    caller.refresh_from_db()
    assert FA.case_reason(caller) == "repeated" and FA.case_reason(twice) == "dissatisfied"


def test_only_users_with_the_panel_role_sit_on_the_roster(cast):
    with pytest.raises(Invalid):
        FA.do_save_panel_member(cast.supervisor, cast.edu.pk, panel_type="npc")
    with pytest.raises(NotPermitted):
        FA.do_save_panel_member(cast.edu, cast.panel.pk, panel_type="npc")
    with pytest.raises(Invalid):
        FA.do_save_panel_member(cast.supervisor, cast.panel.pk, panel_type="king")


def test_session_needs_cases_and_panel_before_opening(cast, roster):
    s = FA.do_create_session(cast.supervisor, title="评议", held_on=date(2026, 12, 1))
    with pytest.raises(Invalid) as exc:
        FA.do_open_session(cast.supervisor, s.pk)
    assert set(exc.value.errors) == {"cases", "members"}
    with pytest.raises(Invalid):
        FA.do_create_session(cast.supervisor, title="  ", held_on=date(2026, 12, 1))
    with pytest.raises(NotPermitted):
        FA.do_create_session(cast.dispatcher, title="x", held_on=date(2026, 12, 1))


def test_panel_member_sees_only_open_sessions_they_sit_on(cast, roster):
    order = dissatisfied_twice(cast)
    s = FA.do_create_session(cast.supervisor, title="评议", held_on=date(2026, 12, 1))
    case = FA.do_add_case(cast.supervisor, s.pk, order_id=order.pk)
    FA.do_set_panel(cast.supervisor, s.pk, member_ids=[roster[1].pk])
    assert not visible_sessions(cast.panel).exists()  # planned and not on the panel
    FA.do_open_session(cast.supervisor, s.pk)
    assert not visible_cases(cast.panel).exists()  # open, but cast.panel is not on this panel
    media = roster[1].user
    assert list(visible_cases(media)) == [case]
    with pytest.raises(NotFound):
        FA.do_score_case(cast.panel, case.pk, verdict="fulfilled", score=5)
    assert not visible_sessions(cast.edu).exists()


def test_an_order_is_before_one_session_at_a_time(cast, open_session):
    session, case, order = open_session
    other = FA.do_create_session(cast.supervisor, title="另一次", held_on=date(2026, 12, 2))
    with pytest.raises(Conflict):
        FA.do_add_case(cast.supervisor, other.pk, order_id=order.pk)
    with pytest.raises(InvalidTransition):
        FA.do_add_case(cast.supervisor, session.pk, order_id=order.pk)  # open: cases fixed


def test_scores_outcomes_and_conclusion_inform_the_requester_and_assign_the_rectification(cast, open_session, roster):
    session, case, order = open_session
    npc, media, legal = (m.user for m in roster)
    with pytest.raises(Invalid) as exc:
        FA.do_score_case(npc, case.pk, verdict="not_fulfilled", score=2, comment="")
    assert "comment" in exc.value.errors
    FA.do_score_case(npc, case.pk, verdict="not_fulfilled", score=2, comment="补贴审核拖延")
    FA.do_score_case(media, case.pk, verdict="partly", score=3)
    FA.do_score_case(media, case.pk, verdict="not_fulfilled", score=2, comment="改为不到位")  # a member may revise
    assert case.scores.count() == 2
    with pytest.raises(Invalid):
        FA.do_score_case(legal, case.pk, verdict="fulfilled", score=7)
    with pytest.raises(NotPermitted):
        FA.do_record_outcome(npc, case.pk, outcome="endorsed")
    with pytest.raises(Invalid) as exc:
        FA.do_record_outcome(cast.supervisor, case.pk, outcome="not_endorsed")
    assert {"rectification_required", "deadline"} <= set(exc.value.errors)
    with pytest.raises(Invalid):
        FA.do_record_outcome(
            cast.supervisor, case.pk, outcome="not_endorsed", rectification_required="x", deadline=date(2020, 1, 1)
        )
    with pytest.raises(Invalid):
        FA.do_conclude_session(cast.supervisor, session.pk)  # outcome missing
    FA.do_record_outcome(
        cast.supervisor,
        case.pk,
        outcome="not_endorsed",
        note="评议团认为承办单位未按时发放补贴",
        rectification_required="十个工作日内完成补贴审核并书面答复",
        deadline=DEADLINE,
    )
    FA.do_conclude_session(cast.supervisor, session.pk)
    session.refresh_from_db()
    assert session.state == SessionState.CONCLUDED
    rect = Rectification.objects.get(case=case)
    assert rect.unit == cast.unit(EDU) and rect.deadline == DEADLINE and rect.state == "assigned"
    sms = Outbox.objects.get(order=order, kind="review_result")
    assert sms.channel == "sms" and sms.recipient_address == order.requester_phone and "不认可" in sms.body
    assert Outbox.objects.filter(kind="rectification", recipient_unit=cast.unit(EDU)).exists()
    assert Event.objects.filter(order=order, kind="review_outcome", is_public=True).exists()
    with pytest.raises(NotFound):  # another unit does not see the rectification
        FA.do_reply_rectification(cast.cm, rect.pk, reply="x")

    # the unit replies, the centre sends back, the unit replies again, the centre accepts
    assert list(visible_rectifications(cast.edu)) == [rect] and not visible_rectifications(cast.cm).exists()
    with pytest.raises(InvalidTransition):
        FA.do_decide_rectification(cast.supervisor, rect.pk, accept=True)
    FA.do_reply_rectification(cast.edu, rect.pk, reply="已完成审核，补贴已发放")
    with pytest.raises(Invalid):
        FA.do_decide_rectification(cast.supervisor, rect.pk, accept=False, note="")
    FA.do_decide_rectification(cast.supervisor, rect.pk, accept=False, note="请附发放凭证")
    rect.refresh_from_db()
    assert rect.state == "assigned"
    FA.do_reply_rectification(cast.edu_admin, rect.pk, reply="已附凭证")
    FA.do_decide_rectification(cast.supervisor, rect.pk, accept=True)
    rect.refresh_from_db()
    assert rect.state == "accepted" and rect.accepted_by == cast.supervisor
    kinds = list(Event.objects.filter(order=order).values_list("kind", flat=True))
    assert "rectification_reply" in kinds and "rectification_accepted" in kinds
    assert FeedbackEvent.objects.filter(session=session, kind="session_concluded").exists()
    # a concluded order is no longer a candidate
    assert not review_candidates(cast.supervisor).filter(pk=order.pk).exists()


def test_endorsed_case_needs_no_rectification(cast, open_session):
    session, case, order = open_session
    FA.do_record_outcome(cast.supervisor, case.pk, outcome="endorsed", note="单位已尽责")
    FA.do_conclude_session(cast.supervisor, session.pk)
    assert not Rectification.objects.exists()
    assert "认可" in Outbox.objects.get(order=order, kind="review_result").body
    with pytest.raises(InvalidTransition):
        FA.do_record_outcome(cast.supervisor, case.pk, outcome="not_endorsed")


def test_feedback_events_are_append_only(cast, open_session):
    event = FeedbackEvent.objects.first()
    from yihaotong.feedback.models import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_remove_case_only_while_planned(cast, roster):
    order = dissatisfied_twice(cast)
    s = FA.do_create_session(cast.supervisor, title="评议", held_on=date(2026, 12, 1))
    case = FA.do_add_case(cast.supervisor, s.pk, order_id=order.pk)
    FA.do_remove_case(cast.supervisor, case.pk)
    assert not s.cases.exists()
    assert Event.objects.filter(order=order, kind="review_case_removed").exists()


def test_panel_drawn_at_random_per_type(cast, roster):
    import random

    extra = do_create_user(username="panel_media2", password=None, roles=[R.PANEL_MEMBER], display_name="媒体代表丙")
    FA.do_save_panel_member(cast.supervisor, extra.pk, panel_type="media")
    s = FA.do_create_session(cast.supervisor, title="抽取", held_on=date(2026, 12, 1))
    FA.do_draw_panel(cast.supervisor, s.pk, per_type=1, rng=random.Random(3))
    types = sorted(m.panel_type for m in s.members.all())
    assert types == ["legal", "media", "npc"]  # one of each type on the roster
    FA.do_draw_panel(cast.supervisor, s.pk, per_type=2, rng=random.Random(3))
    assert s.members.filter(panel_type="media").count() == 2
    with pytest.raises(Invalid):
        FA.do_draw_panel(cast.supervisor, s.pk, per_type=9)
    assert FeedbackEvent.objects.filter(session=s, kind="panel_drawn").count() == 2


def test_a_rectification_due_soon_is_reminded_once(cast, open_session, settings):
    from datetime import timedelta

    from django.utils import timezone

    from yihaotong.directory.policy import invalidate_policy
    from yihaotong.notifications.selectors import list_notifications

    session, case, order = open_session
    today = timezone.localdate()
    FA.do_record_outcome(
        cast.supervisor,
        case.pk,
        outcome="not_endorsed",
        rectification_required="补办",
        deadline=today + timedelta(days=5),
    )
    FA.do_conclude_session(cast.supervisor, session.pk)
    FA.do_sweep_rectifications()
    assert not Outbox.objects.filter(kind="rectification_due_soon").exists()  # five days left: not yet
    two_days_later = timezone.now() + timedelta(days=2)
    FA.do_sweep_rectifications(now=two_days_later)  # three days left (policy rectification_warning_days)
    FA.do_sweep_rectifications(now=two_days_later + timedelta(hours=1))
    rows = Outbox.objects.filter(kind="rectification_due_soon", order=order)
    assert {r.recipient_role for r in rows} == {"handler", "unit_admin"}  # once, to the unit only
    assert "剩余 3 天" in rows[0].subject
    assert [n.kind for n in list_notifications(cast.edu, now=two_days_later)][:1] == ["rectification_due_soon"]
    # 0 switches the reminder off.
    from yihaotong.core.errors import Invalid
    from yihaotong.directory.actions import do_set_setting

    with pytest.raises(Invalid):
        do_set_setting(cast.sysadmin, "rectification_warning_days", "three")  # the policy is typed
    do_set_setting(cast.sysadmin, "rectification_warning_days", 0)
    invalidate_policy()
    Rectification.objects.update(due_soon_notified_at=None)
    FA.do_sweep_rectifications(now=two_days_later)
    assert Outbox.objects.filter(kind="rectification_due_soon").count() == 2


def test_overdue_rectification_is_notified_once(cast, open_session):
    from datetime import timedelta

    from django.utils import timezone

    session, case, order = open_session
    today = timezone.localdate()
    FA.do_record_outcome(
        cast.supervisor, case.pk, outcome="not_endorsed", rectification_required="补办", deadline=today
    )
    FA.do_conclude_session(cast.supervisor, session.pk)
    assert FA.do_sweep_rectifications() == 0  # due today: not overdue yet
    later = timezone.now() + timedelta(days=2)
    assert FA.do_sweep_rectifications(now=later) == 1
    assert FA.do_sweep_rectifications(now=later) == 0
    rows = Outbox.objects.filter(kind="rectification_overdue", order=order)
    assert {r.recipient_role for r in rows} == {"handler", "unit_admin", "supervisor"}
    rect = Rectification.objects.get()
    FA.do_reply_rectification(cast.edu, rect.pk, reply="已补办")
    assert FA.do_sweep_rectifications(now=later + timedelta(days=1)) == 0
