"""Routing-model variants compared by 5-fold cross-validation on TRAIN, with dev and its two halves beside.

Prints ONE JSON object (progress on stderr). For each data set, the training split is cut into 5 stratified
folds; on each fold the production features (``TextClassifier``'s vectorizers, fitted on the other four
folds) feed the base models below, and their decision scores on the held-out fold are kept. The same base
models are then fitted on the whole training split and scored on dev. A variant is a weighted sum of base
models' scores, each divided by its standard deviation (as ``TextClassifier`` folds SVM + NB-SVM into one
linear model), so every variant here can still be served as one weight matrix. Reported per variant: the
out-of-fold macro-F1 ("cv", the number to choose by), its spread over the folds, and the dev macro-F1 on
all rows and on each half (rows split by an MD5 hash of their id). Also: per-class bias offsets tuned for
macro-F1 on the out-of-fold scores, checked nested (tuned on four folds, scored on the fifth).

    .venv/bin/python bench/routing_cv.py --routing ../shared/data/routing --request-type ../shared/data/request_type \\
        [--json-out FILE]

Base models: ``svm`` (one-vs-rest LinearSVC, balanced, the production C of the data set), ``svm_c0.3`` /
``svm_c1`` (both Cs), ``nb`` (NB-SVM, C 0.3), ``nb_c1`` (NB-SVM, C 1), ``cs`` (Crammer-Singer multi-class SVM,
C 0.1), ``svm_w0.6`` and ``nb_w0.6`` (word block scaled by 0.6 before the fit), ``char`` / ``word`` (SVM on one
block only).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from yihaotong.routing.ml import ModelConfig, TextClassifier, macro_f1, prepare, read_csv  # noqa: E402

DATASETS = {
    "routing": (("subject", "detail"), "label", 1.0),  # (text columns, label column, the C production chose)
    "request_type": (("message",), "request_type", 0.3),
}

# Each variant: (base model, weight) pairs; the first is what production runs (ModelConfig()).
VARIANTS = {
    "production: svm + nb": [("svm", 1), ("nb", 1)],
    "svm": [("svm", 1)],
    "nb": [("nb", 1)],
    "cs": [("cs", 1)],
    "svm + 0.5 nb": [("svm", 1), ("nb", 0.5)],
    "svm + 2 nb": [("svm", 1), ("nb", 2)],
    "svm_c0.3 + svm_c1 + nb": [("svm_c0.3", 1), ("svm_c1", 1), ("nb", 1)],
    "svm + nb + cs": [("svm", 1), ("nb", 1), ("cs", 1)],
    "svm + nb + char + word": [("svm", 1), ("nb", 1), ("char", 1), ("word", 1)],
    "svm_w0.6 + nb_w0.6": [("svm_w0.6", 1), ("nb_w0.6", 1)],
    "svm + nb_c1": [("svm", 1), ("nb_c1", 1)],
    "svm_w0.6 + nb_c1": [("svm_w0.6", 1), ("nb_c1", 1)],
    "svm + nb + svm_w0.6 + nb_w0.6": [("svm", 1), ("nb", 1), ("svm_w0.6", 1), ("nb_w0.6", 1)],
}


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def id_halves(path: Path, label: str) -> np.ndarray:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if (r.get(label) or "").strip()]
    return np.asarray([int(hashlib.md5(r["id"].encode()).hexdigest(), 16) % 2 for r in rows])


def base_scores(train: list[str], y: np.ndarray, test: list[str], classes: np.ndarray, c: float) -> dict:
    """Fit every base model on ``train`` (production features) and return its scores on ``test``."""
    from sklearn.svm import LinearSVC

    model = TextClassifier(ModelConfig())
    model.classes_ = classes
    char, word = model._vectorizers()
    Xc, Tc = char.fit_transform(train).astype(np.float64), char.transform(test).astype(np.float64)
    Xw, Tw = word.fit_transform(train).astype(np.float64), word.transform(test).astype(np.float64)

    def both(w: float = 1.0):
        return sp.hstack([Xc, Xw * w], format="csr"), sp.hstack([Tc, Tw * w], format="csr")

    def linear(X, T, cc, **kw):
        svm = LinearSVC(C=cc, class_weight="balanced", random_state=0, **kw).fit(X, y)
        return np.asarray(T @ svm.coef_.T) + svm.intercept_

    def nb(X, T, m=model):
        W, b = m._fit_nbsvm(X, y)
        return np.asarray(T @ W.T.astype(np.float64)) + b

    strong = TextClassifier(ModelConfig(nb_c=1.0))
    strong.classes_ = classes

    def nb_c1(X, T):
        return nb(X, T, strong)

    X, T = both()
    Xs, Ts = both(0.6)
    return {
        "svm": linear(X, T, c),
        "svm_c0.3": linear(X, T, 0.3),
        "svm_c1": linear(X, T, 1.0),
        "nb": nb(X, T),
        "nb_c1": nb_c1(X, T),
        "cs": linear(X, T, 0.1, multi_class="crammer_singer"),
        "svm_w0.6": linear(Xs, Ts, c),
        "nb_w0.6": nb(Xs, Ts),
        "char": linear(Xc.tocsr(), Tc.tocsr(), c),
        "word": linear(Xw.tocsr(), Tw.tocsr(), c),
    }


def combine(scores: dict, parts) -> np.ndarray:
    return sum(w * scores[name] / (scores[name].std() or 1.0) for name, w in parts)


def fit_bias(S: np.ndarray, y: np.ndarray, classes: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Per-class offsets added to the scores, by coordinate ascent on macro-F1 (grid −1 … 1 in 0.05)."""
    bias = np.zeros(S.shape[1])
    for _ in range(rounds):
        for k in range(S.shape[1]):
            best_f1, best = macro_f1(y, classes[(S + bias).argmax(1)]), bias[k]
            for g in np.linspace(-1, 1, 41):
                trial = bias.copy()
                trial[k] = g
                f1 = macro_f1(y, classes[(S + trial).argmax(1)])
                if f1 > best_f1 + 1e-9:
                    best_f1, best = f1, g
            bias[k] = best
    return bias


def run(directory: Path, columns, label: str, c: float, folds: int) -> dict:
    from sklearn.model_selection import StratifiedKFold

    cfg = ModelConfig()
    texts, labels = read_csv(str(directory / "train.csv"), columns, label)
    dev_texts, dev_labels = read_csv(str(directory / "dev.csv"), columns, label)
    train = [prepare(t, cfg.max_chars) for t in texts]
    dev = [prepare(t, cfg.max_chars) for t in dev_texts]
    y, y_dev = np.asarray(labels), np.asarray(dev_labels)
    halves = id_halves(directory / "dev.csv", label)
    classes = np.unique(y)
    started = time.process_time()
    fold_scores = []
    for k, (a, b) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y)):
        fold_scores.append((b, base_scores([train[i] for i in a], y[a], [train[i] for i in b], classes, c)))
        log(f"  fold {k} done ({time.process_time() - started:.0f} s CPU)")
    dev_scores = base_scores(train, y, dev, classes, c)

    def report(oof: np.ndarray, dev_s: np.ndarray) -> dict:
        pred, pred_dev = classes[oof.argmax(1)], classes[dev_s.argmax(1)]
        per_fold = [macro_f1(y[b], pred[b]) for b, _s in fold_scores]
        return {
            "cv": round(macro_f1(y, pred), 4),
            "cv_fold_sd": round(float(np.std(per_fold)), 4),
            "dev": round(macro_f1(y_dev, pred_dev), 4),
            "dev_h0": round(macro_f1(y_dev[halves == 0], pred_dev[halves == 0]), 4),
            "dev_h1": round(macro_f1(y_dev[halves == 1], pred_dev[halves == 1]), 4),
        }

    out = {"n_train": len(y), "n_dev": len(y_dev), "folds": folds, "variants": {}}
    for name, parts in VARIANTS.items():
        oof = np.zeros((len(y), len(classes)))
        for b, s in fold_scores:
            oof[b] = combine(s, parts)
        out["variants"][name] = report(oof, combine(dev_scores, parts))
    # Per-class bias offsets on the production combination, nested over the folds.
    parts = VARIANTS["production: svm + nb"]
    oof = np.zeros((len(y), len(classes)))
    for b, s in fold_scores:
        oof[b] = combine(s, parts)
    nested = np.empty(len(y), dtype=object)
    for b, _s in fold_scores:
        rest = np.setdiff1d(np.arange(len(y)), b)
        nested[b] = classes[(oof[b] + fit_bias(oof[rest], y[rest], classes)).argmax(1)]
    bias = fit_bias(oof, y, classes)
    pred_dev = classes[(combine(dev_scores, parts) + bias).argmax(1)]
    out["variants"]["production + per-class bias (nested CV)"] = {
        "cv": round(macro_f1(y, nested.astype(str)), 4),
        "dev": round(macro_f1(y_dev, pred_dev), 4),
        "dev_h0": round(macro_f1(y_dev[halves == 0], pred_dev[halves == 0]), 4),
        "dev_h1": round(macro_f1(y_dev[halves == 1], pred_dev[halves == 1]), 4),
        "bias": dict(zip(classes.tolist(), np.round(bias, 2).tolist(), strict=True)),
    }
    out["cpu_s"] = round(time.process_time() - started, 1)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routing", help="directory with the routing train.csv and dev.csv")
    parser.add_argument("--request-type", help="directory with the request_type train.csv and dev.csv")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json-out", help="also write the JSON to this file")
    args = parser.parse_args(argv)
    dirs = {"routing": args.routing, "request_type": args.request_type}
    if not any(dirs.values()):
        parser.error("give --routing and/or --request-type")
    out: dict = {"load_average_start": [round(x, 2) for x in os.getloadavg()], "results": {}}
    for dataset, directory in dirs.items():
        if directory:
            log(f"{dataset} …")
            columns, label, c = DATASETS[dataset]
            out["results"][dataset] = run(Path(directory), columns, label, c, args.folds)
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(out, ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
