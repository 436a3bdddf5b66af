"""The feedback demo seeds through the actions: roster, candidates, a concluded and published session."""

from __future__ import annotations

from tests.factories import T0
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.feedback.demo import seed_feedback_demo, subsidy_unit
from yihaotong.feedback.models import PanelMember, Publication, Rectification, ReviewSession
from yihaotong.feedback.selectors import review_candidates


def test_demo_seeds_a_review_with_published_summary(cast):
    unit = subsidy_unit()
    do_create_user(username=f"h-{unit.code}", password=None, roles=[R.HANDLER], unit=unit, display_name="承办人")
    users = {
        "operator": cast.operator,
        "dispatcher": cast.dispatcher,
        "reviewer": cast.reviewer,
        "callback": cast.callback,
        "supervisor": cast.supervisor,
    }
    counts = seed_feedback_demo(users, T0, password="demo-pass-1", quiet=False)
    assert counts == {"panel": 5, "sessions": 2, "published": 1}
    assert PanelMember.objects.count() == 5
    assert ReviewSession.objects.filter(state="concluded").count() == 1
    assert Rectification.objects.get().state == "assigned"
    summary = Publication.objects.get(kind="review", state="published")
    assert "卢永康" not in summary.answer and "不认可" in summary.answer
    repeated = review_candidates(cast.supervisor, reason="repeated")
    assert [o.subject for o in repeated] == ["创业担保贷款贴息一直没有兑现"]
    assert seed_feedback_demo(users, T0, password="demo-pass-1") == {}  # idempotent
