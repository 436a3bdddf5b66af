"""bench/routing_cv.py on small synthetic CSV files: every variant gets its cross-validated and dev figures."""

from __future__ import annotations

import csv

from bench import routing_cv

from .synthetic import requests


def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "subject", "detail", "label"])
        writer.writeheader()
        writer.writerows(rows)


def test_cross_validation_report(tmp_path):
    rows = [
        {"id": f"r{i}", "subject": r["subject"], "detail": r["text"], "label": r["category"]}
        for i, r in enumerate(requests(20))
    ]
    _write(tmp_path / "train.csv", rows[::2])
    _write(tmp_path / "dev.csv", rows[1::2])
    out = routing_cv.run(tmp_path, ("subject", "detail"), "label", 1.0, folds=3)
    assert out["n_train"] == 30 and out["n_dev"] == 30 and out["folds"] == 3
    assert set(routing_cv.VARIANTS) < set(out["variants"])
    for name, figures in out["variants"].items():
        assert {"cv", "dev", "dev_h0", "dev_h1"} <= set(figures), name
        assert all(0.0 <= figures[k] <= 1.0 for k in ("cv", "dev", "dev_h0", "dev_h1")), name
    # Three well-separated matters: every variant of the production features learns them.
    assert out["variants"]["production: svm + nb"]["dev"] == 1.0
    assert set(out["variants"]["production + per-class bias (nested CV)"]["bias"]) == {"CMG-02", "EDU-01", "ENV-02-01"}
