"""core.db.reusable_cursor: one cursor per driver connection, fresh debugging cursors while queries are logged."""

from __future__ import annotations

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import CaptureQueriesContext

from yihaotong.core.db import reusable_cursor


@pytest.mark.django_db
def test_the_cursor_is_kept_per_connection_and_queries_stay_countable():
    first = reusable_cursor(DEFAULT_DB_ALIAS)
    first.execute("SELECT 1")
    assert first.fetchone()[0] == 1
    again = reusable_cursor(DEFAULT_DB_ALIAS)
    assert again is first  # kept
    again.execute("SELECT 2")
    assert again.fetchone()[0] == 2
    with CaptureQueriesContext(connection) as ctx:
        logged = reusable_cursor(DEFAULT_DB_ALIAS)
        logged.execute("SELECT 3")
        assert logged.fetchone()[0] == 3
    assert logged is not first and [q["sql"] for q in ctx.captured_queries] == ["SELECT 3"]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gets_a_new_cursor():
    first = reusable_cursor(DEFAULT_DB_ALIAS)
    raw = connection.connection
    connection.close()  # (SQLite keeps an in-memory test database's connection open)
    second = reusable_cursor(DEFAULT_DB_ALIAS)
    assert (second is first) == (connection.connection is raw)
    second.execute("SELECT 4")
    assert second.fetchone()[0] == 4
