"""The knowledge base's Chinese analyser (pure: no ORM).

rjieba with the KB's user dictionary in a segmenter of its own (the shared one of ``core.analysis`` stays
untouched), traditional characters folded to simplified, synonyms mapped to the first term of their group,
and character bigrams of the Chinese runs as a second, segmentation-proof feature. Documents and queries
go through the same steps, so a synonym or a dictionary word works on both sides at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import rjieba

from yihaotong.core.analysis import normalise
from yihaotong.routing.data.hanzi import T2S

_FOLD = str.maketrans(T2S)
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_DIGIT = re.compile(r"[a-z0-9]+")

# Function words and the words of asking (怎么办理 / 如何 / 哪些): they say nothing about the subject.
_STOP_TEXT = (
    "的 了 吗 呢 吧 啊 和 与 及 或 是 在 有 我 你 他 她 它 们 "
    "我们 你们 这 那 这个 那个 就 都 也 还 又 要 会 能 可以 可 请问 "
    "请 问 想 怎么 怎样 怎么样 如何 什么 哪些 哪个 哪里 哪儿 多少 几 "
    "么 是否 为什么 一下 一个 之 其 该 对 把 被 给 让 向 从 到 以 "
    "为 于 上 下 中 等 个 所 着 过 得 地 啦 嘛 呀 哦 呐 而 并 但 "
    "如果 因为 所以 "
)
STOPWORDS = frozenset(_STOP_TEXT.split())


def fold(text: str | None) -> str:
    """Normalise (NFKC, lower case, spaces) and fold traditional characters to simplified."""
    return normalise(text).translate(_FOLD)


class Analyzer:
    """Segment text into index terms with a user dictionary and synonym groups."""

    def __init__(self, words: Iterable[str] = (), synonym_groups: Iterable[Iterable[str]] = ()):
        self._jieba = rjieba.Jieba()
        self.canonical: dict[str, str] = {}
        for word in words:
            word = fold(word)
            if word:
                self._jieba.add_word(word, None, None)
        for group in synonym_groups:
            terms = [fold(t) for t in group if fold(t)]
            if len(terms) < 2:
                continue
            for term in terms:
                self._jieba.add_word(term, None, None)
                self.canonical.setdefault(term, terms[0])

    def surface_words(self, text: str | None) -> list[str]:
        """Return the words of ``text`` as written (folded), for highlighting; no stopwords."""
        text = fold(text)
        if not text:
            return []
        return [t for t in self._jieba.cut(text) if _WORD.fullmatch(t) and t not in STOPWORDS]

    def words(self, text: str | None) -> list[str]:
        """Return the word terms of ``text`` (precise segmentation), synonyms mapped, no stopwords.

        Sub-words are left to the bigram channel: precise ``cut`` ranked better than ``cut_for_search``
        on both dev sets (docs/decisions/0008).
        """
        canonical = self.canonical
        return [canonical.get(t, t) for t in self.surface_words(text)]

    def parts(self, word: str) -> list[str]:
        """Return the dictionary sub-words of ``word`` (for a query word the index has never seen)."""
        subs = [t for t in self._jieba.cut_for_search(word) if t != word and len(t) >= 2]
        if not subs:  # no dictionary word of two characters or more inside: the words without new-word guessing
            subs = [t for t in self._jieba.cut(word, False) if t != word and t not in STOPWORDS]
        canonical = self.canonical
        return [canonical.get(t, t) for t in subs if _WORD.fullmatch(t)]

    def synonyms_of(self, term: str) -> list[str]:
        """Return the surface forms that map to the same canonical term (for highlighting)."""
        canon = self.canonical.get(term, term)
        return [t for t, c in self.canonical.items() if c == canon] or [term]


# Characters that carry no subject on their own (the unigram channel skips them).
_UNIGRAM_STOP = frozenset(
    "的了吗呢吧啊和与及或是在有我你他她它们这那就都也还又要会能可请问想怎么样如何什哪些个里儿多少几之其该对把被给让向从到以为于"
    "上下中等所着过得地啦嘛呀哦而并但果因"
)


def unigrams(text: str | None, *, folded: bool = False) -> list[str]:
    """Return the Chinese characters of ``text`` that can carry meaning (the unigram channel's terms).

    A third, weak channel under words and bigrams: it matches where a question and an article share
    a character but no word or bigram (雾 in 大雾 / 雾灯, 震 in 震中 / 地震).
    """
    text = text if folded else fold(text)
    return [c for c in text if "\u3400" <= c <= "\u9fff" and c not in _UNIGRAM_STOP]


def bigrams(text: str | None, *, folded: bool = False) -> list[str]:
    """Return the character bigrams of the Chinese runs (single characters stand alone) and Latin words."""
    text = text if folded else fold(text)
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    out.extend(_LATIN_DIGIT.findall(text))
    return out
