"""Article actions: lifecycle moves, who may make them, revisions, validation, and the index version."""

from __future__ import annotations

import pytest

from tests.kb.util import SCHOOL, article_input, publish
from yihaotong.core.errors import Conflict, Invalid, InvalidTransition, NotFound, NotPermitted
from yihaotong.kb import actions as A
from yihaotong.kb.access import access_article, available_moves, visible_articles
from yihaotong.kb.models import Article, ArticleRevision, IndexState
from yihaotong.kb.selectors import diff_revisions


def test_unit_admin_writes_submits_and_the_kb_team_publishes(cast):
    article = A.do_create_article(cast.edu_admin, article_input(**SCHOOL))
    assert article.state == "draft" and article.revision == 1
    assert article.content.startswith("<p>") and "报名结果" in article.content_text
    assert available_moves(cast.edu_admin, article) == ["submit"]
    A.do_submit_article(cast.edu_admin, article.pk)
    with pytest.raises(NotPermitted):
        A.do_publish_article(cast.edu_admin, article.pk)
    with pytest.raises(NotPermitted):  # the author may no longer edit once it is in review
        A.do_edit_article(cast.edu_admin, article.pk, article_input(**{**SCHOOL, "content": "改了"}))
    published = A.do_publish_article(cast.kb_editor, article.pk)
    assert published.state == "published" and published.published_at is not None
    actions = list(ArticleRevision.objects.filter(article=article).order_by("number").values_list("action", flat=True))
    assert actions == ["create", "submit", "publish"]
    assert published.index_version == IndexState.objects.get(pk=1).version


def test_return_needs_a_reason_and_gives_the_draft_back(cast):
    article = A.do_create_article(cast.edu_admin, article_input(**SCHOOL))
    A.do_submit_article(cast.edu_admin, article.pk)
    with pytest.raises(Invalid):
        A.do_return_article(cast.kb_editor, article.pk, reason=" ")
    A.do_return_article(cast.kb_editor, article.pk, reason="请补充报名网址")
    article.refresh_from_db()
    assert article.state == "draft"
    edited = A.do_edit_article(
        cast.edu_admin, article.pk, article_input(**{**SCHOOL, "content": "补充：报名网址见教育局官网。"})
    )
    assert edited.revision == 4 and "官网" in edited.content_text


def test_units_write_only_for_themselves(cast):
    with pytest.raises(NotPermitted):
        A.do_create_article(cast.edu_admin, article_input())  # owner: the medical-insurance bureau
    with pytest.raises(NotPermitted):
        A.do_create_article(cast.operator, article_input())
    with pytest.raises(NotPermitted):
        A.do_create_article(cast.edu, article_input(**SCHOOL))  # a handler, not the unit admin


def test_other_units_do_not_see_drafts(cast):
    draft = A.do_create_article(cast.edu_admin, article_input(**SCHOOL))
    assert visible_articles(cast.edu_admin).filter(pk=draft.pk).exists()
    for outsider in (cast.caoshi_admin, cast.operator):
        with pytest.raises(NotFound):
            access_article(outsider, draft.pk)
    A.do_publish_article(cast.kb_editor, draft.pk)
    assert access_article(cast.operator, draft.pk).title == SCHOOL["title"]


def test_impossible_moves(cast):
    article = publish(cast)
    with pytest.raises(InvalidTransition):
        A.do_submit_article(cast.kb_editor, article.pk)
    A.do_archive_article(cast.kb_editor, article.pk, reason="政策已调整")
    with pytest.raises(InvalidTransition):
        A.do_publish_article(cast.kb_editor, article.pk)
    restored = A.do_restore_article(cast.kb_editor, article.pk)
    assert restored.state == "draft"


def test_validation_names_each_field_and_writes_nothing(cast):
    bad = article_input(
        title="长" * 129,
        category="HEA-03",  # not a leaf
        content="  ",
        material_type="poem",
        owner_unit="NOPE",
        keywords="新生儿,这是一个远远超过二十个字符长度限制的关键词组合真的很长",
        visibility="secret",
    )
    with pytest.raises(Invalid) as exc:
        A.do_create_article(cast.kb_editor, bad)
    assert {"title", "category", "content", "material_type", "owner_unit", "keywords", "visibility"} <= set(
        exc.value.errors
    )
    assert not Article.objects.exists()
    with pytest.raises(Invalid) as exc:
        A.do_create_article(cast.kb_editor, article_input(keywords="新生儿如何办理居民医保参保"))
    assert "keywords" in exc.value.errors


def test_titles_are_unique(cast):
    A.do_create_article(cast.kb_editor, article_input())
    with pytest.raises(Invalid) as exc:
        A.do_create_article(cast.kb_editor, article_input())
    assert "title" in exc.value.errors


def test_content_is_sanitised(cast):
    article = A.do_create_article(
        cast.kb_editor, article_input(content='<p onclick="x()">办理<script>alert(1)</script><b>须知</b></p>')
    )
    assert "<script" not in article.content and "onclick" not in article.content
    assert "<b>须知</b>" in article.content


def test_stale_edit_is_refused(cast):
    article = A.do_create_article(cast.kb_editor, article_input())
    A.do_edit_article(cast.kb_editor, article.pk, article_input(content="第二版。"), expected_revision=1)
    with pytest.raises(Conflict):
        A.do_edit_article(cast.kb_editor, article.pk, article_input(content="第三版。"), expected_revision=1)


def test_revisions_diff(cast):
    article = A.do_create_article(cast.kb_editor, article_input())
    A.do_edit_article(
        cast.kb_editor, article.pk, article_input(content="新生儿出生后六个月内参保。", keywords="新生儿")
    )
    changes = diff_revisions(article, 1, 2)
    fields = {c.field for c in changes}
    assert fields == {"content", "keywords"}
    content = next(c for c in changes if c.field == "content")
    assert "<del>三</del><ins>六</ins>个月" in content.html


def test_editing_a_published_article_moves_the_index_version(cast):
    article = publish(cast)
    before = article.index_version
    A.do_edit_article(cast.kb_editor, article.pk, article_input(content="新版本的内容。"))
    article.refresh_from_db()
    assert article.index_version > before
    draft = A.do_create_article(cast.kb_editor, article_input(title="另一篇草稿"))
    A.do_edit_article(cast.kb_editor, draft.pk, article_input(title="另一篇草稿", content="草稿改动不进索引。"))
    draft.refresh_from_db()
    assert draft.index_version == 0


def test_usage_and_gaps(cast):
    article = publish(cast)
    search = A.do_log_search(
        cast.operator, channel="desk", query="医保", filters={}, article_ids=[article.pk], took_ms=1
    )
    used = A.do_record_usage(cast.operator, article.pk, "used", search_id=search.pk, reference="QY20260309-0001")
    assert used.search == search and used.reference == "QY20260309-0001"
    with pytest.raises(Invalid):
        A.do_record_usage(cast.operator, article.pk, "liked")
    with pytest.raises(Invalid):  # someone else's search
        A.do_record_usage(cast.dispatcher, article.pk, "opened", search_id=search.pk)
    gap = A.do_mark_gap(cast.operator, "外地车辆进城限行怎么规定", search_id=search.pk)
    with pytest.raises(NotPermitted):
        A.do_draft_from_gap(cast.operator, gap.pk, category="TRA-03-03", owner_unit="QY-D-TRAFFIC")
    draft = A.do_draft_from_gap(cast.kb_editor, gap.pk, category="TRA-03-03", owner_unit="QY-D-TRAFFIC")
    gap.refresh_from_db()
    assert draft.state == "draft" and gap.state == "drafted" and gap.article == draft
    assert draft.phrasing_list() == ["外地车辆进城限行怎么规定"]


def test_synonyms_and_dictionary_are_kb_team_only(cast):
    with pytest.raises(NotPermitted):
        A.do_save_synonym_group(cast.operator, "医保,医疗保险")
    with pytest.raises(Invalid):
        A.do_save_synonym_group(cast.kb_editor, "医保")
    before = IndexState.objects.filter(pk=1).values_list("analysis_version", flat=True).first() or 0
    A.do_save_synonym_group(cast.kb_editor, "医保，医疗保险、医疗保障")
    A.do_save_dictionary_word(cast.kb_editor, "灵活就业人员")
    assert IndexState.objects.get(pk=1).analysis_version == before + 2
