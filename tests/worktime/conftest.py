import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Drop the in-process calendar and the banner cache: tests roll back, caches do not."""
    from django.core.cache import cache

    from yihaotong.worktime.loader import BANNER_CACHE_KEY, invalidate_calendar

    invalidate_calendar()
    cache.delete(BANNER_CACHE_KEY)
    yield
    invalidate_calendar()
    cache.delete(BANNER_CACHE_KEY)
