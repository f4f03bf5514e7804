"""Real tiny images for upload tests (photos are decoded, so fake magic bytes no longer pass)."""

from __future__ import annotations

import io

from PIL import Image


def jpeg(size=(8, 8), color=(200, 120, 40), exif: bytes | None = None) -> bytes:
    """A small real JPEG, optionally carrying the given Exif block."""
    out = io.BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.new("RGB", size, color).save(out, "JPEG", **extra)
    return out.getvalue()


def png(size=(8, 8), color=(40, 120, 200)) -> bytes:
    """A small real PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


JPEG = jpeg()
PNG = png()
