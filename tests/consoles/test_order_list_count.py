"""The order list counts matching orders only up to a cap (an exact COUNT of a million orders is the slowest
part of the page) and then says "more than"; below the cap the count is exact. Paging works either way."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import T0, cast_for_module, new_order
from yihaotong.consoles import views


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        for i in range(7):
            new_order(c, now=T0, subject=f"计数工单 {i}")
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


def tr(language, msgid, **kw):
    with translation.override(language):
        return translation.gettext(msgid) % kw


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_below_the_cap_the_total_is_exact(client, cast, language):
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:orders"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.context["meta"]["total"] == 7 and not response.context["meta"]["capped"]
    assert tr(language, "%(total)s orders", total=7) in response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_above_the_cap_the_list_says_more_than(client, cast, monkeypatch, language):
    monkeypatch.setattr(views, "COUNT_CAP", 4)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:orders"), HTTP_ACCEPT_LANGUAGE=language)
    meta = response.context["meta"]
    assert meta["capped"] and meta["total"] == 4 and meta["pages"] == 2 and len(response.context["rows"]) == 2
    page = response.content.decode()
    text = tr(language, "More than %(total)s orders: filter to narrow them down", total=4)
    assert text in page
    if language == "zh-hans":
        assert "More than" not in text
    second = client.get(reverse("consoles:orders"), {"page": 2}, HTTP_HX_REQUEST="true")
    assert len(second.context["rows"]) == 2 and second.context["meta"]["page"] == 2
    first_numbers = {o.number for o, _t, _c in response.context["rows"]}
    assert first_numbers.isdisjoint({o.number for o, _t, _c in second.context["rows"]})


def test_a_bad_page_number_shows_the_first_page(client, cast):
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:orders"), {"page": "x"})
    assert response.status_code == 200 and response.context["meta"]["page"] == 1
