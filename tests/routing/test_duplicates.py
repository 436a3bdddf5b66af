"""Same-matter detection (routing/duplicates.py): the pure scoring without a database, then
``find_same_matter`` and ``count_repeat_contacts`` on real orders and contacts made through the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import CAOSHI, EDU, SHAOCHENG, T0, cast_for_module, drive, new_order
from yihaotong.intake import actions as I
from yihaotong.intake.actions import ContactInput
from yihaotong.routing import duplicates as d
from yihaotong.routing.duplicates import Matter

NOISE = "草市街12号旁边的工地每天晚上施工到凌晨，噪音太大了睡不着"
NOISE_PARAPHRASE = "草市街工地夜间施工噪音扰民，晚上十二点还在打桩"
LEAK = "楼上住户卫生间漏水，漏到我家天花板"
LEAK_PARAPHRASE = "楼上卫生间一直往我家渗水，天花板都泡坏了"
RUBBISH = "小区门口垃圾桶满了好几天没人清理，臭味很大"
RUBBISH_PARAPHRASE = "小区门口的垃圾好几天都没人清，很臭"
LIFT = "小区电梯坏了好几天没人修"
SCHOOL = "孩子今年秋季入学，需要准备哪些材料？"


# --- pure ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "paraphrase", "unrelated"),
    [
        (NOISE, NOISE_PARAPHRASE, SCHOOL),
        (LEAK, LEAK_PARAPHRASE, NOISE),
        (RUBBISH, RUBBISH_PARAPHRASE, LIFT),  # shares 小区, 好几天, 没人 … but not the matter
    ],
)
def test_paraphrase_is_more_similar_than_unrelated(text, paraphrase, unrelated):
    close = d.similarity(text, paraphrase)
    far = d.similarity(text, unrelated)
    assert close > far + 0.2, (close, far)
    assert d.similarity(paraphrase, text) == pytest.approx(close)  # symmetric


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (NOISE, NOISE, 1.0),
        ("工地夜间施工", "工地夜間施工", 1.0),  # traditional characters fold
        ("", NOISE, 0.0),
        (None, None, 0.0),
        ("希望尽快处理，谢谢", "请有关部门尽快解决，谢谢", 0.0),  # only stop words in common
    ],
)
def test_similarity_bounds(a, b, expected):
    assert d.similarity(a, b) == pytest.approx(expected)


def test_score_pair_boosts_and_reasons():
    query = Matter(text=NOISE, address="草市街12号", street_code=CAOSHI, phone="138 0000 1111")
    text_only = Matter(text=NOISE_PARAPHRASE, street_code=SHAOCHENG)
    same_street = Matter(text=NOISE_PARAPHRASE, street_code=CAOSHI)
    same_all = Matter(text=NOISE_PARAPHRASE, address="成都市青羊区草市街12号", street_code=CAOSHI, phone="13800001111")
    s0, r0 = d.score_pair(query, text_only)
    s1, r1 = d.score_pair(query, same_street)
    s2, r2 = d.score_pair(query, same_all)
    assert s0 < s1 < s2 <= 1.0
    assert r0 == [f"similar text {d.similarity(NOISE, NOISE_PARAPHRASE):.2f}"]
    assert r1[1:] == ["same street"]
    assert r2[1:] == ["same street", "same address", "same caller"]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("草市街12号", "成都市青羊区草市街１２号附近", True),
        ("草市街12号", "草市街14号", False),
        ("锦城小区3栋", "锦城小区 3栋", True),
        ("", "", False),
    ],
)
def test_address_key(a, b, same):
    assert (d.address_key(a) == d.address_key(b) and bool(d.address_key(a))) is same


def test_rank_matters_orders_filters_and_limits():
    query = Matter(text=NOISE, street_code=CAOSHI)
    others = [
        ("school", Matter(text=SCHOOL, street_code=CAOSHI)),
        ("paraphrase-elsewhere", Matter(text=NOISE_PARAPHRASE, street_code=SHAOCHENG)),
        ("paraphrase-same-street", Matter(text=NOISE_PARAPHRASE, street_code=CAOSHI)),
        ("same", Matter(text=NOISE, street_code=CAOSHI)),
    ]
    ranked = d.rank_matters(query, others)
    assert [key for key, _score, _reasons in ranked] == ["same", "paraphrase-same-street", "paraphrase-elsewhere"]
    assert [key for key, *_ in d.rank_matters(query, others, limit=1)] == ["same"]
    assert d.rank_matters(query, others, min_score=1.01) == []


def test_specific_words_prefer_the_subject():
    words = d.specific_words("工地夜间施工", "希望有关部门尽快处理，谢谢")
    assert words == ["工地", "夜间", "施工"]
    assert d.specific_words("", "希望尽快处理") == []


# --- database ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


NOW = T0 + timedelta(hours=2)


def order(cast, text, *, street=CAOSHI, address="草市街1号", phone="13900000001", subject="工地夜间施工噪音", **kw):
    return new_order(cast, text=text, street=street, address=address, requester_phone=phone, subject=subject, **kw)


def ids(candidates):
    return [c.order_id for c in candidates]


def test_same_street_and_similar_text_ranks_first(cast):
    elsewhere = order(cast, NOISE_PARAPHRASE, street=SHAOCHENG, address="宽窄巷子3号", phone="13900000002")
    here = order(cast, NOISE_PARAPHRASE, phone="13900000003")
    unrelated = order(cast, SCHOOL, subject="入学材料咨询", phone="13900000004")
    found = d.find_same_matter(
        cast.operator, text=NOISE, subject="工地夜间施工扰民", address="草市街15号", phone="13900000009", now=NOW
    )
    assert ids(found)[:2] == [here.pk, elsewhere.pk]
    assert unrelated.pk not in ids(found)
    first = found[0]
    assert (first.number, first.state, first.street_code) == (here.number, "pending_dispatch", CAOSHI)
    assert first.reasons[0].startswith("similar text ") and "same street" in first.reasons
    assert found[0].score > found[1].score


def test_same_caller_is_a_reason(cast):
    mine = order(cast, LEAK_PARAPHRASE, subject="楼上漏水", phone="13900000010")
    found = d.find_same_matter(cast.operator, text=LEAK, subject="楼上漏水", phone="139 0000 0010", now=NOW)
    assert ids(found) == [mine.pk]
    assert "same caller" in found[0].reasons


def test_closed_orders_are_not_candidates(cast):
    closed = drive(cast, order(cast, NOISE_PARAPHRASE), "closed", lead=EDU)
    assert closed.state == "closed"
    open_ = order(cast, NOISE_PARAPHRASE)
    assert ids(d.find_same_matter(cast.operator, text=NOISE, address="草市街15号", now=NOW)) == [open_.pk]


def test_orders_the_actor_cannot_see_are_not_candidates(cast):
    theirs = drive(cast, order(cast, NOISE_PARAPHRASE), "dispatched", lead=EDU)  # the 教育局 handler sees it
    not_theirs = order(cast, NOISE_PARAPHRASE)  # not dispatched: centre only
    query = dict(text=NOISE, address="草市街15号", now=NOW)
    assert ids(d.find_same_matter(cast.edu, **query)) == [theirs.pk]
    assert set(ids(d.find_same_matter(cast.operator, **query))) == {theirs.pk, not_theirs.pk}
    assert d.find_same_matter(cast.cm, **query) == []  # another unit's handler sees neither


def test_old_orders_are_not_candidates(cast):
    old = order(cast, NOISE_PARAPHRASE, now=T0 - timedelta(days=40))
    recent = order(cast, NOISE_PARAPHRASE, now=T0 - timedelta(days=5))
    query = dict(text=NOISE, address="草市街15号", now=NOW)
    assert ids(d.find_same_matter(cast.operator, **query)) == [recent.pk]
    assert ids(d.find_same_matter(cast.operator, days=60, **query)) == [recent.pk, old.pk]
    # seen from 39 days ago: the old order is one day old, the recent one not created yet
    then = dict(query, now=T0 - timedelta(days=39))
    assert ids(d.find_same_matter(cast.operator, **then)) == [old.pk]


def test_street_comes_from_the_address_or_the_text(cast):
    here = order(cast, RUBBISH_PARAPHRASE, subject="垃圾没人清", phone="13900000020")
    by_address = d.find_same_matter(cast.operator, text=RUBBISH, address="锣锅巷社区", now=NOW)
    by_text = d.find_same_matter(cast.operator, text="草市街" + RUBBISH, now=NOW)
    assert ids(by_address) == ids(by_text) == [here.pk]
    assert "same street" in by_address[0].reasons and "same street" in by_text[0].reasons


def test_exclude_limit_and_nothing_to_go_on(cast):
    a = order(cast, NOISE_PARAPHRASE)
    b = order(cast, NOISE_PARAPHRASE)
    query = dict(text=NOISE, address="草市街15号", now=NOW)
    assert ids(d.find_same_matter(cast.operator, exclude_ids=[b.pk], **query)) == [a.pk]
    assert ids(d.find_same_matter(cast.operator, limit=1, **query)) == [b.pk]  # newest first on equal scores
    assert d.find_same_matter(cast.operator, text="希望尽快处理，谢谢", now=NOW) == []


def test_query_count_is_bounded(cast, django_assert_max_num_queries):
    for i in range(5):
        order(cast, NOISE_PARAPHRASE, phone=f"1390000010{i}")
    with django_assert_max_num_queries(3):
        found = d.find_same_matter(cast.operator, text=NOISE, address="草市街15号", now=NOW, limit=10)
    assert len(found) == 5


def contact(cast, phone, at, **kw):
    data = ContactInput(channel="call", summary="咨询", phone=phone, **kw)
    return I.do_answer_contact(cast.operator, data, answer_text="已答复", now=at)


def test_count_repeat_contacts(cast):
    for days_ago in (1, 10, 100, 400):
        contact(cast, "13900000030", T0 - timedelta(days=days_ago))
    contact(cast, "13900000031", T0 - timedelta(days=1))
    assert d.count_repeat_contacts("139 0000 0030", now=T0) == 3
    assert d.count_repeat_contacts("13900000030", days=30, now=T0) == 2
    assert d.count_repeat_contacts("13900000030", days=500, now=T0) == 4
    assert d.count_repeat_contacts("13900000032", now=T0) == 0
    assert d.count_repeat_contacts("", now=T0) == 0
    assert d.count_repeat_contacts("123", now=T0) == 0
