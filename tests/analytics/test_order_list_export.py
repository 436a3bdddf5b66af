"""The staff order list (/orders/) offers an export of exactly the list it shows, to the roles that export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook

from tests.factories import CM, EDU, T0, drive, new_order
from yihaotong.analytics import access


@pytest.fixture
def world(cast):
    for i in range(5):
        o = new_order(cast, now=T0 + timedelta(hours=i))
        drive(
            cast,
            o,
            "closed" if i < 2 else "dispatched",
            now=T0 + timedelta(hours=i, minutes=30),
            lead=EDU if i % 2 else CM,
        )
    return cast


def _link(html: str, testid: str) -> str:
    tag = html.split(f'data-testid="{testid}"')[0].rsplit("<a ", 1)[1]
    return tag.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def _csv(client, url) -> list[list[str]]:
    r = client.get(url)
    assert r.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))


@pytest.mark.django_db
def test_the_export_links_carry_the_filters_and_the_export_honours_them(client, world):
    client.force_login(world.dispatcher)
    r = client.get("/orders/?state=dispatched&sort=created&q=")
    html = r.content.decode()
    assert "导出 Excel" in html
    xlsx, csv_url = _link(html, "export-xlsx"), _link(html, "export-csv")
    assert urlsplit(xlsx).path == "/analytics/export.xlsx" and urlsplit(csv_url).path == "/analytics/export.csv"
    assert parse_qs(urlsplit(xlsx).query) == {"state": ["dispatched"], "sort": ["created"]}
    shown = r.context["meta"]["total"]
    assert shown == 3
    rows = _csv(client, csv_url)
    assert len(rows) == 1 + shown
    # Sorted as the list: oldest first.
    numbers = [row[0] for row in rows[1:]]
    assert numbers == sorted(numbers)
    wb = load_workbook(io.BytesIO(b"".join(client.get(xlsx).streaming_content)))
    assert wb.active.max_row == 1 + shown
    # The htmx partial (the list after a filter change) carries the new filters too.
    part = client.get("/orders/?state=closed", HTTP_HX_REQUEST="true").content.decode()
    assert parse_qs(urlsplit(_link(part, "export-csv")).query) == {"state": ["closed"]}
    assert len(_csv(client, _link(part, "export-csv"))) == 1 + 2


@pytest.mark.django_db
def test_only_roles_that_export_see_the_link_and_may_export(client, world):
    for user, allowed in [
        (world.leader, True),
        (world.dispatcher, True),
        (world.edu_admin, True),
        (world.operator, False),
        (world.edu, False),
    ]:
        assert access.can_export(user) is allowed
        client.force_login(user)
        html = client.get("/orders/").content.decode()
        assert ('data-testid="export-xlsx"' in html) is allowed, user
        r = client.get("/analytics/export.csv?state=closed")
        assert r.status_code == (200 if allowed else 403), user
    # A unit's admin exports the unit's orders only (the list's visibility).
    client.force_login(world.edu_admin)
    shown = client.get("/orders/").context["meta"]["total"]
    assert len(_csv(client, "/analytics/export.csv")) == 1 + shown < 1 + 5
