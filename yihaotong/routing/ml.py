"""The text classifier behind routing suggestions (request type, category, lead unit).

Pure: scikit-learn, numpy and the shared text analysis (rjieba); no ORM, no Django. The same class is
trained by ``actions.do_train_router_models`` on the district's closed orders and by ``eval-routing`` on
CSV files, so the figures of ``bench/routing.py`` are those of production (docs/decisions/0007).

Pipeline (chosen by measurement on the dev splits, see 0007):

- text: NFKC, lower case, white space folded, digit runs of 5 or more (phone, ID and card numbers) replaced
  by ``#``, capped at ``max_chars`` characters (a matter is stated at the start; the cap bounds latency);
- features: character 1–3-gram TF-IDF (sublinear tf) beside rjieba word unigram + bigram TF-IDF, side by side;
- model: one-vs-rest linear SVM (liblinear) with balanced class weights; C chosen from ``c_grid`` on a
  stratified hold-out of the training data (never on the evaluation data);
- confidences: softmax of the SVM scores with one temperature fitted on the same hold-out (temperature
  scaling: it keeps the ranking and makes the top-3 confidences honest);
- explanations: for a predicted class, the input's rjieba words ranked by their share of that class's score
  (the word's own weight plus the weights of the character n-grams inside it).
"""

from __future__ import annotations

import io
import math
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from yihaotong.core.analysis import normalise, tokens

# Bump when the pickled layout changes: an older blob then fails to load with a clear reason (retrain).
FORMAT = 1

_LONG_DIGITS = re.compile(r"\d{5,}")
_CJK = re.compile(r"[\u3400-\u9fff]")
_HAS_WORD_CHAR = re.compile(r"\w")
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's vectorizers fold white space


# The figures of ``evaluate`` (and of ``eval-routing``), in this order.
EVAL_KEYS = ("n", "macro_f1", "accuracy", "top3_accuracy", "train_s", "p50_ms", "p95_ms")


class TrainingError(ValueError):
    """The data cannot train a model (too few examples or classes, nothing but punctuation …)."""


@dataclass(frozen=True)
class ModelConfig:
    """The knobs of the pipeline; the defaults are the variant chosen in docs/decisions/0007."""

    char_ngram: tuple[int, int] = (1, 3)
    char_max_features: int | None = 200_000
    word_ngram: tuple[int, int] | None = (1, 2)  # None: no word features
    word_max_features: int | None = 100_000
    min_df: int = 2
    sublinear_tf: bool = True
    c_grid: tuple[float, ...] = (0.3, 1.0)
    class_weight: str | None = "balanced"
    max_chars: int = 1000
    holdout: float = 0.2
    max_weights: int = 2_000_000  # larger weight matrices keep only their largest weights (memory, blob size)
    grid_max_classes: int = 20  # more classes: no C grid (one hold-out fit with the last C), to bound training time
    seed: int = 0
    # NB-SVM beside the SVM (standardised scores added; one linear model at prediction time), see 0007;
    # not for models with more than nbsvm_max_classes classes (it doubles the training time).
    nbsvm: bool = True
    nb_c: float = 0.3
    nb_alpha: float = 1.0
    nbsvm_max_classes: int = 20

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    words: list[str] = field(default_factory=list)


def prepare(text: str | None, max_chars: int = 1000) -> str:
    """Return the text as the classifier reads it (normalised, long numbers masked, capped)."""
    # Cap before normalising too: a 50,000-character paste must not cost 50,000 characters of work.
    text = normalise((text or "")[: max_chars * 2])
    return _LONG_DIGITS.sub("#", text)[:max_chars]


def has_content(text: str) -> bool:
    """Return whether ``text`` has anything a classifier can read (a letter, a digit or a CJK character)."""
    return bool(_HAS_WORD_CHAR.search(text or ""))


class WordAnalyzer:
    """rjieba words (and word n-grams) for the word vectorizer; a class so that the model pickles."""

    def __init__(self, ngram: tuple[int, int] = (1, 1)):
        self.ngram = tuple(ngram)

    def __call__(self, text: str) -> list[str]:
        return self.grams(tokens(text))

    def grams(self, words: list[str]) -> list[str]:
        """Return the word n-grams of already segmented ``words``."""
        lo, hi = self.ngram
        if hi <= 1:
            return words
        out = list(words) if lo <= 1 else []
        for n in range(max(2, lo), hi + 1):
            out.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
        return out


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / max(temperature, 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, y_index: np.ndarray) -> float:
    """Return the softmax temperature that minimises the log loss of ``scores`` on the true classes."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(y_index))

    def nll(log_t: float) -> float:
        p = _softmax(scores, math.exp(log_t))[rows, y_index]
        return float(-np.log(np.clip(p, 1e-12, 1.0)).mean())

    # At least 0.1: a small, perfectly separated hold-out would otherwise drive the temperature to 0 and
    # every confidence to 1.0 (measured: 0.2 on the routing data, 0.5 on the request-type data).
    best = minimize_scalar(nll, bounds=(math.log(0.1), math.log(10.0)), method="bounded")
    return float(math.exp(best.x))


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(list(y_true), list(y_pred), average="macro", zero_division=0))


class TextClassifier:
    """Character + word TF-IDF, linear SVM, temperature-scaled confidences, per-word explanations."""

    format = FORMAT

    def __init__(self, config: ModelConfig | None = None):
        self.config = config or ModelConfig()
        self.classes_: np.ndarray | None = None
        self.metrics: dict = {}

    # --- features ---------------------------------------------------------------------------------------

    def _vectorizers(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        cfg = self.config
        char = TfidfVectorizer(
            analyzer="char",
            ngram_range=tuple(cfg.char_ngram),
            min_df=cfg.min_df,
            max_features=cfg.char_max_features,
            sublinear_tf=cfg.sublinear_tf,
            lowercase=False,
            dtype=np.float32,
        )
        word = None
        if cfg.word_ngram:
            word = TfidfVectorizer(
                analyzer=WordAnalyzer(cfg.word_ngram),
                min_df=1,
                max_features=cfg.word_max_features,
                sublinear_tf=cfg.sublinear_tf,
                lowercase=False,
                dtype=np.float32,
            )
        return char, word

    def _row(self, prepared: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Return one text's feature row (indices, values) and its rjieba words: the single-text path of ``top``.

        Computes what the fitted vectorizers' ``transform`` computes (the same n-grams, sublinear tf, idf and
        L2 norm per block) without scikit-learn's per-call validation, which was two thirds of a
        prediction's time (measured, docs/decisions/0007); ``tests/routing`` checks that both agree.
        """
        blocks: list[tuple[np.ndarray, np.ndarray]] = []
        char = self.char_vec_
        text = _WHITE_SPACES.sub(" ", prepared)
        lo, hi = char.ngram_range
        vocab = char.vocabulary_
        counts: dict[int, int] = {}
        for n in range(lo, min(hi, len(text)) + 1):
            for i in range(len(text) - n + 1):
                index = vocab.get(text[i : i + n])
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
        blocks.append(self._tfidf_block(counts, char.idf_, 0))
        words = tokens(prepared)
        if self.word_vec_ is not None:
            vocab = self.word_vec_.vocabulary_
            counts = {}
            for gram in self.word_vec_.analyzer.grams(words):
                index = vocab.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            blocks.append(self._tfidf_block(counts, self.word_vec_.idf_, self.n_char_))
        return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]), words

    def _weight_rows(self, indices: np.ndarray) -> np.ndarray:
        """Return the weights of the features ``indices`` as a dense (features × classes) array.

        Gathers the rows of the sparse ``Wt_`` directly: scipy's product with a one-row matrix converted the
        whole weight matrix's index arrays at every call (measured: most of a prediction's time).
        """
        Wt = self.Wt_
        starts = Wt.indptr[indices].astype(np.int64)
        lengths = Wt.indptr[indices + 1].astype(np.int64) - starts
        total = int(lengths.sum())
        out = np.zeros((len(indices), Wt.shape[1]), dtype=np.float64)
        if total:
            rows = np.repeat(np.arange(len(indices)), lengths)
            offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
            out[rows, Wt.indices[offsets]] = Wt.data[offsets]
        return out

    def _tfidf_block(self, counts: dict[int, int], idf: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray]:
        if not counts:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
        indices = np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))
        tf = np.fromiter((counts[i] for i in indices.tolist()), dtype=np.float64, count=len(indices))
        if self.config.sublinear_tf:
            tf = np.log(tf) + 1.0
        values = tf * idf[indices]
        norm = math.sqrt(float(values @ values))
        return indices + offset, values / norm if norm > 0 else values

    def _transform(self, prepared: Sequence[str]) -> sp.csr_matrix:
        blocks = [self.char_vec_.transform(prepared)]
        if self.word_vec_ is not None:
            blocks.append(self.word_vec_.transform(prepared))
        return sp.hstack(blocks, format="csr", dtype=np.float32) if len(blocks) > 1 else blocks[0].tocsr()

    # --- training -----------------------------------------------------------------------------------------

    def _fit_parts(self, X: sp.csr_matrix, y: np.ndarray, c: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """Fit the linear models whose standardised scores are added up: the SVM, and NB-SVM when configured."""
        parts = [self._fit_linear(X, y, c)]
        if self.config.nbsvm and len(self.classes_) <= self.config.nbsvm_max_classes:
            parts.append(self._fit_nbsvm(X, y))
        return parts

    @staticmethod
    def _combine(parts: list[tuple[np.ndarray, np.ndarray]], scales: list[float]) -> tuple[np.ndarray, np.ndarray]:
        """Return one linear model: the sum of the parts' weights and intercepts, each divided by its score scale."""
        W = sum(p[0].astype(np.float64) / s for p, s in zip(parts, scales, strict=True))
        b = sum(p[1] / s for p, s in zip(parts, scales, strict=True))
        return np.asarray(W, dtype=np.float32), np.asarray(b, dtype=np.float64)

    def _fit_nbsvm(self, X: sp.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """NB-SVM (Wang & Manning 2012): per class, a binary linear SVM on the features scaled by their
        naive-Bayes log-count ratio (class vs rest, on feature presence); folded back into plain weights
        (ratio × SVM weight), so that prediction stays one sparse dot product."""
        from sklearn.svm import LinearSVC

        cfg = self.config
        present = X.copy()
        present.data[:] = 1.0
        total = np.asarray(present.sum(axis=0)).ravel()
        W = np.zeros((len(self.classes_), X.shape[1]), dtype=np.float32)
        b = np.full(len(self.classes_), -10.0)
        for row, label in enumerate(self.classes_):
            mask = y == label
            if not mask.any() or mask.all():
                continue
            p = np.asarray(present[mask].sum(axis=0)).ravel() + cfg.nb_alpha
            q = total - p + 2 * cfg.nb_alpha
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=cfg.nb_c, class_weight=cfg.class_weight, random_state=cfg.seed)
            svm.fit(X.multiply(ratio).tocsr(), mask.astype(int))
            W[row], b[row] = svm.coef_[0] * ratio, svm.intercept_[0]
        return W, b

    def _fit_linear(self, X: sp.csr_matrix, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
        """Fit the one-vs-rest linear SVM; return (weights, intercepts) with a row per class of ``classes_``.

        A class absent from ``y`` (a hold-out split) gets zero weights and a low intercept. (Threads do not
        speed liblinear up here: measured slower than its own one-vs-rest loop, see 0007.)
        """
        from sklearn.svm import LinearSVC

        cfg = self.config
        svm = LinearSVC(C=c, class_weight=cfg.class_weight, random_state=cfg.seed).fit(X, y)
        rows = np.searchsorted(self.classes_, svm.classes_)
        W = np.zeros((len(self.classes_), X.shape[1]), dtype=np.float32)
        b = np.full(len(self.classes_), -10.0)
        if len(svm.classes_) == 2:  # binary: the second class scores +s, the first -s
            W[rows[1]], W[rows[0]] = svm.coef_[0], -svm.coef_[0]
            b[rows[1]], b[rows[0]] = svm.intercept_[0], -svm.intercept_[0]
        else:
            W[rows], b[rows] = svm.coef_, svm.intercept_
        return W, b

    @staticmethod
    def _scores(W: np.ndarray, b: np.ndarray, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(X @ W.T, dtype=np.float64) + b

    def _split(self, y: np.ndarray):
        """Return (train, holdout) indices, stratified when every class has two examples; None if too small."""
        from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

        n, k = len(y), len(self.classes_)
        n_hold = int(round(n * self.config.holdout))
        if n < 30 or n_hold < max(k, 5):
            return None
        counts = np.bincount(np.searchsorted(self.classes_, y), minlength=k)
        kind = StratifiedShuffleSplit if counts.min() >= 2 else ShuffleSplit
        splitter = kind(n_splits=1, test_size=n_hold, random_state=self.config.seed)
        train, hold = next(splitter.split(np.zeros(n), y))
        if len(np.unique(y[train])) < 2:
            return None
        return train, hold

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextClassifier:
        """Train on ``texts`` and their ``labels``; raise TrainingError when that is impossible."""
        started = time.perf_counter()
        cfg = self.config
        prepared = [prepare(t, cfg.max_chars) for t in texts]
        y = np.asarray([str(label) for label in labels])
        if len(prepared) != len(y):
            raise TrainingError("texts and labels differ in length")
        keep = np.array([has_content(t) for t in prepared], dtype=bool)
        prepared = [t for t, k in zip(prepared, keep, strict=True) if k]
        y = y[keep]
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise TrainingError(f"need at least 2 classes with text, got {len(self.classes_)}")
        self.char_vec_, self.word_vec_ = self._vectorizers()
        try:
            Xc = self.char_vec_.fit_transform(prepared)
            blocks = [Xc]
            if self.word_vec_ is not None:
                blocks.append(self.word_vec_.fit_transform(prepared))
        except ValueError as exc:  # empty vocabulary
            raise TrainingError(f"no usable features: {exc}") from exc
        # float64 once: liblinear needs it, and every per-class fit would otherwise convert again.
        X = sp.hstack(blocks, format="csr", dtype=np.float64) if len(blocks) > 1 else Xc.tocsr().astype(np.float64)
        self.n_char_ = Xc.shape[1]

        split = self._split(y)
        best_c, temperature, holdout, scales = cfg.c_grid[-1], 0.3, {}, []
        if split is not None:
            train, hold = split
            y_hold = np.searchsorted(self.classes_, y[hold])
            results = []
            grid = cfg.c_grid if len(self.classes_) <= cfg.grid_max_classes else cfg.c_grid[-1:]
            for c in grid:
                part_scores = [self._scores(W, b, X[hold]) for W, b in self._fit_parts(X[train], y[train], c)]
                # One model: its own scores. Several: each standardised (divided by its scores' spread).
                part_scales = [float(s.std()) or 1.0 for s in part_scores] if len(part_scores) > 1 else [1.0]
                scores = sum(s / sd for s, sd in zip(part_scores, part_scales, strict=True))
                f1 = macro_f1(self.classes_[y_hold], self.classes_[scores.argmax(1)])
                results.append((f1, c, scores, part_scales))
            f1, best_c, scores, scales = max(results, key=lambda r: r[0])
            temperature = fit_temperature(scores, y_hold)
            top3 = np.argsort(-scores, axis=1)[:, :3]
            holdout = {
                "n": int(len(hold)),
                "macro_f1": round(f1, 4),
                "accuracy": round(float((scores.argmax(1) == y_hold).mean()), 4),
                "top3_accuracy": round(float((top3 == y_hold[:, None]).any(1).mean()), 4),
                "by_c": {str(c): round(r, 4) for r, c, _s, _sd in results},
            }
        parts = self._fit_parts(X, y, best_c)
        if split is None and len(parts) > 1:  # no hold-out: the score scales of the training data
            scales = [float(self._scores(W, b, X).std()) or 1.0 for W, b in parts]
        W, b = self._combine(parts, scales) if len(parts) > 1 else parts[0]
        if W.size > cfg.max_weights:  # keep exactly the max_weights largest weights
            flat = W.ravel()
            flat[np.argpartition(np.abs(flat), W.size - cfg.max_weights)[: W.size - cfg.max_weights]] = 0
        self.W_ = sp.csr_matrix(W)
        self.Wt_ = self.W_.T.tocsr()
        self.b_ = b
        self.temperature_ = temperature
        self.c_ = best_c
        counts = dict(zip(*np.unique(y, return_counts=True), strict=True))
        self.metrics = {
            "n_train": int(len(y)),
            "n_classes": int(len(self.classes_)),
            "n_features": int(X.shape[1]),
            "c": best_c,
            "score_scales": [round(x, 4) for x in scales],
            "temperature": round(temperature, 4),
            "holdout": holdout,
            "train_s": round(time.perf_counter() - started, 2),
            "class_counts": {str(k): int(v) for k, v in counts.items()},
            "config": cfg.as_dict(),
        }
        return self

    # --- prediction -----------------------------------------------------------------------------------------

    def decision(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray((X @ self.Wt_).todense(), dtype=np.float64) + self.b_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        prepared = [prepare(t, self.config.max_chars) for t in texts]
        return _softmax(self.decision(self._transform(prepared)), self.temperature_)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(c) for c in self.classes_[self.predict_proba(texts).argmax(1)]]

    def top(self, text: str | None, k: int = 3, explain: int = 5) -> list[Prediction]:
        """Return the ``k`` likeliest labels with confidences and the input words that drove each.

        The production path: ``suggest`` and ``eval-routing`` both call this. Empty or unreadable text gives [].
        """
        prepared = prepare(text, self.config.max_chars)
        if not has_content(prepared):
            return []
        indices, values, text_words = self._row(prepared)
        if not len(indices):
            return []
        weights = self._weight_rows(indices)
        proba = _softmax((values @ weights + self.b_)[None, :], self.temperature_)[0]
        order = np.argsort(-proba)[:k]
        words = self._word_shares(text_words, indices, weights[:, order] * values[:, None]) if explain else ([], None)
        return [
            Prediction(
                label=str(self.classes_[i]),
                confidence=round(float(proba[i]), 4),
                words=self._best_words(words, j, explain) if explain else [],
            )
            for j, i in enumerate(order)
        ]

    def _word_shares(
        self, text_words: list[str], indices: np.ndarray, feature_shares: np.ndarray
    ) -> tuple[list[str], np.ndarray]:
        """Return the input's words and each word's share of each class's score (words × classes).

        ``feature_shares`` holds each present feature's share of the score of each class (features ×
        classes, in the order of ``indices``). A word's share is that of the word feature plus those of the
        character n-grams inside the word.
        """
        position = {int(f): p for p, f in enumerate(indices.tolist())}
        char_vocab = self.char_vec_.vocabulary_
        word_vocab = self.word_vec_.vocabulary_ if self.word_vec_ is not None else {}
        lo, hi = self.config.char_ngram
        words: list[str] = []
        rows: list[int] = []
        cols: list[int] = []
        for token in dict.fromkeys(text_words):
            # Single characters (的, 有, 想 …) explain nothing to a reader; Latin words need 3 letters.
            if token.isdigit() or len(token) < 2 or not (_CJK.search(token) or len(token) > 2):
                continue
            found = []
            if token in word_vocab:
                found.append(position.get(self.n_char_ + word_vocab[token]))
            for size in range(lo, min(hi, len(token)) + 1):
                for i in range(len(token) - size + 1):
                    index = char_vocab.get(token[i : i + size])
                    if index is not None:
                        found.append(position.get(index))
            found = [p for p in found if p is not None]
            if found:
                rows.extend([len(words)] * len(found))
                cols.extend(found)
                words.append(token)
        if not words:
            return [], np.zeros((0, feature_shares.shape[1]))
        shares = np.zeros((len(words), feature_shares.shape[1]))
        np.add.at(shares, np.asarray(rows), feature_shares[np.asarray(cols)])
        return words, shares

    @staticmethod
    def _best_words(word_shares: tuple[list[str], np.ndarray], j: int, n: int) -> list[str]:
        words, shares = word_shares
        if not words:
            return []
        column = shares[:, j]
        best = sorted((i for i in range(len(words)) if column[i] > 0), key=lambda i: (-column[i], words[i]))
        return [words[i] for i in best[:n]]

    # --- storage ---------------------------------------------------------------------------------------------

    def dumps(self) -> bytes:
        """Return the fitted model as compressed joblib bytes."""
        import joblib

        buffer = io.BytesIO()
        joblib.dump(self, buffer, compress=3)
        return buffer.getvalue()

    @staticmethod
    def loads(blob: bytes) -> TextClassifier:
        """Return the model in ``blob``; raise ValueError when it is not a current model of this class.

        Only load blobs this application wrote: the caller checks the blob's HMAC before (pickle runs code).
        """
        import joblib

        model = joblib.load(io.BytesIO(bytes(blob)))
        if not isinstance(model, TextClassifier):
            raise ValueError(f"not a TextClassifier but {type(model).__name__}")
        if getattr(model, "format", None) != FORMAT:
            raise ValueError(f"model format {getattr(model, 'format', None)} is not {FORMAT}: retrain")
        return model


# --- evaluation (eval-routing, bench/routing.py) --------------------------------------------------------------


def evaluate(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    *,
    config: ModelConfig | None = None,
    details: bool = False,
    groups: Sequence[str] | None = None,
) -> dict:
    """Train on the training rows only, predict each test row through ``TextClassifier.top`` (the production
    path) one at a time, and return n, macro-F1, accuracy, top-3 accuracy, training seconds and latency.

    ``details`` adds the CPU-time percentiles of the same calls, the chosen C, the temperature, the feature
    count and the expected calibration error (ECE, 10 bins) of the top-1 confidence. ``groups`` (one name per
    test row, e.g. the half of the split a hash of the row's id falls in) adds the macro-F1 of each group, to
    see whether a difference between variants holds on each part of the test data.
    """
    started = time.perf_counter()
    model = TextClassifier(config).fit(train_texts, train_labels)
    train_s = time.perf_counter() - started
    predicted, confidences, hits3, latencies, cpu = [], [], 0, [], []
    for text, label in zip(test_texts, test_labels, strict=True):
        t0, c0 = time.perf_counter(), time.thread_time()
        top = model.top(text, k=3)
        latencies.append((time.perf_counter() - t0) * 1000.0)
        cpu.append((time.thread_time() - c0) * 1000.0)
        predicted.append(top[0].label if top else "")
        confidences.append(top[0].confidence if top else 0.0)
        hits3 += any(p.label == label for p in top)
    from sklearn.metrics import accuracy_score

    n = len(test_labels)
    lat = np.asarray(latencies) if latencies else np.zeros(1)
    result = {
        "n": n,
        "macro_f1": round(macro_f1(test_labels, predicted), 4) if n else 0.0,
        "accuracy": round(float(accuracy_score(list(test_labels), predicted)), 4) if n else 0.0,
        "top3_accuracy": round(hits3 / n, 4) if n else 0.0,
        "train_s": round(train_s, 2),
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p95_ms": round(float(np.percentile(lat, 95)), 2),
    }
    if groups is not None:
        names = np.asarray([str(g) for g in groups])
        if len(names) != n:
            raise ValueError("groups and test rows differ in length")
        truth, guess = np.asarray(test_labels, dtype=str), np.asarray(predicted, dtype=str)
        result["macro_f1_by_group"] = {
            str(g): round(macro_f1(truth[names == g], guess[names == g]), 4) for g in np.unique(names)
        }
    if details:
        correct = np.asarray([p == t for p, t in zip(predicted, test_labels, strict=True)], dtype=float)
        conf = np.asarray(confidences)
        bins = np.minimum((conf * 10).astype(int), 9)
        ece = sum(
            abs(correct[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean()
            for b in range(10)
            if (bins == b).any()
        )
        cpu_ms = np.asarray(cpu) if cpu else np.zeros(1)
        result.update(
            # CPU time of the same calls: what a prediction costs when the machine is shared (wall time is not).
            cpu_p50_ms=round(float(np.percentile(cpu_ms, 50)), 2),
            cpu_p95_ms=round(float(np.percentile(cpu_ms, 95)), 2),
            c=model.c_,
            temperature=round(model.temperature_, 4),
            n_features=model.metrics["n_features"],
            ece=round(float(ece), 4),
        )
    return result


def read_csv(path: str, text_columns: Sequence[str], label_column: str) -> tuple[list[str], list[str]]:
    """Return (texts, labels) of a CSV file; text columns are joined by a new line, empty cells allowed.

    Rows without a label are skipped. A missing column is an error that names it.
    """
    import csv

    texts, labels = [], []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in [*text_columns, label_column] if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)} (columns: {', '.join(reader.fieldnames or [])})")
        for row in reader:
            label = (row.get(label_column) or "").strip()
            if not label:
                continue
            texts.append("\n".join((row.get(c) or "").strip() for c in text_columns).strip())
            labels.append(label)
    return texts, labels


def evaluate_files(train: str, test: str, text_columns: str | Sequence[str], label_column: str) -> dict:
    """Run ``evaluate`` on two CSV files (the ``eval-routing`` command); no database is touched."""
    if isinstance(text_columns, str):
        text_columns = text_columns.split(",")
    columns = [c.strip() for c in text_columns if c.strip()]
    if not columns:
        raise ValueError("--text-columns names no column")
    train_texts, train_labels = read_csv(train, columns, label_column)
    test_texts, test_labels = read_csv(test, columns, label_column)
    if not train_texts:
        raise ValueError(f"{train}: no labelled rows")
    return evaluate(train_texts, train_labels, test_texts, test_labels)
