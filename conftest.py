"""Test setup shared by every test module."""

import os
import tempfile

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yihaotong.config.settings")
os.environ.setdefault("YIHAOTONG_VAR_DIR", tempfile.mkdtemp(prefix="yihaotong-test-"))
os.environ.setdefault("HUEY_IMMEDIATE", "1")
# Parallel workers share one Redis in the PostgreSQL + Redis run: keep their cache keys apart.
os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_policy_caches():
    """Policy and calendar caches live per process; tests change the tables under them."""
    from django.core.cache import cache

    from yihaotong.directory.policy import invalidate_policy

    # Only this worker's keys: clear() would flush the Redis database that other workers use too.
    from yihaotong.worktime.loader import BANNER_CACHE_KEY, invalidate_calendar

    invalidate_policy()
    invalidate_calendar()
    cache.delete(BANNER_CACHE_KEY)
    yield
    invalidate_policy()
    invalidate_calendar()
    cache.delete(BANNER_CACHE_KEY)


@pytest.fixture
def cast(db):
    """The directory, the calendar and one user per role (see tests/factories.py)."""
    from tests.factories import build_cast

    return build_cast()
