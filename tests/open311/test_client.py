"""An independent Open311 client from PyPI (``georeport``) reads our endpoint over HTTP, in JSON and XML.

``georeport`` reads only (services, definitions, requests); requests are posted with ``requests`` as a
plain form, as the spec describes. No other Python Open311 client on PyPI runs on Python 3 (decision 0012).
"""

from __future__ import annotations

import pytest

georeport = pytest.importorskip("georeport", reason="the georeport client is a dev dependency (pyproject)")
requests = pytest.importorskip("requests")

JURISDICTION = "qingyang.chengdu.gov.cn"


@pytest.fixture
def cast(transactional_db):
    """The live server reads committed rows: a cast of its own, not the module's rolled-back one."""
    from tests.factories import build_cast

    return build_cast()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_what_a_post_created(live_server, o311, fmt):
    base = f"{live_server.url}/open311/v2"
    posted = requests.post(
        f"{base}/requests.{fmt}",
        data={
            "api_key": o311.key,
            "jurisdiction_id": JURISDICTION,
            "service_code": "URB-05-03",
            "lat": "30.6702",
            "long": "104.0601",
            "address_string": "草市街1号",
            "description": "路灯不亮已经一周，晚上很黑。",
            "phone": "13800005678",
            "media_url": "https://example.org/lamp.jpg",
        },
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    if fmt == "json":
        number = posted.json()[0]["service_request_id"]
    else:
        import xmltodict

        number = xmltodict.parse(posted.content)["service_requests"]["request"]["service_request_id"]

    client = georeport.GeoReport(base, jurisdiction=JURISDICTION, output_format=fmt)
    services = client.get_service_list()
    lamp = next(s for s in services if s["service_code"] == "URB-05-03")
    assert lamp["service_name"] == "路灯照明" and lamp["group"] == "城乡建设"

    definition = client.get_service_definition("URB-05-03")
    attrs = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    assert [a["code"] for a in attrs] == ["request_type", "urgency", "consent_publish"]

    one = client.get_service_request(number)
    assert one["service_request_id"] == number
    assert one["status"] == "open"
    assert one["service_code"] == "URB-05-03"
    assert float(one["lat"]) == pytest.approx(30.6702) and float(one["long"]) == pytest.approx(104.0601)
    assert one["media_url"] == "https://example.org/lamp.jpg"
    assert "13800005678" not in str(one)

    listed = client.get_service_requests(service_request_id=number)
    listed = [listed] if isinstance(listed, dict) else listed  # xmltodict gives one item as a dict
    assert [r["service_request_id"] for r in listed] == [number]
    listed = client.get_service_requests(service_code="URB-05-03", status="open")
    listed = [listed] if isinstance(listed, dict) else listed
    assert number in [r["service_request_id"] for r in listed]


def test_georeport_sees_spec_errors_as_http_errors(live_server, cast):
    client = georeport.GeoReport(f"{live_server.url}/open311/v2", jurisdiction="city.gov")
    with pytest.raises(requests.HTTPError) as exc:
        client.get_service_list()
    assert exc.value.response.status_code == 404
    assert exc.value.response.json()[0]["code"] == 404
