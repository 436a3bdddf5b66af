"""The KB console screens: list and ranked search, article page, edit, lifecycle buttons, diff, import,
export and gaps; who reaches what."""

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse

from tests.kb.util import SCHOOL, article_input, publish
from yihaotong.kb import actions as A
from yihaotong.kb.models import Article, SearchLog


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def form_data(**overrides) -> dict:
    data = article_input(**overrides).__dict__.copy()
    return {k: ("" if v is None else v) for k, v in data.items()}


def test_nav_links_the_console_for_staff_and_the_kb_team(cast):
    for user in (cast.kb_editor, cast.operator, cast.edu_admin):
        page = client(user).get(reverse("consoles:home"))
        assert reverse("consoles:kb") in page.content.decode()
    assert client(cast.panel).get(reverse("consoles:kb")).status_code == 403


def test_list_filters_and_search(cast):
    article = publish(cast)
    publish(cast, **SCHOOL)
    c = client(cast.operator)
    page = c.get(reverse("consoles:kb"), {"category": "EDU"}).content.decode()
    assert SCHOOL["title"] in page and article.title not in page
    page = c.get(reverse("consoles:kb"), {"s": "宝宝医保在哪里办"}).content.decode()
    assert "<mark>" in page and article.ref in page
    assert SearchLog.objects.filter(channel="console", actor=cast.operator).count() == 1
    partial = c.get(reverse("consoles:kb"), {"s": "宝宝医保"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and article.ref in partial
    assert "state" in c.get(reverse("consoles:kb"), {"state": "nope"}).content.decode()


def test_author_writes_and_submits_the_team_reviews_and_publishes(cast):
    author, team = client(cast.edu_admin), client(cast.kb_editor)
    resp = author.post(reverse("consoles:kb_new"), form_data(**SCHOOL))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    article = Article.objects.get(title=SCHOOL["title"])
    page = author.get(reverse("consoles:kb_article", args=[article.pk])).content.decode()
    assert 'data-move="submit"' in page and 'data-move="publish"' not in page
    edit = {**form_data(**{**SCHOOL, "content": "每年五月网上报名。"}), "expected_revision": 1}
    assert author.post(reverse("consoles:kb_edit", args=[article.pk]), edit).status_code == 302
    author.post(reverse("consoles:kb_move", args=[article.pk, "submit"]))
    assert author.get(reverse("consoles:kb_edit", args=[article.pk])).status_code == 403
    team.post(reverse("consoles:kb_move", args=[article.pk, "return"]), {"reason": ""})
    article.refresh_from_db()
    assert article.state == "in_review"  # a return needs a reason
    team.post(reverse("consoles:kb_move", args=[article.pk, "publish"]))
    article.refresh_from_db()
    assert article.state == "published"
    diff = team.get(reverse("consoles:kb_diff", args=[article.pk]), {"old": 1, "new": 2}).content.decode()
    assert "每年五月<del>开放小学一年级</del>网上报名" in diff
    assert team.get(reverse("consoles:kb_diff", args=[article.pk]), {"old": 1, "new": 99}).status_code == 404


def test_form_errors_stay_on_the_form(cast):
    resp = client(cast.kb_editor).post(reverse("consoles:kb_new"), form_data(keywords="新生儿如何办理居民医保参保"))
    assert resp.status_code == 200 and "关键词不能与标题相同" in resp.content.decode()  # zh-hans by default
    assert not Article.objects.exists()
    assert client(cast.operator).get(reverse("consoles:kb_new")).status_code == 403


def test_operators_mark_articles(cast):
    article = publish(cast)
    client(cast.operator).post(reverse("consoles:kb_move", args=[article.pk, "outdated"]))
    assert article.usages.get().kind == "outdated"


def test_import_export_and_gaps_screens(cast):
    team = client(cast.kb_editor)
    f = io.BytesIO(
        "标题,分类编码,内容,材料类型,主管单位编码\n燃气开户,UTL-03-02,带身份证办理。,办事指南,QY-D-GAS\n,,,,\n坏行,X,内容,guide,QY-D-GAS\n".encode()
    )
    f.name = "batch.csv"
    page = team.post(reverse("consoles:kb_import"), {"file": f}).content.decode()
    assert "燃气开户" in page and "unknown category" in page
    assert Article.objects.filter(title="燃气开户").exists() and not Article.objects.filter(title="坏行").exists()
    assert team.get(reverse("consoles:kb_export"), {"format": "csv"}).content.decode("utf-8-sig").startswith("标题")
    gap = A.do_mark_gap(cast.operator, "社保卡丢了怎么补办")
    assert "社保卡丢了怎么补办" in team.get(reverse("consoles:kb_gaps")).content.decode()
    resp = team.post(reverse("consoles:kb_gaps"), {"gap": gap.pk, "category": "LAB-02-01", "owner_unit": "QY-D-HRSS"})
    assert resp.status_code == 302
    assert client(cast.operator).get(reverse("consoles:kb_gaps")).status_code == 403


def test_vocabulary_screen(cast):
    from yihaotong.kb.models import DictionaryWord, SynonymGroup

    team = client(cast.kb_editor)
    assert (
        team.post(reverse("consoles:kb_vocabulary"), {"op": "add_synonyms", "terms": "医保,医疗保险"}).status_code
        == 302
    )
    assert team.post(reverse("consoles:kb_vocabulary"), {"op": "add_word", "word": "灵活就业人员"}).status_code == 302
    page = team.get(reverse("consoles:kb_vocabulary")).content.decode()
    assert "医保、医疗保险" in page and "灵活就业人员" in page
    group = SynonymGroup.objects.get()
    team.post(reverse("consoles:kb_vocabulary"), {"op": "delete_synonyms", "id": group.pk})
    assert not SynonymGroup.objects.exists() and DictionaryWord.objects.count() == 1
    assert client(cast.operator).get(reverse("consoles:kb_vocabulary")).status_code == 403
