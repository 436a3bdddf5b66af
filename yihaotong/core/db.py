"""One reusable cursor per database connection for the statements that run most often.

``connection.cursor()`` builds a new driver cursor and wrapper for every statement; for the compiled
statements of the actions (``core.models.CompiledWrites``, ``core.compiled``, the row lock) that was a
noticeable share of the CPU an action costs (decision 0009). ``reusable_cursor`` keeps one wrapper per
driver connection (a reconnect gets a new one). While queries are logged (``DEBUG``, or a test counting
queries) it returns a fresh debugging cursor, so every statement is still recorded. Callers must not
close it (no ``with``); they read their results before running another statement on it.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections


def reusable_cursor(using: str):
    db = connections[using]
    if db.queries_logged:
        return db.cursor()
    raw = db.connection
    kept = getattr(db, "_yihaotong_cursor", None)
    if kept is not None and raw is not None and kept[0] is raw and not getattr(raw, "closed", False):
        return kept[1]
    cursor = db.cursor()
    db._yihaotong_cursor = (db.connection, cursor)
    return cursor


def prepares_statements(using: str) -> bool:
    """Whether psycopg prepares this connection's repeated statements on the server (settings: server-side
    binding with a ``prepare_threshold``)."""
    db = connections[using]
    if db.vendor != "postgresql":
        return False
    options = db.settings_dict.get("OPTIONS", {})
    return bool(options.get("server_side_binding")) and options.get("prepare_threshold", 5) is not None


@contextmanager
def custom_plans(using: str = "default"):
    """Run the statements inside unprepared, so that each is planned for its own parameters (psycopg's
    ``prepare_threshold`` off on the connection for the while; no statement is sent for it).

    A statement run five times on a connection is prepared (settings, decision 0009), and after five
    executions PostgreSQL may settle on a generic plan that ignores the parameters. That suits the
    actions' lookups by primary key; it does not suit the lists, whose filters select a handful or half a
    million rows with the same SQL: at a million orders the generic plan took the filtered list's p95 from
    27 ms to 102 ms. The lists (``core.api.paginate``) and the notification bell's count run inside this
    block; a statement prepared earlier on the connection is sent unprepared here too.
    """
    if not prepares_statements(using):
        yield
        return
    db = connections[using]
    db.ensure_connection()
    raw = db.connection
    kept = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = kept
