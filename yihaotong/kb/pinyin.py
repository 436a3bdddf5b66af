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
from collections.abc import Callable

from pypinyin import Style, lazy_pinyin

_LATIN = re.compile(r"[a-z]+")
_HAN = re.compile(r"[\u3400-\u9fff]{2,8}")
MAX_TOKEN = 40  # letters of one Latin token that are tried (longer ones are left alone)


class PinyinMap:
    """Toneless pinyin and initials → terms of the index's word vocabulary."""

    def __init__(self) -> None:
        self.full: dict[str, list[str]] = {}
        self.initials: dict[str, list[str]] = {}
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
        syllables = lazy_pinyin(word, style=Style.NORMAL, errors="ignore", v_to_u=False)
        if len(syllables) != len(word):
            return
        key = "".join(syllables)
        self.full.setdefault(key, []).append(term)
        self.longest = max(self.longest, len(key))
        self.initials.setdefault("".join(s[0] for s in syllables), []).append(term)

    def _best(self, terms: list[str], weight: Callable[[str], float]) -> str | None:
        best = max(terms, key=weight, default=None)
        return best if best is not None and weight(best) > 0 else None

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
