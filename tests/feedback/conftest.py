"""Shared builders for the feedback tests: panel members on the roster, review candidates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import T0, drive, new_order
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.feedback import actions as FA
from yihaotong.workorders import actions as A


def dissatisfied_twice(cast, *, subject="创业补贴迟迟未发放", **kw):
    """An order whose requester was dissatisfied at two callbacks (out of redo rounds: a candidate)."""
    order = drive(cast, new_order(cast, subject=subject, **kw), "pending_callback")
    for i in range(2):
        A.do_record_callback(
            cast.callback, order.pk, outcome="reached", satisfaction="dissatisfied", reason=f"第{i + 1}次不满意", now=T0
        )
        order.refresh_from_db()
        if order.state == "in_progress":
            A.do_reply_order(cast.edu, order.pk, internal_notes="重办处理", public_text="已再次处理", now=T0)
            A.do_review_reply(cast.reviewer, order.pk, approve=True, now=T0)
    order.refresh_from_db()
    return order


@pytest.fixture
def roster(cast):
    """Three seats: the cast's panel user (NPC deputy), a media representative, a legal adviser."""
    media = do_create_user(username="panel_media", password=None, roles=[R.PANEL_MEMBER], display_name="媒体代表甲")
    legal = do_create_user(username="panel_legal", password=None, roles=[R.PANEL_MEMBER], display_name="法律顾问乙")
    return [
        FA.do_save_panel_member(cast.supervisor, cast.panel.pk, panel_type="npc", organisation="区人大"),
        FA.do_save_panel_member(cast.supervisor, media.pk, panel_type="media", organisation="区融媒体中心"),
        FA.do_save_panel_member(cast.supervisor, legal.pk, panel_type="legal"),
    ]


@pytest.fixture
def open_session(cast, roster):
    """An open session with one dissatisfied-twice case and the whole roster as its panel."""
    order = dissatisfied_twice(cast)
    session = FA.do_create_session(
        cast.supervisor, title="2026年第一次第三方评议", held_on=(T0 + timedelta(days=7)).date()
    )
    case = FA.do_add_case(cast.supervisor, session.pk, order_id=order.pk)
    FA.do_set_panel(cast.supervisor, session.pk, member_ids=[m.pk for m in roster])
    FA.do_open_session(cast.supervisor, session.pk)
    return session, case, order
