"""Every work-order endpoint: its success path and at least one denial."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yihaotong.audit.models import AccessLog
from yihaotong.notifications.models import Outbox
from yihaotong.workorders.actions import check_query_code
from yihaotong.workorders.models import Application, Assignment, Attachment, Event, WorkOrder

from .conftest import API, assert_problem, ok

EDU, CM, CAOSHI = "QY-D-EDU", "QY-D-CM", "510105002"

NEW = {
    "channel": "call",
    "request_type": "complaint",
    "category": "URB-01-01",
    "subject": "工地夜间施工噪音",
    "text": "附近工地每晚施工到深夜。",
    "street": CAOSHI,
    "address": "草市街2号",
    "requester_name": "张三丰",
    "requester_phone": "138 0000 5678",
}


def state(order) -> str:
    return WorkOrder.objects.values_list("state", flat=True).get(pk=order.pk)


def kinds(order) -> list[str]:
    return list(Event.objects.filter(order=order).order_by("at", "id").values_list("kind", flat=True))


# --- list and create ---------------------------------------------------------------------------------------


def test_list_centre_sees_all_units_see_theirs(api, make_order):
    waiting = make_order("pending_dispatch")
    at_edu = make_order("dispatched", lead=EDU)
    at_cm = make_order("dispatched", lead=CM)
    body = ok(api.get(api.cast.operator, "/orders"))
    assert {i["id"] for i in body["items"]} == {waiting.pk, at_edu.pk, at_cm.pk}
    assert body["meta"] == {"page": 1, "page_size": 50, "total": 3, "pages": 1, "capped": False}
    assert body["items"][0]["requester"] == {
        "name": "测试人",
        "phone": "13800001234",
        "masked": False,
        "anonymous": False,
    }
    edu = ok(api.get(api.cast.edu, "/orders"))
    assert [i["id"] for i in edu["items"]] == [at_edu.pk] and edu["meta"]["total"] == 1
    assert edu["items"][0]["requester"] == {"name": "测**", "phone": "138****1234", "masked": True, "anonymous": False}
    assert [i["id"] for i in ok(api.get(api.cast.cm, "/orders"))["items"]] == [at_cm.pk]
    assert ok(api.get(api.cast.panel, "/orders"))["items"] == []  # no role that sees orders


def test_create_returns_201_with_query_code(api):
    body = ok(api.post(api.cast.operator, "/orders", NEW), 201)
    assert re.fullmatch(r"\d{6}", body["query_code"])
    out = body["order"]
    order = WorkOrder.objects.get(pk=out["id"])
    assert check_query_code(order, body["query_code"])
    assert out["number"] == order.number and out["state"] == "pending_dispatch"
    assert out["requester"] == {"name": "张三丰", "phone": "13800005678", "masked": False, "anonymous": False}
    assert out["category"]["code"] == "URB-01-01" and out["street"]["code"] == CAOSHI
    assert out["actions"] and "dispatch" not in out["actions"]  # the operator may not dispatch
    assert kinds(order) == ["create"]
    sms = Outbox.objects.get(order=order, channel="sms")
    assert sms.recipient_address == "13800005678" and body["query_code"] in sms.body


def test_create_by_dispatcher_offers_dispatch(api):
    out = ok(api.post(api.cast.dispatcher, "/orders", NEW), 201)["order"]
    assert "dispatch" in out["actions"] and "classify" in out["actions"]


def test_create_denied_to_a_handler(api):
    assert_problem(api.post(api.cast.edu, "/orders", NEW), 403, "not_permitted")
    assert not WorkOrder.objects.exists()


def test_integration_may_not_create_accepted_orders(api):
    assert_problem(api.post(api.cast.integration, "/orders", NEW | {"accepted": True}), 403, "not_permitted")
    out = ok(api.post(api.cast.integration, "/orders", NEW), 201)["order"]
    assert out["state"] == "submitted"


# --- reading one order -------------------------------------------------------------------------------------


def test_detail_unmasked_for_centre_masked_for_unit(api, make_order):
    order = make_order("dispatched", lead=EDU, supports=(CM,), requester_name="张三丰", requester_phone="13800005678")
    centre = ok(api.get(api.cast.dispatcher, f"/orders/{order.pk}"))
    assert centre["requester"] == {"name": "张三丰", "phone": "13800005678", "masked": False, "anonymous": False}
    assert {(a["unit"]["code"], a["role"], a["state"]) for a in centre["assignments"]} == {
        (EDU, "lead", "pending_sign"),
        (CM, "support", "pending_sign"),
    }
    unit = ok(api.get(api.cast.edu, f"/orders/{order.pk}"))
    assert unit["requester"] == {"name": "张**", "phone": "138****5678", "masked": True, "anonymous": False}
    assert "sign" in unit["actions"] and "dispatch" not in unit["actions"]
    assert unit["lead_unit"]["code"] == EDU and unit["sign_due"] is not None


def test_detail_of_confidential_order_hides_identity_from_the_unit(api, make_order):
    order = make_order("dispatched", lead=EDU, is_confidential=True, actor=api.cast.dispatcher)
    unit = ok(api.get(api.cast.edu, f"/orders/{order.pk}"))
    assert unit["requester"] == {"name": "保密", "phone": "保密", "masked": True, "anonymous": False}
    # the operator holds no confidential role and did not take this order: it does not exist for them
    assert_problem(api.get(api.cast.operator, f"/orders/{order.pk}"), 404)
    assert order.pk not in {i["id"] for i in ok(api.get(api.cast.operator, "/orders"))["items"]}


def test_by_number(api, make_order):
    order = make_order("dispatched", lead=EDU)
    assert ok(api.get(api.cast.edu, f"/orders/by-number/{order.number}"))["id"] == order.pk
    assert_problem(api.get(api.cast.cm, f"/orders/by-number/{order.number}"), 404, "not_found")
    assert_problem(api.get(api.cast.operator, "/orders/by-number/nope"), 404, "not_found")


def test_events_timeline(api, make_order):
    order = make_order("in_progress", lead=EDU)
    events = ok(api.get(api.cast.edu, f"/orders/{order.pk}/events"))
    assert [e["kind"] for e in events] == ["create", "dispatch", "sign"]
    assert events[1]["from_state"] == "pending_dispatch" and events[1]["to_state"] == "dispatched"
    assert events[1]["unit"] == "成都市青羊区教育局" and events[1]["actor"] == "dispatcher"
    assert_problem(api.get(api.cast.cm, f"/orders/{order.pk}/events"), 404)


def test_replies(api, make_order):
    order = make_order("replied", lead=EDU)
    replies = ok(api.get(api.cast.reviewer, f"/orders/{order.pk}/replies"))
    assert [(r["unit"]["code"], r["state"], r["public_text"]) for r in replies] == [(EDU, "pending", "已处理完毕")]
    assert_problem(api.get(api.cast.cm, f"/orders/{order.pk}/replies"), 404)


def test_applications(api, make_order):
    order = make_order("in_progress", lead=EDU)
    ok(api.post(api.cast.edu, f"/orders/{order.pk}/termination-requests", {"reason": "诉求人已撤回"}), 201)
    apps = ok(api.get(api.cast.reviewer, f"/orders/{order.pk}/applications"))
    assert [(a["kind"], a["state"], a["unit"]["code"], a["order_number"]) for a in apps] == [
        ("termination", "pending", EDU, order.number)
    ]
    assert_problem(api.get(api.cast.cm, f"/orders/{order.pk}/applications"), 404)


# --- the centre's moves before dispatch ---------------------------------------------------------------------


def test_classify(api, make_order):
    order = make_order("pending_dispatch")
    out = ok(api.post(api.cast.operator, f"/orders/{order.pk}/classify", {"category": "ENV-01-01"}))
    assert out["category"]["code"] == "ENV-01-01"
    assert Event.objects.get(order=order, kind="classify").payload == {"from": "URB-01-01", "to": "ENV-01-01"}
    assert_problem(api.post(api.cast.callback, f"/orders/{order.pk}/classify", {"category": "ENV-01-01"}), 403)
    body = assert_problem(api.post(api.cast.operator, f"/orders/{order.pk}/classify", {"category": "NOPE"}), 422)
    assert list(body["errors"]) == ["category"]
    dispatched = make_order("dispatched")
    assert_problem(api.post(api.cast.operator, f"/orders/{dispatched.pk}/classify", {"category": "ENV-01-01"}), 409)


def test_accept(api, make_order):
    order = make_order("submitted")
    assert_problem(api.post(api.cast.reviewer, f"/orders/{order.pk}/accept"), 403, "not_permitted")
    out = ok(api.post(api.cast.operator, f"/orders/{order.pk}/accept"))
    assert out["state"] == "pending_dispatch" and out["accepted_at"] is not None
    assert_problem(api.post(api.cast.operator, f"/orders/{order.pk}/accept"), 409, "invalid_transition")


def test_answer(api, make_order):
    order = make_order("pending_dispatch")
    assert_problem(api.post(api.cast.operator, f"/orders/{order.pk}/answer", {"answer": ""}), 422)
    assert_problem(api.post(api.cast.reviewer, f"/orders/{order.pk}/answer", {"answer": "按政策办理"}), 403)
    out = ok(api.post(api.cast.operator, f"/orders/{order.pk}/answer", {"answer": "按政策办理", "article_ref": "KB-1"}))
    assert (out["state"], out["public_reply"], out["article_ref"]) == ("answered", "按政策办理", "KB-1")
    assert out["closed_at"] is not None
    assert Outbox.objects.filter(order=order, kind="order_answered", channel="sms").count() == 1


def test_reject(api, make_order):
    order = make_order("pending_dispatch")
    body = assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/reject", {"disposition_reason": "x"}), 422)
    assert list(body["errors"]) == ["disposition_reason"]
    out = ok(api.post(api.cast.dispatcher, f"/orders/{order.pk}/reject", {"disposition_reason": "litigation"}))
    assert (out["state"], out["disposition_reason"]) == ("rejected", "litigation")
    dispatched = make_order("dispatched")
    resp = api.post(api.cast.dispatcher, f"/orders/{dispatched.pk}/reject", {"disposition_reason": "litigation"})
    assert_problem(resp, 409, "invalid_transition")


def test_merge(api, make_order):
    master, duplicate = make_order("pending_dispatch"), make_order("pending_dispatch")
    assert_problem(api.post(api.cast.operator, f"/orders/{master.pk}/merge", {"master_id": master.pk}), 422)
    out = ok(
        api.post(api.cast.operator, f"/orders/{duplicate.pk}/merge", {"master_id": master.pk, "reason": "同一诉求"})
    )
    assert (out["state"], out["master_number"]) == ("merged", master.number)
    master.refresh_from_db()
    assert master.repeat_count == 1 and "merge_in" in kinds(master)
    # a terminal master takes no more duplicates
    answered, late = make_order("pending_dispatch"), make_order("pending_dispatch")
    ok(api.post(api.cast.operator, f"/orders/{answered.pk}/answer", {"answer": "已答复"}))
    assert_problem(api.post(api.cast.operator, f"/orders/{late.pk}/merge", {"master_id": answered.pk}), 409)
    assert state(late) == "pending_dispatch"


# --- dispatch and the units' work ---------------------------------------------------------------------------


def test_dispatch(api, make_order):
    order = make_order("pending_dispatch")
    payload = {
        "lead_unit_id": api.cast.unit(EDU).pk,
        "support_unit_ids": [api.cast.unit(CM).pk],
        "instructions": "请核实",
    }
    out = ok(api.post(api.cast.dispatcher, f"/orders/{order.pk}/dispatch", payload))
    assert out["state"] == "dispatched" and out["lead_unit"]["code"] == EDU
    assert {(a["unit"]["code"], a["role"]) for a in out["assignments"]} == {(EDU, "lead"), (CM, "support")}
    assert out["sign_due"] and out["handle_due"] and out["due_at"] == out["sign_due"]
    assert set(
        Outbox.objects.filter(order=order, kind="dispatched").values_list("recipient_unit__code", flat=True)
    ) == {
        EDU,
        CM,
    }


def test_dispatch_denials(api, make_order):
    order = make_order("pending_dispatch")
    centre = {"lead_unit_id": api.cast.unit("QY-CENTRE").pk}
    body = assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/dispatch", centre), 422)
    assert list(body["errors"]) == ["units"]
    twice = {"lead_unit_id": api.cast.unit(EDU).pk, "support_unit_ids": [api.cast.unit(EDU).pk]}
    assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/dispatch", twice), 422)
    unclassified = make_order("pending_dispatch", category=None)
    resp = api.post(api.cast.dispatcher, f"/orders/{unclassified.pk}/dispatch", {"lead_unit_id": api.cast.unit(EDU).pk})
    assert assert_problem(resp, 422)["errors"] == {"category": ["required to dispatch"]}
    assert not Assignment.objects.exists()


def test_sign(api, make_order):
    order = make_order("dispatched", lead=EDU, supports=(CM,))
    assert_problem(api.post(api.cast.caoshi, f"/orders/{order.pk}/sign"), 404)  # not assigned
    assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/sign"), 403)
    part = ok(api.post(api.cast.cm, f"/orders/{order.pk}/sign", {}))  # the supporting unit's part
    assert part["state"] == "dispatched"
    assert {a["unit"]["code"]: a["state"] for a in part["assignments"]} == {EDU: "pending_sign", CM: "signed"}
    out = ok(api.post(api.cast.edu, f"/orders/{order.pk}/sign"))  # no body at all
    assert out["state"] == "in_progress" and out["signed_at"] is not None
    assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/sign"), 409, "invalid_transition")


def test_sign_names_another_units_assignment(api, make_order):
    order = make_order("dispatched", lead=EDU, supports=(CM,))
    cm_part = Assignment.objects.get(order=order, unit__code=CM)
    resp = api.post(api.cast.edu, f"/orders/{order.pk}/sign", {"assignment_id": cm_part.pk})
    assert_problem(resp, 403, "not_permitted")


def test_subdispatch(api, make_order):
    order = make_order("dispatched", lead=EDU)
    sub = api.cast.unit("QY-D-EDU-01")
    assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/subdispatch", {"sub_unit_id": sub.pk}), 409)
    ok(api.post(api.cast.edu, f"/orders/{order.pk}/sign"))
    assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/subdispatch", {"sub_unit_id": sub.pk}), 403)
    other = api.cast.unit(CM)
    body = assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/subdispatch", {"sub_unit_id": other.pk}), 422)
    assert list(body["errors"]) == ["sub_unit_id"]
    out = ok(api.post(api.cast.edu_admin, f"/orders/{order.pk}/subdispatch", {"sub_unit_id": sub.pk}))
    child = next(a for a in out["assignments"] if a["unit"]["code"] == "QY-D-EDU-01")
    lead = next(a for a in out["assignments"] if a["unit"]["code"] == EDU)
    assert child["parent_id"] == lead["id"] and child["state"] == "pending_sign"
    assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/subdispatch", {"sub_unit_id": sub.pk}), 409, "conflict")


def test_return_request_and_decision(api, make_order):
    order = make_order("dispatched", lead=EDU, supports=(CM,))
    assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/return-requests", {"reason": "x"}), 403)
    assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/return-requests", {"reason": ""}), 422)
    app = ok(api.post(api.cast.edu, f"/orders/{order.pk}/return-requests", {"reason": "不属于本单位职责"}), 201)
    assert (app["kind"], app["state"], app["unit"]["code"], app["order_id"]) == ("return", "pending", EDU, order.pk)
    decide = f"/orders/applications/{app['id']}/decide"
    assert_problem(api.post(api.cast.operator, decide, {"approve": True}), 403)
    decided = ok(api.post(api.cast.dispatcher, decide, {"approve": True, "note": "改派"}))
    assert decided["state"] == "approved" and decided["decision_note"] == "改派" and decided["decided_at"]
    order.refresh_from_db()
    assert order.state == "pending_dispatch" and order.lead_unit_id is None
    assert dict(Assignment.objects.filter(order=order).values_list("unit__code", "state")) == {
        EDU: "returned",
        CM: "withdrawn",
    }
    assert_problem(api.post(api.cast.dispatcher, decide, {"approve": False, "note": "再议"}), 409, "invalid_transition")


def test_refused_return_keeps_the_order(api, make_order):
    order = make_order("dispatched", lead=EDU)
    app = ok(api.post(api.cast.edu, f"/orders/{order.pk}/return-requests", {"reason": "不属于本单位职责"}), 201)
    decide = f"/orders/applications/{app['id']}/decide"
    assert_problem(api.post(api.cast.dispatcher, decide, {"approve": False}), 422)  # a refusal needs a note
    assert ok(api.post(api.cast.dispatcher, decide, {"approve": False, "note": "属于你单位职责"}))["state"] == "refused"
    assert state(order) == "dispatched"


def test_extension_request_and_decision(api, make_order):
    dispatched = make_order("dispatched", lead=EDU)
    body = {"working_days": 3, "reason": "需现场复核"}
    assert_problem(api.post(api.cast.edu, f"/orders/{dispatched.pk}/extension-requests", body), 409)
    order = make_order("in_progress", lead=EDU, supports=(CM,))
    Assignment.objects.get(order=order, unit__code=CM)  # the supporting unit holds a part
    assert_problem(api.post(api.cast.cm, f"/orders/{order.pk}/extension-requests", body), 403)
    resp = api.post(api.cast.edu, f"/orders/{order.pk}/extension-requests", body | {"working_days": 0})
    assert list(assert_problem(resp, 422)["errors"]) == ["working_days"]
    app = ok(api.post(api.cast.edu, f"/orders/{order.pk}/extension-requests", body), 201)
    assert (app["kind"], app["working_days"], app["new_due"]) == ("extension", 3, None)
    assert app["old_due"] is not None
    decide = f"/orders/applications/{app['id']}/decide"
    assert_problem(api.post(api.cast.dispatcher, decide, {"approve": True}), 403)
    decided = ok(api.post(api.cast.reviewer, decide, {"approve": True}))
    assert decided["state"] == "approved" and decided["new_due"] > decided["old_due"]
    detail = ok(api.get(api.cast.edu, f"/orders/{order.pk}"))
    assert detail["extension_days"] == 3 and detail["due_at"] == decided["new_due"]


def test_termination_request_and_decision(api, make_order):
    order = make_order("in_progress", lead=EDU)
    assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/termination-requests", {"reason": "x"}), 403)
    app = ok(api.post(api.cast.edu, f"/orders/{order.pk}/termination-requests", {"reason": "诉求人已撤回"}), 201)
    assert app["kind"] == "termination"
    decided = ok(api.post(api.cast.reviewer, f"/orders/applications/{app['id']}/decide", {"approve": True}))
    assert decided["state"] == "approved"
    assert state(order) == "terminated"
    assert not Assignment.objects.filter(order=order, state__in=["pending_sign", "signed", "replied"]).exists()


def test_reply(api, make_order):
    dispatched = make_order("dispatched", lead=EDU)
    reply = {
        "internal_notes": "已现场核查",
        "public_text": "经核查已责令停工。",
        "requester_contacted": True,
        "solved": True,
    }
    assert_problem(api.post(api.cast.edu, f"/orders/{dispatched.pk}/reply", reply), 409)  # not signed for
    order = make_order("in_progress", lead=EDU)
    assert_problem(api.post(api.cast.cm, f"/orders/{order.pk}/reply", reply), 404)
    body = assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/reply", {"public_text": "x"}), 422)
    assert list(body["errors"]) == ["internal_notes"]
    body = assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/reply", {"internal_notes": "已核查"}), 422)
    assert list(body["errors"]) == ["public_text"]
    out = ok(api.post(api.cast.edu, f"/orders/{order.pk}/reply", reply))
    assert out["state"] == "replied" and out["replied_at"] is not None
    assert Outbox.objects.filter(order=order, kind="reply_to_review").count() == 1


def test_review(api, make_order):
    in_progress = make_order("in_progress", lead=EDU)
    assert_problem(api.post(api.cast.reviewer, f"/orders/{in_progress.pk}/review", {"approve": True}), 409)
    order = make_order("replied", lead=EDU)
    assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/review", {"approve": True}), 403)
    assert_problem(api.post(api.cast.reviewer, f"/orders/{order.pk}/review", {"approve": False}), 422)  # say why
    back = ok(api.post(api.cast.reviewer, f"/orders/{order.pk}/review", {"approve": False, "comment": "请补充照片"}))
    assert back["state"] == "in_progress"
    replies = ok(api.get(api.cast.edu, f"/orders/{order.pk}/replies"))
    assert [(r["state"], r["review_comment"]) for r in replies] == [("sent_back", "请补充照片")]
    other = make_order("replied", lead=EDU)
    out = ok(api.post(api.cast.reviewer, f"/orders/{other.pk}/review", {"approve": True}))
    assert out["state"] == "pending_callback" and out["public_reply"] == "已处理完毕" and out["callback_due"]


def test_supervise(api, make_order):
    order = make_order("in_progress", lead=EDU)
    assert_problem(api.post(api.cast.operator, f"/orders/{order.pk}/supervise", {"level": "remind"}), 403)
    assert_problem(api.post(api.cast.supervisor, f"/orders/{order.pk}/supervise", {"level": "supervise"}), 422)
    assert_problem(api.post(api.cast.supervisor, f"/orders/{order.pk}/supervise", {"level": "shout"}), 422)
    out = ok(api.post(api.cast.supervisor, f"/orders/{order.pk}/supervise", {"level": "escalate", "note": "挂牌"}))
    assert out["supervision_level"] == "escalate"
    out = ok(api.post(api.cast.dispatcher, f"/orders/{order.pk}/supervise", {"level": "remind"}))
    assert out["supervision_level"] == "escalate"  # a reminder does not lower the level
    assert Outbox.objects.filter(order=order, kind="escalated", recipient_role="leader").count() == 1
    submitted = make_order("submitted")
    assert_problem(api.post(api.cast.supervisor, f"/orders/{submitted.pk}/supervise", {"level": "remind"}), 409)


def test_notes(api, make_order):
    order = make_order("in_progress", lead=EDU)
    assert_problem(api.post(api.cast.leader, f"/orders/{order.pk}/notes", {"text": "关注"}), 403)
    assert list(assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/notes", {"text": ""}), 422)["errors"]) == [
        "text"
    ]
    body = ok(api.post(api.cast.edu, f"/orders/{order.pk}/notes", {"text": "已约现场"}), 201)
    note = order.notes.get()
    assert body == {"id": note.pk, "kind": "note"}
    assert note.unit.code == EDU and note.author == api.cast.edu


def test_contact_logs(api, make_order):
    order = make_order("in_progress", lead=EDU, supports=(CM,))
    assert_problem(api.post(api.cast.dispatcher, f"/orders/{order.pk}/contact-logs", {"note": "x"}), 403)
    body = ok(api.post(api.cast.edu, f"/orders/{order.pk}/contact-logs", {"note": "电话联系", "method": "phone"}), 201)
    log = order.contact_logs.get()
    assert body == {"id": log.pk, "kind": "contact_log"} and log.unit.code == EDU
    assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/contact-logs", {"method": "pigeon"}), 422)
    closed = make_order("closed", lead=EDU)
    assert_problem(api.post(api.cast.callback, f"/orders/{closed.pk}/contact-logs", {"note": "x"}), 409)


def _upload(api, user, order, name, content, content_type, query=""):
    f = SimpleUploadedFile(name, content, content_type=content_type)
    return api.client(user).post(f"{API}/orders/{order.pk}/attachments{query}", {"file": f})


def test_attachments(api, make_order):
    order = make_order("in_progress", lead=EDU)
    resp = _upload(api, api.cast.edu, order, "现场.txt", "现场照片说明".encode(), "text/plain", "?is_public=true")
    body = ok(resp, 201)
    att = Attachment.objects.get(order=order)
    assert body == {"id": att.pk, "name": "现场.txt", "size": att.size, "content_type": "text/plain"}
    assert att.is_public and att.file.read().decode() == "现场照片说明"
    refused = assert_problem(_upload(api, api.cast.edu, order, "a.exe", b"MZ", "application/x-msdownload"), 422)
    assert list(refused["errors"]) == ["file"] and "application/x-msdownload" in refused["errors"]["file"][0]
    assert_problem(_upload(api, api.cast.leader, order, "a.txt", b"x", "text/plain"), 403)
    assert_problem(api.client(api.cast.edu).post(f"{API}/orders/{order.pk}/attachments", {}), 422)  # no file
    assert Attachment.objects.filter(order=order).count() == 1


# --- callback, close, redo ----------------------------------------------------------------------------------


def test_callbacks(api, make_order):
    order = make_order("pending_callback", lead=EDU)
    reached = {"outcome": "reached", "contacted": True, "solved": True, "satisfaction": "satisfied"}
    assert_problem(api.post(api.cast.operator, f"/orders/{order.pk}/callbacks", reached), 403)
    body = assert_problem(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", {"outcome": "reached"}), 422)
    assert list(body["errors"]) == ["satisfaction"]
    out = ok(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", reached))
    assert (out["state"], out["satisfaction"]) == ("closed", "satisfied") and out["closed_at"]
    assert_problem(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", reached), 409)


def test_dissatisfied_callback_sends_the_order_back(api, make_order):
    order = make_order("pending_callback", lead=EDU)
    bad = {"outcome": "reached", "score5": 1}
    assert list(assert_problem(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", bad), 422)["errors"]) == [
        "reason"
    ]
    out = ok(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", bad | {"reason": "噪音仍在"}))
    assert (out["state"], out["redo_count"], out["satisfaction"]) == ("in_progress", 1, "dissatisfied")


def test_close(api, make_order):
    order = make_order("pending_callback", lead=EDU)
    assert_problem(api.post(api.cast.operator, f"/orders/{order.pk}/close", {"reason": "无需回访"}), 403)
    assert list(assert_problem(api.post(api.cast.callback, f"/orders/{order.pk}/close", {}), 422)["errors"]) == [
        "reason"
    ]
    out = ok(api.post(api.cast.callback, f"/orders/{order.pk}/close", {"reason": "诉求人明确不需回访"}))
    assert out["state"] == "closed"


def test_redo(api, make_order):
    in_progress = make_order("in_progress", lead=EDU)
    assert_problem(api.post(api.cast.callback, f"/orders/{in_progress.pk}/redo", {"reason": "未解决"}), 409)
    order = make_order("closed", lead=EDU)
    assert_problem(api.post(api.cast.operator, f"/orders/{order.pk}/redo", {"reason": "未解决"}), 403)
    assert_problem(api.post(api.cast.supervisor, f"/orders/{order.pk}/redo", {"reason": ""}), 422)
    out = ok(api.post(api.cast.supervisor, f"/orders/{order.pk}/redo", {"reason": "群众反映仍未解决"}))
    assert (out["state"], out["redo_count"], out["closed_at"]) == ("in_progress", 1, None)
    lead = next(a for a in out["assignments"] if a["role"] == "lead")
    assert lead["state"] == "signed" and lead["replied_at"] is None


# --- personal data ------------------------------------------------------------------------------------------


def test_reveal_contact_unmasks_and_logs(api, make_order):
    order = make_order("dispatched", lead=EDU, requester_name="张三丰", requester_phone="13800005678")
    assert ok(api.get(api.cast.edu, f"/orders/{order.pk}"))["requester"]["masked"] is True
    assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/reveal-contact", {"reason": "x"}), 422)
    assert_problem(api.post(api.cast.cm, f"/orders/{order.pk}/reveal-contact", {"reason": "联系诉求人"}), 404)
    assert not AccessLog.objects.exists()
    out = ok(api.post(api.cast.edu, f"/orders/{order.pk}/reveal-contact", {"reason": "联系诉求人核实地址"}))
    assert out == {"name": "张三丰", "phone": "13800005678"}
    log = AccessLog.objects.get()
    assert (log.actor, log.subject_type, log.subject_id) == (api.cast.edu, "workorders.workorder", str(order.pk))
    assert (
        log.reason == "联系诉求人核实地址" and log.fields == "requester_name,requester_phone" and log.ip == "127.0.0.1"
    )
    assert "reveal_contact" in kinds(order)
    assert ok(api.get(api.cast.edu, f"/orders/{order.pk}"))["requester"]["masked"] is True  # still masked


def test_reveal_refused_on_protected_identity(api, make_order):
    order = make_order("dispatched", lead=EDU, is_confidential=True)
    assert_problem(api.post(api.cast.edu, f"/orders/{order.pk}/reveal-contact", {"reason": "联系诉求人"}), 403)
    assert not AccessLog.objects.exists()
    assert "reveal_contact" not in kinds(order)


@pytest.mark.parametrize("path", ["accept", "classify", "dispatch", "merge", "reply", "review", "redo", "close"])
def test_actions_on_missing_order_are_404(api, path):
    assert_problem(api.post(api.cast.dispatcher, f"/orders/987654/{path}", _minimal_body(path, api)), 404, "not_found")


def _minimal_body(path, api) -> dict:
    return {
        "classify": {"category": "URB-01-01"},
        "dispatch": {"lead_unit_id": api.cast.unit(EDU).pk},
        "merge": {"master_id": 1},
        "reply": {"internal_notes": "x"},
        "review": {"approve": True},
        "redo": {"reason": "x"},
    }.get(path, {})


def test_application_decide_unknown_id(api):
    assert_problem(api.post(api.cast.reviewer, "/orders/applications/424242/decide", {"approve": True}), 404)
    assert not Application.objects.exists()


# --- longer paths -------------------------------------------------------------------------------------------


def test_create_with_a_community_fills_its_street(api):
    from yihaotong.directory.models import Unit

    community = Unit.objects.filter(parent=api.cast.unit(CAOSHI), kind="community").first()
    out = ok(api.post(api.cast.operator, "/orders", NEW | {"street": None, "community": community.code}), 201)["order"]
    assert out["street"]["code"] == CAOSHI and out["community"]["code"] == community.code
    body = assert_problem(
        api.post(api.cast.operator, "/orders", NEW | {"street": "510105005", "community": community.code}), 422
    )
    assert body["errors"] == {"community": ["community is not in that street"]}


def test_subdispatch_to_a_community_and_back(api, make_order):
    """草市街 signs, passes its part to a community, which signs and reports; then the street replies."""
    c = api.cast
    order = make_order("dispatched", lead=CAOSHI)
    community = c.community.unit
    ok(api.post(c.caoshi, f"/orders/{order.pk}/sign"))
    ok(api.post(c.caoshi, f"/orders/{order.pk}/subdispatch", {"sub_unit_id": community.pk, "instructions": "请核实"}))
    assert [i["id"] for i in ok(api.get(c.community, "/orders"))["items"]] == [order.pk]
    assert ok(api.get(c.caoshi_admin, f"/orders/{order.pk}"))["id"] == order.pk
    reply = {"internal_notes": "街道答复", "public_text": "已处理。"}
    assert_problem(api.post(c.caoshi, f"/orders/{order.pk}/reply", reply), 409)  # the community has not reported
    ok(api.post(c.community, f"/orders/{order.pk}/sign"))
    part = ok(api.post(c.community, f"/orders/{order.pk}/reply", {"internal_notes": "社区已上门核实"}))
    assert part["state"] == "in_progress"
    out = ok(api.post(c.caoshi, f"/orders/{order.pk}/reply", reply))
    assert out["state"] == "replied"
    assert {a["unit"]["code"]: a["state"] for a in out["assignments"]} == {CAOSHI: "replied", community.code: "replied"}
    assert [r["state"] for r in ok(api.get(c.reviewer, f"/orders/{order.pk}/replies"))] == ["internal", "pending"]


def test_unreached_callbacks_close_after_the_last_attempt(api, make_order):
    order = make_order("pending_callback", lead=EDU)
    for _ in range(2):
        assert ok(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", {"outcome": "no_answer"}))["state"] == (
            "pending_callback"
        )
    out = ok(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", {"outcome": "no_answer"}))
    assert out["state"] == "closed" and out["satisfaction"] == ""
    close = Event.objects.get(order=order, kind="close")
    assert close.payload == {"unreached": True, "attempts": 3}


def test_redo_after_the_window_is_409(api):
    from tests.factories import T0, drive, new_order

    order = drive(api.cast, new_order(api.cast, now=T0), "closed", now=T0)  # closed in March 2026
    body = assert_problem(api.post(api.cast.supervisor, f"/orders/{order.pk}/redo", {"reason": "仍未解决"}), 409)
    assert "window" in body["detail"]
    assert state(order) == "closed"


def test_redo_of_a_critical_order_keeps_the_dispatchers_span(api, make_order):
    from datetime import timedelta

    from django.utils import timezone

    order = make_order("pending_dispatch", urgency="critical")
    due = timezone.now() + timedelta(hours=4)
    payload = {"lead_unit_id": api.cast.unit(EDU).pk, "handle_due": due.isoformat()}
    ok(api.post(api.cast.dispatcher, f"/orders/{order.pk}/dispatch", payload))
    ok(api.post(api.cast.edu, f"/orders/{order.pk}/sign"))
    ok(api.post(api.cast.edu, f"/orders/{order.pk}/reply", {"internal_notes": "已处置", "public_text": "已处置"}))
    ok(api.post(api.cast.reviewer, f"/orders/{order.pk}/review", {"approve": True}))
    order.refresh_from_db()
    span = order.handle_due - order.handle_started_at
    bad = {"outcome": "reached", "satisfaction": "dissatisfied", "reason": "仍有危险"}
    out = ok(api.post(api.cast.callback, f"/orders/{order.pk}/callbacks", bad))
    assert out["state"] == "in_progress" and out["redo_count"] == 1
    order.refresh_from_db()
    redo = Event.objects.get(order=order, kind="redo")
    assert order.handle_started_at == redo.at and order.handle_due - order.handle_started_at == span


def test_unparseable_body_is_a_400_problem(api):
    resp = api.client(api.cast.operator).post(f"{API}/orders", "{not json", content_type="application/json")
    assert_problem(resp, 400)
    assert not WorkOrder.objects.exists()


def test_a_unit_that_gave_the_order_back_is_offered_nothing(api, make_order):
    c = api.cast
    order = make_order("dispatched", lead=EDU)
    app = ok(api.post(c.edu, f"/orders/{order.pk}/return-requests", {"reason": "不属于本单位职责"}), 201)
    ok(api.post(c.dispatcher, f"/orders/applications/{app['id']}/decide", {"approve": True}))
    ok(api.post(c.dispatcher, f"/orders/{order.pk}/dispatch", {"lead_unit_id": c.unit(CM).pk}))
    assert "sign" in ok(api.get(c.cm, f"/orders/{order.pk}"))["actions"]
    former = ok(api.get(c.edu, f"/orders/{order.pk}"))  # it still reads the history of its part
    assert former["actions"] == []
    for path, body in (("sign", {}), ("notes", {"text": "仍在跟进"}), ("contact-logs", {"note": "x"})):
        assert_problem(api.post(c.edu, f"/orders/{order.pk}/{path}", body), 403)
    assert_problem(api.post(c.edu, f"/orders/{order.pk}/reveal-contact", {"reason": "联系诉求人"}), 403)
