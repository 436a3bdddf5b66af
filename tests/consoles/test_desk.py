"""The intake desk: the page and its partials, each outcome's success and failure, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import EDU, T0, cast_for_module, drive, new_order
from yihaotong.intake.models import Contact
from yihaotong.workorders.actions import check_query_code
from yihaotong.workorders.models import Event, WorkOrder


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


DESK = "consoles:desk"
PHONE = "13800001234"  # the factories' requester


def _form(**overrides) -> dict:
    data = {
        "channel": "call",
        "phone": "13900005678",
        "name": "张先生",
        "address": "草市街1号",
        "summary": "楼下餐馆油烟很大",
        "text": "楼下餐馆的油烟每天晚上都排到住户窗口。",
        "request_type": "complaint",
        "urgency": "normal",
        "answer_text": "",
        "article_ref": "",
        "attach_number": "",
        "disposition_reason": "",
    }
    data.update(overrides)
    return data


def _counts() -> tuple[int, int, int]:
    return Contact.objects.count(), WorkOrder.objects.count(), Event.objects.count()


def _post(client, outcome: str, **overrides):
    return client.post(reverse(DESK), {**_form(**overrides), "outcome": outcome}, HTTP_HX_REQUEST="true")


# --- the page ------------------------------------------------------------------------------------------


def test_desk_page_for_operator_and_dispatcher(client, cast):
    for user in (cast.operator, cast.dispatcher):
        client.force_login(user)
        response = client.get(reverse(DESK))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'name="phone"' in page and "autofocus" in page.split('name="phone"')[1].split(">")[0]
        assert 'data-testid="kb-type-to-search"' in page
        for key in "12345":
            assert f'aria-keyshortcuts="Alt+{key}"' in page


def test_desk_needs_a_login_and_a_desk_role(client, cast):
    response = client.get(reverse(DESK))
    assert response.status_code == 302
    for user in (cast.edu, cast.reviewer, cast.callback):
        client.force_login(user)
        assert client.get(reverse(DESK)).status_code == 403
        assert client.post(reverse(DESK), {**_form(), "outcome": "create"}).status_code == 403


def test_desk_tab_order_follows_the_call(client, cast):
    client.force_login(cast.operator)
    page = client.get(reverse(DESK)).content.decode()
    order = ['name="phone"', 'name="name"', 'name="address"', 'name="summary"', 'name="text"']
    order += ['name="request_type"', 'name="urgency"', 'value="answer"', 'value="create"', 'value="attach"']
    order += ['value="emergency:110"', 'value="dispose"']
    positions = [page.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert 'tabindex="1' not in page  # no positive tabindex: the document order is the tab order


def test_desk_page_query_count(client, cast, django_assert_num_queries):
    client.force_login(cast.operator)
    client.get(reverse(DESK))
    # session, user, roles, unit (top bar), the bell's capped unread count, request types, urgency levels
    with django_assert_num_queries(7):
        assert client.get(reverse(DESK)).status_code == 200


# --- caller history ------------------------------------------------------------------------------------


def test_history_shows_open_orders_of_the_phone(client, cast):
    order = new_order(cast, now=T0, subject="工地夜间施工噪音")
    drive(cast, order, "dispatched", lead=EDU)
    client.force_login(cast.operator)
    response = client.get(reverse("consoles:desk_history"), {"phone": "138 0000 1234"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert order.number in page and "工地夜间施工噪音" in page
    assert f'value="attach:{order.pk}"' in page  # attach straight from the history


def test_history_of_an_unknown_phone_is_empty(client, cast):
    new_order(cast, now=T0)
    client.force_login(cast.operator)
    page = client.get(reverse("consoles:desk_history"), {"phone": "13999999999"}).content.decode()
    assert 'data-testid="no-history"' in page
    assert "QY" not in page


def test_history_of_a_short_number_asks_for_more_digits(client, cast):
    client.force_login(cast.operator)
    response = client.get(reverse("consoles:desk_history"), {"phone": "138"})
    assert response.status_code == 200
    assert 'data-testid="caller-history"' not in response.content.decode()


def test_history_flags_a_frequent_caller(client, cast):
    client.force_login(cast.operator)
    for i in range(5):
        _post(client, "answer", phone=PHONE, summary=f"咨询 {i}", answer_text="已答复")
    page = client.get(reverse("consoles:desk_history"), {"phone": PHONE}).content.decode()
    assert 'data-testid="frequent-caller"' in page
    assert "咨询 4" in page


def test_history_is_for_the_desk_roles_only(client, cast):
    client.force_login(cast.edu)
    assert client.get(reverse("consoles:desk_history"), {"phone": PHONE}).status_code == 403


@pytest.mark.parametrize("n", [1, 6])
def test_history_query_count_is_constant(client, cast, django_assert_num_queries, n):
    for i in range(n):
        order = new_order(cast, now=T0, subject=f"测试工单 {i}")
        client.force_login(cast.operator)
        _post(client, "attach", phone=PHONE, summary=f"再次来电 {i}", attach_number=order.number)
    client.force_login(cast.operator)
    client.get(reverse("consoles:desk_history"), {"phone": PHONE})
    with django_assert_num_queries(9):
        response = client.get(reverse("consoles:desk_history"), {"phone": PHONE})
    assert response.status_code == 200


# --- outcomes: success ---------------------------------------------------------------------------------


def test_create_order_shows_number_and_query_code_and_resets(client, cast):
    client.force_login(cast.operator)
    before = _counts()
    response = _post(client, "create")
    page = response.content.decode()
    assert response.status_code == 200
    order = WorkOrder.objects.latest("id")
    contact = Contact.objects.latest("id")
    assert contact.outcome == "work_order" and contact.order == order
    assert order.subject == "楼下餐馆油烟很大" and order.street.code == "510105002"
    assert order.requester_phone == "13900005678"
    assert 'data-testid="order-number"' in page and order.number in page
    code = page.split('data-testid="query-code">')[1].split("<")[0]
    assert len(code) == 6 and code.isdigit()
    assert check_query_code(order, code)  # the code read out is the one that opens the order
    assert 'value="楼下餐馆油烟很大"' not in page  # the form is empty for the next call
    assert _counts()[:2] == (before[0] + 1, before[1] + 1)


def test_direct_answer_records_the_contact(client, cast):
    client.force_login(cast.operator)
    before = _counts()
    response = _post(client, "answer", answer_text="告知了办理地点和材料", article_ref="KB-0012")
    assert response.status_code == 200
    contact = Contact.objects.latest("id")
    assert (contact.outcome, contact.article_ref, contact.answer_text) == (
        "direct_answer",
        "KB-0012",
        "告知了办理地点和材料",
    )
    assert contact.order is None
    assert _counts() == (before[0] + 1, before[1], before[2])
    assert "楼下餐馆油烟很大" not in response.content.decode()


def test_attach_by_candidate_button_counts_a_repeat_and_shows_progress(client, cast):
    order = drive(cast, new_order(cast, now=T0), "in_progress", lead=EDU)
    client.force_login(cast.operator)
    response = client.post(reverse(DESK), {**_form(), "outcome": f"attach:{order.pk}"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    order.refresh_from_db()
    assert order.repeat_count == 1
    contact = Contact.objects.latest("id")
    assert contact.outcome == "attached" and contact.order == order
    assert 'data-testid="order-progress"' in page and order.number in page
    assert "区教育局" in page  # the lead unit, to tell the caller who handles it


def test_attach_by_typed_number(client, cast):
    order = new_order(cast, now=T0)
    client.force_login(cast.operator)
    _post(client, "attach", attach_number=order.number.lower())
    order.refresh_from_db()
    assert order.repeat_count == 1


@pytest.mark.parametrize("service", ["110", "119", "120", "122"])
def test_emergency_transfer_is_recorded_with_time(client, cast, service):
    client.force_login(cast.operator)
    response = _post(client, f"emergency:{service}", summary="")
    assert response.status_code == 200
    contact = Contact.objects.latest("id")
    assert contact.outcome == "emergency" and contact.emergency_service == service
    assert contact.transferred_at is not None
    assert service in contact.summary  # an emergency may be recorded before a summary is typed
    assert service in response.content.decode()  # the confirmation message


def test_disposition_shows_the_channel_hint(client, cast):
    client.force_login(cast.operator)
    response = _post(client, "dispose", disposition_reason="outside_district", address="北京市朝阳区建国路1号")
    page = response.content.decode()
    contact = Contact.objects.latest("id")
    assert contact.outcome == "disposition" and contact.disposition_reason == "outside_district"
    assert 'data-testid="disposition"' in page
    assert "12345" in page  # the channel hint read to the caller
    assert contact.street is None


def test_full_page_post_without_htmx_renders_the_page(client, cast):
    client.force_login(cast.operator)
    response = client.post(reverse(DESK), {**_form(), "outcome": "create"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert 'data-testid="query-code"' in page


# --- outcomes: validation failures write nothing and keep the input ---------------------------------------


@pytest.mark.parametrize(
    ("outcome", "overrides", "field"),
    [
        ("create", {"request_type": ""}, "request_type"),
        ("create", {"summary": ""}, "summary"),
        ("create", {"phone": ""}, "phone"),
        ("answer", {}, "answer_text"),
        ("attach", {}, "attach_number"),
        ("attach", {"attach_number": "QY19990101-9999"}, "attach_number"),
        ("dispose", {}, "disposition_reason"),
        ("dispose", {"disposition_reason": "no-such-reason"}, "disposition_reason"),
    ],
)
def test_outcome_validation_failure_writes_nothing(client, cast, outcome, overrides, field):
    client.force_login(cast.operator)
    before = _counts()
    response = _post(client, outcome, **overrides)
    page = response.content.decode()
    assert response.status_code == 200
    assert _counts() == before
    assert 'class="field-error"' in page
    assert f'id="id_{field}_error"' in page or field in page.split('class="field-error"')[0][-600:]
    assert 'aria-invalid="true"' in page
    typed = {**_form(), **overrides}
    for name in ("phone", "name", "address", "summary", "answer_text", "attach_number"):
        if typed[name] and name != "answer_text":
            assert f'value="{typed[name]}"' in page  # what was typed is kept


def test_emergency_with_an_unknown_service_writes_nothing(client, cast):
    client.force_login(cast.operator)
    before = _counts()
    page = _post(client, "emergency:999").content.decode()
    assert _counts() == before
    assert 'role="alert"' in page and "110" in page
    assert 'value="楼下餐馆油烟很大"' in page


def test_no_outcome_writes_nothing(client, cast):
    client.force_login(cast.operator)
    before = _counts()
    page = _post(client, "").content.decode()
    assert _counts() == before
    assert 'role="alert"' in page


def test_attach_to_an_unknown_order_id_is_a_field_error(client, cast):
    client.force_login(cast.operator)
    before = _counts()
    response = client.post(reverse(DESK), {**_form(), "outcome": "attach:999999"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert _counts() == before
    assert 'id="id_attach_number_error"' in response.content.decode()


def test_attach_to_a_closed_order_fails_whole(client, cast):
    order = drive(cast, new_order(cast, now=T0), "closed", lead=EDU)
    client.force_login(cast.operator)
    before = _counts()
    page = client.post(
        reverse(DESK), {**_form(), "outcome": f"attach:{order.pk}"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert _counts() == before
    order.refresh_from_db()
    assert order.repeat_count == 0
    assert 'role="alert"' in page and 'value="楼下餐馆油烟很大"' in page


def test_create_failing_in_the_order_action_leaves_no_contact(client, cast, monkeypatch):
    """The contact and its order are one transaction: an order error leaves no contact behind."""
    from yihaotong.core.errors import Invalid
    from yihaotong.workorders import actions as W

    def broken(*args, **kwargs):
        raise Invalid("The work order is not valid.", errors={"requester_phone": ["bad phone"]})

    monkeypatch.setattr(W, "do_create_order", broken)
    client.force_login(cast.operator)
    before = _counts()
    page = _post(client, "create").content.decode()
    assert _counts() == before
    assert "bad phone" in page  # the order's field error lands on the desk's phone field


# --- live panes ----------------------------------------------------------------------------------------


def test_similar_lists_a_similar_open_order(client, cast):
    order = new_order(cast, now=T0, subject="工地夜间施工噪音", text="草市街附近工地每晚施工到深夜，噪音扰民。")
    client.force_login(cast.operator)
    # The similar pane looks 30 days back from now: move the order's creation to now.
    WorkOrder.objects.filter(pk=order.pk).update(created_at=timezone.now())
    response = client.post(
        reverse("consoles:desk_similar"),
        {"summary": "工地施工噪音", "text": "工地晚上施工噪音太大", "address": "草市街1号", "phone": ""},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert order.number in page and f'value="attach:{order.pk}"' in page


def test_similar_with_nothing_typed_says_so(client, cast):
    client.force_login(cast.operator)
    page = client.get(reverse("consoles:desk_similar")).content.decode()
    assert "similar-orders" not in page


def test_similar_and_kb_and_street_are_for_the_desk_roles_only(client, cast):
    client.force_login(cast.edu)
    assert client.get(reverse("consoles:desk_similar"), {"summary": "噪音"}).status_code == 403
    assert client.get(reverse("consoles:desk_kb"), {"q": "社保"}).status_code == 403
    assert client.get(reverse("consoles:desk_street"), {"address": "草市街1号"}).status_code == 403


def test_kb_partial_with_no_article_says_so(client, cast):
    # The pane itself is tested in test_desk_kb.py; here the knowledge base has no article at all.
    client.force_login(cast.operator)
    response = client.get(reverse("consoles:desk_kb"), {"q": "社保卡补办"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert 'data-testid="kb-no-match"' in page


def test_street_partial_reads_the_address(client, cast):
    client.force_login(cast.operator)
    ok = client.get(reverse("consoles:desk_street"), {"address": "草市街1号"}).content.decode()
    assert "草市街街道" in ok
    unknown = client.get(reverse("consoles:desk_street"), {"address": "某某路"}).content.decode()
    assert "street bad" in unknown
