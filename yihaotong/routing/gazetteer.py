"""Address → street office of 青羊区 (domain.md §6: 属地管理, the address decides the street).

Pure and fast: no ORM, no I/O. The index is built once per process from ``routing/data/gazetteer.py``.

- ``match_address(address)`` reads an address field and says which street (and community) it is in, how
  it knows (``method``), how sure it is (``confidence``) and why (``reason``).
- ``street_for_text(text)`` does the same for free text (the citizen's message), without typo tolerance.
- ``find_places(text)`` lists every place named in a text, with its position (used by ``sensitive``).

Matching is tolerant: full-width forms, traditional characters (``data/hanzi.py``) and upper-case Latin
letters are folded first (``fold``, one character for one, so positions stay valid); streets and
communities match with or without their 街道 / 社区 suffix; a house number after a road raises the
confidence; when nothing matches exactly, one typo (edit distance 1) is forgiven in names of 3 characters
or more. The gazetteer maps roads to streets approximately (see its docstring): the result is a suggestion
for the dispatcher, never a decision.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import asdict, dataclass

from .data import gazetteer as G
from .data.hanzi import T2S

METHODS = ("community", "street", "road", "landmark", "fuzzy", "none")

# Numbers as written in addresses: Arabic digits (after folding) or Chinese numerals; 5 digits at most, so that
# a phone number written right after an address is not read as part of it.
NUM = r"(?:[0-9]{1,5}|[零〇一二三四五六七八九十百两]{1,4})"
_FIRST_UNIT = r"(?:号院|号楼|号|弄|栋|幢|单元)"
_UNIT = r"(?:号院|号楼|号|栋|幢|单元|楼|层|室|户)"
# A house number, on folded text: 12号, 12号附2号, 12-3号, 5栋2单元301室, 5栋2单元301, 十二号院 …
HOUSE_NUMBER = (
    rf"{NUM}(?:\s*[-之]\s*{NUM})*\s*{_FIRST_UNIT}(?!线)"
    rf"(?:\s*(?:(?:附|之|-)\s*{NUM}\s*{_UNIT}?|{NUM}\s*{_UNIT}))*"
    r"(?:[0-9]{3,4}(?![0-9]))?"
)
HOUSE_NUMBER_RE = re.compile(rf"\s*{HOUSE_NUMBER}")

_FUZZY_SCAN = 120  # typo tolerance looks at the first 120 characters only (an address, not a letter)
_FUZZY_MIN_LEN = 3


@dataclass(frozen=True, slots=True)
class AddressMatch:
    """Where an address or a text is, as far as the gazetteer can tell."""

    street_code: str | None
    street_name: str
    community_code: str | None
    community_name: str
    matched: str  # the text that matched, as written in the input
    confidence: float  # 0..1
    method: str  # one of METHODS
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Place:
    """One entry of the gazetteer index."""

    name: str  # canonical name (as in the directory or the gazetteer data)
    kind: str  # community | street | road | landmark | district | other_area | outside
    street_code: str | None = None
    community_code: str | None = None
    bare: bool = False  # a street or community written without its 街道 / 社区 suffix
    long: bool = False  # a long road that crosses street boundaries
    where: str = ""  # outside places: the district or city they are in


@dataclass(frozen=True, slots=True)
class PlaceHit:
    start: int  # position in the input text
    end: int
    text: str  # as written in the input
    place: Place  # the reading chosen for this name (see ``_choose``)
    house_number: str  # the house number right after it (folded), or ""
    number_end: int  # where the house number ends (``end`` when there is none)
    places: tuple[Place, ...] = ()  # every reading of the name


OURS = frozenset({"community", "street", "road", "landmark"})


def _none(reason: str, matched: str = "") -> AddressMatch:
    return AddressMatch(None, "", None, "", matched, 0.0, "none", reason)


# --- folding -------------------------------------------------------------------------------------------


@functools.cache
def _fold_table() -> str:
    """Return the folding table as a string indexed by code point (faster for str.translate than a dict)."""
    table = [chr(cp) for cp in range(0x10000)]
    for cp, ch in _fold_map().items():
        table[cp] = ch
    return "".join(table)


def _fold_map() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x80, 0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        norm = unicodedata.normalize("NFKC", ch)
        if norm != ch and len(norm) == 1:  # one for one only, so that positions stay valid
            table[cp] = norm
    for trad, simp in T2S.items():
        table[ord(trad)] = simp
    for cp, ch in list(table.items()):
        ch = T2S.get(ch, ch)
        table[cp] = ch.lower() if "A" <= ch <= "Z" else ch
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    return table


def fold(text: str | None) -> str:
    """Fold full-width forms, traditional characters and upper-case Latin letters; keep every position."""
    if not text:
        return ""
    return text.translate(_fold_table())  # characters beyond the table (emoji) stay as they are


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


# --- index ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    keys: dict[str, tuple[Place, ...]]
    lengths: dict[str, tuple[int, ...]]  # first character → key lengths, longest first
    fuzzy_keys: frozenset[str]
    deletions: dict[str, tuple[str, ...]]  # a fuzzy key minus one character → the keys
    fuzzy_max: int
    streets: dict[str, str]  # code → name
    communities: dict[str, str]  # code → name


@functools.cache
def _index() -> _Index:
    entries: list[tuple[str, Place]] = []
    streets: dict[str, str] = {}
    communities: dict[str, str] = {}
    for street in G.STREETS:
        code, name, short = street["code"], street["name"], street["short_name"]
        streets[code] = name
        for alias in (name, f"{name}办", f"{name}办事处", f"{short}街办", *G.STREET_EXTRA_ALIASES.get(code, ())):
            entries.append((alias, Place(name, "street", code)))
        entries.append((short, Place(name, "street", code, bare=True)))
        for community in street["communities"]:
            c_code, c_name = community["code"], community["name"]
            communities[c_code] = c_name
            place = Place(c_name, "community", code, c_code)
            entries.append((c_name, place))
            stem = c_name.removesuffix("社区")
            if stem != c_name:
                entries.append((f"{stem}居委会", place))
                if len(stem) >= 3:  # 2-character stems (太升, 金河 …) begin too many other words
                    entries.append((stem, Place(c_name, "community", code, c_code, bare=True)))
    places = {}
    for name, code, kind in G.PLACES:
        places[name] = Place(name, kind, code, long=name in G.LONG_ROADS)
        entries.append((name, places[name]))
    for alias, name in G.PLACE_ALIASES.items():
        entries.append((alias, places[name]))
    for name in G.DISTRICT_LEVEL_NAMES:
        entries.append((name, Place(name, "district")))
    for name in G.OTHER_AREAS:
        entries.append((name, Place(name, "other_area", where=name)))
    for name, where in G.OUTSIDE_PLACES.items():
        entries.append((name, Place(name, "outside", where=where)))

    keys: dict[str, list[Place]] = {}
    for alias, place in entries:
        bucket = keys.setdefault(fold(alias), [])
        if place not in bucket:
            bucket.append(place)
    lengths: dict[str, set[int]] = {}
    for key in keys:
        lengths.setdefault(key[0], set()).add(len(key))
    fuzzy_keys = frozenset(k for k, ps in keys.items() if len(k) >= _FUZZY_MIN_LEN and any(p.kind in OURS for p in ps))
    deletions: dict[str, list[str]] = {}
    for key in fuzzy_keys:
        for i in range(len(key)):
            deletions.setdefault(key[:i] + key[i + 1 :], []).append(key)
    return _Index(
        keys={k: tuple(v) for k, v in keys.items()},
        lengths={c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()},
        fuzzy_keys=fuzzy_keys,
        deletions={k: tuple(v) for k, v in deletions.items()},
        fuzzy_max=max(len(k) for k in fuzzy_keys),
        streets=streets,
        communities=communities,
    )


# Which reading of a name that has several (草市街: the street office or the road; 黄田坝: the street,
# its community or the area; 宽窄巷子: the community or the landmark) to take, best first.
_PREFERENCE = {
    ("street", False): 0,
    ("community", False): 1,
    ("street", True): 2,
    ("community", True): 3,
    ("landmark", False): 4,
    ("road", False): 5,
    ("outside", False): 6,
    ("other_area", False): 7,
    ("district", False): 8,
}


def _choose(places: tuple[Place, ...], house_number: str) -> Place:
    if house_number:
        for kind in ("road", "landmark"):
            for place in places:
                if place.kind == kind:
                    return place
    return min(places, key=lambda p: _PREFERENCE[(p.kind, p.bare)])


def _scan(folded: str) -> list[tuple[int, int]]:
    """Return the spans of gazetteer names in ``folded``, leftmost-longest, not overlapping."""
    idx = _index()
    keys, lengths = idx.keys, idx.lengths
    spans = []
    i, n = 0, len(folded)
    while i < n:
        for length in lengths.get(folded[i], ()):
            if folded[i : i + length] in keys:
                spans.append((i, i + length))
                i += length
                break
        else:
            i += 1
    return spans


def _hits(text: str, folded: str) -> list[PlaceHit]:
    keys = _index().keys
    hits = []
    for start, end in _scan(folded):
        places = keys[folded[start:end]]
        m = HOUSE_NUMBER_RE.match(folded, end)
        house = m.group().strip() if m else ""
        number_end = m.end() if m else end
        hits.append(PlaceHit(start, end, text[start:end], _choose(places, house), house, number_end, places))
    return hits


def find_places(text: str | None) -> list[PlaceHit]:
    """Return every place named in ``text`` (ours, district-level and outside ones), in text order."""
    if not text:
        return []
    return _hits(text, fold(text))


# --- deciding ------------------------------------------------------------------------------------------


def _grade(hit: PlaceHit) -> tuple[int, float, str]:
    """Return (rank: lower is better, confidence, reason) for one of our places."""
    p = hit.place
    if p.kind == "community":
        if p.bare:
            return 3, 0.85, f"community {p.name} (written without 社区)"
        return 1, 0.95, f"community {p.name}"
    if p.kind == "street":
        if p.bare:
            return 6, 0.7, f"street name {hit.text} (written without 街道)"
        return 2, 0.93, f"street office {p.name}"
    number = f", house number {hit.house_number}" if hit.house_number else ""
    if p.kind == "landmark":
        return 4, 0.85, f"landmark {p.name}{number}"
    if p.long:
        return 6, 0.65 if number else 0.6, f"road {p.name}{number}; a long road that crosses street boundaries"
    if number:
        return 4, 0.85, f"road {p.name}{number}"
    return 5, 0.75, f"road {p.name} (no house number)"


def _result(hit: PlaceHit, confidence: float, method: str, reason: str, others: list[PlaceHit]) -> AddressMatch:
    idx = _index()
    p = hit.place
    community = p.community_code
    if community is None:
        # A road or landmark that is also a community's name (宽窄巷子), or a community named elsewhere in the
        # address, gives the community too, when it is of the same street.
        readings = [q for q in hit.places if p.kind in ("road", "landmark")] + [q for o in others for q in o.places]
        for q in readings:
            if q.kind == "community" and q.street_code == p.street_code:
                community = q.community_code
                break
    return AddressMatch(
        street_code=p.street_code,
        street_name=idx.streets.get(p.street_code or "", ""),
        community_code=community,
        community_name=idx.communities.get(community or "", ""),
        matched=hit.text,
        confidence=round(min(confidence, 0.99), 2),
        method=method,
        reason=reason,
    )


def _best(ours: list[PlaceHit], scale: float) -> AddressMatch:
    idx = _index()
    graded = [(_grade(h), h) for h in ours]
    votes: dict[str | None, int] = {}
    for _g, h in graded:
        votes[h.place.street_code] = votes.get(h.place.street_code, 0) + 1
    (rank, confidence, reason), best = min(
        graded, key=lambda gh: (gh[0][0], -gh[0][1], -votes[gh[1].place.street_code], gh[1].start)
    )
    code = best.place.street_code
    others = [h for _g, h in graded if h is not best]
    disagree = sorted({h.place.street_code for h in others if h.place.street_code != code} - {None})
    if disagree:
        confidence *= 0.7
        names = ", ".join(f"{h.text} → {idx.streets.get(h.place.street_code or '', '')}" for h in others)
        reason += f"; conflicts with {names}"
    elif others:
        confidence += 0.04
        reason += "; confirmed by " + ", ".join(h.text for h in others)
    method = best.place.kind
    return _result(best, confidence * scale, method, reason, others)


def _decide(text: str, folded: str, hits: list[PlaceHit], *, free_text: bool) -> AddressMatch:
    ours = [h for h in hits if h.place.kind in OURS]
    areas = [h for h in hits if h.place.kind == "other_area"]
    outside = [h for h in hits if h.place.kind == "outside"]
    named_district = any(h.place.kind == "district" and h.place.name in G.IN_DISTRICT_NAMES for h in hits)
    # An address naming another district (and not ours) is outside, whatever road names it shares with ours
    # (many cities have a 光华路). In free text the places we know win: people mention where they came from.
    if areas and not named_district and not (free_text and ours):
        return _none(f"outside the district ({areas[0].place.name})", areas[0].text)
    if ours:
        return _best(ours, 0.9 if free_text else 1.0)
    if outside:
        return _none(f"outside the district ({outside[0].text}, {outside[0].place.where})", outside[0].text)
    if not free_text:
        fuzzy = _fuzzy(text, folded, hits)
        if fuzzy is not None:
            return fuzzy
    if free_text:
        return _none("no place of the district found")
    return _none("unknown address: only the district is named" if named_district else "unknown address")


# Generic endings of names: a typo must leave at least two characters of the name's own part (its stem) intact,
# so that 中华路 is not read as a typo of 青华路 while 太生南路 is one of 太升南路.
_GENERIC_ENDINGS = ("街道办事处", "办事处", "居委会", "街道", "社区", "公园", "大道", "路", "街", "巷", "段")


def _edit_at(a: str, b: str) -> int | None:
    """Return where in ``b`` the one edit turning ``a`` into ``b`` is, or None if they differ by more."""
    la, lb = len(a), len(b)
    if abs(la - lb) > 1 or a == b:
        return None
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        return i if a[i + 1 :] == b[i + 1 :] else None
    if la < lb:  # a character of ``b`` is missing from ``a``
        return i if a[i:] == b[i + 1 :] else None
    return i if a[i + 1 :] == b[i:] else None  # ``a`` has an extra character before b[i]


def _typo_of(window: str, key: str) -> bool:
    at = _edit_at(window, key)
    if at is None:
        return False
    stem = len(key)
    for ending in _GENERIC_ENDINGS:
        if key.endswith(ending) and len(key) > len(ending):
            stem = len(key) - len(ending)
            break
    return stem - (1 if at < stem else 0) >= 2


def _fuzzy(text: str, folded: str, hits: list[PlaceHit]) -> AddressMatch | None:
    idx = _index()
    taken = bytearray(len(folded))
    for h in hits:  # names already read (青羊区, 成都市 …) are not typos of ours (青羊宫 …)
        taken[h.start : h.end] = b"\x01" * (h.end - h.start)
    best: tuple[int, int, int, int, str] | None = None
    limit = min(len(folded), _FUZZY_SCAN)
    for i in range(limit):
        if taken[i] or not _is_cjk(folded[i]):
            continue
        for j in range(i + 1, min(len(folded), i + idx.fuzzy_max + 1) + 1):
            if taken[j - 1] or not _is_cjk(folded[j - 1]):
                break
            window = folded[i:j]
            if len(window) < _FUZZY_MIN_LEN:  # two characters are too little evidence for a typo
                continue
            candidates = list(idx.deletions.get(window, ()))  # a character missing
            for k in range(len(window)):
                shorter = window[:k] + window[k + 1 :]
                if shorter in idx.fuzzy_keys:  # a character too many
                    candidates.append(shorter)
                candidates.extend(key for key in idx.deletions.get(shorter, ()) if len(key) == len(window))
            for key in candidates:
                if _typo_of(window, key):
                    # Longest name first, then the earliest, then a window of the name's own length.
                    cand = (len(key), -i, -abs(len(window) - len(key)), j, key)
                    if best is None or cand[:3] > best[:3]:
                        best = cand
    if best is None:
        return None
    length, neg_start, _closeness, end, key = best
    start = -neg_start
    m = HOUSE_NUMBER_RE.match(folded, end)
    house = m.group().strip() if m else ""
    places = tuple(p for p in idx.keys[key] if p.kind in OURS)
    hit = PlaceHit(start, end, text[start:end], _choose(places, house), house, m.end() if m else end, places)
    _rank, confidence, reason = _grade(hit)
    factor = 0.65 if length <= 3 else 0.75
    return _result(hit, confidence * factor, "fuzzy", f"one-character typo of {key}: {reason}", [])


# --- public --------------------------------------------------------------------------------------------


def match_address(address: str | None) -> AddressMatch:
    """Return the street (and community) of an address in 青羊区, or method "none" with the reason."""
    if not address or not address.strip():
        return _none("empty address")
    folded = fold(address)
    return _decide(address, folded, _hits(address, folded), free_text=False)


def street_for_text(text: str | None) -> AddressMatch:
    """Return the street of the places named in free text (the best-ranked place wins; no typo tolerance)."""
    if not text or not text.strip():
        return _none("empty text")
    folded = fold(text)
    return _decide(text, folded, _hits(text, folded), free_text=True)


def street_names() -> dict[str, str]:
    """Return the street offices of the gazetteer: code → name."""
    return dict(_index().streets)
