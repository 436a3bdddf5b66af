"""Two people acting on one order at once: the one who comes second gets one clear message, in their language,
saying that the order changed first, what state it is in now, and that nothing was done; nothing is written
twice. (The browser side of the same cases is tests/browser/test_bad_input.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import EDU, T0, cast_for_module, drive, new_order
from yihaotong.accounts import roles as R
from yihaotong.accounts.actions import do_create_user
from yihaotong.consoles import views_centre
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Event, OrderState

NOW = T0 + timedelta(hours=1)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture(autouse=True)
def _pinned_now(monkeypatch):
    monkeypatch.setattr(views_centre, "_now", lambda: NOW)


def tr(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def state_label(language: str, state: str) -> str:
    with translation.override(language):
        return str(dict(OrderState.choices)[state])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("source", ["", "review"])
def test_second_reviewer_is_told_the_order_changed_and_its_state_now(client, cast, language, source):
    order = drive(cast, new_order(cast, now=T0), "replied", now=T0, lead=EDU)
    A.do_review_reply(cast.reviewer, order.pk, approve=True, now=NOW)  # the first reviewer, a moment earlier
    other = do_create_user(username=f"reviewer-2-{language}-{source}", password=None, roles=[R.REVIEWER])
    client.force_login(other)
    data = {"decision": "approve", "_list": source, "_query": "tab=replies"}
    response = client.post(
        reverse("consoles:centre_action", args=[order.pk, "review"]), data, HTTP_ACCEPT_LANGUAGE=language, **HX
    )
    assert response.status_code == 200  # htmx swaps 2xx only: the panel (or the list) carries the message
    page = response.content.decode()
    assert 'data-status="409"' in page
    assert tr(language, "The order changed before your action, so nothing was done.") in page
    now_text = tr(language, "The order is now: %(state)s.") % {"state": state_label(language, "pending_callback")}
    assert now_text in page
    if language == "zh-hans":
        assert now_text != f"The order is now: {state_label('en', 'pending_callback')}."
    assert Event.objects.filter(order=order, kind="approve_reply").count() == 1

    no_js = client.post(
        reverse("consoles:centre_action", args=[order.pk, "review"]), data, HTTP_ACCEPT_LANGUAGE=language
    )
    assert no_js.status_code == 409 and now_text in no_js.content.decode()


def test_a_failure_that_is_not_a_conflict_names_no_state(client, cast):
    order = drive(cast, new_order(cast, now=T0), "replied", now=T0, lead=EDU)
    client.force_login(cast.reviewer)
    response = client.post(
        reverse("consoles:centre_action", args=[order.pk, "review"]), {"decision": "send_back"}, **HX
    )  # sending back needs a comment: a field error, not a conflict
    assert response.context["failure"].status == 422 and response.context["failure"].state_label == ""
    assert 'data-testid="current-state"' not in response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_second_handler_signing_is_told_it_is_signed_already(client, cast, language):
    order = drive(cast, new_order(cast, now=T0), "dispatched", now=T0, lead=EDU)
    colleague = do_create_user(username=f"edu-2-{language}", password=None, roles=[R.HANDLER], unit=cast.edu.unit)
    A.do_sign_assignment(colleague, order.pk, now=NOW)
    client.force_login(cast.edu)
    response = client.post(
        reverse("consoles:unit_action", args=[order.pk, "sign"]), {}, HTTP_ACCEPT_LANGUAGE=language, **HX
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and tr(language, "This assignment has been signed for already.") in page
    assert Event.objects.filter(order=order, kind="sign").count() == 1
