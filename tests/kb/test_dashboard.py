"""The KB dashboard: direct-answer rate, most and never used articles, clustered unanswered questions
(one click to a draft), and work orders made although an article existed."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import T0, order_input
from tests.kb.util import SCHOOL, publish
from yihaotong.intake import actions as IA
from yihaotong.kb import actions as A
from yihaotong.kb.dashboard import build_dashboard, cluster_questions, per_unit_counts
from yihaotong.kb.models import Article, GapMark


def test_questions_cluster_by_their_characters():
    clusters = cluster_questions(
        [
            ("电动车在哪里上牌", 1),
            ("电动车上牌在哪里办", 2),
            ("电动车去哪里上牌", None),
            ("社保卡丢了怎么补办", 3),
            ("😀", None),  # nothing to compare: left out
        ]
    )
    assert [c.size for c in clusters] == [3, 1]
    assert sorted(clusters[0].gap_ids) == [1, 2]


def contact(summary: str):
    return IA.ContactInput(channel="call", summary=summary, phone="13800001234", name="测试")


def test_dashboard_counts_uses_gaps_and_orders(cast):
    medical = publish(cast)
    school = publish(cast, **SCHOOL)
    IA.do_answer_contact(cast.operator, contact("新生儿医保"), article_ref=medical.ref, now=T0)
    IA.do_answer_contact(cast.operator, contact("新生儿医保"), article_ref=medical.ref, now=T0)
    IA.do_answer_contact(cast.operator, contact("问路"), answer_text="已告知", now=T0)
    IA.do_create_order_from_contact(
        cast.operator, contact("新生儿医保参保"), order_input(subject="新生儿医保参保"), now=T0
    )
    IA.do_create_order_from_contact(cast.operator, contact("工地夜间施工噪音"), order_input(), now=T0)
    A.do_log_search(cast.operator, channel="desk", query="电动车上牌", filters={}, article_ids=[], took_ms=1, now=T0)
    A.do_mark_gap(cast.operator, "电动车在哪里上牌", now=T0)
    d = build_dashboard(cast.kb_editor, days=30, now=T0 + timedelta(hours=1))
    assert (d.contacts, d.direct_answers, d.kb_answers) == (5, 3, 2)
    assert d.most_used == [(medical.pk, medical.title, 2)]
    assert (school.pk, school.title) in d.never_used and d.never_used_count == 1
    assert d.useless_searches == 1 and d.clusters[0].size == 2
    assert [hit.article_id for _c, hit in d.orders_with_article] == [medical.pk]
    assert d.orders_without_article == 1 and d.orders_checked == 2
    now = timezone.now()  # the articles were written now, the contacts at T0
    units = {r["unit"]: r for r in per_unit_counts(now - timedelta(days=1), now + timedelta(minutes=1))}
    assert units["成都市青羊区医疗保障局"]["added"] == 1 and units["成都市青羊区教育局"]["published"] == 1


def test_dashboard_screen_and_one_click_draft(cast):
    gap = A.do_mark_gap(cast.operator, "电动车在哪里上牌")
    c = Client()
    c.force_login(cast.kb_editor)
    page = c.get(reverse("consoles:kb_dashboard"))
    assert page.status_code == 200 and "电动车在哪里上牌" in page.content.decode()
    resp = c.post(
        reverse("consoles:kb_dashboard"),
        {
            "question": ["电动车在哪里上牌", "电动车上牌在哪里办"],
            "gap": [gap.pk],
            "category": "TRA-05-02",
            "owner_unit": "QY-D-TRAFFIC",
        },
    )
    assert resp.status_code == 302
    draft = Article.objects.get(title="电动车在哪里上牌")
    assert draft.state == "draft" and draft.phrasing_list() == ["电动车在哪里上牌", "电动车上牌在哪里办"]
    assert GapMark.objects.get(pk=gap.pk).article == draft
    denied = Client()
    denied.force_login(cast.operator)
    assert denied.get(reverse("consoles:kb_dashboard")).status_code == 403


def test_a_desk_answer_counts_once(cast):
    """The desk records the contact's article_ref and a usage row referring to that contact: one use."""
    from yihaotong.kb.models import UsageKind

    medical = publish(cast)
    c = IA.do_answer_contact(cast.operator, contact("新生儿医保"), article_ref=medical.ref, now=T0)
    A.do_record_usage(cast.operator, medical.pk, UsageKind.USED, reference=f"contact:{c.pk}", now=T0)
    A.do_record_usage(cast.operator, medical.pk, UsageKind.USED, reference="api", now=T0)  # another use
    d = build_dashboard(cast.kb_editor, days=30, now=T0 + timedelta(hours=1))
    assert d.most_used == [(medical.pk, medical.title, 2)]
