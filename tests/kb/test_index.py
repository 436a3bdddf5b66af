"""The in-memory index (pure, no database): fields, the delta segment of recent changes, full rebuilds."""

from __future__ import annotations

import numpy as np

from yihaotong.kb.index import IndexDoc, SearchIndex, passages

TOPICS = ["居民医保参保", "公积金提取", "身份证补办", "燃气开户", "小学入学报名", "失业保险金申领", "营业执照办理"]


def corpus(n: int) -> list[IndexDoc]:
    return [
        IndexDoc(
            id=i + 1,
            title=f"{TOPICS[i % len(TOPICS)]}说明{i}",
            content=f"关于{TOPICS[i % len(TOPICS)]}的办理须知第{i}条。",
        )
        for i in range(n)
    ]


def top_id(index: SearchIndex, query: str) -> int | None:
    scores = index.scores(query)
    return int(index.ids[int(np.argmax(scores))]) if scores.size and scores.max() > 0 else None


def test_title_and_phrasings_count_more_than_content():
    index = SearchIndex()
    index.upsert(IndexDoc(id=1, title="停车收费标准", content="本条介绍停车场管理。"))
    index.upsert(IndexDoc(id=2, title="道路管理", content="道路停车收费标准由价格部门制定。" + "道路养护。" * 20))
    index.upsert(IndexDoc(id=3, title="其他事项", content="无关内容。", phrasings=["路边停车怎么收费"]))
    assert top_id(index, "停车收费标准") == 1
    assert top_id(index, "路边停车怎么收费") == 3


def test_small_indexes_rebuild_fully_on_every_change():
    index = SearchIndex()
    for doc in corpus(10):
        index.upsert(doc)
    index.build()
    index.upsert(IndexDoc(id=99, title="犬只登记", content="养犬登记。"))
    index.build()
    assert index._n_base == 11 and not index._delta


def test_changes_go_to_the_delta_and_replace_the_old_row():
    index = SearchIndex()
    index.DELTA_BASE_MIN = 0  # as if the index were large
    for doc in corpus(50):
        index.upsert(doc)
    index.build()
    base = index._n_base
    index.upsert(IndexDoc(id=7, title="电动自行车上牌登记", content="电动自行车登记上牌的地点和材料。"))
    index.remove(8)
    index.upsert(IndexDoc(id=999, title="犬只登记", content="养犬登记和狂犬疫苗。"))
    assert top_id(index, "电动自行车上牌") == 7
    assert top_id(index, "犬只登记") == 999
    assert index._n_base == base  # the base was not rebuilt: a patch costs the delta only
    assert len(index) == 50
    scores = index.scores("说明7")
    old_rows = np.flatnonzero(index.ids == 7)
    assert len(old_rows) == 2 and scores[old_rows[0]] == 0  # the replaced base row is masked
    assert index.scores("说明8")[np.flatnonzero(index.ids == 8)].max() == 0  # removed


def test_a_big_delta_triggers_a_full_rebuild():
    index = SearchIndex()
    index.DELTA_BASE_MIN = 0
    for doc in corpus(20):
        index.upsert(doc)
    index.build()
    for doc in corpus(20 + SearchIndex.DELTA_MIN + 1)[20:]:
        index.upsert(doc)
    index.build()
    assert index._n_base == 20 + SearchIndex.DELTA_MIN + 1 and not index._delta
    assert len(index.ids) == len(index)


def test_passages_split_at_sentence_ends():
    text = "第一句很长的内容。" * 30
    spans = passages(text, 50)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(text[end - 1] == "。" for _start, end in spans)
