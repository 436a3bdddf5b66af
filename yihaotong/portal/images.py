"""Photos from the public: the type is decided by the content (magic bytes and structure), never by the
name or the browser's content type, and metadata (EXIF with GPS, XMP, comments, text chunks) is removed.

Pillow is not a dependency; the three accepted formats are parsed here just far enough to check them
and drop their metadata segments, keeping the image data byte for byte: JPEG (APPn and COM segments
except JFIF/Adobe), PNG (only chunks that draw the image; CRCs checked), WebP (EXIF/XMP chunks).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MAX_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 3
MAX_SIDE = 12000


class BadImage(ValueError):
    pass


@dataclass
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_image(data: bytes) -> CleanImage:
    """Return the image without metadata, or raise ``BadImage`` with a message for the citizen."""
    if len(data) > MAX_BYTES:
        raise BadImage(_("A photo may be at most 5 MB."))
    if data[:3] == b"\xff\xd8\xff":
        img = _jpeg(data)
    elif data[:8] == b"\x89PNG\r\n\x1a\n":
        img = _png(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        img = _webp(data)
    else:
        raise BadImage(_("Only JPEG, PNG or WebP photos are accepted."))
    if not (0 < img.width <= MAX_SIDE and 0 < img.height <= MAX_SIDE):
        raise BadImage(_("The photo's size is not accepted."))
    return img


def _broken() -> BadImage:
    return BadImage(_("The photo is damaged or not an image."))


# JPEG: keep JFIF (APP0) and Adobe (APP14, colour transform); drop the other APPn (EXIF/GPS, XMP, ICC,
# maker notes) and comments. Everything from the start of scan on is copied.
_KEEP_APP = {0xE0, 0xEE}
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> CleanImage:
    out = bytearray(b"\xff\xd8")
    i, n = 2, len(data)
    width = height = 0
    while True:
        if i + 4 > n or data[i] != 0xFF:
            raise _broken()
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += data[i : i + 2]
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2 or i + 2 + length > n:
            raise _broken()
        segment = data[i : i + 2 + length]
        if marker in _SOF and length >= 7:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
        if marker == 0xDA:  # start of scan: the rest is image data up to EOI
            if not width or not height:
                raise _broken()
            rest = data[i:]
            if b"\xff\xd9" not in rest[-64:]:
                raise _broken()
            out += rest
            return CleanImage(bytes(out), "image/jpeg", "jpg", width, height)
        if not ((0xE0 <= marker <= 0xEF and marker not in _KEEP_APP) or marker == 0xFE):
            out += segment
        i += 2 + length


_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs"}


def _png(data: bytes) -> CleanImage:
    out = bytearray(data[:8])
    i, n = 8, len(data)
    width = height = 0
    first = True
    while i + 12 <= n:
        (length,) = struct.unpack(">I", data[i : i + 4])
        ctype = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > n:
            raise _broken()
        body = data[i + 8 : i + 8 + length]
        (crc,) = struct.unpack(">I", data[i + 8 + length : end])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise _broken()
        if first:
            if ctype != b"IHDR" or length < 8:
                raise _broken()
            width, height = struct.unpack(">II", body[:8])
            first = False
        if ctype in _PNG_KEEP:
            out += data[i:end]
        if ctype == b"IEND":
            return CleanImage(bytes(out), "image/png", "png", width, height)
        i = end
    raise _broken()


def _webp(data: bytes) -> CleanImage:
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 > len(data) or riff_size < 12:
        raise _broken()
    i, n = 12, riff_size + 8
    chunks = []
    width = height = 0
    while i + 8 <= n:
        fourcc = data[i : i + 4]
        (size,) = struct.unpack("<I", data[i + 4 : i + 8])
        end = i + 8 + size + (size & 1)
        if i + 8 + size > n:
            raise _broken()
        body = data[i + 8 : i + 8 + size]
        if fourcc == b"VP8X" and size >= 10:
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
            body = bytes([body[0] & ~0x0C]) + body[1:]  # clear the EXIF and XMP flags
        elif fourcc == b"VP8 " and size >= 10 and not width:
            if body[3:6] != b"\x9d\x01\x2a":
                raise _broken()
            width, height = (v & 0x3FFF for v in struct.unpack("<HH", body[6:10]))
        elif fourcc == b"VP8L" and size >= 5 and not width:
            if body[0] != 0x2F:
                raise _broken()
            bits = int.from_bytes(body[1:5], "little")
            width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if fourcc not in (b"EXIF", b"XMP "):
            chunks.append(fourcc + struct.pack("<I", size) + body + (b"\0" if size & 1 else b""))
        i = end
    payload = b"WEBP" + b"".join(chunks)
    return CleanImage(b"RIFF" + struct.pack("<I", len(payload)) + payload, "image/webp", "webp", width, height)
