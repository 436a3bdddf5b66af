"""The two formats of GeoReport v2: JSON (arrays of objects) and XML (a root element, one child per item)."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


# Characters XML 1.0 cannot carry (control characters other than tab, newline and carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _append(parent: ET.Element, key: str, value) -> None:
    node = ET.SubElement(parent, key)
    if isinstance(value, dict):
        for k, v in value.items():
            _append(node, k, v)
    elif isinstance(value, list):
        # A list inside an item: its element names come as ("item", value) pairs.
        for item_name, item in value:
            _append(node, item_name, item)
    else:
        node.text = _text(value)


def to_xml(root: str, item: str | None, data) -> bytes:
    """``root`` holds one ``item`` element per entry of ``data`` (a list), or ``data``'s fields (a dict)."""
    top = ET.Element(root)
    if item is None:
        for k, v in data.items():
            _append(top, k, v)
    else:
        for entry in data:
            _append(top, item, entry)
    body = ET.tostring(top, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def _jsonable(value):
    """XML-shaped lists of (name, value) pairs become plain JSON arrays."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v[1] if isinstance(v, tuple) else v) for v in value]
    return value


def respond(fmt: str, root: str, item: str | None, data, *, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = to_xml(root, item, data)
    else:
        body = json.dumps(_jsonable(data), ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error document: an array of {code, description}, with the same HTTP status."""
    items = [{"code": status, "description": d} for d in descriptions]
    return respond(fmt, "errors", "error", items, status=status)
