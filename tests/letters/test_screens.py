"""The operator's letters screens and API: list, open, record as a contact or an order through the intake
actions, dismiss; attachments after the access check; permissions."""

from __future__ import annotations

import pytest

from yihaotong.intake.models import Contact
from yihaotong.letters.actions import do_receive_letter
from yihaotong.letters.conf import MailboxSettings
from yihaotong.letters.mail import parse_message
from yihaotong.letters.models import Letter, LetterEvent
from yihaotong.workorders.models import WorkOrder

from .messages import letter

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% test\n%%EOF\n"


def keep(**kwargs) -> Letter:
    row, created = do_receive_letter(parse_message(letter(**kwargs), MailboxSettings()))
    assert created
    return row


def _record(**overrides) -> dict:
    data = {
        "outcome": "work_order",
        "name": "林小姐",
        "phone": "13900002222",
        "address": "草市街12号",
        "summary": "小区门口路灯坏了",
        "text": "草市街12号小区门口的路灯坏了一周。",
        "request_type": "help",
        "urgency": "normal",
    }
    data.update(overrides)
    return data


def test_waiting_letters_are_listed_oldest_first_and_searchable(cast, client):
    a = keep(subject="第一封：噪音")
    b = keep(subject="第二封：路灯")
    client.force_login(cast.operator)
    html = client.get("/letters/").content.decode()
    assert html.index(f'id="letter-{a.pk}"') < html.index(f'id="letter-{b.pk}"')
    html = client.get("/letters/", {"q": "路灯"}).content.decode()
    assert f'id="letter-{b.pk}"' in html and f'id="letter-{a.pk}"' not in html
    assert 'class="empty"' in client.get("/letters/", {"q": "没有这个"}).content.decode()
    assert 'class="empty"' in client.get("/letters/", {"state": "dismissed"}).content.decode()


def test_the_list_costs_the_same_queries_for_more_letters(cast, client, django_assert_max_num_queries):
    for i in range(5):
        keep(subject=f"第{i}封", attachments=[("说明.pdf", "application/pdf", PDF)])
    client.force_login(cast.operator)
    client.get("/letters/")  # warm the session and caches
    with django_assert_max_num_queries(8):
        html = client.get("/letters/").content.decode()
    assert html.count('<tr id="letter-') == 5


def test_a_letter_opens_prefilled_and_becomes_a_work_order(cast, client):
    row = keep(attachments=[("说明.pdf", "application/pdf", PDF)])
    client.force_login(cast.operator)
    html = client.get(f"/letters/{row.pk}/").content.decode()
    assert "小区门口路灯坏了" in html and 'value="13900002222"' in html  # the phone found in the text
    assert f"/letters/{row.pk}/files/" in html
    r = client.post(f"/letters/{row.pk}/record", _record())
    order = WorkOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/orders/{order.pk}/"
    assert order.channel == "letter" and order.requester_phone == "13900002222"
    row.refresh_from_db()
    contact = Contact.objects.get()
    assert row.state == "recorded" and row.contact == contact and contact.order == order
    assert contact.channel == "letter" and contact.source.startswith("电子邮件")
    assert list(LetterEvent.objects.filter(letter=row).values_list("kind", flat=True)) == ["received", "recorded"]
    # The letter's file is on the order too (internal), for the handling unit.
    copied = order.attachments.get()
    assert copied.name == "说明.pdf" and copied.content_type == "application/pdf" and not copied.is_public
    with copied.file.open("rb") as f:
        assert f.read() == PDF
    # Handled once: a second post is refused, nothing more is written.
    r = client.post(f"/letters/{row.pk}/record", _record())
    assert r.status_code == 422 and WorkOrder.objects.count() == 1
    html = client.get("/letters/", {"state": "recorded"}).content.decode()
    assert order.number in html


def test_a_letter_answered_directly_or_disposed(cast, client):
    one, two = keep(subject="问社保"), keep(subject="法院的事")
    client.force_login(cast.operator)
    r = client.post(f"/letters/{one.pk}/record", _record(outcome="direct_answer", answer_text="已回信告知办理流程。"))
    assert r.status_code == 302
    r = client.post(f"/letters/{two.pk}/record", _record(outcome="disposition", disposition_reason="litigation"))
    assert r.status_code == 302
    assert sorted(Contact.objects.values_list("outcome", flat=True)) == ["direct_answer", "disposition"]
    assert not WorkOrder.objects.exists()


def test_a_repeat_letter_is_attached_to_an_open_order(cast, client):
    from tests.factories import new_order

    order = new_order(cast)
    row = keep(subject="再次反映噪音")
    client.force_login(cast.operator)
    r = client.post(f"/letters/{row.pk}/record", _record(outcome="attached", order_number="QY00000000-9999"))
    assert r.status_code == 422 and not Contact.objects.exists()
    r = client.post(f"/letters/{row.pk}/record", _record(outcome="attached", order_number=order.number.lower()))
    assert r.status_code == 302 and r["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    row.refresh_from_db()
    assert order.repeat_count == 1 and row.contact.order == order and row.contact.outcome == "attached"


def test_invalid_input_keeps_the_letter_waiting(cast, client):
    row = keep()
    client.force_login(cast.operator)
    r = client.post(f"/letters/{row.pk}/record", _record(request_type=""))
    assert r.status_code == 422 and "field-error" in r.content.decode()
    r = client.post(f"/letters/{row.pk}/record", _record(request_type="no-such-type"))
    assert r.status_code == 422
    r = client.post(f"/letters/{row.pk}/record", _record(outcome="direct_answer", answer_text=""))
    assert r.status_code == 422
    row.refresh_from_db()
    assert row.state == "waiting" and not Contact.objects.exists() and not WorkOrder.objects.exists()


def test_dismiss_needs_a_reason(cast, client):
    row = keep(subject="促销广告")
    client.force_login(cast.operator)
    assert client.post(f"/letters/{row.pk}/dismiss", {"reason": ""}).status_code == 422
    assert client.post(f"/letters/{row.pk}/dismiss", {"reason": "广告邮件"}).status_code == 302
    row.refresh_from_db()
    assert row.state == "dismissed" and row.dismiss_reason == "广告邮件" and row.handled_by == cast.operator


def test_attachments_are_served_after_the_access_check(cast, client):
    row = keep(attachments=[("说明.pdf", "application/pdf", PDF)])
    att = row.attachments.get()
    client.force_login(cast.operator)
    r = client.get(f"/letters/{row.pk}/files/{att.pk}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert "attachment" in r["Content-Disposition"] and r["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/letters/{row.pk}/files/{att.pk + 999}").status_code == 404
    client.force_login(cast.edu)
    assert client.get(f"/letters/{row.pk}/files/{att.pk}").status_code == 403
    assert client.get("/letters/").status_code == 403
    assert client.get(f"/letters/{row.pk}/").status_code == 403


def test_a_supervisor_reads_but_does_not_record(cast, client):
    row = keep()
    client.force_login(cast.supervisor)
    html = client.get(f"/letters/{row.pk}/").content.decode()
    assert 'id="record-form"' not in html
    r = client.post(f"/letters/{row.pk}/record", _record())
    assert r.status_code == 422 and not Contact.objects.exists()


def test_refused_mail_is_listed_with_its_reason(cast, client, mailbox, settings_for):
    from yihaotong.letters.poller import poll_mailbox

    mailbox.add(letter(subject="带可执行文件", attachments=[("x.exe", "application/x-msdownload", b"MZ")]))
    poll_mailbox(settings_for())
    client.force_login(cast.operator)
    html = client.get("/letters/", {"state": "refused"}).content.decode()
    assert "带可执行文件" in html and "x.exe" in html


def test_the_api_lists_records_and_dismisses(cast, client):
    one, two = keep(subject="路灯"), keep(subject="广告")
    client.force_login(cast.operator)
    r = client.get("/api/v1/letters")
    assert r.status_code == 200 and [x["id"] for x in r.json()["items"]] == [one.pk, two.pk]
    r = client.post(
        f"/api/v1/letters/{one.pk}/record",
        {"outcome": "work_order", "summary": "路灯坏了", "request_type": "help", "phone": "13900002222"},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["order_number"] and r.json()["query_code"]
    r = client.post(f"/api/v1/letters/{one.pk}/dismiss", {"reason": "x"}, content_type="application/json")
    assert r.status_code == 409
    r = client.post(f"/api/v1/letters/{two.pk}/dismiss", {"reason": "广告"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "dismissed"
    client.force_login(cast.edu)
    assert client.get(f"/api/v1/letters/{one.pk}").status_code == 404
