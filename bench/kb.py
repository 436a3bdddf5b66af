"""Knowledge-base search quality and latency: prints ONE JSON object on stdout (progress to stderr).

Loads each set's docs.jsonl into the production index (``yihaotong.kb.index.SearchIndex``, the class that
``search_articles`` queries) and runs every query of dev_queries.jsonl through the production ranking
(``SearchIndex.scores``), one at a time. Reports R@1, R@5, R@10, MRR, p50 / p95 latency per query and the
indexing time, per variant. Nothing is learned from the queries.

    .venv/bin/python bench/kb.py --data ../shared/data [--sets kb_policies,kb_qa] [--variants chosen|all|A,B]
        [--json-out FILE]

Learned variants (third session, not in ``all``; none was kept, docs/decisions/0008):
``rerank_pseudo_lr`` / ``rerank_pseudo_gb`` re-rank the top 30 with a logistic regression / gradient-boosted
trees over channel scores and coverage features, trained on pseudo-queries cut from the docs themselves
(self-supervision: no query is seen); ``assoc_messages_W`` adds, with weight W, the article words that
PPMI associates with the query's words in the subject → detail / reply pairs of other files
(routing/train.csv and messages/*.csv under --data); ``emb_centroid_W`` / ``emb_max_W`` re-rank the top 50
after adding, with weight W (min–max scaled over the 50), the cosine of idf-weighted word-vector centroids
of query and article / the idf-weighted mean over query words of their best cosine to an article word; the
vectors (256 dimensions) are a truncated SVD of the PPMI matrix of word co-occurrences (window 4) in other
files: the docs of both kb sets, the message files, routing/train.csv, request_type/train.csv and
service_items (no query file).

A doc without a title (both sets) gets the first line of its text, cut at 64 characters, as its title:
the import of real articles requires a title, and this is the stand-in an editor would write.
Engine candidates for comparison: ``bm25s`` (if the bm25s package is installed; the data README's reference
method) and ``sqlite_fts5`` (the database's own full-text index, over the same rjieba words).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from yihaotong.kb.analysis import Analyzer  # noqa: E402
from yihaotong.kb.index import IndexDoc, Params, SearchIndex  # noqa: E402

# Overrides of Params(); "chosen" is the default.
VARIANTS: dict[str, dict] = {
    # Ablation, from plain BM25 over our words to the chosen ranking.
    "words_plain": dict(
        weights=(1.0, 1.0, 1.0, 1.0),
        b=(0.75,) * 4,
        bigram_weight=0.0,
        passage_weight=0.0,
        unigram_weight=0.0,
        split_unknown=False,
    ),
    "words_fields": dict(bigram_weight=0.0, passage_weight=0.0, unigram_weight=0.0, split_unknown=False),
    "words_bigrams": dict(passage_weight=0.0, unigram_weight=0.0, split_unknown=False),
    # The ranking chosen in the first session (words + bigrams + passages).
    "words_bigrams_passages": dict(unigram_weight=0.0, split_unknown=False),
    "no_unigrams": dict(unigram_weight=0.0),
    "no_split_unknown": dict(split_unknown=False),
    "chosen": {},
    # Neighbours of the chosen parameters.
    "bigram_0.5": dict(bigram_weight=0.5),
    "bigram_2.0": dict(bigram_weight=2.0),
    "passage_0.5": dict(passage_weight=0.5),
    "passage_2.0": dict(passage_weight=2.0),
    "passage_400": dict(passage_chars=400),
    "title_3": dict(weights=(3.0, 2.0, 1.5, 1.0)),
    "k1_1.5": dict(k1=1.5),
    "k1_0.9": dict(k1=0.9),
    "unigram_0.3": dict(unigram_weight=0.3),
    "unigram_0.7": dict(unigram_weight=0.7),
    "unigram_1.0": dict(unigram_weight=1.0),
    # Third session: neighbours not tried before (none kept).
    "passage_b_0.5": dict(passage_b=0.5),
    "passage_b_1.0": dict(passage_b=1.0),
    "content_b_0.6": dict(b=(0.5, 0.5, 0.3, 0.6)),
    "content_b_0.9": dict(b=(0.5, 0.5, 0.3, 0.9)),
    "title_b_0.8": dict(b=(0.8, 0.5, 0.3, 0.75)),
    "title_1.5": dict(weights=(1.5, 2.0, 1.5, 1.0)),
    "k1_1.0": dict(k1=1.0),
    "k1_2.0": dict(k1=2.0),
}
_FIRST_LINE = re.compile(r"^(.{4,64}?)(?:\s|。|$)")


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def derive_title(text: str) -> str:
    m = _FIRST_LINE.match(text.strip())
    return (m.group(1) if m else text.strip()[:64]).strip()


def to_docs(rows: list[dict]) -> list[tuple[str, IndexDoc]]:
    out = []
    for i, row in enumerate(rows):
        text = row["text"]
        title = row.get("title") or derive_title(text)
        out.append((row["doc_id"], IndexDoc(id=i + 1, title=title, content=text)))
    return out


def metrics(ranks: list[int | None], latencies: list[float]) -> dict:
    n = len(ranks)

    def recall(k):
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4)

    return {
        "n": n,
        "r@1": recall(1),
        "r@5": recall(5),
        "r@10": recall(10),
        "mrr": round(sum(1.0 / r for r in ranks if r is not None and r <= 100) / n, 4),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies, 95)), 2),
    }


def run_variant(docs, queries, overrides: dict) -> dict:
    params = replace(Params(), **overrides)
    t0 = time.perf_counter()
    index = SearchIndex(Analyzer(), params)
    for _doc_id, doc in docs:
        index.upsert(doc)
    index.build()
    index_s = time.perf_counter() - t0
    id_of_row = [None] * (len(docs) + 1)
    for doc_id, doc in docs:
        id_of_row[doc.id] = doc_id
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        scores = index.scores(q["query"])
        top = np.argsort(-scores, kind="stable")[:100]
        top = [r for r in top if scores[r] > 0]
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        rank = next((i + 1 for i, r in enumerate(top) if id_of_row[int(index.ids[r])] in relevant), None)
        ranks.append(rank)
    out = metrics(ranks, latencies)
    out["index_s"] = round(index_s, 3)
    out["docs_per_s"] = round(len(docs) / index_s, 1)
    # Two fixed halves of the queries (by a hash of the query id): a choice made on one half should
    # hold on the other (docs/decisions/0008).
    for half in (0, 1):
        picked = [i for i, q in enumerate(queries) if _half(q["query_id"]) == half]
        part = metrics([ranks[i] for i in picked], [latencies[i] for i in picked])
        out[f"half_{half}"] = {k: part[k] for k in ("n", "r@1", "r@5", "mrr")}
    return out


def _half(query_id: str) -> int:
    return int(hashlib.md5(query_id.encode()).hexdigest(), 16) % 2


def _build(docs, params: Params | None = None) -> SearchIndex:
    index = SearchIndex(Analyzer(), params or Params())
    for _doc_id, doc in docs:
        index.upsert(doc)
    index.build()
    return index


def _ranked(docs, queries, index: SearchIndex, order_of) -> dict:
    """Metrics (with the two halves) of ``order_of(query) -> rows, best first``; latency includes it."""
    id_of_row = {doc.id: doc_id for doc_id, doc in docs}
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        rows = order_of(q["query"])
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        ranks.append(next((i + 1 for i, r in enumerate(rows) if id_of_row[int(index.ids[r])] in relevant), None))
    out = metrics(ranks, latencies)
    for half in (0, 1):
        picked = [i for i, q in enumerate(queries) if _half(q["query_id"]) == half]
        part = metrics([ranks[i] for i in picked], [latencies[i] for i in picked])
        out[f"half_{half}"] = {k: part[k] for k in ("n", "r@1", "r@5", "mrr")}
    return out


def _top(scores: np.ndarray, k: int = 100) -> np.ndarray:
    top = np.argsort(-scores, kind="stable")[:k]
    return top[scores[top] > 0]


_SENTENCE = re.compile(r"[^。！？；!?;\n]+")


def _rerank_features(index: SearchIndex, query: str, k: int = 30) -> tuple[np.ndarray, np.ndarray | None]:
    """The top ``k`` rows of the chosen ranking and one feature row each (experiment: private members)."""
    from yihaotong.kb.analysis import bigrams, fold, unigrams

    total = index.scores(query)
    top = _top(total, k)
    if not len(top):
        return top, None
    words, grams = index.query_terms(query)
    chars = sorted(set(unigrams(query)))
    channels = [
        index._channel_scores(index._words, index._delta_words, words),
        index._channel_scores(index._grams, index._delta_grams, grams),
        index._passage_scores(words + ["\x01" + g for g in grams]),
        index._channel_scores(index._unis, index._delta_unis, chars) if chars else np.zeros(len(total)),
    ]
    qw, qg = sorted(set(words)), sorted(set(grams))
    w_ids = np.array([index._words.vocab.get(w, -1) for w in qw])
    w_idf = np.array([index._words.idf(w) for w in qw])
    g_ids = np.array([index._grams.vocab.get(g, -1) for g in qg])
    g_idf = np.array([index._grams.idf(g) for g in qg])
    q_bigrams = bigrams(query)

    def cover(ids, idf, present_ids):
        if not len(ids) or idf.sum() <= 0:
            return 0.0, 0.0
        present = np.isin(ids, present_ids)
        missing = idf[~present]
        return float(idf[present].sum() / idf.sum()), float(missing.max() if len(missing) else 0.0)

    rows = []
    for rank, r in enumerate(top):
        a = index._rows[r]
        f = [c[r] / c.max() if c.max() > 0 else 0.0 for c in channels]
        f += [total[r] / total[top[0]], math.log1p(rank)]
        f += cover(w_ids, w_idf, np.concatenate([x[0] for x in a.words]))
        f.append(cover(w_ids, w_idf, a.words[0][0])[0])
        f += cover(g_ids, g_idf, np.concatenate([x[0] for x in a.grams]))
        f.append(cover(g_ids, g_idf, a.grams[0][0])[0])
        f.append(math.log1p(len(a.doc.content)))
        text = fold(a.doc.title + "\n" + a.doc.content)
        run = best = 0
        for g in q_bigrams:  # the longest run of the query's bigrams found in the article
            run = run + 1 if g in text else 0
            best = max(best, run)
        f.append(best / max(len(q_bigrams), 1))
        rows.append(f)
    return top, np.array(rows, dtype=np.float64)


def _pseudo_queries(index: SearchIndex, n: int, seed: int = 0) -> list[tuple[str, int]]:
    """Queries cut from the articles themselves: a window of 3–10 words of one sentence, about a third of
    them dropped, sometimes a title word in front; the article it was cut from is the relevant one."""
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        row = rng.randrange(len(index.ids))
        doc = index.doc(row)
        sentences = [s.strip() for s in _SENTENCE.findall(doc.content) if len(s.strip()) >= 8]
        if not sentences:
            continue
        words = index.analyzer.surface_words(rng.choice(sentences))
        if len(words) < 3:
            continue
        k = rng.randint(3, min(10, len(words)))
        start = rng.randint(0, len(words) - k)
        window = words[start : start + k]
        picked = [w for w in window if rng.random() > 0.3] or window
        if rng.random() < 0.3 and (title_words := index.analyzer.surface_words(doc.title)):
            picked.insert(0, rng.choice(title_words))
        out.append(("".join(picked), row))
    return out


def run_rerank_pseudo(docs, queries, kind: str, n_pseudo: int = 1500) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    index = _build(docs)
    t0 = time.process_time()
    xs, ys = [], []
    for query, row in _pseudo_queries(index, n_pseudo):
        top, feats = _rerank_features(index, query)
        if feats is not None and row in top:
            xs.append(feats)
            ys.append((top == row).astype(int))
    if kind == "lr":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    else:
        model = HistGradientBoostingClassifier(max_iter=100, max_depth=3, learning_rate=0.1, random_state=0)
    model.fit(np.vstack(xs), np.concatenate(ys))
    train_cpu_s = time.process_time() - t0

    def order_of(query):
        top, feats = _rerank_features(index, query)
        if feats is None:
            return top
        return top[np.argsort(-model.predict_proba(feats)[:, 1], kind="stable")]

    out = _ranked(docs, queries, index, order_of)
    out["train_cpu_s"] = round(train_cpu_s, 1)
    out["pseudo_queries"] = len(xs)
    return out


def _message_pairs(data: Path):
    """(subject, detail) and (subject, reply) pairs of the message files: short question → longer text."""
    import csv

    csv.field_size_limit(10**8)
    for name in ("routing/train.csv", "messages/public_messages_with_likes.csv", "messages/messages_with_replies.csv"):
        with (data / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                subject = row.get("subject") or ""
                for other in (row.get("detail"), row.get("reply")):
                    if subject and other:
                        yield subject, other


def learn_associations(analyzer: Analyzer, pairs, min_count: int = 3, top: int = 5) -> dict[str, list]:
    """For each question-side word, the answer-side words of highest PPMI (damped below 10 pairs)."""
    from collections import Counter, defaultdict

    n, c_q, c_a, c_qa = 0, Counter(), Counter(), Counter()
    for question, answer in pairs:
        q_words, a_words = set(analyzer.words(question)), set(analyzer.words(answer[:1000]))
        n += 1
        c_q.update(q_words)
        c_a.update(a_words)
        c_qa.update((q, a) for q in q_words for a in a_words)
    by_word = defaultdict(list)
    for (q, a), c in c_qa.items():
        if c >= min_count and q != a and (pmi := math.log(c * n / (c_q[q] * c_a[a]))) > 0:
            by_word[q].append((pmi * min(1.0, c / 10), a))
    return {q: sorted(v, reverse=True)[:top] for q, v in by_word.items()}


def run_assoc(docs, queries, data: Path, weight: float) -> dict:
    from collections import Counter

    index = _build(docs)
    t0 = time.process_time()
    assoc = learn_associations(index.analyzer, _message_pairs(data))
    learn_cpu_s = time.process_time() - t0
    channel = index._words

    def order_of(query):
        scores = index.scores(query)
        words, _grams = index.query_terms(query)
        extra = Counter()
        for w in words:
            for strength, a in assoc.get(w, []):
                if a not in words:
                    extra[a] += strength
        n_built = channel.matrix.shape[1]
        terms = [(channel.vocab[a], v) for a, v in extra.items() if channel.vocab.get(a, n_built) < n_built]
        if terms:
            expansion = np.asarray(channel.matrix[:, [t for t, _v in terms]] @ np.array([v for _t, v in terms]))
            expansion = expansion.ravel()
            if expansion.max() > 0:
                scores = scores + weight * expansion / expansion.max()
        return _top(scores)

    out = _ranked(docs, queries, index, order_of)
    out["learn_cpu_s"] = round(learn_cpu_s, 1)
    out["associated_words"] = len(assoc)
    return out


def _corpus(data: Path):
    """Texts of other files than the queries, for word vectors."""
    import csv

    csv.field_size_limit(10**8)
    for name in ("kb_policies", "kb_qa"):
        for row in read_jsonl(data / name / "docs.jsonl"):
            yield row["text"]
    for name in ("routing/train.csv", "messages/public_messages_with_likes.csv", "messages/messages_with_replies.csv"):
        with (data / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                yield from (row[k] for k in ("subject", "detail", "reply") if row.get(k))
    with (data / "request_type/train.csv").open(encoding="utf-8") as fh:
        yield from (row.get("message") or "" for row in csv.DictReader(fh))
    for row in read_jsonl(data / "service_items/guangdong_service_items.jsonl"):
        yield " ".join(v for v in row.values() if isinstance(v, str))


def learn_word_vectors(analyzer: Analyzer, texts, dims: int = 256, window: int = 4, min_count: int = 5):
    """Word vectors: truncated SVD of the (shifted-context) PPMI matrix of co-occurrences within ``window``."""
    from collections import Counter

    from scipy import sparse
    from sklearn.utils.extmath import randomized_svd

    sequences = [analyzer.words(t) for t in texts]
    counts = Counter(w for seq in sequences for w in seq)
    vocab = {w: i for i, (w, c) in enumerate(counts.most_common()) if c >= min_count}
    rows, cols = [], []
    for seq in sequences:
        ids = [vocab.get(w, -1) for w in seq]
        for i, a in enumerate(ids):
            if a >= 0:
                for b in ids[max(0, i - window) : i] + ids[i + 1 : i + window + 1]:
                    if b >= 0:
                        rows.append(a)
                        cols.append(b)
    size = len(vocab)
    m = sparse.coo_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(size, size)).tocsr().tocoo()
    total = m.data.sum()
    row_p = np.bincount(m.row, weights=m.data, minlength=size) / total
    col_p = np.bincount(m.col, weights=m.data, minlength=size) ** 0.75
    col_p /= col_p.sum()
    pmi = np.log(m.data / total / row_p[m.row] / col_p[m.col])
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (m.row[keep], m.col[keep])), shape=(size, size))
    u, s, _vt = randomized_svd(ppmi, dims, random_state=0)
    vectors = u * np.sqrt(s)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    return vocab, vectors.astype(np.float32)


_VECTORS: dict = {}


def run_embeddings(docs, queries, data: Path, kind: str, weight: float, k: int = 50) -> dict:
    index = _build(docs)
    t0 = time.process_time()
    if "vectors" not in _VECTORS:  # learned once per run, shared by the variants and sets
        _VECTORS["vectors"] = learn_word_vectors(index.analyzer, _corpus(data))
    vocab, vectors = _VECTORS["vectors"]
    learn_cpu_s = time.process_time() - t0
    words_of = {i: w for w, i in index._words.vocab.items()}
    rows = []
    for a in index._rows:
        ws = [words_of[i] for i in np.unique(np.concatenate([x[0] for x in a.words])).tolist()]
        ws = [w for w in ws if w in vocab]
        ids = np.array([vocab[w] for w in ws], dtype=np.int64)
        idf = np.array([index._words.idf(w) for w in ws], dtype=np.float32)
        centroid = (vectors[ids] * idf[:, None]).sum(0) if len(ids) else np.zeros(vectors.shape[1], np.float32)
        rows.append((ids, centroid / (np.linalg.norm(centroid) + 1e-9)))

    def order_of(query):
        scores = index.scores(query)
        top = _top(scores, k)
        words, _grams = index.query_terms(query)
        q_words = [w for w in dict.fromkeys(words) if w in vocab]
        if not q_words or not len(top):
            return top
        q_vec = vectors[[vocab[w] for w in q_words]]
        q_idf = np.array([index._words.idf(w) or 5.0 for w in q_words])
        q_centroid = (q_vec * q_idf[:, None]).sum(0)
        q_centroid /= np.linalg.norm(q_centroid) + 1e-9
        sim = np.zeros(len(top))
        for j, r in enumerate(top):
            ids, centroid = rows[r]
            if len(ids):
                sim[j] = (
                    centroid @ q_centroid if kind == "centroid" else ((vectors[ids] @ q_vec.T).max(0) * q_idf).sum()
                )
        sim = (sim - sim.min()) / (sim.max() - sim.min() + 1e-9)
        return top[np.argsort(-(scores[top] + weight * sim), kind="stable")]

    out = _ranked(docs, queries, index, order_of)
    out["learn_cpu_s"] = round(learn_cpu_s, 1)
    out["vocabulary"] = len(vocab)
    return out


def run_bm25s(docs, queries) -> dict:
    """The README's reference: bm25s over jieba tokens of the whole text."""
    import bm25s
    import rjieba

    def tok(text):
        return [t for t in rjieba.cut(text) if t.strip()]

    t0 = time.perf_counter()
    corpus = [tok(d.content) for _i, d in docs]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    index_s = time.perf_counter() - t0
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        res, _scores = retriever.retrieve([tok(q["query"])], k=min(100, len(docs)), show_progress=False)
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        top = [docs[int(i)][0] for i in res[0]]
        ranks.append(next((i + 1 for i, d in enumerate(top) if d in relevant), None))
    out = metrics(ranks, latencies)
    out["index_s"] = round(index_s, 3)
    return out


def run_sqlite_fts5(docs, queries) -> dict:
    """The database's own full-text search: SQLite FTS5 (bm25()) over rjieba words joined by spaces."""
    import sqlite3

    analyzer = Analyzer()
    t0 = time.perf_counter()
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(title, content, tokenize='unicode61')")
    db.executemany(
        "INSERT INTO d(rowid, title, content) VALUES (?, ?, ?)",
        [(doc.id, " ".join(analyzer.words(doc.title)), " ".join(analyzer.words(doc.content))) for _i, doc in docs],
    )
    db.commit()
    index_s = time.perf_counter() - t0
    id_of_row = {doc.id: doc_id for doc_id, doc in docs}
    ranks, latencies = [], []
    for q in queries:
        t = time.perf_counter()
        terms = {w.replace('"', "") for w in analyzer.words(q["query"])}
        match = " OR ".join(f'"{w}"' for w in terms if w)
        rows = (
            db.execute("SELECT rowid FROM d WHERE d MATCH ? ORDER BY bm25(d, 2.0, 1.0) LIMIT 100", (match,)).fetchall()
            if match
            else []
        )
        latencies.append((time.perf_counter() - t) * 1000)
        relevant = set(q["relevant_doc_ids"])
        ranks.append(next((i + 1 for i, (r,) in enumerate(rows) if id_of_row[r] in relevant), None))
    out = metrics(ranks, latencies)
    out["index_s"] = round(index_s, 3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("YIHAOTONG_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--sets", default="kb_policies,kb_qa")
    ap.add_argument("--variants", default="chosen")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    if args.variants == "all":
        names = ["bm25s", "sqlite_fts5", *VARIANTS]
    else:
        names = [v.strip() for v in args.variants.split(",") if v.strip()]
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "split": args.split,
        "sets": {},
    }
    for name in args.sets.split(","):
        folder = Path(args.data) / name
        docs = to_docs(read_jsonl(folder / "docs.jsonl"))
        queries = read_jsonl(folder / f"{args.split}_queries.jsonl")
        result["sets"][name] = {"docs": len(docs), "variants": {}}
        for variant in names:
            if variant == "bm25s":
                try:
                    out = run_bm25s(docs, queries)
                except ImportError:
                    log("bm25s is not installed: skipped")
                    continue
            elif variant == "sqlite_fts5":
                out = run_sqlite_fts5(docs, queries)
            elif variant.startswith("rerank_pseudo_"):
                out = run_rerank_pseudo(docs, queries, variant.rsplit("_", 1)[1])
            elif variant.startswith("emb_"):
                _emb, kind, weight = variant.split("_")
                out = run_embeddings(docs, queries, Path(args.data), kind, float(weight))
            elif variant.startswith("assoc_messages_"):
                out = run_assoc(docs, queries, Path(args.data), float(variant.rsplit("_", 1)[1]))
            else:
                out = run_variant(docs, queries, VARIANTS[variant])
            log(name, variant, out)
            result["sets"][name]["variants"][variant] = out
    text = json.dumps(result, ensure_ascii=False)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
