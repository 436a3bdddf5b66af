"""An in-memory BM25F index over sparse matrices (pure: numpy and scipy, no ORM).

Each article is analysed once into per-field term counts (title, phrasings, keywords, content) and kept;
the score matrix is rebuilt from those counts when articles change (vectorised: the analysis is the cost,
not the matrix). Scoring a query is one column slice of a precomputed doc × term matrix of BM25F weights
(the "eager" scoring of bm25s), so a query costs only its own terms. Two channels are summed: words
(rjieba, user dictionary, synonyms) and character bigrams (robust where segmentation differs between the
question and the article). See docs/decisions/0008-kb-search-engine.md for the measurements.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .analysis import Analyzer, bigrams, fold

FIELDS = ("title", "phrasings", "keywords", "content")
NO_DATE = 10**7  # an ordinal beyond any real date (date.max is 3652059)
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")


@dataclass(frozen=True)
class Params:
    """Ranking parameters (chosen on the dev splits: bench/kb.py, docs/decisions/0008)."""

    k1: float = 1.2
    weights: tuple[float, float, float, float] = (2.0, 2.0, 1.5, 1.0)  # title, phrasings, keywords, content
    b: tuple[float, float, float, float] = (0.5, 0.5, 0.3, 0.75)
    bigram_weight: float = 1.0  # the bigram channel's share, after both are scaled to their best score
    passage_chars: int = 220
    # The best passage's share (words and bigrams of each passage of ~``passage_chars``, title included).
    passage_weight: float = 1.0
    passage_b: float = 0.75


@dataclass
class DocMeta:
    """What filters and result lists need, kept beside the counts (no database read per query)."""

    category_id: int = 0
    category_name: str = ""
    owner_unit_id: int = 0
    owner_unit_name: str = ""
    material_type: str = ""
    is_public: bool = True
    effective_from: int = 0  # date ordinals; 0 / NO_DATE when open
    expires_on: int = NO_DATE
    next_review_on: int = NO_DATE
    issuing_unit: str = ""


@dataclass
class IndexDoc:
    """An article as the index sees it (plain text fields)."""

    id: int
    title: str
    content: str
    phrasings: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    meta: DocMeta = field(default_factory=DocMeta)


# One field of one document, encoded: term ids (in its channel's vocabulary) and their counts.
Encoded = tuple[np.ndarray, np.ndarray]


@dataclass
class _Analysed:
    doc: IndexDoc
    words: tuple[Encoded, ...]
    grams: tuple[Encoded, ...]
    passages: list[tuple[Encoded]] = field(default_factory=list)


def passages(text: str, size: int) -> list[tuple[int, int]]:
    """Split ``text`` into passages of about ``size`` characters at sentence ends: (start, end) offsets."""
    if len(text) <= size or size <= 0:
        return [(0, len(text))]
    out, start, pos = [], 0, 0
    for piece in _SENTENCE_END.split(text):
        pos += len(piece)
        if pos - start >= size:
            out.append((start, pos))
            start = pos
    if start < len(text):
        out.append((start, len(text)))
    return out


class _Channel:
    """One BM25F score matrix over one kind of term.

    The vocabulary only grows (ids stay valid for the encoded documents kept by the index); a build is
    vectorised over the encoded fields, so rebuilding after a patch costs numpy time, not Python loops
    over every term of every article.
    """

    def __init__(self, params: Params, weights: tuple[float, ...] | None = None, b: tuple[float, ...] | None = None):
        self.params = params
        self.weights = weights or params.weights
        self.b = b or params.b
        self.vocab: dict[str, int] = {}
        self.matrix = sparse.csc_matrix((0, 0), dtype=np.float32)

    def encode(self, terms) -> Encoded:
        counts = Counter(terms)
        vocab = self.vocab
        ids = np.empty(len(counts), dtype=np.int32)
        for i, term in enumerate(counts):
            tid = vocab.get(term)
            if tid is None:
                tid = vocab[term] = len(vocab)
            ids[i] = tid
        return ids, np.fromiter(counts.values(), dtype=np.float32, count=len(counts))

    def build(self, entries: list[tuple[Encoded, ...]]) -> None:
        p = self.params
        n = len(entries)
        n_terms = len(self.vocab)
        rows, cols, vals = [], [], []
        for f, (w, b) in enumerate(zip(self.weights, self.b, strict=True)):
            sizes = np.fromiter((len(e[f][0]) for e in entries), dtype=np.int64, count=n)
            if not sizes.sum():
                continue
            ids = np.concatenate([e[f][0] for e in entries])
            counts = np.concatenate([e[f][1] for e in entries]).astype(np.float64)
            row = np.repeat(np.arange(n), sizes)
            lengths = np.bincount(row, weights=counts, minlength=n)
            avg = lengths.mean() if lengths.mean() > 0 else 1.0
            norm = w / (1.0 - b + b * lengths / avg)
            rows.append(row)
            cols.append(ids)
            vals.append(counts * norm[row])
        if not rows:
            self.matrix = sparse.csc_matrix((n, n_terms), dtype=np.float32)
            return
        tf = sparse.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n_terms)
        ).tocsc()
        tf.sum_duplicates()
        df = np.diff(tf.indptr)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        col_of_value = np.repeat(np.arange(n_terms), df)
        tf.data = idf[col_of_value] * tf.data * (p.k1 + 1.0) / (p.k1 + tf.data)
        self.matrix = tf.astype(np.float32)

    def score(self, terms: list[str]) -> np.ndarray | None:
        n_built = self.matrix.shape[1]
        counts = Counter(t for t in terms if self.vocab.get(t, n_built) < n_built)
        if not counts:
            return None
        ids = [self.vocab[t] for t in counts]
        weights = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        return np.asarray(self.matrix[:, ids] @ weights).ravel()

    def idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        if tid is None or tid >= self.matrix.shape[1]:
            return 0.0
        n = self.matrix.shape[0]
        df = self.matrix.indptr[tid + 1] - self.matrix.indptr[tid]
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class SearchIndex:
    """Published articles, analysed, with their score matrices; ``upsert``/``remove`` then ``build``."""

    def __init__(self, analyzer: Analyzer | None = None, params: Params | None = None):
        self.analyzer = analyzer or Analyzer()
        self.params = params or Params()
        self._docs: dict[int, _Analysed] = {}
        self._words = _Channel(self.params)
        self._grams = _Channel(self.params)
        self._passages = _Channel(self.params, (1.0,), (self.params.passage_b,))
        self._passage_starts = np.zeros(0, dtype=np.int64)
        self._dirty = True
        self.ids = np.zeros(0, dtype=np.int64)
        self.version = 0
        self.analysis_version = 0

    def __len__(self) -> int:
        return len(self._docs)

    def _analyse(self, doc: IndexDoc) -> _Analysed:
        a = self.analyzer
        texts = (doc.title, "\n".join(doc.phrasings), " ".join(doc.keywords), doc.content)
        words = tuple(self._words.encode(a.words(t)) for t in texts)
        grams = tuple(self._grams.encode(bigrams(t)) for t in texts) if self.params.bigram_weight else ()
        parts = []
        if self.params.passage_weight:
            for start, end in passages(doc.content, self.params.passage_chars):
                text = doc.title + "\n" + doc.content[start:end]
                parts.append((self._passages.encode(a.words(text) + ["\x01" + g for g in bigrams(text)]),))
        return _Analysed(doc, words, grams, parts)

    def upsert(self, doc: IndexDoc) -> None:
        self._docs[doc.id] = self._analyse(doc)
        self._dirty = True

    def remove(self, doc_id: int) -> None:
        if self._docs.pop(doc_id, None) is not None:
            self._dirty = True

    def build(self) -> None:
        if not self._dirty:
            return
        analysed = list(self._docs.values())
        self._words.build([a.words for a in analysed])
        if self.params.bigram_weight:
            self._grams.build([a.grams for a in analysed])
        if self.params.passage_weight:
            rows = [p for a in analysed for p in a.passages]
            self._passages.build(rows)
            sizes = np.array([len(a.passages) for a in analysed], dtype=np.int64)
            self._passage_starts = np.concatenate(([0], np.cumsum(sizes)[:-1])) if len(sizes) else sizes
        self.ids = np.fromiter((a.doc.id for a in analysed), dtype=np.int64, count=len(analysed))
        self._rows = analysed
        m = [a.doc.meta for a in analysed]
        self.category_ids = np.array([x.category_id for x in m], dtype=np.int64)
        self.owner_unit_ids = np.array([x.owner_unit_id for x in m], dtype=np.int64)
        self.material_types = np.array([x.material_type for x in m], dtype=object)
        self.is_public = np.array([x.is_public for x in m], dtype=bool)
        self.effective_from = np.array([x.effective_from for x in m], dtype=np.int64)
        self.expires_on = np.array([x.expires_on for x in m], dtype=np.int64)
        self.next_review_on = np.array([x.next_review_on for x in m], dtype=np.int64)
        self._dirty = False

    def doc(self, row: int) -> IndexDoc:
        return self._rows[row].doc

    def query_terms(self, query: str) -> tuple[list[str], list[str]]:
        return self.analyzer.words(query), bigrams(query)

    def scores(self, query: str) -> np.ndarray:
        """Return a score for every row (0 where nothing matched)."""
        self.build()
        n = len(self.ids)
        words, grams = self.query_terms(query)
        total = np.zeros(n, dtype=np.float32)
        w = self._words.score(words)
        if w is not None and w.max() > 0:
            total += w / w.max()
        if self.params.bigram_weight:
            g = self._grams.score(grams)
            if g is not None and g.max() > 0:
                total += self.params.bigram_weight * (g / g.max())
        if self.params.passage_weight and n:
            p = self._passages.score(words + ["\x01" + g for g in grams])
            if p is not None and p.max() > 0:
                best = np.maximum.reduceat(p, self._passage_starts)
                total += self.params.passage_weight * (best / best.max())
        return total

    def coverage(self, row: int, query: str) -> float:
        """Return the share (idf-weighted) of the query's words that the row's article contains, 0 to 1.

        Ranking scores are relative to the best hit of each query; coverage says whether a hit really
        answers (dashboards count searches whose best hit covers little as "no useful result").
        """
        words = set(self.analyzer.words(query))
        if not words:
            return 0.0
        present = set(np.concatenate([ids for ids, _counts in self._rows[row].words]).tolist())
        n = len(self.ids)
        unseen = math.log(1.0 + (n + 0.5) / 0.5)  # a word no article has weighs like the rarest one
        vocab = self._words.vocab
        weights = {w: self._words.idf(w) or unseen for w in words}
        total = sum(weights.values())
        return sum(v for w, v in weights.items() if vocab.get(w, -1) in present) / total if total else 0.0

    def best_passage(self, row: int, query: str) -> tuple[int, int]:
        """Return the passage of the row's content that covers the query's rarest words best."""
        content = self.doc(row).content
        spans = passages(content, self.params.passage_chars)
        if len(spans) == 1:
            return spans[0]
        terms = set(self.analyzer.surface_words(query)) | set(bigrams(query))
        weights = {t: self._words.idf(self.analyzer.canonical.get(t, t)) or self._grams.idf(t) or 0.1 for t in terms}
        best, best_score = spans[0], -1.0
        for start, end in spans:
            part = fold(content[start:end])
            score = sum(w for t, w in weights.items() if t in part)
            if score > best_score:
                best, best_score = (start, end), score
        return best
