"""Knowledge-base figures (domain.md §10 知识库) among the indicators: equal to a direct count of the KB's logs,
by period with the change against the previous one, on the leaders' dashboard and in the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from tests.factories import T0
from tests.kb.util import SCHOOL, publish
from yihaotong.analytics import rollup
from yihaotong.analytics.periods import parse_period
from yihaotong.analytics.selectors import indicators
from yihaotong.intake.models import Contact
from yihaotong.kb import actions as KA
from yihaotong.kb.models import USEFUL_COVERAGE, ArticleUsage, GapMark, HelpfulVote, SearchLog

MARCH, FEB = T0, T0 - timedelta(days=28)  # 2026-03-09 and 2026-02-09


def _contact(now, outcome, ref=""):
    reason = "wrong_number" if outcome == "disposition" else ""
    return Contact.objects.create(
        channel="call",
        received_at=now,
        summary="咨询",
        outcome=outcome,
        article_ref=ref,
        answer_text="已答复",
        disposition_reason=reason,
    )


@pytest.fixture
def kb_world(cast):
    a = publish(cast)
    b = publish(cast, **SCHOOL)
    anon = AnonymousUser()
    for when, n in ((MARCH, 3), (FEB, 1)):
        for i in range(n):
            at = when + timedelta(hours=i)
            KA.do_log_search(
                cast.operator,
                channel="desk",
                query="医保",
                filters={},
                article_ids=[a.pk],
                took_ms=1,
                best_coverage=0.9,
                now=at,
            )
            KA.do_record_usage(cast.operator, a.pk, "used", reference=f"WO-{i}", now=at)
            _contact(at, "direct_answer", a.ref)
    # March: two searches without a useful result (nothing found; a weak match), one gap, an opened article.
    KA.do_log_search(cast.operator, channel="desk", query="落户", filters={}, article_ids=[], took_ms=1, now=MARCH)
    KA.do_log_search(
        cast.operator,
        channel="desk",
        query="社保转移",
        filters={},
        article_ids=[b.pk],
        took_ms=1,
        best_coverage=0.2,
        now=MARCH,
    )
    KA.do_mark_gap(cast.operator, "外地社保如何转入", now=MARCH)
    KA.do_record_usage(cast.operator, b.pk, "opened", now=MARCH)
    # March: a direct answer without an article and a disposition (a wrong number).
    _contact(MARCH, "direct_answer")
    _contact(MARCH + timedelta(hours=5), "disposition")
    # Votes: two helpful and one not in March, one helpful in February.
    KA.do_record_helpful_vote(anon, a.pk, helpful=True, voter="s:1", now=MARCH)
    KA.do_record_helpful_vote(anon, a.pk, helpful=True, voter="s:2", now=MARCH)
    KA.do_record_helpful_vote(anon, b.pk, helpful=False, voter="s:3", now=MARCH)
    KA.do_record_helpful_vote(anon, b.pk, helpful=True, voter="s:4", now=FEB)
    rollup.roll_up()
    return cast


def _in_month(at, month: date) -> bool:
    local = timezone.localtime(at)
    return (local.year, local.month) == (month.year, month.month)


def _direct(month: date) -> dict:
    """The KB figures of a month counted straight from the rows (no rollup, no selectors)."""
    searches = [s for s in SearchLog.objects.all() if _in_month(s.at, month)]
    useless = [s for s in searches if s.result_count == 0 or s.best_coverage < USEFUL_COVERAGE]
    contacts = [c for c in Contact.objects.all() if _in_month(c.received_at, month)]
    kb_answers = [c for c in contacts if c.outcome == "direct_answer" and c.article_ref]
    votes = [v for v in HelpfulVote.objects.all() if _in_month(v.updated_at, month)]
    return {
        "kb_answer_rate": len(kb_answers) / len(contacts),
        "kb_used": len([u for u in ArticleUsage.objects.filter(kind="used") if _in_month(u.at, month)]),
        "kb_searches": len(searches),
        "kb_useless_rate": len(useless) / len(searches),
        "kb_gaps": len([g for g in GapMark.objects.all() if _in_month(g.at, month)]),
        "kb_helpful_rate": len([v for v in votes if v.helpful]) / len(votes),
    }


@pytest.mark.django_db
def test_kb_figures_equal_a_direct_count_with_the_change(kb_world):
    figures = {f["code"]: f for f in indicators(parse_period("month", "2026-03", today=date(2026, 3, 31)))}
    march, feb = _direct(date(2026, 3, 1)), _direct(date(2026, 2, 1))
    assert march == {
        "kb_answer_rate": 3 / 5,
        "kb_used": 3,
        "kb_searches": 5,
        "kb_useless_rate": 2 / 5,
        "kb_gaps": 1,
        "kb_helpful_rate": 2 / 3,
    }
    for code, value in march.items():
        f = figures[code]
        assert f["source"] == "kb"
        assert f["value"] == pytest.approx(value), code
        assert f["previous"] == pytest.approx(feb[code]), code
    # Rates change in points, counts in percent.
    assert figures["kb_answer_rate"]["mom"] == pytest.approx(3 / 5 - 1.0)
    assert figures["kb_used"]["mom"] == pytest.approx(2.0)
    assert figures["kb_useless_rate"]["higher_is_better"] is False
    # A rebuild of the rollups gives the same KB direct-answer rate.
    rollup.rebuild()
    again = {f["code"]: f for f in indicators(parse_period("month", "2026-03", today=date(2026, 3, 31)))}
    assert again["kb_answer_rate"]["value"] == pytest.approx(3 / 5)


@pytest.mark.django_db
def test_kb_figures_are_for_the_whole_district_only(kb_world):
    p = parse_period("month", "2026-03", today=date(2026, 3, 31))
    codes = {f["code"] for f in indicators(p, dim="channel", key="call")}
    assert "kb_searches" not in codes and "completion_rate" in codes


@pytest.mark.django_db
def test_dashboard_shows_kb_figures_linking_to_the_kb_dashboard(client, kb_world):
    client.force_login(kb_world.leader)
    r = client.get("/analytics/?period=month&value=2026-03")
    html = r.content.decode()
    assert r.status_code == 200 and 'data-testid="kb-kpis"' in html
    block = html.split('data-testid="kpi-kb_gaps"')[0].rsplit("<a ", 1)[1]
    assert "/kb/dashboard?days=" in block
    assert "知识库" in html
    kb = [f for f in r.context["kb_figures"] if f["code"] == "kb_searches"][0]
    assert kb["value"] == 5
    # The link opens the KB dashboard for the leader.
    href = r.context["kb_href"]
    assert client.get(href).status_code == 200
    # A supervisor reads the figures but may not open the KB dashboard: no link to a refusal.
    client.force_login(kb_world.supervisor)
    r = client.get("/analytics/?period=month&value=2026-03")
    html = r.content.decode()
    assert 'data-testid="kpi-kb_gaps"' in html and r.context["kb_href"] == "" and "/kb/dashboard" not in html
    assert client.get("/kb/dashboard").status_code == 403


@pytest.mark.django_db
def test_api_gives_kb_figures(client, kb_world):
    from tests.analytics.test_api import API

    client.force_login(kb_world.leader)
    r = client.get(f"{API}/indicators?period=month&value=2026-03")
    assert r.status_code == 200
    figures = {f["code"]: f for f in r.json()["figures"]}
    assert figures["kb_gaps"]["value"] == 1 and figures["kb_gaps"]["source"] == "kb"
    assert figures["kb_helpful_rate"]["previous"] == 1.0
