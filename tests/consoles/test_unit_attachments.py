"""The attachments panel: the list, uploads (who may, refused types), and downloads behind the access check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import CAOSHI, CM, EDU, T0, cast_for_module, drive, new_order
from yihaotong.workorders import actions as A
from yihaotong.workorders.models import Attachment, Event

HX = {"HTTP_HX_REQUEST": "true"}
# The smallest valid PNG: 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def _module_cast(django_db_setup, django_db_blocker):
    with cast_for_module(django_db_blocker) as c:
        yield c


@pytest.fixture
def cast(_module_cast, db):
    return _module_cast


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def clock(monkeypatch):
    now = T0 + timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _order(cast, lead=EDU, state="in_progress"):
    return drive(cast, new_order(cast, now=T0), state, now=T0, lead=lead)


def _panel_url(order):
    return reverse("consoles:attachments_panel", args=[order.pk])


def _png(name="现场照片.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def _upload(client, order, upload, *, htmx=True):
    return client.post(_panel_url(order), {"file": upload}, **(HX if htmx else {}))


def test_unit_member_with_an_active_part_uploads_and_sees_a_thumbnail(client, cast, clock):
    order = _order(cast)
    client.force_login(cast.edu)
    response = _upload(client, order, _png())
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Attachment uploaded." in page
    att = Attachment.objects.get(order=order)
    assert att.name == "现场照片.png" and att.content_type == "image/png" and att.uploaded_by == cast.edu
    href = reverse("consoles:attachment_download", args=[order.pk, att.pk])
    assert f'<img class="thumb" src="{href}"' in page
    assert "/media/" not in page  # never a direct link to the media files
    assert Event.objects.filter(order=order, kind="attach").count() == 1


def test_refused_type_shows_the_field_error_and_writes_nothing(client, cast, clock):
    order = _order(cast)
    client.force_login(cast.edu)
    page = _upload(client, order, SimpleUploadedFile("x.html", b"<script>1</script>", "text/html")).content.decode()
    assert "attachment-file_error" in page and "text/html" in page
    assert not Attachment.objects.filter(order=order).exists()


def test_too_large_a_file_is_refused(client, cast, clock):
    order = _order(cast)
    client.force_login(cast.edu)
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "application/pdf")
    page = _upload(client, order, big).content.decode()
    assert "Files may be at most 10 MB." in page
    assert not Attachment.objects.filter(order=order).exists()


def test_upload_without_a_file_is_a_field_error(client, cast, clock):
    order = _order(cast)
    client.force_login(cast.edu)
    page = client.post(_panel_url(order), {}, **HX).content.decode()
    assert "attachment-file_error" in page


def test_upload_without_javascript_redirects_back_to_the_order(client, cast, clock):
    order = _order(cast)
    client.force_login(cast.dispatcher)  # centre staff may attach too
    response = _upload(client, order, SimpleUploadedFile("说明.txt", "情况说明".encode(), "text/plain"), htmx=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("consoles:order", args=[order.pk]) + "#attachments-panel"
    failed = _upload(client, order, SimpleUploadedFile("a.exe", b"MZ", "application/x-msdownload"), htmx=False)
    assert failed.status_code == 200 and "<html" in failed.content.decode()


def test_list_only_for_those_who_may_not_upload(client, cast, clock):
    order = _order(cast)
    A.do_add_attachment(cast.edu, order.pk, uploaded_file=_png(), now=clock)
    client.force_login(cast.supervisor)  # centre staff outside the attach roles
    page = client.get(_panel_url(order), **HX).content.decode()
    assert "现场照片.png" in page and 'type="file"' not in page
    assert _upload(client, order, _png()).status_code == 403
    assert Attachment.objects.filter(order=order).count() == 1


def test_a_unit_whose_part_was_returned_sees_the_list_only(client, cast, clock):
    order = _order(cast, lead=CAOSHI, state="dispatched")
    app = A.do_request_return(cast.caoshi, order.pk, reason="不属本街道", now=clock)
    A.do_decide_return(cast.dispatcher, app.pk, approve=True, now=clock)
    client.force_login(cast.caoshi)
    response = client.get(_panel_url(order), **HX)
    assert response.status_code == 200 and 'type="file"' not in response.content.decode()
    assert _upload(client, order, _png()).status_code == 403


def test_panel_and_upload_are_404_for_an_invisible_order(client, cast, clock):
    order = _order(cast)
    client.force_login(cast.cm)
    assert client.get(_panel_url(order), **HX).status_code == 404
    assert _upload(client, order, _png()).status_code == 404


def test_download_streams_the_file_to_permitted_users(client, cast, clock):
    order = _order(cast)
    att = A.do_add_attachment(cast.edu, order.pk, uploaded_file=_png(), now=clock)
    url = reverse("consoles:attachment_download", args=[order.pk, att.pk])
    for user in (cast.edu, cast.dispatcher):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "inline" in response["Content-Disposition"]


def test_download_of_other_files_is_an_attachment(client, cast, clock):
    order = _order(cast)
    att = A.do_add_attachment(
        cast.edu, order.pk, uploaded_file=SimpleUploadedFile("说明.txt", b"hello", "text/plain"), now=clock
    )
    client.force_login(cast.edu)
    response = client.get(reverse("consoles:attachment_download", args=[order.pk, att.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_is_404_for_a_handler_of_another_unit_and_for_a_mismatched_order(client, cast, clock):
    order = _order(cast)
    other = _order(cast, lead=CM)
    att = A.do_add_attachment(cast.edu, order.pk, uploaded_file=_png(), now=clock)
    client.force_login(cast.cm)
    assert client.get(reverse("consoles:attachment_download", args=[order.pk, att.pk])).status_code == 404
    # The attachment's id under an order the user does see: still not found.
    assert client.get(reverse("consoles:attachment_download", args=[other.pk, att.pk])).status_code == 404


# Session, user, groups (roles), the order (access), the may-upload check, the attachments with uploaders.
ATTACHMENT_PANEL_QUERIES = 6


@pytest.mark.parametrize("n", [1, 6])
def test_attachments_panel_query_count_is_constant(client, cast, clock, django_assert_num_queries, n):
    order = _order(cast)
    for _i in range(n):
        A.do_add_attachment(cast.edu, order.pk, uploaded_file=_png(), now=clock)
    client.force_login(cast.edu)
    client.get(_panel_url(order), **HX)  # warm the session and the policy caches
    with django_assert_num_queries(ATTACHMENT_PANEL_QUERIES):
        response = client.get(_panel_url(order), **HX)
    assert len(response.context["attachments"]) == n
