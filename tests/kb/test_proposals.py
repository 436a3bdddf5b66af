"""Changes the owner unit proposes to its published article: the article stays live until the KB team
accepts (the change goes live and into the index) or rejects (with a reason) it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.kb.util import SCHOOL, article_input, publish
from yihaotong.core.errors import Invalid, InvalidTransition, NotPermitted
from yihaotong.kb import actions as A
from yihaotong.kb.models import Article
from yihaotong.kb.search import search_articles

CHANGED = {**SCHOOL, "content": "每年五月网上报名，六月现场审核，七月公布结果。"}


def test_accepted_proposal_goes_live(cast):
    article = publish(cast, **SCHOOL)
    proposed = A.do_propose_change(cast.edu_admin, article.pk, article_input(**CHANGED))
    assert proposed.state == "published" and "开放小学一年级" in proposed.content_text  # still the old text
    assert proposed.proposal["content"].startswith("<p>每年五月网上报名")
    with pytest.raises(NotPermitted):
        A.do_accept_change(cast.edu_admin, article.pk)
    accepted = A.do_accept_change(cast.kb_editor, article.pk)
    assert accepted.proposal is None and "六月现场审核" in accepted.content_text
    assert search_articles("六月现场审核", actor=cast.operator).hits[0].article_id == article.pk
    actions = list(accepted.revisions.order_by("number").values_list("action", flat=True))
    assert actions[-2:] == ["propose", "edit"]


def test_rejected_proposal_needs_a_reason(cast):
    article = publish(cast, **SCHOOL)
    A.do_propose_change(cast.edu_admin, article.pk, article_input(**CHANGED))
    with pytest.raises(Invalid):
        A.do_reject_change(cast.kb_editor, article.pk, reason="")
    rejected = A.do_reject_change(cast.kb_editor, article.pk, reason="报名时间以通知为准")
    assert rejected.proposal is None and "开放小学一年级" in rejected.content_text
    with pytest.raises(InvalidTransition):
        A.do_accept_change(cast.kb_editor, article.pk)


def test_who_may_propose(cast):
    article = publish(cast, **SCHOOL)
    with pytest.raises(NotPermitted):
        A.do_propose_change(cast.caoshi_admin, article.pk, article_input(**CHANGED))
    with pytest.raises(Invalid):  # nothing changed
        A.do_propose_change(cast.edu_admin, article.pk, article_input(**SCHOOL))
    draft = A.do_create_article(cast.edu_admin, article_input(**{**SCHOOL, "title": "另一篇草稿"}))
    with pytest.raises(InvalidTransition):  # a draft is edited directly
        A.do_propose_change(cast.edu_admin, draft.pk, article_input(**{**CHANGED, "title": "另一篇草稿"}))


def test_proposal_over_the_api_and_the_console(cast):
    article = publish(cast, **SCHOOL)
    author, team = Client(), Client()
    author.force_login(cast.edu_admin)
    team.force_login(cast.kb_editor)
    body = article_input(**CHANGED).__dict__.copy()
    body["phrasings"] = body["phrasings"].splitlines()
    resp = author.post(f"/api/v1/kb/articles/{article.pk}/proposal", body, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["proposal"]["title"] == SCHOOL["title"]
    page = team.get(reverse("consoles:kb_article", args=[article.pk])).content.decode()
    assert 'data-testid="kb-proposal"' in page and "<ins>" in page and 'data-move="accept_proposal"' in page
    listed = team.get("/api/v1/kb/articles", {"flag": "proposal"}).json()
    assert [a["id"] for a in listed["items"]] == [article.pk]
    team.post(reverse("consoles:kb_move", args=[article.pk, "accept_proposal"]))
    assert "六月现场审核" in Article.objects.get(pk=article.pk).content_text
    form = {
        k: ("" if v is None else v)
        for k, v in article_input(**{**CHANGED, "content": "改为全程网办。"}).__dict__.items()
    }
    assert author.post(reverse("consoles:kb_propose", args=[article.pk]), form).status_code == 302
    assert Article.objects.get(pk=article.pk).proposal["content"] == "<p>改为全程网办。</p>"
    assert Client().post(f"/api/v1/kb/articles/{article.pk}/proposal/accept").status_code == 401
    assert (
        team.post(
            f"/api/v1/kb/articles/{article.pk}/proposal/reject", {"reason": "不准确"}, content_type="application/json"
        ).json()["proposal"]
        is None
    )
