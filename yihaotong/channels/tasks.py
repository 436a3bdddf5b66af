"""Batch imports run in the worker (the page polls their progress)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from .actions import do_run_import


@db_task()
def run_import(batch_id: int) -> int:
    return do_run_import(batch_id).processed
