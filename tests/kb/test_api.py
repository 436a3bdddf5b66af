"""KB endpoints: search (staff, logged; public, anonymous), the article lifecycle, diff, usage, gaps,
vocabulary, import and export; each success and each denial."""

from __future__ import annotations

import csv
import io

from django.test import Client

from tests.kb.util import SCHOOL, article_input, publish
from yihaotong.kb.models import Article, ArticleUsage, GapMark, SearchLog

API = "/api/v1"


def client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def body(**overrides) -> dict:
    data = article_input(**overrides).__dict__.copy()
    data["phrasings"] = data["phrasings"].splitlines()
    return data


def test_search_is_logged_and_usage_recorded(cast):
    article = publish(cast)
    c = client(cast.operator)
    resp = c.get(f"{API}/kb/search", {"q": "宝宝医保在哪里办", "channel": "desk"})
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["hits"][0]["ref"] == f"KB-{article.pk}" and data["search_id"]
    log = SearchLog.objects.get(pk=data["search_id"])
    assert log.channel == "desk" and log.actor == cast.operator and log.top_article_ids[0] == article.pk
    resp = c.post(
        f"{API}/kb/articles/{article.pk}/usage",
        {"kind": "used", "search_id": data["search_id"], "reference": "QY20260309-0001"},
        content_type="application/json",
    )
    assert resp.status_code == 201
    assert ArticleUsage.objects.filter(article=article, kind="used").count() == 1
    resp = c.post(f"{API}/kb/gaps", {"query": "电动车上牌在哪里办"}, content_type="application/json")
    assert resp.status_code == 201 and GapMark.objects.count() == 1


def test_search_needs_a_login_but_the_public_search_does_not(cast):
    publish(cast)
    publish(cast, **{**SCHOOL, "visibility": "internal"})
    assert client().get(f"{API}/kb/search", {"q": "医保"}).status_code == 401
    resp = client().get(f"{API}/public/kb/search", {"q": "新生儿医保 小学入学报名", "visibility": "internal"})
    assert resp.status_code == 200
    titles = [h["title"] for h in resp.json()["hits"]]
    assert titles == ["新生儿如何办理居民医保参保"]  # the internal article stays hidden
    assert SearchLog.objects.get(pk=resp.json()["search_id"]).channel == "portal"


def test_bad_filters_are_422(cast):
    resp = client(cast.operator).get(f"{API}/kb/search", {"q": "医保", "material_type": "poem"})
    assert resp.status_code == 422 and "material_type" in resp.json()["errors"]


def test_article_lifecycle_over_the_api(cast):
    author, team = client(cast.edu_admin), client(cast.kb_editor)
    resp = author.post(f"{API}/kb/articles", body(**SCHOOL), content_type="application/json")
    assert resp.status_code == 201, resp.content
    art = resp.json()
    assert art["state"] == "draft" and art["actions"] == ["submit"] and art["can_edit"]
    changed = {**body(**{**SCHOOL, "content": "每年五月网上报名，七月公布结果。"}), "expected_revision": 1}
    resp = author.put(f"{API}/kb/articles/{art['id']}", changed, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["revision"] == 2
    resp = author.put(f"{API}/kb/articles/{art['id']}", changed, content_type="application/json")
    assert resp.status_code == 409  # stale revision
    assert author.post(f"{API}/kb/articles/{art['id']}/submit").status_code == 200
    assert author.post(f"{API}/kb/articles/{art['id']}/publish").status_code == 403
    assert team.post(f"{API}/kb/articles/{art['id']}/return", {}, content_type="application/json").status_code == 422
    assert team.post(f"{API}/kb/articles/{art['id']}/publish").status_code == 200
    assert team.post(f"{API}/kb/articles/{art['id']}/publish").status_code == 409
    resp = team.get(f"{API}/kb/articles/{art['id']}/diff", {"old": 1, "new": 2})
    assert resp.status_code == 200 and [c["field"] for c in resp.json()] == ["content"]
    resp = team.get(f"{API}/kb/articles/{art['id']}")
    assert [r["action"] for r in resp.json()["revisions"]] == ["publish", "submit", "edit", "create"]


def test_other_units_and_the_public_do_not_see_drafts(cast):
    draft = Article.objects.get(
        pk=client(cast.edu_admin)
        .post(f"{API}/kb/articles", body(**SCHOOL), content_type="application/json")
        .json()["id"]
    )
    assert client(cast.caoshi_admin).get(f"{API}/kb/articles/{draft.pk}").status_code == 404
    assert client(cast.operator).get(f"{API}/kb/articles/{draft.pk}").status_code == 404
    listed = client(cast.caoshi_admin).get(f"{API}/kb/articles").json()
    assert listed["total"] == 0
    resp = client(cast.caoshi_admin).post(f"{API}/kb/articles", body(), content_type="application/json")
    assert resp.status_code == 403


def test_list_filters_and_pages(cast):
    publish(cast)
    publish(cast, **SCHOOL)
    c = client(cast.kb_editor)
    resp = c.get(f"{API}/kb/articles", {"category": "EDU", "page_size": 1})
    data = resp.json()
    assert data["total"] == 1 and data["items"][0]["title"] == SCHOOL["title"]
    assert c.get(f"{API}/kb/articles", {"state": "nope"}).status_code == 422


def test_vocabulary_endpoints(cast):
    c = client(cast.kb_editor)
    resp = c.post(f"{API}/kb/synonyms", {"terms": ["医保", "医疗保险"]}, content_type="application/json")
    assert resp.status_code == 201 and resp.json()["terms"] == ["医保", "医疗保险"]
    assert c.delete(f"{API}/kb/synonyms/{resp.json()['id']}").status_code == 204
    assert c.post(f"{API}/kb/dictionary", {"word": "灵活就业"}, content_type="application/json").status_code == 201
    assert (
        client(cast.operator)
        .post(f"{API}/kb/dictionary", {"word": "灵活就业"}, content_type="application/json")
        .status_code
        == 403
    )


def _csv(rows: list[list[str]]) -> io.BytesIO:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    f = io.BytesIO(buf.getvalue().encode("utf-8"))
    f.name = "batch.csv"
    return f


def test_import_and_export_round_trip(cast):
    header = ["标题", "分类编码", "内容", "材料类型", "主管单位编码", "关键词", "其他问法"]
    good = [
        "公积金提取办理指南",
        "HOU-06-01",
        "购房、租房可提取公积金。",
        "办事指南",
        "QY-D-HPF",
        "公积金提取",
        "怎么取公积金",
    ]
    bad = ["", "HOU-06", "内容", "诗歌", "NOPE", "", ""]
    c = client(cast.kb_editor)
    resp = c.post(f"{API}/kb/import", {"file": _csv([header, good, bad, good])})
    assert resp.status_code == 200, resp.content
    report = resp.json()
    assert report["created"] == 1 and report["rejected"] == 2
    rows = report["rows"]
    assert rows[0]["ok"] and rows[0]["article_id"]
    assert {"title", "category", "material_type", "owner_unit"} <= set(rows[1]["errors"])
    assert rows[2]["errors"]["title"] == ["the same title as line 2"]
    assert Article.objects.count() == 1
    resp = c.get(f"{API}/kb/export", {"format": "csv"})
    assert resp.status_code == 200
    exported = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert exported[0][0] == "标题" and exported[1][0] == "公积金提取办理指南"
    resp = c.get(f"{API}/kb/export", {"format": "xlsx"})
    assert resp.status_code == 200 and resp.content[:2] == b"PK"


def test_import_refuses_wrong_columns_and_foreign_units(cast):
    resp = client(cast.kb_editor).post(f"{API}/kb/import", {"file": _csv([["标题", "颜色"], ["a", "b"]])})
    assert resp.status_code == 422 and "columns" in resp.json()["errors"]
    header = ["title", "category", "content", "material_type", "owner_unit"]
    row = ["医保参保", "HEA-03-02", "内容。", "guide", "QY-D-MED"]
    resp = client(cast.edu_admin).post(f"{API}/kb/import", {"file": _csv([header, row])})
    assert resp.json()["rejected"] == 1 and "owner_unit" in resp.json()["rows"][0]["errors"]
    assert not Article.objects.exists()
