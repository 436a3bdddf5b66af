"""GET services and service definitions, in JSON and XML, against the spec's examples."""

from __future__ import annotations

import pytest
from django.test import override_settings

from .conftest import BASE, JURISDICTION, assert_spec_error, spec_json, spec_xml, tags, xml_of


def test_services_json_has_the_spec_fields_for_leaf_categories_and_request_types(client, cast):
    response = client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    services = response.json()
    example = spec_json("services.json")[0]
    for s in services:
        assert list(s) == list(example)
        assert s["metadata"] is True and s["type"] == "realtime"
    by_code = {s["service_code"]: s for s in services}
    manhole = by_code["URB-05-02"]
    assert manhole["service_name"] == "井盖缺失或破损"
    assert manhole["group"] == "城乡建设"
    assert manhole["description"] == "城乡建设 › 市政设施 › 井盖缺失或破损"
    assert "井盖缺失" in manhole["keywords"].split(",")
    # Only leaves are services; each request type is one too.
    assert "URB" not in by_code and "URB-05" not in by_code
    assert {"consult", "help", "complaint", "report", "suggest", "praise", "other"} <= set(by_code)
    assert by_code["suggest"]["group"] == "诉求类型"


def test_services_xml_matches_the_spec_shape(client, cast):
    root = xml_of(client.get(f"{BASE}/services.xml"))
    example = spec_xml("services.xml")
    assert root.tag == example.tag
    assert {item.tag for item in root} == {"service"}
    for item in root:
        assert tags(item) == tags(example[0])
    first = root[0]
    assert first.findtext("metadata") == "true"
    assert first.findtext("type") == "realtime"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition_matches_the_spec_shape(client, cast, fmt):
    response = client.get(f"{BASE}/services/URB-05-02.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = response.json()
        example = spec_json("service_definition.json")
        assert list(body) == list(example)
        assert body["service_code"] == "URB-05-02"
        attrs = {a["code"]: a for a in body["attributes"]}
        for a in body["attributes"]:
            assert list(a) == list(example["attributes"][0])
            assert list(a["values"][0]) == list(example["attributes"][0]["values"][0])
        assert [a["order"] for a in body["attributes"]] == [1, 2, 3]
        assert attrs["request_type"]["datatype"] == "singlevaluelist"
        assert attrs["request_type"]["required"] is False
        assert {"key": "complaint", "name": "投诉"} in attrs["request_type"]["values"]
        assert {v["key"] for v in attrs["urgency"]["values"]} == {"normal", "urgent", "critical"}
        assert {v["key"] for v in attrs["consent_publish"]["values"]} == {"true", "false"}
    else:
        root = xml_of(response)
        example = spec_xml("service_definition.xml")
        assert root.tag == example.tag and tags(root) == tags(example)
        ex_attr = example.find("attributes/attribute")
        for attr in root.find("attributes"):
            assert attr.tag == "attribute"
            assert tags(attr) == tags(ex_attr)
            assert tags(attr.find("values/value")) == tags(ex_attr.find("values/value"))
        assert root.findtext("attributes/attribute/variable") == "true"
        assert root.findtext("attributes/attribute/required") == "false"


def test_a_request_type_service_has_no_request_type_question(client, cast):
    body = client.get(f"{BASE}/services/suggest.json").json()
    assert [a["code"] for a in body["attributes"]] == ["urgency", "consent_publish"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("code", ["NOPE-01", "URB"])  # unknown; a category that is not a leaf
def test_unknown_service_is_a_spec_404(client, cast, fmt, code):
    descriptions = assert_spec_error(client.get(f"{BASE}/services/{code}.{fmt}"), 404, fmt)
    assert code in descriptions[0]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_jurisdiction_is_checked(client, cast, fmt):
    assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": JURISDICTION}).status_code == 200
    descriptions = assert_spec_error(client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "city.gov"}), 404, fmt)
    assert "city.gov" in descriptions[0]
    with override_settings(OPEN311_JURISDICTION_ID="city.gov"):
        assert client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "city.gov"}).status_code == 200


def test_unknown_method_and_format_are_spec_errors(client, cast):
    assert_spec_error(client.get(f"{BASE}/metadata.json"), 404, "json")
    assert_spec_error(client.get(f"{BASE}/services.xml/extra.xml"), 404, "xml")
    assert client.get(f"{BASE}/services.csv").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_wrong_methods_are_spec_errors(client, cast, fmt):
    response = client.post(f"{BASE}/services.{fmt}")
    assert_spec_error(response, 405, fmt)
    assert response["Allow"] == "GET, HEAD"
    assert_spec_error(client.delete(f"{BASE}/requests.{fmt}"), 405, fmt)
    assert_spec_error(client.post(f"{BASE}/nothing.{fmt}"), 404, fmt)  # no CSRF page for API callers


def test_discovery_matches_the_spec_shape(client, cast):
    body = client.get(f"{BASE}/discovery.json").json()
    example = spec_json("discovery.json")
    assert list(body) == list(example)
    (endpoint,) = body["endpoints"]
    assert list(endpoint) == list(example["endpoints"][0])
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = xml_of(client.get(f"{BASE}/discovery.xml"))
    ex = spec_xml("discovery.xml")
    assert root.tag == ex.tag and tags(root) == tags(ex)
    assert tags(root.find("endpoints/endpoint")) == tags(ex.find("endpoints/endpoint"))
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]
