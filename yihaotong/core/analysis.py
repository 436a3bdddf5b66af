"""Chinese text analysis shared by search, routing and duplicate detection (architecture.md §1: rjieba)."""

from __future__ import annotations

import re
import unicodedata

import rjieba

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[\w]+", re.UNICODE)


def normalise(text: str | None) -> str:
    """Fold full-width forms, lower-case Latin letters and collapse white space."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return _SPACE.sub(" ", text).strip().lower()


def tokens(text: str | None) -> list[str]:
    """Segment ``text`` into words (rjieba), dropping punctuation and white space."""
    text = normalise(text)
    if not text:
        return []
    return [t for t in rjieba.cut(text) if _WORD.fullmatch(t)]
