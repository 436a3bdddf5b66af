"""The published OpenAPI schema: every route is there, and the list of routes is pinned by a snapshot.

Regenerate the snapshot after an intended change of routes with:
    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/api/test_openapi.py
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from django.test import Client

from .conftest import API, ok

SNAPSHOT = Path(__file__).with_name("openapi_paths.txt")

ROUTES = {
    ("get", "/api/v1/orders"),
    ("post", "/api/v1/orders"),
    ("get", "/api/v1/orders/{order_id}"),
    ("get", "/api/v1/orders/by-number/{number}"),
    ("get", "/api/v1/orders/{order_id}/events"),
    ("get", "/api/v1/orders/{order_id}/replies"),
    ("get", "/api/v1/orders/{order_id}/applications"),
    *(
        ("post", f"/api/v1/orders/{{order_id}}/{action}")
        for action in (
            "classify",
            "accept",
            "answer",
            "reject",
            "merge",
            "dispatch",
            "subdispatch",
            "sign",
            "return-requests",
            "extension-requests",
            "termination-requests",
            "reply",
            "review",
            "supervise",
            "notes",
            "contact-logs",
            "attachments",
            "callbacks",
            "close",
            "redo",
            "reveal-contact",
        )
    ),
    ("post", "/api/v1/orders/applications/{application_id}/decide"),
    ("post", "/api/v1/contacts"),
    ("get", "/api/v1/contacts/history"),
    ("get", "/api/v1/directory/units"),
    ("get", "/api/v1/directory/request-types"),
    ("get", "/api/v1/directory/urgencies"),
    ("get", "/api/v1/directory/categories"),
    ("get", "/api/v1/directory/catalogue"),
    ("get", "/api/v1/calendar/years"),
    ("get", "/api/v1/calendar/{year}"),
    ("get", "/api/v1/accounts/me"),
}
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


@functools.cache
def _schema() -> dict:
    """The schema as served (it needs no login and no database; built once per process)."""
    return ok(Client().get(f"{API}/openapi.json"))


def _pairs(schema: dict) -> list[tuple[str, str]]:
    return sorted((m, p) for p, ops in schema["paths"].items() for m in ops if m in METHODS)


def test_schema_lists_every_route():
    schema = _schema()
    assert schema["openapi"].startswith("3.")
    assert set(_pairs(schema)) >= ROUTES, sorted(ROUTES - set(_pairs(schema)))


def test_schema_documents_auth():
    schema = _schema()
    schemes = schema["components"]["securitySchemes"]
    assert {"TokenAuth", "StaffSessionAuth"} <= schemes.keys()
    assert schemes["TokenAuth"]["scheme"] == "bearer"
    create = schema["paths"]["/api/v1/orders"]["post"]
    assert "201" in create["responses"]
    assert create["security"] == [{"TokenAuth": []}, {"StaffSessionAuth": []}]


def test_schema_routes_match_the_snapshot():
    lines = [f"{m.upper()} {p}" for m, p in _pairs(_schema())]
    text = "\n".join(lines) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.exists(), f"{SNAPSHOT.name} is missing: run UPDATE_SNAPSHOTS=1 .venv/bin/pytest {__file__}"
    expected = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    added, removed = sorted(set(lines) - set(expected)), sorted(set(expected) - set(lines))
    assert lines == expected, (
        f"The API routes changed (added {added}, removed {removed}). If intended, regenerate the snapshot: "
        f"UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/api/test_openapi.py"
    )


def test_docs_page_for_a_logged_in_staff_user(api):
    c = api.client(api.cast.dispatcher)
    resp = c.get(f"{API}/docs")
    assert resp.status_code == 200
    assert b"openapi.json" in resp.content
