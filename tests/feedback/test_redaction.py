"""Automatic redaction of published cases and review case files: real-looking Chinese ID numbers (18 digits
with the GB 11643 check character, X included), mobile and landline numbers, bank cards, names, addresses."""

from __future__ import annotations

import pytest

from yihaotong.feedback.redaction import leftovers, redact_text

ID_A = "510105198803120019"  # valid check digit
ID_X = "11010519491231002X"  # check character X
ID_BAD = "510105198803120018"  # wrong check digit: an ordinary number, left alone
CARD_18 = "621700123456789011"  # Luhn-valid 18-digit card number
CARD_19 = "6222024402001123458"


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        (f"我的身份证号是{ID_A}，请核实。", [ID_A, "19880312"], ["5101", "0019"]),
        (f"身份证：{ID_X}", [ID_X, "19491231"], ["1101", "002X"]),
        (f"身份证小写x也算：{ID_X.lower()}", [ID_X.lower()], []),
        ("请打我电话13812345678联系", ["13812345678"], ["138****5678"]),
        ("手机 138 1234 5678 或 +86 139-8765-4321", ["1234 5678", "8765-4321"], ["4321"]),
        ("座机028-86123456，也可打(028)86123457", ["86123456", "86123457"], ["028-", "3456"]),
        (f"补贴打到银行卡{CARD_19}了没有", [CARD_19], ["****3458"]),
        (f"卡号 {CARD_18} 收不到钱", [CARD_18], ["****9011"]),
        ("我住在草市街12号附2号3单元501室", ["12号", "501室"], ["草市街"]),
        ("我叫王小明，反映楼下噪音", ["王小明"], ["王**"]),
        ("联系人：李四海，电话见工单", ["李四海"], ["李**"]),
    ],
)
def test_personal_data_is_masked(text, gone, kept):
    out = redact_text(text)
    for value in gone:
        assert value not in out, out
    for value in kept:
        assert value in out, out
    assert not leftovers(out)


def test_invalid_id_number_and_ordinary_numbers_stay():
    out = redact_text(f"编号{ID_BAD}；2026年3月9日办结，金额3000元。")
    assert ID_BAD in out and "2026年3月9日" in out and "3000元" in out


def test_known_names_are_masked_wherever_they_appear():
    out = redact_text("张三丰多次来电，张三丰称补贴未到。经办人赵敏已联系。", names=["张三丰", "赵敏"])
    assert "张三丰" not in out and "赵敏" not in out and "张**" in out and "赵*" in out


def test_leftovers_name_what_is_left():
    found = leftovers(f"电话13812345678，身份证{ID_A}")
    kinds = {f.split(":")[0] for f in found}
    assert kinds == {"phone", "id_card"}


def test_script_text_is_kept_as_text():
    # Redaction does not touch markup; templates escape it (see the public page tests).
    assert redact_text("<script>alert(1)</script>") == "<script>alert(1)</script>"


def test_staff_names_on_the_order_are_masked_by_their_name_only(cast):
    from tests.factories import drive, new_order
    from yihaotong.accounts.models import User
    from yihaotong.feedback.redaction import order_names

    User.objects.filter(pk=cast.edu.pk).update(display_name="承办人 殷鹏（区教育局）")
    cast.edu.refresh_from_db()
    order = drive(cast, new_order(cast, requester_name="卢永康"), "in_progress")
    names = order_names(order)
    assert {"卢永康", "殷鹏"} <= names and "承办人" not in names
    assert redact_text("承办人殷鹏已联系卢永康", names) == "承办人殷*已联系卢**"
