"""Personal data and abusive words (routing/sensitive.py): pure, no database.

Every number here is made up: ID numbers are built to pass (or fail) the GB 11643 check, bank card numbers
to pass (or fail) Luhn; 11010519491231002X is the standard's own worked example.
"""

from __future__ import annotations

import pytest

from yihaotong.routing import sensitive as s

VALID_ID = "510105198506121058"
BAD_CHECK_ID = "510105198506121059"  # same, wrong check digit (and not Luhn-valid either)
ID_AND_LUHN = "510105199003071356"  # a valid ID number that also passes the Luhn check
CARD = "6222020012345671"  # Luhn-valid, 16 digits
CARD_19 = "6217001234567890122"  # Luhn-valid, 19 digits
BAD_CARD = "6222020012345672"


def kinds(text, **kw):
    return [(f.kind, f.value) for f in s.detect(text, **kw)]


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        (VALID_ID, True),
        (ID_AND_LUHN, True),
        (BAD_CHECK_ID, False),
        ("510105198502301058", False),  # 30 February
        ("510105850612105", True),  # old 15-digit form: 1985-06-12
        ("510105851312105", False),  # month 13
        ("51010519850612105", False),  # 17 digits
    ],
)
def test_is_valid_id(number, valid):
    assert s.is_valid_id(number) is valid


def test_id_check_char():
    assert s.id_check_char("11010519491231002") == "X"
    assert s.id_check_char(VALID_ID[:17]) == VALID_ID[-1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号{VALID_ID}。", [("id_card", VALID_ID)]),
        ("身份证11010519491231002X号", [("id_card", "11010519491231002X")]),
        (f"身份证{BAD_CHECK_ID}", []),
        ("老身份证510105850612105", [("id_card", "510105850612105")]),
        (f"{VALID_ID}1", []),  # 19 digits: not an ID number (and not Luhn-valid)
        # an ID number that also passes Luhn is reported once, as an ID number
        (f"证件{ID_AND_LUHN}", [("id_card", ID_AND_LUHN)]),
    ],
)
def test_id_card(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("电话13800005678", "13800005678"),
        ("电话138 0000 5678", "138 0000 5678"),
        ("电话138-0000-5678", "138-0000-5678"),
        ("电话+86 13800005678", "+86 13800005678"),
        ("电话１３８００００５６７８", "１３８００００５６７８"),
        ("座机028-87654321", "028-87654321"),
        ("座机(028)87654321", "(028)87654321"),
        ("座机（028）87654321", "（028）87654321"),
        ("座机02887654321", "02887654321"),
        ("座机87654321转8", "87654321"),
    ],
)
def test_phone(text, value):
    assert kinds(text) == [("phone", value)]


@pytest.mark.parametrize(
    "text",
    [
        "编号12345678901",  # 12…: no mobile prefix
        "日期20260309",  # a date, not a local number
        "罚款50000000元",
        "工单号202603090001",
        "热线96963",
    ],
)
def test_not_a_phone(text):
    assert [k for k, _v in kinds(text)] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"卡号{CARD}", [("bank_card", CARD)]),
        (f"卡号{CARD_19}", [("bank_card", CARD_19)]),
        ("卡号6222 0200 1234 5671", [("bank_card", "6222 0200 1234 5671")]),
        ("卡号4111-1111-1111-1111", [("bank_card", "4111-1111-1111-1111")]),
        (f"卡号{BAD_CARD}", []),  # fails Luhn
        ("卡号422202001234", []),  # 12 digits: too short
    ],
)
def test_bank_card(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("邮箱 zhang.san@example.com 联系", [("email", "zhang.san@example.com")]),
        ("邮箱12345@qq.com", [("email", "12345@qq.com")]),
        ("邮箱ＺＨＡＮＧ＠ＥＸＡＭＰＬＥ．ＣＯＭ", [("email", "ＺＨＡＮＧ＠ＥＸＡＭＰＬＥ．ＣＯＭ")]),
        ("不是邮箱 a@b", []),
    ],
)
def test_email(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("住在草市街12号附2号门口", "草市街12号附2号"),  # a road of the gazetteer
        ("家住光华北三路5号3栋", "光华北三路5号3栋"),
        ("我住在锦城小区3栋2单元501室", "锦城小区3栋2单元501室"),  # a housing estate we do not know
        ("我家住在春熙路 8号", "春熙路 8号"),  # outside the district: still personal data
        ("楼上3栋2单元501室漏水", "3栋2单元501室"),
    ],
)
def test_address(text, value):
    assert kinds(text) == [("address", value)]


@pytest.mark.parametrize("text", ["地铁2号线", "草市街附近", "3号那天去的", "反映了2次", "我家里3号停水了"])
def test_not_an_address(text):
    assert kinds(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("你个傻逼", "傻逼"),
        ("你个傻 逼", "傻 逼"),  # spaced out
        ("你个傻*逼", "傻*逼"),
        ("这些狗官", "狗官"),
        ("你个龟儿子", "龟儿子"),
        ("ＳＢ", "ＳＢ"),  # full-width Latin
        ("他媽的", "他媽的"),  # traditional
    ],
)
def test_abusive(text, value):
    assert kinds(text) == [("abusive", value)]


@pytest.mark.parametrize("text", ["usb接口坏了", "垃圾桶满了", "固体废物", "我妈的手机", "白天施工"])
def test_not_abusive(text):
    assert kinds(text) == []


REDACTIONS = [
    (f"身份证{VALID_ID}", "身份证5101**********1058"),
    ("身份证510105850612105", "身份证5101*******2105"),
    ("电话13800005678", "电话138****5678"),
    ("电话138 0000 5678", "电话138****5678"),
    ("电话+86 13800005678", "电话+86 138****5678"),
    ("座机028-87654321", "座机028-****4321"),
    ("座机(028)87654321", "座机(028)****4321"),
    ("座机87654321", "座机****4321"),
    (f"卡号{CARD}", "卡号****5671"),
    ("卡号6222 0200 1234 5671", "卡号****5671"),
    ("邮箱zhang.san@example.com", "邮箱z***@example.com"),
    ("草市街12号", "草市街**号"),
    ("住在草市街12号附2号", "住在草市街**号附**号"),
    ("锦城小区3栋2单元501室", "锦城小区**栋**单元**室"),
    ("光华北三路十二号", "光华北三路**号"),  # Chinese numerals too; the 三 of the road name stays
    ("你个傻逼", "你个傻逼"),  # abusive words are flagged, not masked, by default
    (
        f"我叫王五，身份证{VALID_ID}，电话13800005678，住草市街12号，退款打到{CARD}。😀",
        "我叫王五，身份证5101**********1058，电话138****5678，住草市街**号，退款打到****5671。😀",
    ),
]


@pytest.mark.parametrize(("text", "redacted"), REDACTIONS)
def test_redact(text, redacted):
    assert s.redact(text) == redacted


def test_redact_chosen_kinds():
    text = "傻逼，电话13800005678"
    assert s.redact(text, kinds=("abusive",)) == "**，电话13800005678"
    assert s.redact(text, kinds=("phone", "abusive")) == "**，电话138****5678"


@pytest.mark.parametrize(
    ("text", "names", "redacted"),
    [
        ("张三丰说张三也来了", ["张三丰", "张三"], "张**说张*也来了"),
        ("張三丰来电", ["张三丰"], "張**来电"),  # traditional form of a known name
        ("王先生和王五", ["王"], "王先生和王五"),  # one character would mask too much: ignored
        ("王五", [], "王五"),
        ("", ["王五"], ""),
    ],
)
def test_redact_names(text, names, redacted):
    assert s.redact_names(text, names) == redacted


def test_positions_are_those_of_the_original_text():
    text = "😀😀ａ电话１３８００００５６７８，草市街１２号"
    found = s.detect(text)
    assert [f.kind for f in found] == ["phone", "address"]
    for f in found:
        assert text[f.start : f.end] == f.value


def test_overlapping_findings_are_resolved():
    # The card regex also sees the ID number and the phone with the digits after it; each is reported once.
    text = f"{ID_AND_LUHN} 13800005678 1234"
    found = s.detect(text)
    assert [(f.kind, f.value) for f in found] == [("id_card", ID_AND_LUHN), ("phone", "13800005678")]
    # asking for one kind does not turn the ID number into a card
    assert s.detect(text, kinds=("bank_card",)) == []


@pytest.mark.parametrize("text", ["", None, "😀" * 100, "\u200b\ufeff", "号" * 1000, "1" * 5000])
def test_odd_input_does_not_crash(text):
    s.detect(text)
    assert s.redact(text) == (text or "")


def test_long_text():
    chunk = "市民反映草市街12号附近夜间施工噪音扰民，电话13800005678，邮箱a@b.cn 😀 "
    text = (chunk * (50_000 // len(chunk) + 1))[:50_000]
    found = s.detect(text)
    n = text.count(chunk)
    assert sum(f.kind == "phone" for f in found) >= n
    assert sum(f.kind == "address" for f in found) >= n
    redacted = s.redact(text)
    assert "13800005678" not in redacted and "12号" not in redacted
