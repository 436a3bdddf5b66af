"""One reusable cursor per database connection for the statements that run most often.

``connection.cursor()`` builds a new driver cursor and wrapper for every statement; for the compiled
statements of the actions (``core.models.CompiledWrites``, ``core.compiled``, the row lock) that was a
noticeable share of the CPU an action costs (decision 0009). ``reusable_cursor`` keeps one wrapper per
driver connection (a reconnect gets a new one). While queries are logged (``DEBUG``, or a test counting
queries) it returns a fresh debugging cursor, so every statement is still recorded. Callers must not
close it (no ``with``); they read their results before running another statement on it.
"""

from __future__ import annotations

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
