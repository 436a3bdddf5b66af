"""Small test images made for these tests (8×6 pixels, drawn with a browser canvas), and helpers that
add metadata the portal must remove."""

from __future__ import annotations

import base64
import struct
import zlib

JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19i"
    "Z2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2P/wAARCAAGAAgDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAX/xAAZEAADAQEBAAAAAAAAAAAAAAAAAQMR"
    "IVH/xAAVAQEBAAAAAAAAAAAAAAAAAAAEBv/EABkRAQEAAwEAAAAAAAAAAAAAAAIBABESMf/aAAwDAQACEQMRAD8Amzmp7jffQAFb"
    "TvSu7lETBOT5n//Z"
)

GPS_MARK = b"GPS-30.6586N-104.0556E"


def jpeg_with_exif() -> bytes:
    """The JPEG with an APP1 EXIF segment holding a (fake) GPS position and a comment."""
    exif = b"Exif\0\0MM\0*\0\0\0\x08" + GPS_MARK
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    com = b"\xff\xfe" + struct.pack(">H", 2 + 9) + b"by Zhang3"
    return JPEG[:2] + app1 + com + JPEG[2:]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width: int = 4, height: int = 3, *, metadata: bool = True) -> bytes:
    raw = b"".join(b"\0" + b"\xcc\x33\x33" * width for _ in range(height))
    chunks = [_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    if metadata:
        chunks.append(_chunk(b"eXIf", b"MM\0*" + GPS_MARK))
        chunks.append(_chunk(b"tEXt", b"Author\0Zhang3"))
    chunks += [_chunk(b"IDAT", zlib.compress(raw)), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


WEBP = base64.b64decode(
    "UklGRloAAABXRUJQVlA4WAoAAAAAAAAABwAABQAAVlA4IDwAAADwAQCdASoIAAYAAsBMJbACdLoAArosJsAA/ulOmYCTGuEmr/Eo"
    "/dCmgoxt7/4mB/47p3hEa/Yb7DeGgAA="
)


def webp_with_exif() -> bytes:
    """The WebP (VP8X) with an EXIF chunk and its flag set."""
    body = b"MM\0*" + GPS_MARK
    chunk = b"EXIF" + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")
    payload = WEBP[12:]
    vp8x = bytearray(payload[:18])
    vp8x[8] |= 0x08
    data = b"WEBP" + bytes(vp8x) + payload[18:] + chunk
    return b"RIFF" + struct.pack("<I", len(data)) + data
