"""The public portal end to end through Django's test client (the real actions, a fake SMS gateway)."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import drive
from tests.kb.util import SCHOOL, publish
from tests.portal.images import GPS_MARK, jpeg_with_exif
from yihaotong.notifications.delivery import deliver_outbox
from yihaotong.notifications.models import Outbox, OutboxState
from yihaotong.workorders.models import Attachment, Event, WorkOrder

PHONE = "13600002222"


def _code(gateway, phone=PHONE) -> str:
    deliver_outbox()  # what the worker does after the commit
    texts = [t for t in gateway.to(phone) if "验证码" in t]
    return re.search(r"验证码是(\d{6})", texts[-1]).group(1)


def _form(**over):
    data = {
        "request_type": "complaint",
        "subject": "小区门口路灯不亮",
        "text": "青羊区某小区门口的路灯已经一周不亮，晚上行人看不清路。",
        "address": "草市街1号",
        "name": "王小明",
        "phone": PHONE,
        "action": "submit",
    }
    data.update(over)
    return data


def _submit(client, gateway, **over):
    r = client.post("/portal/submit/", {"phone": over.get("phone", PHONE), "action": "send_code"})
    assert r.status_code == 200, r.content.decode()[:500]
    data = _form(code=_code(gateway, over.get("phone", PHONE)), **over)
    return client.post("/portal/submit/", data)


def test_pages_render_without_staff_navigation(client, cast):
    for path in ["/portal/", "/portal/submit/", "/portal/track/", "/portal/kb/"]:
        r = client.get(path)
        assert r.status_code == 200
        html = r.content.decode()
        assert "/portal/cases/" in html and "/portal/reviews/" in html
        assert "/orders/" not in html


def test_submit_with_code_photo_and_sms(client, cast, gateway):
    photo = SimpleUploadedFile("street.jpg", jpeg_with_exif(), content_type="image/jpeg")
    client.post("/portal/submit/", {"phone": PHONE, "action": "send_code"})
    r = client.post("/portal/submit/", {**_form(code=_code(gateway)), "photos": [photo], "consent_publish": "on"})
    assert r.status_code == 302 and r["Location"] == "/portal/submit/done/"
    done = client.get("/portal/submit/done/").content.decode()
    order = WorkOrder.objects.get(requester_phone=PHONE)
    assert order.number in done
    code = re.search(r'data-testid="query-code">(\d{6})<', done).group(1)
    assert order.channel == "web" and order.state == "submitted" and order.consent_publish
    assert order.created_by.username == "portal" and order.requester_name == "王小明"
    att = Attachment.objects.get(order=order)
    stored = att.file.read()
    assert att.content_type == "image/jpeg" and GPS_MARK not in stored and stored.startswith(b"\xff\xd8")
    # The SMS with the number and the query code goes out with the worker's next run.
    deliver_outbox()
    assert any(order.number in t and code in t for t in gateway.to(PHONE))
    # Shown once: the page does not show the code again.
    assert client.get("/portal/submit/done/").status_code == 302


def test_wrong_code_fake_image_and_script_text(client, cast, gateway):
    client.post("/portal/submit/", {"phone": PHONE, "action": "send_code"})
    r = client.post("/portal/submit/", _form(code="000000" if _code(gateway) != "000000" else "111111"))
    assert r.status_code == 422 and WorkOrder.objects.count() == 0
    fake = SimpleUploadedFile("photo.jpg", b"this is only text", content_type="image/jpeg")
    r = client.post("/portal/submit/", {**_form(code=_code(gateway)), "photos": [fake]})
    assert r.status_code == 422 and "photo.jpg" in r.content.decode() and WorkOrder.objects.count() == 0
    # The code is still good (a refused photo is checked before the code): submit text with markup.
    r = client.post("/portal/submit/", _form(code=_code(gateway), subject="<script>alert(1)</script>", text="<b>x</b>"))
    assert r.status_code == 302
    order = WorkOrder.objects.get()
    assert order.subject == "<script>alert(1)</script>"
    page = client.get(f"/portal/track/{order.number}/").content.decode()  # remembered in this session
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_same_text_again_asks_whether_same_matter(client, cast, gateway):
    assert _submit(client, gateway).status_code == 302
    first = WorkOrder.objects.get()
    r = client.post("/portal/submit/", _form())  # phone verified in this session for a while
    assert r.status_code == 409 and 'data-testid="duplicate"' in r.content.decode()
    r = client.post("/portal/submit/", _form(same_matter="same"))
    assert r.status_code == 302 and WorkOrder.objects.count() == 1
    first.refresh_from_db()
    assert first.repeat_count == 1
    assert first.number in client.get("/portal/submit/done/").content.decode()
    r = client.post("/portal/submit/", _form(same_matter="new"))
    assert r.status_code == 302 and WorkOrder.objects.count() == 2


def test_gateway_down_still_accepts_the_order(client, cast, gateway, settings):
    client.post("/portal/submit/", {"phone": PHONE, "action": "send_code"})
    code = _code(gateway)
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9"
    r = client.post("/portal/submit/", _form(code=code))
    assert r.status_code == 302
    deliver_outbox()
    order = WorkOrder.objects.get()
    row = Outbox.objects.get(order=order, kind="order_created")
    assert row.state == OutboxState.QUEUED and "unreachable" in row.last_error and row.next_attempt_at


def _track(client, number, code):
    return client.post("/portal/track/", {"number": number, "code": code})


def test_track_shows_public_timeline_and_reply_not_internals(client, cast):
    from tests.factories import order_input
    from yihaotong.workorders import actions as A

    order, code = A.do_create_order(cast.operator, order_input(channel="web"))
    A.do_add_note(cast.operator, order.pk, text="内部备注：不要告诉诉求人")
    drive(cast, order, "pending_callback")
    assert _track(client, order.number, code).status_code == 302
    page = client.get(f"/portal/track/{order.number}/").content.decode()
    assert "区教育局" in page or "教育局" in page  # dispatched to which unit
    assert "已处理完毕" in page  # the public reply
    assert "内部备注" not in page and "已处理<" not in page  # internal notes / handling notes
    for user in ("operator", "dispatcher", "edu", "reviewer"):
        assert f">{user}<" not in page and f" {user} " not in page
    assert 'data-testid="rate"' in page


def test_wrong_codes_are_throttled_and_do_not_reveal_existence(client, cast):
    from tests.factories import new_order

    order = new_order(cast)
    missing = _track(client, "QY20990101-9999", "123456")
    wrong = _track(client, order.number, "999999")
    assert missing.status_code == wrong.status_code == 404

    def strip(r):
        html = r.content.decode().replace("QY20990101-9999", "N").replace(order.number, "N")
        return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", html)

    assert strip(missing) == strip(wrong)
    for _ in range(4):
        _track(client, order.number, "999998")
    r = _track(client, order.number, "999997")
    assert r.status_code == 429  # five wrong codes for this number in 15 minutes
    # Even the right code is not checked while throttled (nothing leaks by timing or answer).
    assert _track(client, order.number, "000000").status_code == 429


def test_ip_limit_across_numbers(client, cast):
    for i in range(20):
        _track(client, f"QY20990101-{i:04d}", "123456")
    assert _track(client, "QY20990101-7777", "123456").status_code == 429


def test_rating_dissatisfied_sends_back_for_redo(client, cast):
    from tests.factories import order_input
    from yihaotong.workorders import actions as A

    order, code = A.do_create_order(cast.operator, order_input(channel="web"))
    drive(cast, order, "pending_callback")
    _track(client, order.number, code)
    r = client.post(f"/portal/track/{order.number}/rate/", {"satisfaction": "dissatisfied"})
    assert r.status_code == 422  # a reason is required
    r = client.post(f"/portal/track/{order.number}/rate/", {"satisfaction": "dissatisfied", "reason": "路灯还是不亮"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.state == "in_progress" and order.redo_count == 1 and order.dissatisfied_count == 1
    assert Event.objects.filter(order=order, kind="callback").exists()


def test_rating_satisfied_closes(client, cast):
    from tests.factories import order_input
    from yihaotong.workorders import actions as A

    order, code = A.do_create_order(cast.operator, order_input(channel="web"))
    drive(cast, order, "pending_callback")
    _track(client, order.number, code)
    assert client.post(f"/portal/track/{order.number}/rate/", {"satisfaction": "satisfied"}).status_code == 302
    order.refresh_from_db()
    assert order.state == "closed" and order.satisfaction == "satisfied"
    page = client.get(f"/portal/track/{order.number}/").content.decode()
    assert 'data-testid="rated"' in page and 'data-testid="rate"' not in page


def test_order_page_needs_the_code_in_this_session(client, cast):
    from tests.factories import new_order

    order = new_order(cast)
    r = client.get(f"/portal/track/{order.number}/")
    assert r.status_code == 302 and r["Location"] == "/portal/track/"
    assert client.post(f"/portal/track/{order.number}/rate/", {"satisfaction": "satisfied"}).status_code == 302


def test_public_kb_browse_search_article_vote_related(client, cast):
    a = publish(cast)
    b = publish(cast, **SCHOOL)
    internal = publish(cast, title="内部口径：新生儿参保特殊情况", visibility="internal")
    r = client.get("/portal/kb/")
    html = r.content.decode()
    assert a.title in html and b.title in html and internal.title not in html
    r = client.get("/portal/kb/", {"q": "新生儿参保"})
    html = r.content.decode()
    assert "新生儿" in html and internal.title not in html
    r = client.get("/portal/kb/", {"category": "EDU"})
    assert b.title in r.content.decode() and a.title not in r.content.decode()
    r = client.get(f"/portal/kb/{a.pk}/")
    assert r.status_code == 200 and a.title in r.content.decode()
    assert client.get(f"/portal/kb/{internal.pk}/").status_code == 404
    r = client.post(f"/portal/kb/{a.pk}/helpful/", {"helpful": "yes"})
    assert r.status_code == 302
    from yihaotong.kb.selectors import helpful_counts

    assert helpful_counts([a.pk]) == {a.pk: (1, 0)}
    assert 'data-testid="voted"' in client.get(f"/portal/kb/{a.pk}/").content.decode()
    r = client.get("/portal/kb/suggest/", {"subject": "孩子上小学要准备什么", "text": ""})
    assert b.title in r.content.decode()


def test_sms_opt_out_link(client, cast):
    from yihaotong.notifications.optout import is_opted_out, optout_token
    from yihaotong.notifications.phones import phone_hash

    token = optout_token(PHONE)
    r = client.get(f"/portal/sms/{token}/")
    assert r.status_code == 200 and not is_opted_out(phone_hash(PHONE))  # GET changes nothing
    client.post(f"/portal/sms/{token}/", {"choice": "out"})
    assert is_opted_out(phone_hash(PHONE))
    client.post(f"/portal/sms/{token}/", {"choice": "in"})
    assert not is_opted_out(phone_hash(PHONE))
    assert client.get("/portal/sms/bad-token/").status_code == 404


def test_posts_are_rate_limited_per_address(client, cast):
    statuses = [client.post("/portal/track/", {"number": "", "code": ""}).status_code for _ in range(31)]
    assert statuses[:30] == [422] * 30 and statuses[30] == 429


def _closed_unreached(cast):
    from tests.factories import order_input
    from yihaotong.workorders import actions as A

    order, code = A.do_create_order(cast.operator, order_input(channel="web"))
    drive(cast, order, "pending_callback")
    for _ in range(5):  # the callback never reaches the requester
        order.refresh_from_db()
        if order.state != "pending_callback":
            break
        A.do_record_callback(cast.callback, order.pk, outcome="no_answer")
    order.refresh_from_db()
    assert order.state == "closed" and not order.satisfaction
    return order, code


def test_closed_unreached_order_can_be_sent_back_online(client, cast):
    order, code = _closed_unreached(cast)
    _track(client, order.number, code)
    page = client.get(f"/portal/track/{order.number}/").content.decode()
    assert 'data-testid="rate"' in page  # invited by SMS to rate online: the whole rating form
    bad = client.post(f"/portal/track/{order.number}/rate/", {"satisfaction": "dissatisfied", "reason": ""})
    assert bad.status_code == 422
    r = client.post(
        f"/portal/track/{order.number}/rate/",
        {"satisfaction": "dissatisfied", "reason": "电话一直没人打来，问题也没解决"},
    )
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.state == "in_progress" and order.redo_count == 1 and order.dissatisfied_count == 1


def test_closed_unreached_order_can_be_rated_satisfied_online(client, cast):
    from yihaotong.workorders.models import Callback, Event

    order, code = _closed_unreached(cast)
    _track(client, order.number, code)
    r = client.post(f"/portal/track/{order.number}/rate/", {"satisfaction": "satisfied", "reason": ""})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.state == "closed" and order.satisfaction == "satisfied" and order.redo_count == 0
    assert Callback.objects.filter(order=order, outcome="reached", satisfaction="satisfied").count() == 1
    assert Event.objects.filter(order=order, kind="rated_online", is_public=True).exists()
    page = client.get(f"/portal/track/{order.number}/").content.decode()
    assert 'data-testid="rated"' in page and 'data-testid="rate"' not in page  # rated once only
    again = client.post(f"/portal/track/{order.number}/rate/", {"satisfaction": "dissatisfied", "reason": "x"})
    assert again.status_code == 422 and Callback.objects.filter(order=order, outcome="reached").count() == 1


def test_english_switch(client, cast):
    assert "市民服务门户" in client.get("/portal/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    html = client.get("/portal/").content.decode()
    assert "Citizen service portal" in html and 'value="zh-hans"' in html


def test_pages_are_rate_limited_too(client, cast, monkeypatch):
    from yihaotong.notifications import limits
    from yihaotong.portal import views

    monkeypatch.setattr(views, "PAGES_PER_MINUTE", limits.Limit("portal-get-test", 3, 60))
    assert [client.get("/portal/kb/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_client_address_behind_a_trusted_proxy(rf, settings):
    from yihaotong.portal.views import client_ip

    req = rf.get("/portal/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.2")
    assert client_ip(req) == "10.0.0.2"  # no proxy trusted: the header is ignored
    settings.PORTAL_TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(req) == "203.0.113.9"
    spoofed = rf.get("/portal/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(spoofed) == "198.51.100.7"


def test_front_page_searches_the_kb_and_lists_what_the_hotline_answers_most(client, cast):
    from django.core.cache import cache

    from yihaotong.kb.actions import do_record_usage

    cache.delete("portal:popular-articles")
    a = publish(cast)
    b = publish(cast, **SCHOOL)
    internal = publish(cast, title="内部口径：新生儿参保特殊情况", visibility="internal")
    quiet = publish(cast, title="没人问过的条目", category="EDU-01-01", keywords="冷门")
    for article, n in ((a, 1), (b, 3), (internal, 5)):
        for _ in range(n):
            do_record_usage(cast.operator, article.pk, "used")
    do_record_usage(cast.operator, quiet.pk, "opened")  # opened only: not an answer given
    html = client.get("/portal/").content.decode()
    assert 'data-testid="home-kb-search"' in html and 'action="/portal/kb/"' in html and 'name="q"' in html
    listed = html.split('data-testid="popular-articles"')[1]
    assert listed.index(b.title) < listed.index(a.title)  # most answered first: 3 against 1
    assert internal.title not in html and quiet.title not in html
    # Direct answers that name the article (the API, imports) count as well: three more for a.
    from yihaotong.intake import actions as IA

    for _ in range(3):
        IA.do_answer_contact(
            cast.operator,
            IA.ContactInput(channel="call", summary="新生儿怎么参保", phone="13800000000", request_type="consult"),
            article_ref=f"KB-{a.pk}",
        )
    cache.delete("portal:popular-articles")
    listed = client.get("/portal/").content.decode().split('data-testid="popular-articles"')[1]
    assert listed.index(a.title) < listed.index(b.title)
