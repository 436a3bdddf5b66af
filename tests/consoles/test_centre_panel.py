"""The centre's panels on the order detail page: the action panel, the dispatch deadline preview, related orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import CAOSHI, EDU, T0, cast_for_module, drive, new_order
from yihaotong.consoles import views_centre
from yihaotong.directory.models import CatalogueEntry
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Assignment, Event
from yihaotong.worktime.loader import get_calendar

NOW = T0 + timedelta(hours=1)


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


def panel(client, order, **kw):
    return client.get(reverse("consoles:centre_panel", args=[order.pk]), HTTP_HX_REQUEST="true", **kw)


# --- access --------------------------------------------------------------------------------------------


def test_panel_is_for_centre_staff_and_visible_orders(client, cast):
    order = drive(cast, new_order(cast, now=T0), "dispatched", lead=EDU)
    client.force_login(cast.edu)  # a handler sees the order but not the centre panel
    assert client.get(reverse("consoles:order", args=[order.pk])).status_code == 200
    assert panel(client, order).status_code == 403
    client.force_login(cast.dispatcher)
    response = panel(client, order)
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert panel(client, type(order)(pk=999999)).status_code == 404
    # a whistle-blowing report is invisible to the operator (not a confidential role): 404, not 403
    report = new_order(cast, now=T0, actor=cast.integration, request_type="report")
    client.force_login(cast.operator)
    assert panel(client, report).status_code == 404
    assert client.get(reverse("consoles:related_panel", args=[report.pk])).status_code == 404
    client.logout()
    assert panel(client, order).status_code == 302


def test_panel_without_htmx_is_a_full_page(client, cast):
    order = new_order(cast, now=T0)
    client.force_login(cast.dispatcher)
    page = client.get(reverse("consoles:centre_panel", args=[order.pk])).content.decode()
    assert "<html" in page and 'id="centre-panel"' in page


# --- which forms show ----------------------------------------------------------------------------------


def _forms(response) -> set[str]:
    return set(response.context["blocks"])


def test_panel_shows_the_forms_the_state_table_allows(client, cast):
    submitted = new_order(cast, now=T0, actor=cast.integration)
    pending = new_order(cast, now=T0)
    replied = drive(cast, new_order(cast, now=T0), "replied")
    callback = drive(cast, new_order(cast, now=T0), "pending_callback")
    closed = drive(cast, new_order(cast, now=T0), "closed")
    client.force_login(cast.dispatcher)
    assert _forms(panel(client, submitted)) == {"accept", "classify", "answer", "reject", "merge"}
    assert _forms(panel(client, pending)) == {"classify", "answer", "reject", "merge", "dispatch", "supervision"}
    assert _forms(panel(client, replied)) == {"supervision"}  # remind only
    assert panel(client, replied).context["blocks"]["supervision"]["routes"] == ["remind"]
    client.force_login(cast.operator)
    assert "dispatch" not in _forms(panel(client, pending))
    client.force_login(cast.reviewer)
    response = panel(client, replied)
    assert _forms(response) == {"review"}
    assert "已处理完毕" in response.content.decode() and "已处理" in response.content.decode()
    client.force_login(cast.callback)
    assert _forms(panel(client, callback)) == {"callback", "close", "redo"}
    assert _forms(panel(client, closed)) == {"redo"}
    client.force_login(cast.supervisor)
    response = panel(client, replied)
    assert response.context["blocks"]["supervision"]["routes"] == ["remind", "supervise", "escalate"]
    client.force_login(cast.leader)
    page = panel(client, pending).content.decode()
    assert "No centre action" in page or "没有" in page


def test_panel_lists_pending_applications_with_the_new_deadline(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress")
    A.do_request_extension(cast.edu, order.pk, working_days=5, reason="需协调多个部门", now=T0)
    order.refresh_from_db()
    client.force_login(cast.reviewer)
    response = panel(client, order)
    rows = response.context["blocks"]["decide"]["rows"]
    assert len(rows) == 1 and rows[0]["can_approve"] and rows[0]["can_refuse"]
    assert rows[0]["new_due"] == get_calendar().add_working_days(order.handle_due, 5, count_from="same_day")
    assert "需协调多个部门" in response.content.decode()
    client.force_login(cast.dispatcher)  # extensions are the reviewer's
    assert "decide" not in _forms(panel(client, order))


def test_merge_block_offers_same_matter_candidates(client, cast):
    first = new_order(
        cast, now=T0 - timedelta(hours=2), subject="人民公园厕所无人打扫", text="人民公园东门厕所无人打扫"
    )
    second = new_order(cast, now=T0, subject="人民公园厕所无人打扫", text="人民公园东门厕所无人打扫")
    client.force_login(cast.dispatcher)
    response = panel(client, second)
    numbers = [c.number for c in response.context["merge_candidates"]]
    assert numbers[0] == first.number
    page = response.content.decode()
    assert f'list="merge-candidates-{second.pk}"' in page and f'<option value="{first.number}"' in page


def test_dispatch_block_shows_the_catalogue_entry_and_an_honest_suggestion_slot(client, cast):
    own = new_order(cast, now=T0, category="URB-01-01")
    parent = new_order(cast, now=T0, category="URB-01-03")  # no entry of its own: its parent URB-01 has one
    none = new_order(cast, now=T0, category=None)
    client.force_login(cast.dispatcher)
    response = panel(client, own)
    entry = response.context["catalogue"]
    assert entry.category.code == "URB-01-01"
    form = response.context["blocks"]["dispatch"]["form"]
    assert form.initial["lead_unit_id"] == entry.lead_unit_id  # pre-filled, labelled as from the catalogue
    page = response.content.decode()
    assert "routing assistant" in page.lower() or "派单助手" in page or "智能" in page
    assert panel(client, parent).context["catalogue"].category.code == "URB-01"
    assert panel(client, none).context["catalogue"] is None


def test_catalogue_by_territory_suggests_the_street_of_the_address(client, cast):
    order = new_order(cast, now=T0, category="URB-02-01")  # 违建: the street office leads (属地管理)
    assert CatalogueEntry.objects.get(version__is_current=True, category__code="URB-02-01").by_territory
    client.force_login(cast.dispatcher)
    response = panel(client, order)
    assert response.context["catalogue_lead"] == cast.unit(CAOSHI)
    assert response.context["blocks"]["dispatch"]["form"].initial["lead_unit_id"] == cast.unit(CAOSHI).pk


# --- deadline preview ----------------------------------------------------------------------------------


def preview(client, order, data=None, **kw):
    return client.post(reverse("consoles:dispatch_preview", args=[order.pk]), data or {}, **kw)


def test_preview_computes_a_complaints_deadlines_without_writing(client, cast):
    order = new_order(cast, now=T0)  # a complaint: 15 working days to handle, 1 to sign
    events = Event.objects.filter(order=order).count()
    client.force_login(cast.dispatcher)
    response = preview(client, order, {"lead_unit_id": cast.unit(EDU).pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    p = response.context["preview"]
    cal = get_calendar()
    assert p.handle_due == cal.add_working_days(NOW, 15, count_from="next_day")
    assert p.sign_due == cal.add_working_days(NOW, 1, count_from="next_day")
    page = response.content.decode()
    assert 'data-testid="confirm-dispatch"' in page
    assert p.handle_due_text in page and "24:00" in p.handle_due_text  # a working-day deadline ends at 24:00
    order.refresh_from_db()
    assert order.state == "pending_dispatch" and order.sign_due is None
    assert Event.objects.filter(order=order).count() == events and not Assignment.objects.filter(order=order).exists()
    # GET works too (no writes either way)
    assert client.get(reverse("consoles:dispatch_preview", args=[order.pk]), HTTP_HX_REQUEST="true").status_code == 200


def test_preview_needs_a_deadline_for_critical_urgency(client, cast):
    order = new_order(cast, now=T0, urgency="critical")
    client.force_login(cast.dispatcher)
    response = preview(client, order, {}, HTTP_HX_REQUEST="true")
    assert response.context["preview"].error
    page = response.content.decode()
    assert 'data-testid="preview-error"' in page and "confirm-dispatch" not in page
    due = (NOW + timedelta(hours=6)).astimezone(views_centre.timezone.get_current_timezone())
    response = preview(client, order, {"handle_due": due.strftime("%Y-%m-%dT%H:%M")}, HTTP_HX_REQUEST="true")
    p = response.context["preview"]
    assert not p.error and p.handle_due == due.replace(second=0, microsecond=0)
    assert p.sign_due == NOW + timedelta(minutes=15)
    past = preview(client, order, {"handle_due": "2020-01-01T08:00"}, HTTP_HX_REQUEST="true")
    assert past.context["preview"].error


def test_preview_without_javascript_renders_the_panel_with_the_confirm_button(client, cast):
    order = new_order(cast, now=T0)
    client.force_login(cast.dispatcher)
    response = preview(client, order, {"lead_unit_id": cast.unit(EDU).pk, "instructions": "请尽快"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert 'data-testid="confirm-dispatch"' in page and "请尽快" in page  # typed input kept


def test_preview_is_the_dispatchers(client, cast):
    order = new_order(cast, now=T0)
    client.force_login(cast.reviewer)
    assert preview(client, order, HTTP_HX_REQUEST="true").status_code == 403
    client.force_login(cast.dispatcher)
    assert client.post(reverse("consoles:dispatch_preview", args=[999999])).status_code == 404


# --- related orders ------------------------------------------------------------------------------------


def test_related_panel_lists_same_caller_merged_and_similar_orders(client, cast):
    master = new_order(cast, now=T0 - timedelta(hours=3), subject="金河路井盖缺失", text="金河路88号门口井盖缺失很危险")
    dup = new_order(cast, now=T0 - timedelta(hours=2), subject="金河路井盖缺失", text="金河路88号门口井盖缺失")
    A.do_merge_order(cast.dispatcher, dup.pk, master_id=master.pk, now=T0)
    similar = new_order(
        cast,
        now=T0 - timedelta(hours=1),
        subject="金河路井盖缺失",
        text="金河路门口井盖缺失",
        requester_phone="13900000000",
    )
    other = new_order(cast, now=T0, subject="别的事", text="咨询社保缴费")
    client.force_login(cast.dispatcher)
    response = client.get(reverse("consoles:related_panel", args=[master.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    ctx = response.context
    assert [o.number for o in ctx["merged"]] == [dup.number]
    assert other.number in [o.number for o in ctx["same_caller"]]
    assert similar.number in [c.number for c in ctx["similar"]]
    page = response.content.decode()
    assert reverse("consoles:order", args=[dup.pk]) in page and reverse("consoles:order", args=[similar.pk]) in page
    back = client.get(reverse("consoles:related_panel", args=[dup.pk]), HTTP_HX_REQUEST="true")
    assert back.context["master"].pk == master.pk


def test_related_panel_for_a_unit_shows_only_what_the_unit_sees(client, cast):
    mine = drive(cast, new_order(cast, now=T0, subject="教育局的工单 校门口拥堵"), "dispatched", lead=EDU)
    drive(cast, new_order(cast, now=T0, subject="教育局的工单 校门口拥堵"), "dispatched", lead=CAOSHI)
    client.force_login(cast.edu)
    response = client.get(reverse("consoles:related_panel", args=[mine.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["same_caller"] == [] and response.context["show_caller"] is False
    assert response.context["similar"] == []  # the look-alike belongs to another unit


def test_suggestion_slot_shows_the_routing_assistant(client, cast):
    # No model has been trained yet: the assistant falls back to the dispatch catalogue's keywords.
    order = new_order(cast, now=T0, subject="工地夜间施工噪音", text="附近工地每天夜间施工，打桩噪音很大，无法休息。")
    client.force_login(cast.dispatcher)
    response = panel(client, order)
    suggestions = response.context["suggestions"]
    assert suggestions, "the catalogue fallback should suggest something for a construction-noise complaint"
    units = [s for s in suggestions if s["unit_id"]]
    assert units and all(0 <= s["confidence"] <= 100 for s in units)
    assert units[0]["label"] in response.content.decode()
