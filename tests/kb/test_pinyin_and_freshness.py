"""Pinyin queries, the unigram channel and split of unknown query words, and renames reaching searches."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from tests.kb.util import SCHOOL, article_input, publish
from yihaotong.directory.actions import do_save_unit
from yihaotong.directory.models import Category, Unit
from yihaotong.kb import actions as A
from yihaotong.kb.analysis import Analyzer, unigrams
from yihaotong.kb.index import IndexDoc, Params, SearchIndex
from yihaotong.kb.search import get_index, search_articles

TODAY = date(2026, 3, 9)

SOCIAL = dict(
    title="灵活就业人员社保缴费办法",
    category="HEA-03-02",
    content="灵活就业人员可在天府市民云按月或按年缴纳社保，缴费基数在规定范围内自选。",
    material_type="guide",
    owner_unit="QY-D-MED",
    keywords="社保缴费,灵活就业",
    phrasings="自由职业怎么交社保",
)
FUND = dict(
    title="住房公积金提取条件",
    category="HEA-03-02",
    content="购买自住住房、偿还房贷本息、租房自住的职工可申请提取住房公积金。",
    material_type="guide",
    owner_unit="QY-D-MED",
    keywords="公积金提取",
    phrasings="公积金怎么取出来",
)


def titles(result) -> list[str]:
    return [h.title for h in result.hits]


@pytest.fixture
def kb(cast):
    return {"social": publish(cast, **SOCIAL), "fund": publish(cast, **FUND), "medical": publish(cast)}


@pytest.mark.parametrize(
    "query", ["shebao", "SheBao", "she bao", "sb", "shebao jiaofei", "shebaojiaofei", "社保jiaofei"]
)
def test_pinyin_and_initials_find_the_chinese_article(cast, kb, query):
    result = search_articles(query, actor=cast.operator, today=TODAY)
    assert titles(result)[0] == kb["social"].title
    assert "<mark>社保</mark>" in result.hits[0].snippet or "<mark>社保</mark>" in result.hits[0].title_html


def test_pinyin_of_a_synonym_finds_its_canonical_word(cast, kb):
    A.do_save_synonym_group(cast.kb_editor, "医保,医疗保险")
    assert titles(search_articles("yiliaobaoxian canbao", actor=cast.operator, today=TODAY))[0] == kb["medical"].title
    assert titles(search_articles("gongjijin tiqu", actor=cast.operator, today=TODAY))[0] == kb["fund"].title


def test_latin_words_that_articles_contain_are_not_read_as_pinyin():
    index = SearchIndex()
    index.upsert(IndexDoc(id=1, title="天府通办 app 下载", content="在手机应用商店搜索天府通办 app。"))
    index.upsert(IndexDoc(id=2, title="阿坝旅游", content="阿坝州旅游线路。"))
    index.build()
    assert index.rewrite("app 下载") == "app 下载"
    assert index.rewrite("xyzzy") == "xyzzy"  # spells nothing the index knows: left as it is
    assert index.rewrite("tianfutongban").replace(" ", "") == "天府通办"


def test_unigrams_match_single_characters_without_meaningless_ones():
    assert unigrams("遇到大雾怎么办？") == ["遇", "大", "雾", "办"]
    index = SearchIndex()
    index.upsert(IndexDoc(id=1, title="雾天出行提示", content="打开雾灯，降低车速。"))
    index.upsert(IndexDoc(id=2, title="雨天出行提示", content="注意积水路段。"))
    index.build()
    scores = index.scores("大雾天气怎么开车")
    assert int(index.ids[int(np.argmax(scores))]) == 1
    without = SearchIndex(params=Params(unigram_weight=0.0))
    for row in (0, 1):
        without.upsert(index.doc(row))
    without.build()
    assert without.scores("浓雾")[0] == 0  # no word and no bigram in common: only the unigram channel sees 雾
    assert index.scores("浓雾")[0] > 0
    # one shared character out of many is not a match: a noise complaint finds no insurance article
    index.upsert(IndexDoc(id=3, title="新生儿如何办理居民医保参保", content="出生后可在线办理参保。"))
    index.build()
    assert not index.scores("楼上深夜噪音扰民").any()


def test_an_unknown_query_word_is_split_into_known_ones():
    analyzer = Analyzer()
    assert "陕西省政府" in analyzer.words("陕西省政府有哪些稳岗措施")
    index = SearchIndex(analyzer)
    index.upsert(IndexDoc(id=1, title="陕西省稳岗措施", content="陕西省人民政府印发稳岗措施，支持企业。"))
    index.upsert(IndexDoc(id=2, title="四川省稳岗措施", content="四川省政府办公厅印发稳岗措施。"))
    index.build()
    words, _grams = index.query_terms("陕西省政府有哪些稳岗措施")
    assert "陕西省政府" not in words and ("陕西" in words or "陕西省" in words)
    assert int(index.ids[int(np.argmax(index.scores("陕西省政府有哪些稳岗措施")))]) == 1


def test_category_and_unit_renames_show_in_hits_at_once(cast, kb):
    get_index()  # built before the renames: hits take names from the directory's reference cache
    category = Category.objects.get(pk=kb["social"].category_id)
    category.name = "医疗保障（新名）"
    category.save()  # as the admin saves it (the reference cache drops the table in this process)
    unit = Unit.objects.get(pk=kb["social"].owner_unit_id)
    unit.short_name = "区医保局（新名）"
    do_save_unit(cast.sysadmin, unit)
    hit = search_articles("社保缴费", actor=cast.operator, today=TODAY).hits[0]
    assert (hit.category, hit.owner_unit) == ("医疗保障（新名）", "区医保局（新名）")


def test_an_edit_of_title_category_and_unit_reaches_the_index(cast, kb):
    get_index()
    data = article_input(**{**SCHOOL, "title": "小学新生入学登记", "keywords": "入学登记", "phrasings": ""})
    school = publish(cast, **SCHOOL)
    A.do_edit_article(cast.kb_editor, school.pk, data)
    result = search_articles("小学新生入学登记", actor=cast.operator, today=TODAY)
    assert titles(result)[0] == "小学新生入学登记"
    assert "小学一年级入学报名时间和材料" not in titles(search_articles("入学报名", actor=cast.operator, today=TODAY))
    moved = article_input(**{**SOCIAL, "category": "EDU-01-01", "owner_unit": SCHOOL["owner_unit"]})
    A.do_edit_article(cast.kb_editor, kb["social"].pk, moved)
    edu = search_articles("社保缴费", actor=cast.operator, today=TODAY, filters=_f(category="EDU-01-01"))
    assert titles(edu) == [SOCIAL["title"]]
    med = search_articles("社保缴费", actor=cast.operator, today=TODAY, filters=_f(unit="QY-D-MED"))
    assert SOCIAL["title"] not in titles(med)


def _f(**kw):
    from yihaotong.kb.search import SearchFilters

    return SearchFilters(**kw)
