"""KB tests: one cast per module, a fresh search index per test, polling on every search."""

from __future__ import annotations

import pytest

from tests.factories import cast_for_module
from yihaotong.kb.search import invalidate_index


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as cast:
        yield cast


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture(autouse=True)
def _fresh_index(settings):
    # Each test's rows are rolled back afterwards: an index built in one test must not serve the next.
    settings.KB_INDEX_POLL_SECONDS = 0
    invalidate_index()
    yield
    invalidate_index()
