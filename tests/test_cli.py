"""The console command and the settings' two modes, run as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SUBCOMMANDS = ["demo", "serve", "worker", "migrate", "seed-demo", "manage"]


def run(args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "yihaotong.cli", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub):
    result = run([sub, "--help"])
    assert result.returncode == 0, result.stderr
    assert "usage: yihaotong" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret(tmp_path):
    result = run(["migrate"], YIHAOTONG_MODE="production", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_mode_requires_a_database_url():
    result = run(["migrate"], YIHAOTONG_MODE="production", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "DATABASE_URL must be set" in result.stderr


def test_embedded_default_migrates_into_var_with_wal(tmp_path):
    result = run(["migrate", "--verbosity", "0"], YIHAOTONG_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    db = tmp_path / "yihaotong.sqlite3"
    assert db.exists()
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        years = {row[0] for row in conn.execute("SELECT year FROM worktime_calendaryear")}
    assert {2025, 2026} <= years


def _worker_output(tmp_path, **env) -> tuple[int, str]:
    """Start `yihaotong worker` on an embedded var dir, let it run its first periodic tasks, stop it."""
    import signal
    import time

    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    full_env.update(YIHAOTONG_VAR_DIR=str(tmp_path), HUEY_IMMEDIATE="0", **env)  # the suite runs tasks inline
    assert run(["migrate", "--verbosity", "0"], YIHAOTONG_VAR_DIR=str(tmp_path)).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "yihaotong.cli", "worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=full_env,
    )
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out


def test_the_worker_prints_each_task_run_once_at_info(tmp_path):
    # huey's consumer adds a handler of its own unless the "huey" logger has one (settings.LOGGING): without
    # ours every line came twice, once from its handler and once from the root's.
    code, out = _worker_output(tmp_path, LOG_LEVEL="INFO")
    assert code == 0, out
    assert out.count("Huey consumer started") == 1, out
    runs = [line for line in out.splitlines() if "Executing yihaotong." in line]
    assert runs, out
    assert len(runs) == len(set(runs)), out


def test_the_worker_is_quiet_by_default(tmp_path):
    code, out = _worker_output(tmp_path)
    assert code == 0, out  # it ran and stopped cleanly, saying nothing
    assert out.strip() == ""
