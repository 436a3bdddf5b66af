"""An in-memory BM25F index over sparse matrices (pure: numpy and scipy, no ORM).

Each article is analysed once into per-field term counts (title, phrasings, keywords, content) and kept;
the score matrix is rebuilt from those counts when articles change (vectorised: the analysis is the cost,
not the matrix). Scoring a query is one column slice of a precomputed doc × term matrix of BM25F weights
(the "eager" scoring of bm25s), so a query costs only its own terms. Channels are summed: words
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

from .analysis import Analyzer, bigrams, fold, unigrams
from .pinyin import PinyinMap, latin_tokens

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
    # Single characters (analysis.unigrams), a weak fourth channel: +0.5 to +0.9 points R@1 on both sets.
    unigram_weight: float = 0.5
    # A query word the index has never seen (陕西省政府, 企稳岗) is replaced by its dictionary sub-words.
    split_unknown: bool = True


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
    unis: tuple[Encoded, ...] = ()
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

    def __init__(
        self,
        params: Params,
        weights: tuple[float, ...] | None = None,
        b: tuple[float, ...] | None = None,
        vocab: dict[str, int] | None = None,
    ):
        self.params = params
        self.weights = weights or params.weights
        self.b = b or params.b
        self.vocab: dict[str, int] = {} if vocab is None else vocab
        self.matrix = sparse.csc_matrix((0, 0), dtype=np.float32)
        # Collection statistics of the last build: documents, average field lengths, document frequencies.
        self.n = 0
        self.avg: list[float] = [1.0] * len(self.weights)
        self.df = np.zeros(0, dtype=np.int64)

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

    def build(self, entries: list[tuple[Encoded, ...]], stats: _Channel | None = None) -> None:
        """Build the matrix of ``entries``; with ``stats``, weigh them by that channel's collection statistics.

        The delta segment of recent changes is built with the statistics of the last full build, so a
        patch never touches the big matrix (the statistics drift a little until the next full build).
        """
        p = self.params
        n = len(entries)
        n_terms = len(self.vocab)
        avgs = []
        rows, cols, vals = [], [], []
        for f, (w, b) in enumerate(zip(self.weights, self.b, strict=True)):
            sizes = np.fromiter((len(e[f][0]) for e in entries), dtype=np.int64, count=n)
            if not sizes.sum():
                avgs.append(stats.avg[f] if stats is not None else 1.0)
                continue
            ids = np.concatenate([e[f][0] for e in entries])
            counts = np.concatenate([e[f][1] for e in entries]).astype(np.float64)
            row = np.repeat(np.arange(n), sizes)
            lengths = np.bincount(row, weights=counts, minlength=n)
            if stats is not None:
                avg = stats.avg[f]
            else:
                avg = lengths.mean() if lengths.mean() > 0 else 1.0
            avgs.append(avg)
            norm = w / (1.0 - b + b * lengths / avg)
            rows.append(row)
            cols.append(ids)
            vals.append(counts * norm[row])
        if not rows:
            self.matrix = sparse.csc_matrix((n, n_terms), dtype=np.float32)
            self.n, self.avg, self.df = n, avgs, np.zeros(n_terms, dtype=np.int64)
            return
        tf = sparse.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n_terms)
        ).tocsc()
        tf.sum_duplicates()
        own_df = np.diff(tf.indptr)
        if stats is not None:
            df = np.zeros(n_terms, dtype=np.int64)
            df[: len(stats.df)] = stats.df
            n_docs = max(stats.n, 1)
        else:
            df, n_docs = own_df, n
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        col_of_value = np.repeat(np.arange(n_terms), own_df)
        tf.data = idf[col_of_value] * tf.data * (p.k1 + 1.0) / (p.k1 + tf.data)
        self.matrix = tf.astype(np.float32)
        self.n, self.avg, self.df = n_docs, avgs, df

    def scores_or_zeros(self, terms: list[str], n: int) -> np.ndarray:
        found = self.score(terms) if n else None
        return found if found is not None else np.zeros(n, dtype=np.float32)

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
        if tid is None or tid >= len(self.df):
            return 0.0
        df = self.df[tid]
        return math.log(1.0 + (self.n - df + 0.5) / (df + 0.5))


class SearchIndex:
    """Published articles, analysed, with their score matrices; ``upsert``/``remove`` then ``build``.

    Two segments: the base (every article at the last full build) and a delta of the articles changed
    since, built alone against the base's statistics. A changed or removed article's base row is masked.
    A patch costs the delta's size; the base is rebuilt when the delta passes ``DELTA_SHARE`` of it, and on
    every change while the index is small (``DELTA_BASE_MIN``), where exact statistics cost little.
    """

    DELTA_MIN = 200
    DELTA_SHARE = 0.05
    # Below this many articles a full build is cheap (~0.2 s) and keeps exact statistics: no delta.
    DELTA_BASE_MIN = 2000

    def __init__(self, analyzer: Analyzer | None = None, params: Params | None = None):
        self.analyzer = analyzer or Analyzer()
        self.params = params or Params()
        self._docs: dict[int, _Analysed] = {}
        p = self.params
        self._words = _Channel(p)
        self._grams = _Channel(p)
        self._passages = _Channel(p, (1.0,), (p.passage_b,))
        self._unis = _Channel(p)
        self._delta_words = _Channel(p, vocab=self._words.vocab)
        self._delta_grams = _Channel(p, vocab=self._grams.vocab)
        self._delta_passages = _Channel(p, (1.0,), (p.passage_b,), vocab=self._passages.vocab)
        self._delta_unis = _Channel(p, vocab=self._unis.vocab)
        self._base_rows: list[_Analysed] = []
        self._base_pos: dict[int, int] = {}
        self._delta: dict[int, _Analysed] = {}
        self._dead: set[int] = set()  # base rows replaced or removed since the full build
        self._base_built = False
        self._dirty = True
        self.ids = np.zeros(0, dtype=np.int64)
        self._rows: list[_Analysed] = []
        self.version = 0
        self.analysis_version = 0
        self._pinyin: PinyinMap | None = None

    def __len__(self) -> int:
        return len(self._docs)

    def _analyse(self, doc: IndexDoc) -> _Analysed:
        a = self.analyzer
        texts = (doc.title, "\n".join(doc.phrasings), " ".join(doc.keywords), doc.content)
        words = tuple(self._words.encode(a.words(t)) for t in texts)
        grams = tuple(self._grams.encode(bigrams(t)) for t in texts) if self.params.bigram_weight else ()
        unis = tuple(self._unis.encode(unigrams(t)) for t in texts) if self.params.unigram_weight else ()
        parts = []
        if self.params.passage_weight:
            for start, end in passages(doc.content, self.params.passage_chars):
                text = doc.title + "\n" + doc.content[start:end]
                parts.append((self._passages.encode(a.words(text) + ["\x01" + g for g in bigrams(text)]),))
        return _Analysed(doc, words, grams, unis, parts)

    def upsert(self, doc: IndexDoc) -> None:
        analysed = self._docs[doc.id] = self._analyse(doc)
        if self._base_built:
            if doc.id in self._base_pos:
                self._dead.add(self._base_pos[doc.id])
            self._delta[doc.id] = analysed
        self._dirty = True

    def remove(self, doc_id: int) -> None:
        if self._docs.pop(doc_id, None) is None:
            return
        if self._base_built:
            if doc_id in self._base_pos:
                self._dead.add(self._base_pos[doc_id])
            self._delta.pop(doc_id, None)
        self._dirty = True

    @staticmethod
    def _passage_starts(rows: list[_Analysed]) -> np.ndarray:
        sizes = np.array([len(a.passages) for a in rows], dtype=np.int64)
        return np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64) if len(sizes) else sizes

    def _build_segment(self, rows: list[_Analysed], words, grams, parts, unis, stats):
        words.build([a.words for a in rows], stats=self._words if stats else None)
        if self.params.bigram_weight:
            grams.build([a.grams for a in rows], stats=self._grams if stats else None)
        if self.params.unigram_weight:
            unis.build([a.unis for a in rows], stats=self._unis if stats else None)
        if self.params.passage_weight:
            parts.build([p for a in rows for p in a.passages], stats=self._passages if stats else None)

    def build(self) -> None:
        if not self._dirty:
            return
        changed = len(self._delta) + len(self._dead)
        if (
            not self._base_built
            or len(self._base_rows) < self.DELTA_BASE_MIN
            or changed > max(self.DELTA_MIN, self.DELTA_SHARE * len(self._base_rows))
        ):
            self._base_rows = list(self._docs.values())
            self._base_pos = {a.doc.id: i for i, a in enumerate(self._base_rows)}
            self._delta, self._dead = {}, set()
            self._build_segment(self._base_rows, self._words, self._grams, self._passages, self._unis, stats=False)
            self._base_starts = self._passage_starts(self._base_rows)
            self._base_built = True
        delta_rows = list(self._delta.values())
        self._build_segment(
            delta_rows, self._delta_words, self._delta_grams, self._delta_passages, self._delta_unis, stats=True
        )
        self._delta_starts = self._passage_starts(delta_rows)
        rows = self._base_rows + delta_rows
        self._n_base = len(self._base_rows)
        self._rows = rows
        self.ids = np.fromiter((a.doc.id for a in rows), dtype=np.int64, count=len(rows))
        self._live = np.ones(len(rows), dtype=bool)
        if self._dead:
            self._live[list(self._dead)] = False
        m = [a.doc.meta for a in rows]
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

    def _known(self, term: str) -> bool:
        tid = self._words.vocab.get(term)
        return tid is not None and (tid >= len(self._words.df) or self._words.df[tid] > 0)

    def _weight(self, term: str) -> float:
        tid = self._words.vocab.get(term)
        if tid is None:
            return 0.0
        return float(self._words.df[tid]) if tid < len(self._words.df) else 1.0

    def rewrite(self, query: str) -> str:
        """Return ``query`` with pinyin spelt as the index's words (``shebao`` → 社保); else unchanged.

        Only Latin tokens that no article contains are read as pinyin (pinyin.py); the result is folded.
        """
        text = fold(query)
        unknown = [m for m in latin_tokens(text) if not self._known(m.group())]
        if not unknown:
            return query
        self.build()
        if self._pinyin is None:
            self._pinyin = PinyinMap()
        self._pinyin.extend(self._words.vocab, self.analyzer.canonical)
        # Runs of tokens apart only by spaces (she bao) are tried joined first, then one by one.
        runs: list[list] = []
        for m in unknown:
            if runs and not text[runs[-1][-1].end() : m.start()].strip():
                runs[-1].append(m)
            else:
                runs.append([m])
        out, pos = [], 0
        for run in runs:
            joined = self._pinyin.convert("".join(m.group() for m in run), self._weight)
            pieces = [(run[0].start(), run[-1].end(), joined)] if joined else []
            if not joined:
                pieces = [(m.start(), m.end(), self._pinyin.convert(m.group(), self._weight)) for m in run]
            for start, end, terms in pieces:
                if terms:
                    out += [text[pos:start], " ", " ".join(terms), " "]
                    pos = end
        out.append(text[pos:])
        return " ".join("".join(out).split()) if pos else query

    def query_terms(self, query: str) -> tuple[list[str], list[str]]:
        """Return the query's word terms and bigrams.

        With ``split_unknown`` a word of three characters or more that no article has (the segmenter
        guessed it: 陕西省政府, 企稳岗) is replaced by its dictionary sub-words that articles do have.
        """
        words = self.analyzer.words(query)
        if self.params.split_unknown:
            out = []
            for w in words:
                if len(w) < 3 or self._known(w):
                    out.append(w)
                    continue
                parts = [t for t in self.analyzer.parts(w) if self._known(t)]
                out.extend(parts or [w])
            words = out
        return words, bigrams(query)

    def _channel_scores(self, base: _Channel, delta: _Channel, terms: list[str]) -> np.ndarray:
        nb, nd = self._n_base, len(self._rows) - self._n_base
        return np.concatenate([base.scores_or_zeros(terms, nb), delta.scores_or_zeros(terms, nd)])

    def _passage_scores(self, terms: list[str]) -> np.ndarray:
        nb, nd = self._n_base, len(self._rows) - self._n_base
        out = []
        for channel, starts, n in (
            (self._passages, self._base_starts, nb),
            (self._delta_passages, self._delta_starts, nd),
        ):
            p = channel.score(terms) if n else None
            out.append(np.maximum.reduceat(p, starts) if p is not None else np.zeros(n, dtype=np.float32))
        return np.concatenate(out)

    def scores(self, query: str) -> np.ndarray:
        """Return a score for every row (0 where nothing matched, and for replaced or removed rows)."""
        self.build()
        n = len(self.ids)
        total = np.zeros(n, dtype=np.float32)
        if not n:
            return total
        words, grams = self.query_terms(query)
        parts = [(1.0, self._channel_scores(self._words, self._delta_words, words))]
        if self.params.bigram_weight:
            parts.append((self.params.bigram_weight, self._channel_scores(self._grams, self._delta_grams, grams)))
        if self.params.passage_weight:
            parts.append((self.params.passage_weight, self._passage_scores(words + ["\x01" + g for g in grams])))
        for weight, score in parts:
            score = np.where(self._live, score, 0.0)
            best = score.max()
            if best > 0:
                total += weight * (score / best)
        chars = sorted(set(unigrams(query)))
        if self.params.unigram_weight and chars:
            score = self._channel_scores(self._unis, self._delta_unis, chars)
            # Single characters re-rank what a word, a bigram or a passage matched. A row that only they
            # match must share at least half of the query's characters: 浓雾 finds 雾天出行, but a noise
            # complaint (楼上深夜噪音扰民) is not offered the medical-insurance article (居民) for one 民.
            alone = (total == 0) & (score > 0)
            if alone.any():
                shared = sum(
                    (self._channel_scores(self._unis, self._delta_unis, [c]) > 0).astype(np.int16) for c in chars
                )
                score = np.where(alone & (shared * 2 < len(chars)), 0.0, score)
            score = np.where(self._live, score, 0.0)
            best = score.max()
            if best > 0:
                total += self.params.unigram_weight * (score / best)
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
