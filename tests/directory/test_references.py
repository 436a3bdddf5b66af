"""Reference rows used by every order come from the policy cache, and changes are seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import new_order
from yihaotong.core.errors import Invalid
from yihaotong.directory.models import Category, RequestType
from yihaotong.directory.policy import reference


def test_lookups_by_code_and_id_are_served_from_the_cache(cast):
    rt = reference("request_type", code="complaint")
    assert rt is not None and rt.code == "complaint"
    with CaptureQueriesContext(connection) as ctx:
        assert reference("request_type", code="complaint") is rt
        assert reference("request_type", pk=rt.pk) is rt
        assert reference("unit", code="QY-D-EDU").name
    # the unit table is loaded once, the request type lookups cost nothing
    assert len(ctx.captured_queries) == 1


def test_unknown_codes_are_none(cast):
    assert reference("category", code="no-such-code") is None
    assert reference("unit", pk=999_999) is None


def test_a_row_created_after_the_table_was_cached_is_found(cast):
    reference("request_type", code="complaint")
    RequestType.objects.bulk_create([RequestType(code="newtype", name="新类型", name_en="New type", sort=99)])
    assert reference("request_type", code="newtype").name == "新类型"


def test_a_deactivated_category_is_refused_at_once(cast):
    cat = Category.objects.filter(is_active=True, level=3).first()
    order = new_order(cast, category=cat.code)  # cached now
    assert order.category_id == cat.pk
    cat.is_active = False
    cat.save()
    with pytest.raises(Invalid) as exc:
        new_order(cast, category=cat.code)
    assert "category" in exc.value.errors
