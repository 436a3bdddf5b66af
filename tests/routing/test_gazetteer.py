"""Address → street (routing/gazetteer.py): pure, no database. Table-driven on small data we wrote."""

from __future__ import annotations

import pytest

from yihaotong.directory.data import units
from yihaotong.routing import gazetteer as g
from yihaotong.routing.data import gazetteer as data

CAOSHI = "510105002"
XIYUHE = "510105003"
SHAOCHENG = "510105005"
CAOTANG = "510105007"
FUNAN = "510105008"
GUANGHUA = "510105009"
SUPO = "510105013"
LUOGUOXIANG = "510105002001"  # 锣锅巷社区, the first community of 草市街 in directory/data/units.py
KUANZHAI = "510105005001"  # 宽窄巷子社区

# (address, street code, method, community code)
MATCHES = [
    # the street office, by full name and short forms
    ("草市街街道", CAOSHI, "street", None),
    ("草市街办", CAOSHI, "street", None),
    ("草市街道", CAOSHI, "street", None),
    ("少城街道办事处", SHAOCHENG, "street", None),
    ("草堂", CAOTANG, "street", None),  # short form without 街道
    # a community alone gives its street; with or without 社区
    ("锣锅巷社区", CAOSHI, "community", LUOGUOXIANG),
    ("锣锅巷", CAOSHI, "community", LUOGUOXIANG),
    ("锣锅巷居委会", CAOSHI, "community", LUOGUOXIANG),
    ("宽窄巷子社区", SHAOCHENG, "community", KUANZHAI),
    # roads with house numbers, district names before them
    ("太升南路12号附2号", CAOSHI, "road", None),
    ("草市街12号附2号", CAOSHI, "road", None),
    ("成都市青羊区光华北三路8号", GUANGHUA, "road", None),
    ("四川省成都市青羊区清江东路5栋2单元301室", FUNAN, "road", None),
    # landmarks (a landmark that is also a community's name gives the community)
    ("杜甫草堂", CAOTANG, "landmark", None),
    ("天府广场东侧", XIYUHE, "landmark", None),
    ("宽窄巷子12号", SHAOCHENG, "landmark", KUANZHAI),
    ("成都市第三人民医院", CAOSHI, "landmark", None),  # starts with 成都市 and still wins (longest name)
    ("青羊宫门口", CAOTANG, "landmark", None),  # starts with 青羊 and still wins
    # traditional characters, full-width digits
    ("靑羊區光華北三路８號", GUANGHUA, "road", None),
    ("蘇坡東路", SUPO, "road", None),
    ("草市街１２号", CAOSHI, "road", None),
    # one-character typos in names of 3+ characters
    ("杜甫草唐", CAOTANG, "fuzzy", None),  # substitution
    ("锣锅港社区", CAOSHI, "fuzzy", LUOGUOXIANG),
    ("浣花公园", CAOTANG, "fuzzy", None),  # 浣花溪公园, a character missing
    ("太升南南路3号", CAOSHI, "fuzzy", None),  # a character too many
]


@pytest.mark.parametrize(("address", "street", "method", "community"), MATCHES)
def test_match_address(address, street, method, community):
    m = g.match_address(address)
    assert (m.street_code, m.method, m.community_code) == (street, method, community), m
    assert m.street_name == next(s["name"] for s in units.STREETS if s["code"] == street)
    assert 0 < m.confidence <= 0.99
    assert m.matched and m.matched in address  # as written, not folded
    assert m.reason


# (address, reason starts with)
NO_MATCH = [
    ("锦江区春熙路", "outside the district (锦江区)"),
    ("春熙路88号", "outside the district (春熙路, 锦江区)"),
    ("武侯区光华村街", "outside the district (武侯区)"),  # names another district: not ours, whatever the road
    ("北京市朝阳区", "outside the district (北京市)"),
    ("中华路8号", "unknown address"),  # 青华路? one typo in a 3-character name's own part is too little
    ("asdf随便写写", "unknown address"),
    ("成都市青羊区", "unknown address: only the district is named"),
    ("", "empty address"),
    ("   ", "empty address"),
    (None, "empty address"),
    ("杂乱文字" * 1250, "unknown address"),  # 5,000 characters
]


@pytest.mark.parametrize(("address", "reason"), NO_MATCH)
def test_no_match(address, reason):
    m = g.match_address(address)
    assert (m.street_code, m.method, m.confidence) == (None, "none", 0.0)
    assert m.reason.startswith(reason), m.reason


def test_long_input_is_read_to_the_end():
    m = g.match_address("噪音" * 2498 + "太升南路")
    assert (m.street_code, m.method, m.matched) == (CAOSHI, "road", "太升南路")


def test_matched_is_the_input_as_written():
    assert g.match_address("靑羊區光華北三路８號").matched == "光華北三路"


@pytest.mark.parametrize(
    ("stronger", "weaker"),
    [
        ("太升南路12号", "太升南路"),  # a house number
        ("草市街12号", "草市街"),  # 草市街 with a number is the road, without it only the street's short name
        ("草市街街道", "草市街"),  # the suffix
        ("锣锅巷社区", "锣锅巷"),
        ("太升南路", "青羊大道"),  # a long road crosses street boundaries
        ("杜甫草堂", "杜甫草唐"),  # a typo
        ("锣锅巷社区", "少城街道锣锅巷社区"),  # places that disagree
    ],
)
def test_confidence_order(stronger, weaker):
    assert g.match_address(stronger).confidence > g.match_address(weaker).confidence


def test_places_that_agree_raise_confidence_and_conflicts_say_so():
    agree = g.match_address("草市街街道锣锅巷社区3栋")
    assert agree.confidence > g.match_address("锣锅巷社区").confidence
    assert "confirmed by 草市街街道" in agree.reason
    conflict = g.match_address("少城街道锣锅巷社区")
    assert (conflict.street_code, conflict.method) == (CAOSHI, "community")  # the more specific place wins
    assert "conflicts with 少城街道" in conflict.reason


def test_house_number_in_reason():
    assert "house number 12号附2号" in g.match_address("草市街12号附2号").reason


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("市民反映宽窄巷子附近夜间施工，噪音很大", SHAOCHENG),
        ("我以前住武侯区，现在住在杜甫草堂旁边，楼下垃圾没人清", CAOTANG),  # the place we know wins in free text
        ("太升南路和青龙街路口的红绿灯坏了", CAOSHI),
    ],
)
def test_street_for_text(text, street):
    m = g.street_for_text(text)
    assert m.street_code == street, m
    assert 0 < m.confidence <= 0.9  # free text is weaker evidence than an address field


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("春熙路的店铺卖过期食品", "outside the district"),
        ("孩子今年秋季入学需要什么材料", "no place of the district found"),
        ("杜甫草唐", "no place of the district found"),  # no typo tolerance in free text
        ("", "empty text"),
    ],
)
def test_street_for_text_none(text, reason):
    m = g.street_for_text(text)
    assert (m.street_code, m.method) == (None, "none")
    assert m.reason.startswith(reason)


def test_find_places_reports_positions_and_house_numbers():
    hits = g.find_places("投诉：青羊区草市街12号附2号门前")
    assert [(h.text, h.place.kind, h.house_number) for h in hits] == [
        ("青羊区", "district", ""),
        ("草市街", "road", "12号附2号"),
    ]
    assert (hits[1].start, hits[1].end, hits[1].number_end) == (6, 9, 15)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("靑羊區１２ＡＢ", "青羊区12ab"),
        ("光華大道（一段）", "光华大道(一段)"),
        ("😀草市街", "😀草市街"),
        ("", ""),
    ],
)
def test_fold_keeps_length(text, folded):
    assert g.fold(text) == folded
    assert len(g.fold(text)) == len(text)


def test_as_dict_has_the_api_fields():
    assert set(g.match_address("草市街").as_dict()) == {
        "street_code",
        "street_name",
        "community_code",
        "community_name",
        "matched",
        "confidence",
        "method",
        "reason",
    }


def test_gazetteer_data_is_consistent():
    codes = {s["code"] for s in units.STREETS}
    assert len(codes) == 12 and all(c.startswith(data.DISTRICT_CODE) for c in codes)
    assert data.STREETS is units.STREETS  # communities come from the directory, not a copy
    assert {code for _name, code, _kind in data.PLACES} <= codes
    assert {kind for _name, _code, kind in data.PLACES} == {"road", "landmark"}
    names = [name for name, _code, _kind in data.PLACES]
    assert len(names) == len(set(names))
    assert set(data.PLACE_ALIASES.values()) <= set(names)
    assert set(data.LONG_ROADS) <= set(names)
    assert not set(data.OUTSIDE_PLACES) & set(names)
    assert g.street_names()[CAOSHI] == "草市街街道"
