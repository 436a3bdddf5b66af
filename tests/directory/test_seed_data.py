"""Consistency checks of the directory seed data (pure Python, no database)."""

from __future__ import annotations

import re
import string

import pytest

from yihaotong.directory.data import demo_text, dispositions, taxonomy, time_limits, units

# Field lengths of the models the data populates (yihaotong/directory/models.py).
UNIT_CODE_MAX, UNIT_NAME_MAX, UNIT_SHORT_MAX = 32, 128, 64
CATEGORY_CODE_MAX, CATEGORY_NAME_MAX = 32, 64
HOTLINE_LABEL_MAX, DUTY_BASIS_MAX = 64, 255

REQUEST_TYPE_CODES = {"consult", "help", "complaint", "report", "suggest", "praise", "other"}
URGENCY_CODES = {"normal", "urgent", "critical"}

DEPT_CODES = {d["code"] for d in units.DEPARTMENTS}
STREET_CODES = {s["code"] for s in units.STREETS}
CATEGORY_NODES = {node["code"]: (node, parent, level) for node, parent, level in taxonomy.iter_categories()}
LEAF_CODES = {code for code, (_node, _parent, level) in CATEGORY_NODES.items() if level == 3}


@pytest.fixture(autouse=True)
def _fresh_policy_caches():
    """Override the project-wide autouse fixture: these tests read plain data and need no Django setup."""
    yield


def _keywords(text):
    return text.split(",")


# --- units -------------------------------------------------------------------------------------


def test_twelve_streets_of_qingyang():
    assert len(units.STREETS) == 12
    assert len(STREET_CODES) == 12
    for street in units.STREETS:
        assert re.fullmatch(r"510105\d{3}", street["code"])
        assert street["name"].endswith("街道")
        assert street["name"] == street["short_name"] + "街道"
        assert street["duties"]
        assert len(street["hotlines"]) >= 1
        assert street["communities"], street["name"]
        for community in street["communities"]:
            assert re.fullmatch(re.escape(street["code"]) + r"\d{3}", community["code"])
            assert community["name"].endswith("社区")
    names = {s["short_name"] for s in units.STREETS}
    assert names == {
        "草市街",
        "西御河",
        "少城",
        "草堂",
        "府南",
        "光华",
        "金沙",
        "黄田坝",
        "苏坡",
        "文家",
        "蔡桥",
        "康河",
    }


def test_unit_codes_unique_across_all_kinds():
    codes = [units.CENTRE["code"]]
    codes += [d["code"] for d in units.DEPARTMENTS]
    codes += [sub["code"] for d in units.DEPARTMENTS for sub in d["subunits"]]
    codes += [s["code"] for s in units.STREETS]
    codes += [c["code"] for s in units.STREETS for c in s["communities"]]
    assert len(codes) == len(set(codes))
    assert sorted(units.all_unit_codes()) == sorted(codes)
    assert all(0 < len(code) <= UNIT_CODE_MAX for code in codes)


def test_departments_are_complete():
    assert len(units.DEPARTMENTS) >= 35
    for dept in units.DEPARTMENTS:
        assert re.fullmatch(r"QY-D-[A-Z]+", dept["code"]), dept["code"]
        assert 0 < len(dept["name"]) <= UNIT_NAME_MAX
        assert 0 < len(dept["short_name"]) <= UNIT_SHORT_MAX
        assert dept["duties"].endswith("。"), dept["code"]
        assert 1 <= len(dept["hotlines"]) <= 3, dept["code"]
        assert len(dept["subunits"]) <= 3, dept["code"]
        for sub in dept["subunits"]:
            assert sub["code"].startswith(dept["code"] + "-")
            assert 0 < len(sub["name"]) <= UNIT_NAME_MAX
    names = [d["name"] for d in units.DEPARTMENTS]
    assert len(names) == len(set(names))
    assert units.CENTRE["code"] == "QY-CENTRE"


def test_hotline_numbers_are_unique_and_fictional():
    hotlines = [h for d in units.DEPARTMENTS for h in d["hotlines"]]
    hotlines += [h for s in units.STREETS for h in s["hotlines"]]
    numbers = [h["number"] for h in hotlines]
    assert len(numbers) == len(set(numbers))
    for hotline in hotlines:
        assert re.fullmatch(r"6555\d{4}", hotline["number"]), hotline
        assert 0 < len(hotline["label"]) <= HOTLINE_LABEL_MAX


# --- request types, urgencies ------------------------------------------------------------------


def test_request_types_and_urgencies():
    assert {t["code"] for t in taxonomy.REQUEST_TYPES} == REQUEST_TYPE_CODES
    assert [t["code"] for t in taxonomy.REQUEST_TYPES if t["is_whistleblowing"]] == ["report"]
    sorts = [t["sort"] for t in taxonomy.REQUEST_TYPES]
    assert sorts == sorted(sorts) and len(set(sorts)) == len(sorts)
    assert [u["code"] for u in taxonomy.URGENCIES] == ["normal", "urgent", "critical"]
    assert all(u["name"] and u["name_en"] for u in taxonomy.URGENCIES)


# --- taxonomy ----------------------------------------------------------------------------------


def test_taxonomy_shape():
    level1 = taxonomy.CATEGORIES
    assert 12 <= len(level1) <= 18
    for top in level1:
        assert re.fullmatch(r"[A-Z]{3}", top["code"])
        assert 3 <= len(top["children"]) <= 8, top["code"]
        for mid in top["children"]:
            assert re.fullmatch(re.escape(top["code"]) + r"-\d{2}", mid["code"])
            assert 2 <= len(mid["children"]) <= 5, mid["code"]
            for leaf in mid["children"]:
                assert re.fullmatch(re.escape(mid["code"]) + r"-\d{2}", leaf["code"])
                assert leaf["children"] == []


def test_taxonomy_codes_unique_and_fit_the_model():
    all_codes = [node["code"] for node, _parent, _level in taxonomy.iter_categories()]
    assert len(all_codes) == len(set(all_codes))
    for code, (node, parent, level) in CATEGORY_NODES.items():
        assert len(code) <= CATEGORY_CODE_MAX
        assert 0 < len(node["name"]) <= CATEGORY_NAME_MAX
        assert (parent is None) == (level == 1)
        if level == 3:
            assert CATEGORY_NODES[parent][2] == 2


def test_sibling_names_unique():
    for node, _parent, _level in [(None, None, 0), *taxonomy.iter_categories()]:
        children = taxonomy.CATEGORIES if node is None else node["children"]
        names = [child["name"] for child in children]
        assert len(names) == len(set(names)), names


def test_keywords_short_and_clean():
    sources = [node["keywords"] for node, _p, _l in taxonomy.iter_categories()]
    sources += [entry["keywords"] for entry in taxonomy.CATALOGUE]
    for text in sources:
        words = _keywords(text)
        assert words and all(words), repr(text)
        assert len(words) == len(set(words)), text
        for word in words:
            assert len(word) <= 20, word
            assert word == word.strip() and "，" not in word, word


# --- catalogue ---------------------------------------------------------------------------------


def test_catalogue_references_exist():
    seen = set()
    for entry in taxonomy.CATALOGUE:
        code = entry["category"]
        assert code in CATEGORY_NODES and CATEGORY_NODES[code][2] in (2, 3), code
        assert code not in seen, f"duplicate catalogue entry {code}"
        seen.add(code)
        if entry["by_territory"]:
            assert entry["lead"] is None, code
        else:
            assert entry["lead"] in DEPT_CODES, code
        for support in entry["support"]:
            assert support in DEPT_CODES, (code, support)
            assert support != entry["lead"], code
        assert len(entry["duty_basis"]) <= DUTY_BASIS_MAX


def test_catalogue_covers_every_level2_category():
    covered = set()
    for entry in taxonomy.CATALOGUE:
        node, parent, level = CATEGORY_NODES[entry["category"]]
        covered.add(node["code"] if level == 2 else parent)
    level2 = {code for code, (_n, _p, level) in CATEGORY_NODES.items() if level == 2}
    assert level2 - covered == set()


# --- time limits and policy --------------------------------------------------------------------


def test_time_limits_cover_types_and_urgencies():
    rules = time_limits.TIME_LIMITS
    assert {r["request_type"] for r in rules if r["urgency"] is None} == REQUEST_TYPE_CODES
    assert {r["urgency"] for r in rules if r["request_type"] is None} == {"urgent", "critical"}
    keys = [(r["request_type"], r["urgency"]) for r in rules]
    assert len(keys) == len(set(keys))
    for rule in rules:
        assert rule["request_type"] or rule["urgency"]
        assert rule["sign_unit"] in {"wd", "h", "min"} and rule["sign_value"] > 0
        if rule["handle_value"] is None:
            assert rule["handle_unit"] == ""
        else:
            assert rule["handle_unit"] in {"wd", "h", "min"} and rule["handle_value"] > 0
        assert rule["basis"]


@pytest.mark.parametrize(
    ("request_type", "urgency", "expected"),
    [
        ("consult", None, (1, "wd", 3, "wd")),
        ("help", None, (1, "wd", 7, "wd")),
        ("suggest", None, (1, "wd", 7, "wd")),
        ("complaint", None, (1, "wd", 15, "wd")),
        ("report", None, (1, "wd", 15, "wd")),
        (None, "urgent", (30, "min", 24, "h")),
        (None, "critical", (15, "min", None, "")),
    ],
)
def test_sichuan_defaults(request_type, urgency, expected):
    (rule,) = [r for r in time_limits.TIME_LIMITS if r["request_type"] == request_type and r["urgency"] == urgency]
    assert (rule["sign_value"], rule["sign_unit"], rule["handle_value"], rule["handle_unit"]) == expected


def test_policy_defaults():
    policy = time_limits.POLICY_DEFAULTS
    assert policy["return_window_wd"] == 2
    assert policy["extension_max_wd"] == 10
    assert policy["callback_wd"] == 1
    assert policy["redo_window_days"] == 30
    assert policy["clock_start"] in {"dispatch", "sign"}
    assert policy["count_from"] in {"same_day", "next_day"}
    assert policy["satisfaction_weights"] == {"satisfied": 1.0, "basically": 0.9, "dissatisfied": 0.0}


# --- dispositions ------------------------------------------------------------------------------


def test_disposition_reasons():
    codes = [r["code"] for r in dispositions.DISPOSITION_REASONS]
    assert len(codes) == len(set(codes))
    for required in ("litigation", "petition", "outside_district", "no_content", "repeat", "privacy"):
        assert required in codes
    for reason in dispositions.DISPOSITION_REASONS:
        assert reason["name"] and reason["channel_hint"]
    assert [number for number, _name in dispositions.EMERGENCY_SERVICES] == ["110", "119", "120", "122"]


# --- demo text ---------------------------------------------------------------------------------


def _placeholders(text):
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_demo_templates_reference_taxonomy():
    templates = demo_text.ORDER_TEMPLATES
    assert len(templates) >= 80
    for tpl in templates:
        assert tpl["category"] in LEAF_CODES, tpl["category"]
        assert tpl["request_type"] in REQUEST_TYPE_CODES
        assert tpl["urgency"] in URGENCY_CODES
        assert tpl["address_hint"] in demo_text.ADDRESS_HINTS
        assert 0 < len(tpl["subject"]) <= 40
        assert _placeholders(tpl["text"]) == {"place"}, tpl["subject"]
        assert _placeholders(tpl["reply"]) == set(), tpl["subject"]
        assert "尽快" not in tpl["reply"]
    assert sum(t["urgency"] == "normal" for t in templates) > 0.8 * len(templates)
    assert {t["request_type"] for t in templates} == REQUEST_TYPE_CODES - {"other"}
    top_levels = {t["category"].split("-")[0] for t in templates}
    assert top_levels == {node["code"] for node in taxonomy.CATEGORIES}


def test_place_patterns_fill_templates():
    assert set(demo_text.PLACE_PATTERNS) == set(demo_text.ADDRESS_HINTS)
    for patterns in demo_text.PLACE_PATTERNS.values():
        for pattern in patterns:
            assert _placeholders(pattern) <= {"road", "no"} and "road" in _placeholders(pattern)
    road, _street = demo_text.ROADS[0]
    for tpl in demo_text.ORDER_TEMPLATES:
        place = demo_text.PLACE_PATTERNS[tpl["address_hint"]][0].format(road=road, no=8)
        assert "{" not in tpl["text"].format(place=place)


def test_demo_people_roads_phones():
    assert len(demo_text.SURNAMES) == 30 and len(set(demo_text.SURNAMES)) == 30
    assert len(demo_text.GIVEN_NAMES) == 60 and len(set(demo_text.GIVEN_NAMES)) == 60
    names = [name for name, _street in demo_text.ROADS]
    assert len(demo_text.ROADS) >= 40 and len(names) == len(set(names))
    assert {street for _name, street in demo_text.ROADS} == STREET_CODES
    for prefix in demo_text.PHONE_PREFIXES:
        assert re.fullmatch(r"1[3-9]\d0000", prefix)
