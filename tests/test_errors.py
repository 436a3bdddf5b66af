"""Domain errors: English ``.message`` (the API's detail), translated ``localized()`` for the screens."""

from __future__ import annotations

import pytest
from django.utils import translation

from yihaotong.core.errors import Code, DomainError, Invalid, InvalidTransition, Message, NotFound
from yihaotong.workorders import states as S


def test_a_constant_message_is_english_and_translated_at_display_time():
    exc = NotFound("No such work order.")
    assert exc.message == str(exc) == "No such work order." and exc.template == "No such work order."
    with translation.override("zh-hans"):
        assert exc.localized() == "没有该工单。"
    with translation.override("en"):
        assert exc.localized() == "No such work order."
    assert NotFound().message == "Not found"  # no message: the title, as before


def test_parameters_fill_the_english_message_and_codes_show_their_labels_when_localized():
    exc = InvalidTransition(
        "Cannot sign while the order is %(state)s.", params={"state": Code("order_state", "in_progress")}, state="x"
    )
    assert exc.message == "Cannot sign while the order is in_progress."
    assert exc.extra == {"state": "x"} and exc.params["state"].value == "in_progress"
    with translation.override("zh-hans"):
        assert exc.localized() == "工单处于“办理中”状态，不能签收。"
    with translation.override("en"):
        assert exc.localized() == "Cannot sign while the order is In progress."
    # A code of an unknown kind, or not among its choices, shows as itself.
    assert Code("no_such_kind", "abc").localized() == "abc"
    assert Code("order_state", "no_such_state").localized() == "no_such_state"


def test_the_transition_table_keeps_its_english_and_translates_action_and_state():
    with pytest.raises(InvalidTransition) as info:
        S.check_transition("accept", S.PENDING_DISPATCH, {"dispatcher"})
    exc = info.value
    assert exc.message == "Cannot accept an order that is pending_dispatch."
    assert exc.extra == {"action": "accept", "state": "pending_dispatch"}
    with translation.override("zh-hans"):
        assert exc.localized() == "工单处于“待派单”状态，不能受理。"
    with pytest.raises(DomainError) as info:
        S.check_side_action("request_extension", S.DISPATCHED, {"handler"}, "原因")
    assert info.value.message == "Cannot request extension while the order is dispatched."
    with translation.override("zh-hans"):
        assert info.value.localized() == "工单处于“已派单”状态，不能申请延期。"


def test_field_errors_are_translated_plain_msgids_and_messages_alike():
    exc = Invalid(
        "The work order is not valid.",
        errors={"subject": ["This field is required."], "channel": [Message("unknown channel %(code)r", code="fax")]},
    )
    assert exc.errors == {"subject": ["This field is required."], "channel": ["unknown channel 'fax'"]}
    with translation.override("zh-hans"):
        assert exc.localized_errors() == {"subject": ["这个字段是必填项。"], "channel": ["未知的渠道 'fax'"]}
        assert exc.localized() == "工单填写不正确。"
        # A message copied into a new error (views rename the fields) keeps its template.
        copy = Invalid(exc.message, errors={"__all__": [exc.message, *exc.errors["channel"]]})
        assert copy.localized() == "工单填写不正确。"
        assert copy.localized_errors() == {"__all__": ["工单填写不正确。", "未知的渠道 'fax'"]}
    with translation.override("en"):
        assert exc.localized_errors() == exc.errors


def test_a_message_without_a_translation_or_with_a_percent_sign_is_shown_as_it_is():
    with translation.override("zh-hans"):
        assert (
            DomainError("Nothing like this is in the catalogue.").localized()
            == "Nothing like this is in the catalogue."
        )
        assert DomainError("100% sure, no parameters.").localized() == "100% sure, no parameters."
