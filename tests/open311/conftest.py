"""Open311 fixtures: a client with a key, the spec's example payloads, helpers that compare shapes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode
from xml.etree import ElementTree as ET

import pytest

SPEC = Path(__file__).parent / "spec"
BASE = "/open311/v2"
JURISDICTION = "qingyang.chengdu.gov.cn"


def spec_json(name: str):
    return json.loads((SPEC / name).read_text(encoding="utf-8"))


def spec_xml(name: str) -> ET.Element:
    return ET.fromstring((SPEC / name).read_bytes())


def spec_post_body() -> list[tuple[str, str]]:
    """The spec's example POST body as (key, value) pairs, in order."""
    return parse_qsl((SPEC / "post_request.txt").read_text().strip(), keep_blank_values=True)


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def xml_of(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def post(client, data, fmt: str = "json"):
    """POST a form-encoded body, as the spec says clients do."""
    body = urlencode(list(data.items()) if isinstance(data, dict) else data)
    return client.post(f"{BASE}/requests.{fmt}", body, content_type="application/x-www-form-urlencoded")


def assert_spec_error(response, status: int, fmt: str = "json") -> list[str]:
    """The response is the spec's error document with this status; return the descriptions."""
    assert response.status_code == status, response.content
    if fmt == "json":
        body = response.json()
        example = spec_json("errors.json")
        assert isinstance(body, list) and body
        for item in body:
            assert list(item) == list(example[0])
            assert item["code"] == status
        return [e["description"] for e in body]
    root = xml_of(response)
    example = spec_xml("errors.xml")
    assert root.tag == example.tag
    for item in root:
        assert item.tag == example[0].tag
        assert tags(item) == tags(example[0])
        assert item.findtext("code") == str(status)
    return [e.findtext("description") for e in root]


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    """One cast per module, rolled back at its end (each test still runs in its own savepoint)."""
    from tests.factories import cast_for_module

    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture
def o311(cast):
    from yihaotong.open311.actions import do_issue_api_key

    client, key = do_issue_api_key(cast.sysadmin, name="街坊随手拍")
    return SimpleNamespace(cast=cast, client=client, key=key)
