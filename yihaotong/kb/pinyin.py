"""Pinyin queries (pure: no ORM): ``shebao`` / ``she bao`` / ``sb`` / ``shebaojiaofei`` → 社保 (缴费).

Callers type pinyin when they cannot type the characters, and operators abbreviate with initials. The
index's own words (the vocabulary of its articles, and the surface forms of the KB's synonyms) are put
under their toneless pinyin and their initials; a Latin token of a query that no article contains is
replaced by the most frequent word (document frequency) under that pinyin, split into several words if
it runs them together, or, failing that, under those initials (two to four letters, as many characters).
Built lazily from the vocabulary on the first Latin query and extended as the vocabulary grows, so an
index that never sees a Latin query pays nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from pypinyin.pinyin_dict import pinyin_dict

_LATIN = re.compile(r"[a-z]+")
_HAN = re.compile(r"[\u3400-\u9fff]{2,8}")
MAX_TOKEN = 40  # letters of one Latin token that are tried (longer ones are left alone)


# Per process: each character's toneless readings (pypinyin's table, read once per character).
_CHAR: dict[str, tuple[str, ...]] = {}
MAX_SPELLINGS = 8  # spellings kept for a word whose characters have several readings (银行: yinhang, yinxing)


def _readings(ch: str) -> tuple[str, ...]:
    """Return the toneless readings of one character from pypinyin's table (ü as v, as keyboards type it)."""
    marked = pinyin_dict.get(ord(ch))
    if not marked:
        return ()
    out = []
    for reading in marked.split(","):
        plain = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
        out.append("".join(c for c in plain if c.isascii()))
    return tuple(dict.fromkeys(r for r in out if r))


def spellings(word: str) -> list[tuple[tuple[str, ...], int]]:
    """Return the toneless pinyin spellings of ``word`` (one syllable a character; [] if one has none),
    each with the number of its characters read in another than their usual reading.

    Every reading of a character of several readings is kept (up to ``MAX_SPELLINGS`` combinations), so
    the right one is among them without pypinyin's slower phrase dictionary; the rarer readings rank a
    word behind the words spelt with usual ones (sb: 社保 before 参保, 参 read shen).
    """
    out: list[tuple[tuple[str, ...], int]] = [((), 0)]
    for ch in word:
        readings = _CHAR.get(ch)
        if readings is None:
            readings = _CHAR[ch] = _readings(ch)
        if not readings:
            return []
        out = [((*head, r), rare + (i > 0)) for head, rare in out for i, r in enumerate(readings)]
        out = sorted(out, key=lambda x: x[1])[:MAX_SPELLINGS]
    return out


class PinyinMap:
    """Toneless pinyin and initials → terms of the index's word vocabulary."""

    def __init__(self) -> None:
        # key → [(term, rare readings)]
        self.full: dict[str, list[tuple[str, int]]] = {}
        self.initials: dict[str, list[tuple[str, int]]] = {}
        self.longest = 0
        self._seen = 0
        self._surface: dict[str, str] = {}  # synonym surface form → its canonical term (done once)

    def extend(self, vocab: dict[str, int], canonical: dict[str, str]) -> None:
        """Add the vocabulary's terms added since the last call (ids only grow), and the synonyms' forms."""
        if len(vocab) > self._seen:
            for term, tid in vocab.items():
                if tid >= self._seen and _HAN.fullmatch(term):
                    self._add(term, term)
            self._seen = len(vocab)
        for surface, canon in canonical.items():
            if surface != canon and canon in vocab and surface not in self._surface and _HAN.fullmatch(surface):
                self._surface[surface] = canon
                self._add(surface, canon)

    def _add(self, word: str, term: str) -> None:
        for spelt, rare in spellings(word):
            key = "".join(spelt)
            self.full.setdefault(key, []).append((term, rare))
            self.longest = max(self.longest, len(key))
            self.initials.setdefault("".join(s[0] for s in spelt), []).append((term, rare))

    def _best(self, terms: list[tuple[str, int]], weight: Callable[[str], float]) -> str | None:
        """Return the term in the index spelt with the usual readings, then the one most articles have."""
        found = [(rare, -w, term) for term, rare in terms if (w := weight(term)) > 0]
        return min(found)[2] if found else None

    def convert(self, token: str, weight: Callable[[str], float]) -> list[str]:
        """Return the terms that ``token`` spells (empty when it spells nothing the index knows)."""
        if not token or len(token) > MAX_TOKEN:
            return []
        direct = self.full.get(token)
        if direct:
            best = self._best(direct, weight)
            return [best] if best is not None else []
        # Words run together (shebaojiaofei): the split into the fewest known words.
        n = len(token)
        best_split: list[list[str] | None] = [None] * (n + 1)
        best_split[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - self.longest), end):
                head = best_split[start]
                if head is None:
                    continue
                ids = self.full.get(token[start:end])
                term = self._best(ids, weight) if ids else None
                if term is None:
                    continue
                if best_split[end] is None or len(head) + 1 < len(best_split[end]):
                    best_split[end] = [*head, term]
        if best_split[n]:
            return best_split[n]
        if 2 <= n <= 4:
            ids = self.initials.get(token)
            best = self._best(ids, weight) if ids else None
            if best is not None:
                return [best]
        return []


def latin_tokens(text: str) -> list[re.Match]:
    return list(_LATIN.finditer(text))
