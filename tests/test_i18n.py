"""Chinese first, English second: plain English msgids in code, the Chinese in locale/zh_Hans."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from yihaotong.accounts import roles
from yihaotong.accounts.actions import do_create_user
from yihaotong.workorders.models import ApplicationState, CallbackOutcome, OrderState, ReplyState
from yihaotong.worktime.calendar import GAP_MESSAGES, NEXT_YEAR_MISSING, calendar_warning
from yihaotong.worktime.models import CalendarDay

LOCALE = Path(__file__).resolve().parent.parent / "yihaotong" / "locale"
ZH_PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def read_po(path: Path) -> list[dict]:
    """Return the entries of a .po file (header excluded): msgctxt, msgid, msgstr and flags."""
    entries: list[dict] = []
    entry: dict | None = None
    field = None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip() or line.startswith("#"):
            if entry is not None and "msgstr" in entry:
                entries.append(entry)
                entry = None
            if line.startswith("#,"):
                entry = entry or {"flags": set()}
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _space, literal = line.partition(" ")
        if line.startswith('"'):
            entry[field] += ast.literal_eval(line)
            continue
        assert keyword in {"msgctxt", "msgid", "msgstr"}, f"unexpected line in {path.name}: {line!r}"
        if entry is None or (keyword != "msgstr" and "msgstr" in entry):
            if entry is not None:
                entries.append(entry)
            entry = {"flags": set()}
        field = keyword
        entry[field] = ast.literal_eval(literal)
    assert entries and entries[0]["msgid"] == "", "the header comes first"
    return entries[1:]


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    yield
    translation.deactivate()


def test_labels_are_chinese_by_default_and_english_on_request():
    with translation.override("zh-hans"):
        assert OrderState.DISPATCHED.label == "已派单"
        assert OrderState.SUBMITTED.label == "待受理"
        assert roles.ROLE_LABELS[roles.DISPATCHER] == "派单员"
        assert CalendarDay.Kind.HOLIDAY.label == "节假日"
        # One English word, two Chinese meanings: told apart by a context.
        assert ReplyState.APPROVED.label == "审核通过"
        assert ApplicationState.APPROVED.label == "同意"
        assert CallbackOutcome.REFUSED.label == "拒绝回访"
        warning = calendar_warning(date(2026, 11, 1), {2026}, translate=_)
        assert warning.startswith("尚无 2027 年的工作日历")
    with translation.override("en"):
        assert OrderState.DISPATCHED.label == "Dispatched"
        assert roles.ROLE_LABELS[roles.DISPATCHER] == "Dispatcher"
        assert CalendarDay.Kind.HOLIDAY.label == "Holiday"
        assert ReplyState.APPROVED.label == ApplicationState.APPROVED.label == "Approved"
        assert _(GAP_MESSAGES[NEXT_YEAR_MISSING]) % {"year": 2027} == GAP_MESSAGES[NEXT_YEAR_MISSING] % {"year": 2027}


def test_labels_have_no_chinese_gloss_in_english():
    with translation.override("en"):
        labels = [str(label) for label in roles.ROLE_LABELS.values()]
        labels += [str(label) for choices in (OrderState, ReplyState, ApplicationState) for label in choices.labels]
    assert not [label for label in labels if CJK.search(label)]


@pytest.fixture
def superuser_client(client, db):
    user = do_create_user(
        username="i18n-admin", password=None, roles=[], display_name="i18n admin", is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client


def test_admin_is_chinese_by_default(superuser_client):
    page = superuser_client.get(reverse("admin:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "一号通" in html and "一号通管理后台" in html
    assert "工单" in html and "工作日历" in html
    assert "Yihaotong administration" not in html


def test_admin_is_english_on_request(superuser_client):
    page = superuser_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Yihaotong administration" in html and "Work orders" in html and "Working-day calendar" in html
    assert "一号通" not in html and "工单" not in html


def test_every_chinese_msgid_is_translated():
    entries = read_po(ZH_PO)
    assert len(entries) > 250
    missing = [e["msgid"] for e in entries if not e["msgstr"].strip()]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not missing, f"untranslated in {ZH_PO.name}: {missing}"
    assert not fuzzy, f"fuzzy (unused) in {ZH_PO.name}: {fuzzy}"
    for entry in entries:
        # msgids are plain English; the Chinese is the msgstr, with the same placeholders.
        assert not CJK.search(entry["msgid"]), entry["msgid"]
        assert CJK.search(entry["msgstr"]), entry["msgid"]
        assert sorted(PLACEHOLDER.findall(entry["msgid"])) == sorted(PLACEHOLDER.findall(entry["msgstr"])), entry


def test_english_catalogue_has_the_same_msgids():
    def keys(path):
        return {(e.get("msgctxt"), e["msgid"]) for e in read_po(path)}

    assert keys(EN_PO) == keys(ZH_PO)


@pytest.mark.parametrize("po", [ZH_PO, EN_PO], ids=["zh_Hans", "en"])
def test_compiled_catalogue_matches_its_source(po):
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    expected = {
        (f"{e['msgctxt']}\x04{e['msgid']}" if e.get("msgctxt") else e["msgid"]): e["msgstr"]
        for e in read_po(po)
        if e["msgstr"] and "fuzzy" not in e["flags"]
    }
    actual = {key: value for key, value in compiled.items() if key != ""}
    assert actual == expected, "run `django-admin compilemessages` in yihaotong/ (see locale/README.md)"
