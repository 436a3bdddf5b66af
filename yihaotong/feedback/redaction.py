"""Automatic redaction of texts that leave the staff consoles (published cases, review case files, review
summaries): names, ID numbers, phone numbers, bank cards, e-mail addresses and exact addresses.

Detection and masking are routing's (``routing.sensitive``: ID numbers with their check character, mobile
and landline numbers, Luhn-checked bank cards, house numbers after a road or an estate). This module adds
the names: the ones the order knows (requester, staff who acted on it) and names introduced in the text
("我叫王小明", "联系人：李四", "张三反映") — masked as 王** (surname kept).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from yihaotong.core.text import mask_name
from yihaotong.routing.sensitive import DEFAULT_KINDS, detect, redact, redact_names

# A name after words that introduce one, or before words that follow one (two to three Han characters).
_HAN = "[\u4e00-\u9fff]"
_INTRO = re.compile(
    rf"(?P<lead>我叫|本人叫|本人|名叫|叫做|姓名[:：]?\s*|联系人[:：]?\s*|申请人[:：]?\s*|来电人[:：]?\s*|市民|居民|业主)"
    rf"(?P<name>{_HAN}{{2,3}}?)(?=[，,。.；;、\s（(]|反映|来电|称|说|投诉|表示|要求|$)"
)
_BEFORE = re.compile(rf"(?<!{_HAN})(?P<name>{_HAN}{{2,3}})(?=(?:先生|女士|同志|老师|师傅)?(?:来电|反映|投诉|称))")
# Words that look like a name in these positions but are not one.
_NOT_NAMES = frozenset(
    {
        "市民",
        "居民",
        "业主",
        "群众",
        "本人",
        "我们",
        "他们",
        "对方",
        "单位",
        "物业",
        "社区",
        "街道",
        "商家",
        "工作人员",
        "有人",
        "多次",
        "再次",
        "今天",
        "昨天",
    }
)


def _text_names(text: str) -> set[str]:
    found = set()
    for regex in (_INTRO, _BEFORE):
        for m in regex.finditer(text):
            name = m.group("name")
            if name not in _NOT_NAMES and not any(w in name for w in ("街", "路", "区", "局", "办", "社区")):
                found.add(name)
    return found


def redact_text(text: str | None, names: Iterable[str] = ()) -> str:
    """Mask personal data in ``text``: the given names and names the text introduces, then ID, phone and
    bank-card numbers, e-mail addresses and house numbers."""
    if not text:
        return ""
    names = {n for n in names if n} | _text_names(text)
    return redact(redact_names(text, names), DEFAULT_KINDS)


def leftovers(text: str | None) -> list[str]:
    """What still looks like personal data in a text a reviewer edited (checked before publishing)."""
    return [f"{f.kind}: {f.value}" for f in detect(text or "", DEFAULT_KINDS)]


def order_names(order) -> set[str]:
    """Names the order knows: the requester and every person named on its events, callbacks and replies."""
    from yihaotong.workorders.models import Event

    names = {order.requester_name} if order.requester_name else set()
    for label in set(Event.objects.filter(order=order).exclude(actor_label="").values_list("actor_label", flat=True)):
        # Staff labels read "回访员 冉小雨" or "承办人 殷鹏（区教育局）": the person is the last word, without the unit.
        names.add(re.split(r"[（(]", label.split()[-1])[0] if label.split() else label)
    names.discard("system")
    return {n for n in names if len(n) >= 2}


__all__ = ["redact_text", "leftovers", "order_names", "mask_name"]
