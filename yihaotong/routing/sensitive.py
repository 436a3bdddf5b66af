"""Personal data and abusive words in free text (domain.md §9: published replies and third-party review case
files carry no names, ID numbers, phone numbers or addresses; §3: abusive content is a disposition reason).

Pure: no ORM, no I/O. ``detect`` finds, ``redact`` masks, ``redact_names`` masks the names the order
already knows. Matching runs on ``gazetteer.fold(text)`` (full-width digits, traditional characters and
upper-case letters folded, one character for one), so positions are those of the original text.

Kinds, checked in this order; a later finding that overlaps an earlier one is dropped (an ID number is
never also a bank card or a phone number):

- ``id_card``: 18-digit resident ID number with a valid birth date and the GB 11643-1999 check character,
  or the old 15-digit form (valid birth date; it has no check digit).
- ``phone``: mobile 1[3-9]xxxxxxxxx (also +86, and written 138 0000 5678); landline with area code
  (028-xxxxxxxx, (028)xxxxxxxx, 02887654321); an 8-digit local number starting with 3-9 and not followed
  by a unit (元, 年, 号 …), so that dates (20260309) and sums are not taken for phone numbers.
- ``email``.
- ``bank_card``: 13-19 digits (spaces or dashes between groups allowed) passing the Luhn check.
- ``address``: a house number (12号, 12号附2号, 5栋2单元301室 …) after a road, street, community or
  landmark of the gazetteer, or after a name ending like a road or a housing estate (…路, …街, …小区, …苑);
  a bare "3栋2单元501室" too.
- ``abusive``: insults and profanity from a small list written by us (``ABUSIVE_WORDS``), matched with
  spaces or punctuation between the characters; flagged for the operator, not masked by default.

Masks (``redact``), chosen to keep what a reader needs to recognise a case and nothing that identifies
a person:

- ID number: first 4 (province and city) and last 4 kept, the birth date hidden: 5101**********1234
  (15-digit: 5101*******1234).
- mobile: first 3 and last 4 kept: 138****5678 (a +86 prefix is kept as written); landline: area code
  and last 4 kept: 028-****5678, (028)****5678; local number: ****5678.
- bank card: ****1234.
- email: first character of the name and the domain: z***@example.com.
- address: the road or place kept, every number replaced by **: 草市街12号附2号 → 草市街**号附**号.
- abusive (only when asked for): one * per character.
- names (``redact_names``): the surname kept, one * per other character (core.text.mask_name): 张**.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date

from yihaotong.core.text import mask_name

from .gazetteer import HOUSE_NUMBER, NUM, OURS, find_places, fold

KINDS = ("id_card", "phone", "email", "bank_card", "address", "abusive")
DEFAULT_KINDS = ("id_card", "phone", "email", "bank_card", "address")

_PRIORITY = {kind: i for i, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    end: int
    value: str  # text[start:end], as written
    # Characters at the start of ``value`` that redaction keeps (an address's road name).
    keep: int = field(default=0, repr=False, compare=False)


# --- patterns (on folded text: ASCII digits, lower-case letters) -----------------------------------------

_ID18 = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9x](?![0-9])"
)
_ID15 = re.compile(r"(?<![0-9])[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9+])(?P<prefix>(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(?P<area>\(0[0-9]{2,3}\)\s?|0[0-9]{2,3}[ -]?)[0-9]{7,8}(?![0-9])")
_LOCAL = re.compile(
    r"(?<![0-9.\-])[3-9][0-9]{7}(?![0-9])(?!\s*(?:元|块|万|亿|年|月|日|号|次|个|人|户|米|平|吨|辆|件|%|\.[0-9]))"
)
_EMAIL = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![a-z0-9-])")
_CARD = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
# A house number not preceded by a digit (its own start), for addresses found from the number backwards.
_HOUSE = re.compile(rf"(?<![0-9]){HOUSE_NUMBER}")
_BARE_FLAT = re.compile(r"(?:单元|室)")
# What ends the name of a road or a housing estate (longest first), and the words that lead into an address.
_ROAD_ENDINGS = (
    "大道", "大街", "胡同", "小区", "花园", "公寓", "大厦", "广场", "新村", "家园", "社区",
    "路", "街", "巷", "段", "弄", "苑", "园", "院", "村",
)  # fmt: skip
_LEAD_IN = re.compile(r"^.*(?:住在|位于|地址是|地址|住址|家住|住|在|到|于|是|的)")
_NUMBER = re.compile(NUM)

# Insults and profanity (written by us; common Mandarin and Sichuan forms). Kept short on purpose: words
# that are also ordinary words (垃圾, 废物, 妈的 as in 我妈的手机) are left out.
ABUSIVE_WORDS = (
    "傻逼", "傻b", "傻比", "傻屄", "煞笔", "沙比", "傻叉", "傻屌", "他妈的", "你妈的", "你妈逼", "操你", "草你妈",
    "草泥马", "日你妈", "日你先人", "妈卖批", "王八蛋", "混蛋", "滚蛋", "贱人", "贱货", "婊子", "狗日的", "狗东西",
    "狗官", "狗杂种", "杂种", "畜生", "畜牲", "去死", "死全家", "脑残", "白痴", "弱智", "蠢货", "蠢猪", "龟儿子",
    "瓜娃子", "神经病",
)  # fmt: skip
ABUSIVE_LATIN = ("sb", "nmsl", "cnm", "tmd", "nmb", "wcnm")
_GAP = r"[\s*._\-·,，。、!！?？~～…]{0,2}"
_ABUSIVE = re.compile(
    "(?:"
    + "|".join(_GAP.join(re.escape(ch) for ch in word) for word in sorted(ABUSIVE_WORDS, key=len, reverse=True))
    + r"|(?<![a-z])(?:"
    + "|".join(sorted(ABUSIVE_LATIN, key=len, reverse=True))
    + r")(?![a-z]))"
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10x98765432"


def id_check_char(first17: str) -> str:
    """Return the GB 11643-1999 check character (0-9 or X) of the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11].upper()


def _valid_date(yyyymmdd: str) -> bool:
    try:
        date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return False
    return True


def is_valid_id(number: str) -> bool:
    """Return whether ``number`` is a well-formed resident ID number (18 with check character, or 15)."""
    number = number.strip().upper()
    if len(number) == 18 and number[:17].isdigit():
        return _valid_date(number[6:14]) and id_check_char(number[:17]) == number[17]
    if len(number) == 15 and number.isdigit():
        return _valid_date("19" + number[6:12])
    return False


def luhn_ok(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn check (bank card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# --- detection -----------------------------------------------------------------------------------------


def _candidates(text: str, folded: str):
    """Yield every finding of every kind, overlaps included (``detect`` settles them)."""

    def found(kind, m):
        return Finding(kind, m.start(), m.end(), text[m.start() : m.end()])

    for regex in (_ID18, _ID15):
        yield from (found("id_card", m) for m in regex.finditer(folded) if is_valid_id(m.group()))
    for regex in (_MOBILE, _LANDLINE, _LOCAL):
        yield from (found("phone", m) for m in regex.finditer(folded))
    yield from (found("email", m) for m in _EMAIL.finditer(folded))
    for m in _CARD.finditer(folded):
        digits = m.group().replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            yield found("bank_card", m)
    yield from _addresses(text, folded)
    yield from (found("abusive", m) for m in _ABUSIVE.finditer(folded))


def _addresses(text: str, folded: str):
    known = {}
    for hit in find_places(text):
        if hit.place.kind in OURS and hit.house_number:
            known[hit.number_end] = hit
            yield Finding("address", hit.start, hit.number_end, text[hit.start : hit.number_end], hit.end - hit.start)
    for m in _HOUSE.finditer(folded):
        if m.end() in known:
            continue
        name = _road_before(folded, m.start())
        if name:
            start = m.start() - len(name)
            yield Finding("address", start, m.end(), text[start : m.end()], m.start() - start)
        elif _BARE_FLAT.search(m.group()):
            yield Finding("address", m.start(), m.end(), text[m.start() : m.end()], 0)


def _road_before(folded: str, at: int) -> str:
    """Return the name of a road or housing estate that ends at ``at`` (spaces allowed before the number)."""
    end = at
    while end > 0 and folded[end - 1] == " ":
        end -= 1
    start = end
    while start > 0 and end - start < 8 and "\u4e00" <= folded[start - 1] <= "\u9fff":
        start -= 1
    run = folded[start:end]
    if not run.endswith(_ROAD_ENDINGS):
        return ""
    for ending in _ROAD_ENDINGS:
        if run.endswith(ending) and len(run) > len(ending):
            lead = _LEAD_IN.match(run[:-1])  # never cut the ending itself
            name = run[lead.end() :] if lead else run
            return name + folded[end:at]
    return ""


def detect(text: str | None, kinds=KINDS) -> list[Finding]:
    """Return the findings of the given kinds in ``text``, in text order, none overlapping.

    Overlaps are settled among all kinds before ``kinds`` filters, so asking for bank cards alone never
    returns an ID number as a card.
    """
    if not text:
        return []
    folded = fold(text)
    found = sorted(_candidates(text, folded), key=lambda f: (_PRIORITY[f.kind], f.start, -f.end))
    starts: list[int] = []
    accepted: list[Finding] = []  # kept sorted by start, never overlapping
    for finding in found:
        i = bisect.bisect_right(starts, finding.start)
        if i > 0 and accepted[i - 1].end > finding.start:
            continue
        if i < len(accepted) and accepted[i].start < finding.end:
            continue
        starts.insert(i, finding.start)
        accepted.insert(i, finding)
    wanted = frozenset(kinds)
    return [f for f in accepted if f.kind in wanted]


# --- masking -------------------------------------------------------------------------------------------


def _mask_id(value: str) -> str:
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def _mask_phone(value: str, folded: str) -> str:
    m = _MOBILE.fullmatch(folded)
    if m:
        p = m.end("prefix") if m.group("prefix") else 0
        digits = re.sub(r"[^0-9]", "", folded[p:])
        return f"{value[:p]}{digits[:3]}****{digits[-4:]}"
    m = _LANDLINE.fullmatch(folded)
    if m:
        local = folded[m.end("area") :]
        return value[: m.end("area")] + "*" * (len(local) - 4) + local[-4:]
    return "*" * (len(value) - 4) + value[-4:]


def _mask_email(value: str) -> str:
    name, _, domain = value.partition("@")
    return f"{name[:1]}***@{domain}"


def mask(finding: Finding) -> str:
    """Return the masked form of one finding (see the module docstring for the rules)."""
    value = finding.value
    folded = fold(value)
    if finding.kind == "id_card":
        return _mask_id(value)
    if finding.kind == "phone":
        return _mask_phone(value, folded)
    if finding.kind == "bank_card":
        return "****" + re.sub(r"[^0-9]", "", folded)[-4:]
    if finding.kind == "email":
        return _mask_email(value)
    if finding.kind == "address":
        return value[: finding.keep] + _NUMBER.sub("**", folded[finding.keep :])
    return "*" * len(value)


def redact(text: str | None, kinds=DEFAULT_KINDS) -> str:
    """Return ``text`` with the findings of the given kinds masked (abusive words stay unless asked for)."""
    if not text:
        return text or ""
    parts = []
    last = 0
    for finding in detect(text, kinds):
        parts.append(text[last : finding.start])
        parts.append(mask(finding))
        last = finding.end
    parts.append(text[last:])
    return "".join(parts)


def redact_names(text: str | None, names) -> str:
    """Return ``text`` with each of the given personal names masked (张三丰 → 张**); names under 2 characters
    are ignored (one character would mask every word that contains it)."""
    if not text:
        return text or ""
    keys = sorted({fold(n.strip()) for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    if not keys:
        return text
    regex = re.compile("|".join(re.escape(k) for k in keys))
    parts = []
    last = 0
    for m in regex.finditer(fold(text)):
        parts.append(text[last : m.start()])
        parts.append(mask_name(text[m.start() : m.end()]))
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)
