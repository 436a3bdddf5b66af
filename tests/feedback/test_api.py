"""The feedback API: the review flow, the redacted case file, rectification, publication, public lists,
and RFC 7807 problems for domain errors."""

from __future__ import annotations

import json

from yihaotong.feedback.models import Rectification

from .conftest import dissatisfied_twice
from .test_publications import ID_A, PHONE, consenting_closed

API = "/api/v1"


def call(client, method, path, body=None):
    kwargs = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(API + path, **kwargs)


def test_review_flow_over_the_api(client, cast, roster):
    order = dissatisfied_twice(cast, requester_name="张三丰", text=f"我叫张三丰，电话{PHONE}。")
    client.force_login(cast.supervisor)
    cands = call(client, "get", "/feedback/review/candidates").json()
    assert [c["number"] for c in cands["items"]] == [order.number] and cands["items"][0]["reason"] == "dissatisfied"
    bad = call(client, "post", "/feedback/review/sessions", {"title": "", "held_on": "2026-12-10"})
    assert bad.status_code == 422 and bad["Content-Type"].startswith("application/problem+json")
    assert "title" in bad.json()["errors"]
    s = call(client, "post", "/feedback/review/sessions", {"title": "API评议", "held_on": "2026-12-10"}).json()
    sid = s["id"]
    opened = call(client, "post", f"/feedback/review/sessions/{sid}/open")
    assert opened.status_code == 422 and set(opened.json()["errors"]) == {"cases", "members"}
    s = call(client, "post", f"/feedback/review/sessions/{sid}/cases", {"order_id": order.pk}).json()
    case_id = s["cases"][0]["id"]
    call(client, "put", f"/feedback/review/sessions/{sid}/panel", {"member_ids": [m.pk for m in roster]})
    assert call(client, "post", f"/feedback/review/sessions/{sid}/open").json()["state"] == "open"

    client.force_login(cast.panel)
    listed = call(client, "get", "/feedback/review/sessions").json()
    assert [x["id"] for x in listed["items"]] == [sid] and listed["items"][0]["cases"][0]["scores"] is None
    f = call(client, "get", f"/feedback/review/cases/{case_id}/file").json()
    assert "张三丰" not in json.dumps(f, ensure_ascii=False) and PHONE not in f["question"]
    score = call(client, "put", f"/feedback/review/cases/{case_id}/score", {"verdict": "fulfilled", "score": 4})
    assert score.status_code == 200 and score.json()["score"] == 4
    denied = call(client, "put", f"/feedback/review/cases/{case_id}/outcome", {"outcome": "endorsed"})
    assert denied.status_code == 403

    client.force_login(cast.supervisor)
    out = call(
        client,
        "put",
        f"/feedback/review/cases/{case_id}/outcome",
        {"outcome": "not_endorsed", "rectification_required": "补发补贴", "deadline": "2099-01-01"},
    ).json()
    assert out["outcome"] == "not_endorsed" and out["scores"][0]["verdict"] == "fulfilled"
    assert call(client, "post", f"/feedback/review/sessions/{sid}/conclude").json()["state"] == "concluded"
    rect = Rectification.objects.get()

    client.force_login(cast.edu)
    mine = call(client, "get", "/feedback/rectifications").json()
    assert [r["id"] for r in mine["items"]] == [rect.pk]
    assert (
        call(client, "post", f"/feedback/rectifications/{rect.pk}/reply", {"reply": "已补发"}).json()["state"]
        == "replied"
    )
    client.force_login(cast.supervisor)
    done = call(client, "post", f"/feedback/rectifications/{rect.pk}/decide", {"accept": True}).json()
    assert done["state"] == "accepted"

    summary = call(client, "post", f"/feedback/review/sessions/{sid}/summary")
    assert summary.status_code == 201 and summary.json()["leftovers"] == []
    pid = summary.json()["id"]
    assert call(client, "post", f"/feedback/publications/{pid}/publish").json()["state"] == "published"
    client.logout()
    public = call(client, "get", "/public/feedback/reviews").json()
    assert public["total"] == 1 and "补发补贴" in public["items"][0]["answer"]


def test_publication_over_the_api(client, cast):
    order = consenting_closed(cast)
    client.force_login(cast.reviewer)
    draft = call(client, "post", "/feedback/publications", {"order_id": order.pk})
    assert draft.status_code == 201
    body = draft.json()
    assert ID_A not in body["question"] and body["leftovers"] == []
    edited = call(
        client, "put", f"/feedback/publications/{body['id']}", {"title": body["title"], "answer": f"电话{PHONE}"}
    ).json()
    assert edited["leftovers"]
    refused = call(client, "post", f"/feedback/publications/{body['id']}/publish")
    assert refused.status_code == 422 and "personal data" in refused.json()["detail"]
    again = call(client, "post", "/feedback/publications", {"order_id": order.pk})
    assert again.status_code == 409
    client.force_login(cast.callback)
    assert call(client, "get", "/feedback/publications").status_code == 403
    client.logout()
    assert call(client, "get", "/public/feedback/cases").json()["total"] == 0
    assert call(client, "get", "/feedback/publications").status_code == 401
