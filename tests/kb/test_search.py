"""search_articles: ranking fields, analysis (synonyms, dictionary, traditional characters), filters, flags,
highlights and passages, bad input, and freshness of the per-process index after publication."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from tests.kb.util import SCHOOL, article_input, publish
from yihaotong.core.errors import Invalid
from yihaotong.kb import actions as A
from yihaotong.kb.analysis import Analyzer, bigrams
from yihaotong.kb.search import SearchFilters, get_index, search_articles

TODAY = date(2026, 3, 9)


def titles(result) -> list[str]:
    return [h.title for h in result.hits]


@pytest.fixture
def kb(cast):
    """Three published articles (our own text) and one draft."""
    medical = publish(cast)
    school = publish(cast, **SCHOOL)
    hukou = publish(
        cast,
        title="新生儿出生登记（报户口）办理指南",
        category="REG-01-02",
        content="新生儿出生后一个月内，由父母一方持出生医学证明、父母户口簿和结婚证到户籍所在地派出所申报出生登记。",
        material_type="guide",
        owner_unit="QY-D-PSB",
        keywords="出生登记,上户口",
        phrasings="宝宝怎么上户口",
        visibility="internal",
    )
    draft = A.do_create_article(cast.kb_editor, article_input(title="草稿：公积金提取", content="公积金提取草稿。"))
    return {"medical": medical, "school": school, "hukou": hukou, "draft": draft}


def test_finds_by_title_phrasing_and_content(cast, kb):
    assert titles(search_articles("新生儿医保参保", actor=cast.operator, today=TODAY))[0] == kb["medical"].title
    assert titles(search_articles("孩子上小学要准备什么", actor=cast.operator, today=TODAY))[0] == kb["school"].title
    assert titles(search_articles("宝宝怎么上户口", actor=cast.operator, today=TODAY))[0] == kb["hukou"].title
    result = search_articles("派出所申报", actor=cast.operator, today=TODAY)
    assert result.hits[0].ref == f"KB-{kb['hukou'].pk}"
    assert "<mark>派出所</mark>" in result.hits[0].snippet


def test_drafts_are_never_found(cast, kb):
    assert kb["draft"].title not in titles(search_articles("公积金提取", actor=cast.kb_editor, today=TODAY))


def test_public_sees_public_articles_only(cast, kb):
    anonymous = AnonymousUser()
    assert kb["hukou"].title in titles(search_articles("出生登记", actor=cast.operator, today=TODAY))
    assert kb["hukou"].title not in titles(search_articles("出生登记", actor=anonymous, today=TODAY))
    assert kb["hukou"].title not in titles(search_articles("出生登记", actor=cast.panel, today=TODAY))
    internal = search_articles("新生儿", actor=cast.operator, filters=SearchFilters(visibility="internal"), today=TODAY)
    assert titles(internal) == [kb["hukou"].title]


def test_filters(cast, kb):
    def found(**f):
        return set(titles(search_articles("新生儿 入学", actor=cast.operator, filters=SearchFilters(**f), today=TODAY)))

    assert found(category="EDU") == {kb["school"].title}
    assert found(category="HEA-03-02") == {kb["medical"].title}
    assert found(unit="QY-D-PSB") == {kb["hukou"].title}
    assert found(material_type="law") == set()
    with pytest.raises(Invalid):
        search_articles("新生儿", actor=cast.operator, filters=SearchFilters(material_type="poem"))
    with pytest.raises(Invalid):
        search_articles("新生儿", actor=cast.operator, filters=SearchFilters(category="NOPE"))


def test_expired_articles_are_left_out_or_flagged(cast, kb):
    expired = publish(
        cast,
        title="2025年度城乡居民医保集中缴费期",
        content="2025年度城乡居民医保集中缴费期为上一年九月至十二月。",
        keywords="集中缴费",
        phrasings="",
        effective_from=date(2024, 9, 1),
        expires_on=TODAY - timedelta(days=1),
    )
    overdue = publish(
        cast,
        title="居民医保缴费标准",
        content="居民医保个人缴费标准每年公布一次，缴费后次年享受待遇。",
        keywords="缴费标准",
        phrasings="",
        next_review_on=TODAY - timedelta(days=30),
    )
    current = search_articles("居民医保缴费", actor=cast.operator, today=TODAY)
    assert expired.title not in titles(current)
    hit = next(h for h in current.hits if h.title == overdue.title)
    assert hit.review_overdue and not hit.expired
    everything = search_articles(
        "居民医保缴费", actor=cast.operator, filters=SearchFilters(validity="all"), today=TODAY
    )
    assert next(h for h in everything.hits if h.title == expired.title).expired
    # The public never gets expired articles, whatever it asks for.
    public = search_articles("居民医保缴费", actor=None, filters=SearchFilters(validity="all"), today=TODAY)
    assert expired.title not in titles(public)


def test_synonyms_apply_at_once(cast, kb):
    before = search_articles("医疗保险", actor=cast.operator, today=TODAY)
    # Only single characters (医, 保) in common: found weakly, nothing highlighted, little of the query covered.
    assert all("<mark>" not in h.title_html for h in before.hits) and before.best_coverage < 0.5
    A.do_save_synonym_group(cast.kb_editor, "医保,医疗保险")
    result = search_articles("医疗保险", actor=cast.operator, today=TODAY)
    assert titles(result)[0] == kb["medical"].title
    assert "<mark>医保</mark>" in result.hits[0].title_html and result.best_coverage == 1.0


def test_user_dictionary_keeps_words_whole():
    assert "异地就医备案" not in Analyzer().words("异地就医备案怎么办")
    assert "异地就医备案" in Analyzer(words=["异地就医备案"]).words("异地就医备案怎么办")
    assert bigrams("医保") == ["医保"] and bigrams("a") == ["a"]


def test_traditional_characters_match(cast, kb):
    assert titles(search_articles("新生兒醫保參保", actor=cast.operator, today=TODAY))[0] == kb["medical"].title


@pytest.mark.parametrize(
    "query",
    ["", "   ", "😀😀", "x" * 10_000, "医保" * 5_000, "yibao canbao", "<script>alert(1)</script>", "？？？"],
)
def test_bad_input_answers_without_errors(cast, kb, query):
    result = search_articles(query, actor=cast.operator, today=TODAY)
    assert result.total == len(result.hits) or result.total > len(result.hits)
    for hit in result.hits:
        assert "<script>" not in hit.snippet


def test_long_articles_show_the_matching_passage(cast, kb):
    filler = "本条目介绍居住证的一般规定，请以窗口解释为准。" * 20
    long = publish(
        cast,
        title="居住证办理与续签",
        category="REG-02-02",
        owner_unit="QY-D-PSB",
        content=filler + "居住证有效期满前三十日内可申请签注续期。" + filler,
        keywords="居住证",
        phrasings="",
    )
    hit = search_articles("居住证签注续期", actor=cast.operator, today=TODAY).hits[0]
    assert hit.article_id == long.pk and hit.long
    assert "<mark>续期</mark>" in hit.snippet and len(hit.snippet) < len(long.content_text)


def test_a_publication_reaches_an_index_built_before_it(cast, kb):
    index = get_index()  # this process's index, built before the changes below (as in another process)
    n = len(index)
    article = publish(cast, title="垃圾分类投放时间", category="CMG-02-02", owner_unit="QY-D-CM", keywords="垃圾分类")
    assert get_index() is index and len(index) == n + 1
    assert titles(search_articles("垃圾分类投放", actor=cast.operator, today=TODAY))[0] == article.title
    A.do_archive_article(cast.kb_editor, article.pk, reason="已合并到其他条目")
    assert article.title not in titles(search_articles("垃圾分类投放", actor=cast.operator, today=TODAY))
    assert len(get_index()) == n


def test_the_index_is_not_read_again_within_the_poll_interval(cast, kb, settings):
    settings.KB_INDEX_POLL_SECONDS = 3600
    index = get_index()
    n = len(index)
    publish(cast, title="燃气开户办理", category="UTL-03-02", owner_unit="QY-D-GAS", keywords="燃气开户")
    assert len(get_index()) == n  # not yet: the poll waits for its interval
    settings.KB_INDEX_POLL_SECONDS = 0
    assert len(get_index()) == n + 1


def test_reindex_command(cast, kb):
    out = io.StringIO()
    call_command("kb_reindex", stdout=out)
    report = json.loads(out.getvalue())
    assert report["articles"] == 3
    assert titles(search_articles("宝宝医保", actor=cast.operator, today=TODAY))[0] == kb["medical"].title
