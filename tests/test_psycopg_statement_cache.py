"""core.apps: psycopg caches the placeholder conversion of the actions' long statements too."""

from __future__ import annotations

import pytest

_queries = pytest.importorskip("psycopg._queries")


def test_the_work_order_insert_and_the_row_lock_fit_the_cache():
    from yihaotong.workorders.models import WorkOrder

    # Django is set up by pytest-django: CoreConfig.ready has run.
    params = len([f for f in WorkOrder._meta.concrete_fields if not f.primary_key])
    assert params > 50  # the reason for the change: psycopg's own limit is 50 parameters
    assert params <= _queries.MAX_CACHED_STATEMENT_PARAMS
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= 16_384


def test_a_converted_long_statement_is_taken_from_the_cache():
    columns = ", ".join(f"%s AS c{i}" for i in range(60))
    query = f"SELECT {columns}".encode()
    assert len(query) < _queries.MAX_CACHED_STATEMENT_LENGTH
    pq = _queries.PostgresQuery(_transformer())
    before = _queries._query2pg.cache_info().hits
    pq.convert(query, list(range(60)))
    pq.convert(query, list(range(60)))
    assert _queries._query2pg.cache_info().hits >= before + 1


def _transformer():
    from psycopg.adapt import Transformer

    return Transformer()
