"""The routing assistant in the consoles: the dispatcher's one-key accept of a confident suggestion (lead unit,
category) and the intake desk's pane of suggested request type, urgency and category.

A model is trained through the real action on small synthetic closed orders (tests/routing/synthetic.py),
so its calibrated confidences reach the accept threshold; without a model, the catalogue's keyword
shares never do, and no accept button is offered.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import CAOSHI, EDU, T0, cast_for_module, drive, new_order
from tests.routing.synthetic import requests
from yihaotong.consoles import views_centre
from yihaotong.routing.actions import do_record_decisions_from_events, do_train_router_models
from yihaotong.routing.loader import invalidate_models
from yihaotong.routing.models import RouterModel, SuggestionDecision
from yihaotong.workorders.models import WorkOrder

NOW = T0 + timedelta(hours=1)
SCHOOL = dict(subject="孩子小学入学报名咨询", text="孩子今年满六岁，想问一年级入学报名需要准备哪些材料，学籍怎么办。")


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """The cast and 45 closed synthetic orders (3 matters), with or without a trained model per test."""
    with cast_for_module(django_db_blocker) as cast:
        for r in requests(15):
            order = new_order(
                cast, subject=r["subject"], text=r["text"], category=r["category"], request_type=r["request_type"]
            )
            drive(cast, order, "closed", lead=r["lead"])
        yield cast


@pytest.fixture
def cast(_module_world, db):
    invalidate_models()
    yield _module_world
    invalidate_models()


@pytest.fixture
def trained(cast):
    report = do_train_router_models(None, min_orders=30)
    assert report.activated and RouterModel.objects.filter(is_active=True).count() == 3
    invalidate_models()
    return cast


@pytest.fixture(autouse=True)
def _pinned_now(monkeypatch):
    monkeypatch.setattr(views_centre, "_now", lambda: NOW)


def panel(client, order):
    return client.get(reverse("consoles:centre_panel", args=[order.pk]), HTTP_HX_REQUEST="true")


def pending(cast, **kw) -> WorkOrder:
    return drive(cast, new_order(cast, now=T0, **{**SCHOOL, **kw}), "pending_dispatch")


# --- the dispatcher: one-key accept ------------------------------------------------------------------------


def test_a_confident_unit_is_offered_for_one_key_dispatch(client, trained):
    cast = trained
    order = pending(cast)
    client.force_login(cast.dispatcher)
    response = panel(client, order)
    accept = response.context["accept_unit"]
    assert accept is not None and accept["value"] == cast.unit(EDU).pk and accept["confidence"] >= 80
    page = response.content.decode()
    button = page.split('data-testid="accept-unit"')[0].rsplit("<button", 1)[1]
    assert f'name="accept_unit" value="{cast.unit(EDU).pk}"' in button and 'aria-keyshortcuts="Alt+A"' in button
    assert reverse("consoles:centre_action", args=[order.pk, "dispatch"]) in button
    assert 'data-accept-key="a"' in button and "yhtAcceptKeys" in page  # the key binding ships with the panel
    # Enter in a field of the dispatch form still previews: its first (default) submit button is not the accept.
    form = page.split(f'id="dispatch-form-{order.pk}"')[1]
    first = form.split('type="submit"')[1].split(">")[0]
    assert f'formaction="{reverse("consoles:dispatch_preview", args=[order.pk])}"' in first


def test_accepting_dispatches_to_the_suggested_unit_and_is_recorded_as_accepted(client, trained):
    cast = trained
    order = pending(cast)
    client.force_login(cast.dispatcher)
    unit = panel(client, order).context["accept_unit"]["value"]
    # The button posts the dispatch form: its own value replaces the lead unit, the rest goes as typed.
    response = client.post(
        reverse("consoles:centre_action", args=[order.pk, "dispatch"]),
        {"accept_unit": str(unit), "lead_unit_id": "", "support_unit_ids": [cast.unit(CAOSHI).pk]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.state == "dispatched" and order.lead_unit_id == cast.unit(EDU).pk
    assert list(order.assignments.filter(role="support").values_list("unit__code", flat=True)) == [CAOSHI]
    do_record_decisions_from_events(now=NOW)
    decision = SuggestionDecision.objects.get(order=order, field="unit")
    assert decision.accepted and decision.chosen == EDU and decision.actor == cast.dispatcher


def test_a_confident_category_is_offered_and_accepted_with_one_key(client, trained):
    cast = trained
    noise = dict(subject="楼上邻居深夜噪音", text="楼上邻居每天深夜十二点还在跺脚拖椅子，吵得老人孩子无法休息。")
    order = pending(cast, category=None, **noise)
    client.force_login(cast.dispatcher)
    response = panel(client, order)
    accept = response.context["accept_category"]
    assert accept is not None and accept["value"] == "ENV-02-01"
    assert 'data-testid="accept-category"' in response.content.decode()
    response = client.post(
        reverse("consoles:centre_action", args=[order.pk, "classify"]),
        {"accept_category": "ENV-02-01", "category": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.category.code == "ENV-02-01"
    # A category the classify form cannot take (EDU-01 has subcategories) is shown but not offered.
    school = pending(cast, category=None)
    assert panel(client, school).context["accept_category"] is None


def test_no_one_key_accept_without_a_model_or_when_unsure(client, cast):
    order = pending(cast)
    client.force_login(cast.dispatcher)
    response = panel(client, order)
    # The catalogue's keyword shares are capped below the threshold: shown, but not for one-key accept.
    assert response.context["accept_unit"] is None and response.context["accept_category"] is None
    assert 'data-testid="accept-unit"' not in response.content.decode()


def test_an_unsure_model_offers_no_one_key_accept(client, trained, monkeypatch):
    from yihaotong.directory import policy

    real = policy.get_policy
    monkeypatch.setattr(policy, "get_policy", lambda: {**real(), "router_accept_threshold": 1.01})
    order = pending(trained)
    client.force_login(trained.dispatcher)
    response = panel(client, order)
    assert response.context["suggestions"] and response.context["accept_unit"] is None


def test_an_accept_value_is_checked_like_a_chosen_unit(client, trained):
    cast = trained
    order = pending(cast)
    client.force_login(cast.dispatcher)
    response = client.post(
        reverse("consoles:centre_action", args=[order.pk, "dispatch"]),
        {"accept_unit": "999999"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # the panel again, with the error on the lead unit
    assert "lead_unit_id" in response.context["failure"].form.errors
    order.refresh_from_db()
    assert order.state == "pending_dispatch"


# --- the intake desk: suggested request type, urgency and category ----------------------------------------


def suggest_pane(client, **data):
    return client.post(reverse("consoles:desk_suggest"), data, HTTP_HX_REQUEST="true")


def test_desk_pane_shows_the_models_request_type_and_category(client, trained):
    client.force_login(trained.operator)
    response = suggest_pane(client, summary="楼上邻居深夜噪音", text="楼上邻居每天深夜跺脚拖椅子，吵得无法休息。")
    assert response.status_code == 200
    s = response.context["suggestion"]
    assert s["request_type"] == "complaint" and s["request_type_source"].startswith("model v")
    assert s["confident"] and s["request_types"][0]["confidence"] >= 80
    assert s["categories"] and s["category_source"].startswith("model v")
    page = response.content.decode()
    assert 'data-request-type="complaint"' in page and 'aria-keyshortcuts="Alt+6"' in page


def test_desk_pane_offers_the_emergency_urgency(client, cast):
    client.force_login(cast.operator)
    response = suggest_pane(client, summary="楼道着火了", text="三楼楼道着火了，浓烟很大，有人被困。")
    s = response.context["suggestion"]
    assert s["urgency"] == "critical" and "119" in s["services"]
    page = response.content.decode()
    assert 'data-testid="suggested-urgency" data-code="critical"' in page and 'data-urgency="critical"' in page


def test_desk_pane_before_typing_and_for_unreadable_text(client, cast):
    client.force_login(cast.operator)
    assert suggest_pane(client).context["asked"] is False
    response = suggest_pane(client, summary="？？？！！！", text="😀😀")
    assert response.status_code == 200 and 'data-testid="apply-suggestion"' not in response.content.decode()


def test_desk_pane_is_for_desk_roles(client, cast):
    client.force_login(cast.edu)
    assert suggest_pane(client, summary="垃圾没人清运").status_code == 403


def test_desk_page_has_the_pane_and_its_key(client, cast):
    client.force_login(cast.operator)
    page = client.get(reverse("consoles:desk")).content.decode()
    assert 'id="suggest-pane"' in page and reverse("consoles:desk_suggest") in page and "Alt+6" in page
