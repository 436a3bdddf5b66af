from .conftest import ok

def test_probe(api, make_order):
    c = api.cast
    o = make_order("dispatched", lead="QY-D-EDU")
    app = ok(api.post(c.edu, f"/orders/{o.pk}/return-requests", {"reason": "非本单位"}), 201)
    ok(api.post(c.dispatcher, f"/orders/applications/{app['id']}/decide", {"approve": True}))
    ok(api.post(c.dispatcher, f"/orders/{o.pk}/dispatch", {"lead_unit_id": c.unit("QY-D-CM").pk}))
    r = api.get(c.edu, f"/orders/{o.pk}")
    print("edu detail", r.status_code, r.json().get("actions"))
    r = api.post(c.edu, f"/orders/{o.pk}/notes", {"text": "still here"})
    print("edu note", r.status_code)
    from django.core.files.uploadedfile import SimpleUploadedFile
    r = api.client(c.edu).post(f"/api/v1/orders/{o.pk}/attachments", {"file": SimpleUploadedFile("a.txt", b"x", content_type="text/plain")})
    print("edu attach", r.status_code)
    r = api.post(c.edu, f"/orders/{o.pk}/contact-logs", {"note": "x"})
    print("edu contact", r.status_code)
    r = api.get(c.edu, f"/orders/{o.pk}/replies")
    print("edu replies", r.status_code)
