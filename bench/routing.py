"""Routing-model benchmark: prints ONE JSON object on stdout (progress goes to stderr).

Trains ``yihaotong.routing.ml.TextClassifier`` (the production class) on each data set's train split with
each variant, predicts the dev split one text at a time through the production path (``TextClassifier.top``),
and reports macro-F1, accuracy, top-3 accuracy, training seconds, latency (p50 / p95 ms per prediction)
and, per variant, the chosen C, the softmax temperature, the feature count, the calibration error and the
macro-F1 on each half of the split (rows split by an MD5 hash of their id: a gain is believed when it holds
on both).

    .venv/bin/python bench/routing.py --routing ../shared/data/routing --request-type ../shared/data/request_type
        [--variants chosen|all|NAME,NAME] [--split dev] [--json-out FILE]

A data directory holds train.csv and <split>.csv. ``routing``: columns subject, detail → label;
``request_type``: message → request_type. The chosen variant is ``ModelConfig()`` (docs/decisions/0007).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from yihaotong.routing.ml import ModelConfig, evaluate, read_csv  # noqa: E402

# The variants measured for docs/decisions/0007 (overrides of ModelConfig; "chosen" is the default).
VARIANTS: dict[str, dict] = {
    # The README's reference method: character 1-3-gram TF-IDF + linear SVM (C=1), nothing else.
    "baseline_char13_svm": dict(
        word_ngram=None,
        sublinear_tf=False,
        class_weight=None,
        c_grid=(1.0,),
        char_max_features=None,
        max_chars=100_000,
        nbsvm=False,
    ),
    "char13_balanced": dict(word_ngram=None, nbsvm=False),
    "char13_word1": dict(word_ngram=(1, 1), word_max_features=50_000, nbsvm=False),
    "char13_word1_fullvocab": dict(word_ngram=(1, 1), char_max_features=None, word_max_features=None, nbsvm=False),
    # The chosen variant: character 1-3-grams + rjieba word unigrams and bigrams, SVM + NB-SVM (ModelConfig()).
    "chosen": {},
    # The previous choice (session 1): the same features, the SVM alone.
    "svm_only": dict(nbsvm=False),
    "char14_word1": dict(
        char_ngram=(1, 4), char_max_features=300_000, word_ngram=(1, 1), word_max_features=50_000, nbsvm=False
    ),
    "char13_word1_C0.3": dict(word_ngram=(1, 1), word_max_features=50_000, c_grid=(0.3,), nbsvm=False),
    "char13_word1_C1": dict(word_ngram=(1, 1), word_max_features=50_000, c_grid=(1.0,), nbsvm=False),
    "char13_word1_unbalanced": dict(word_ngram=(1, 1), word_max_features=50_000, class_weight=None, nbsvm=False),
    "char13_word1_cap600": dict(word_ngram=(1, 1), word_max_features=50_000, max_chars=600, nbsvm=False),
    "char13_word1_cap2000": dict(word_ngram=(1, 1), word_max_features=50_000, max_chars=2000, nbsvm=False),
}

DATASETS = {
    "routing": (("subject", "detail"), "label"),
    "request_type": (("message",), "request_type"),
}


def id_halves(path: Path, label: str) -> list[str] | None:
    """Return "h0" / "h1" for each labelled row of ``path`` by an MD5 hash of its id (None without ids): a
    difference between variants is believed only when it holds on both halves of the split."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if (r.get(label) or "").strip()]
    if not rows or "id" not in rows[0]:
        return None
    return [f"h{int(hashlib.md5(r['id'].encode()).hexdigest(), 16) % 2}" for r in rows]


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routing", help="directory with the routing train.csv and dev.csv")
    parser.add_argument("--request-type", help="directory with the request_type train.csv and dev.csv")
    parser.add_argument("--variants", default="chosen", help="chosen (default), all, or names separated by commas")
    parser.add_argument("--split", default="dev", help="the split to measure on (default dev)")
    parser.add_argument("--json-out", help="also write the JSON to this file")
    args = parser.parse_args(argv)
    names = list(VARIANTS) if args.variants == "all" else args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    dirs = {"routing": args.routing, "request_type": args.request_type}
    if not any(dirs.values()):
        parser.error("give --routing and/or --request-type")
    out: dict = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "split": args.split,
        # The machine is shared: wall-clock latency depends on its load (CPU-time percentiles do not).
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "chosen": ModelConfig().as_dict(),
        "results": {},
    }
    for dataset, directory in dirs.items():
        if not directory:
            continue
        columns, label = DATASETS[dataset]
        train = read_csv(str(Path(directory) / "train.csv"), columns, label)
        test_path = Path(directory) / f"{args.split}.csv"
        test = read_csv(str(test_path), columns, label)
        halves = id_halves(test_path, label)
        out["results"][dataset] = {}
        for name in names:
            config = ModelConfig(**VARIANTS[name])
            log(f"{dataset} {name} …")
            result = evaluate(*train, *test, config=config, details=True, groups=halves)
            log(f"  {json.dumps(result)}")
            out["results"][dataset][name] = result
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(out, ensure_ascii=False, indent=2)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
