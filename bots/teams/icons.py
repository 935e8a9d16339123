"""The two icons a Teams app package needs, drawn in code so no image library is required:
a 192×192 colour icon and a 32×32 white outline on transparency (Teams' icon rules)."""

from __future__ import annotations

import struct
import zlib

ACCENT = (0x1F, 0x6F, 0xB2)


def _png(width: int, height: int, pixel: object) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))  # type: ignore[operator]
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _shield(x: int, y: int, size: int) -> bool:
    """A simple shield: a square top half narrowing to a point at the bottom."""
    cx, top, bottom = size / 2, size * 0.15, size * 0.88
    if not top <= y <= bottom:
        return False
    half = size * 0.32 if y < size * 0.55 else size * 0.32 * (bottom - y) / (bottom - size * 0.55)
    return abs(x + 0.5 - cx) <= half


def color_icon() -> bytes:
    return _png(192, 192, lambda x, y: (255, 255, 255, 255) if _shield(x, y, 192) else (*ACCENT, 255))


def outline_icon() -> bytes:
    return _png(32, 32, lambda x, y: (255, 255, 255, 255) if _shield(x, y, 32) else (0, 0, 0, 0))
