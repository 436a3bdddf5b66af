from __future__ import annotations

import pytest

from tests.portal.images import GPS_MARK, JPEG, jpeg_with_exif, png
from yihaotong.portal.images import BadImage, clean_image


def test_jpeg_metadata_is_removed_and_image_kept():
    img = clean_image(jpeg_with_exif())
    assert img.content_type == "image/jpeg" and (img.width, img.height) == (8, 6)
    assert GPS_MARK not in img.data and b"Exif" not in img.data and b"Zhang3" not in img.data
    assert img.data.endswith(b"\xff\xd9")
    assert clean_image(JPEG).data == JPEG  # nothing to remove: unchanged


def test_png_metadata_is_removed():
    img = clean_image(png())
    assert img.content_type == "image/png" and (img.width, img.height) == (4, 3)
    assert GPS_MARK not in img.data and b"Zhang3" not in img.data
    assert img.data == png(metadata=False)


@pytest.mark.parametrize(
    "data",
    [
        b"<script>alert(1)</script> just text named photo.jpg",
        b"",
        JPEG[:40],  # cut off
        png()[:-20],
        png().replace(b"IDAT", b"IDAX", 1),  # CRC no longer matches
        b"GIF89a" + b"\0" * 20,
    ],
)
def test_non_images_and_broken_images_are_rejected(data):
    with pytest.raises(BadImage):
        clean_image(data)


def test_oversized_is_rejected():
    with pytest.raises(BadImage):
        clean_image(JPEG + b"\0" * (5 * 1024 * 1024))


def test_webp_metadata_is_removed():
    from tests.portal.images import WEBP, webp_with_exif

    assert clean_image(WEBP).data == WEBP
    img = clean_image(webp_with_exif())
    assert img.content_type == "image/webp" and (img.width, img.height) == (8, 6)
    assert GPS_MARK not in img.data and b"EXIF" not in img.data
    assert img.data[20] & 0x08 == 0  # the EXIF flag is cleared
    assert img.data == WEBP
