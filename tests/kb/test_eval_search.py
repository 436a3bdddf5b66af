"""`yihaotong eval-search`: the exact interface others call (our own tiny data, a temporary database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

DOCS = [
    {"doc_id": "d1", "text": "新生儿出生后三个月内参加居民医保，自出生之日起享受待遇。"},
    {"doc_id": "d2", "text": "燃气泄漏时先关闭总阀，开窗通风，到室外拨打抢修电话。", "department": "燃气公司"},
    {"doc_id": "d3", "title": "公积金租房提取", "text": "无自有住房租房自住的职工可以按月提取公积金付房租。"},
    {"doc_id": "d4", "text": ""},  # rejected by the import: no content
]
QUERIES = [
    {"query_id": "q1", "query": "宝宝出生后怎么参加医保", "relevant_doc_ids": ["d1"]},
    {"query_id": "q2", "query": "家里燃气泄漏怎么办", "relevant_doc_ids": ["d2"]},
    {"query_id": "q3", "query": "租房能提取公积金吗", "relevant_doc_ids": ["d3"]},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_eval_search_prints_the_metrics(tmp_path):
    docs, queries = tmp_path / "docs.jsonl", tmp_path / "queries.jsonl"
    write_jsonl(docs, DOCS)
    write_jsonl(queries, QUERIES)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_URL")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "yihaotong.cli",
            "eval-search",
            "--docs",
            str(docs),
            "--queries",
            str(queries),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {"n", "r@1", "r@5", "r@10", "mrr", "p50_ms", "p95_ms", "index_s"} <= result.keys()
    assert result["n"] == 3 and result["r@1"] == 1.0 and result["rejected"] == 1
    assert "d4 rejected" in proc.stderr


def test_eval_search_reports_a_missing_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "yihaotong.cli", "eval-search", "--docs", str(tmp_path / "no.jsonl"), "--queries", "x"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "eval-search" in proc.stderr
