"""Pickup person photos: decoded and re-encoded, so no metadata (Exif GPS, comments) and no
smuggled bytes reach the gate staff, and no decompression bomb reaches a worker."""

from __future__ import annotations

import contextlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from backend.pickup.errors import PhotoTooManyPixels, PhotoUnreadable, UnsupportedPhotoType

_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_PIXELS = 40_000_000  # a 40 MP phone photo decodes; a 1 GB pixel bomb does not
MAX_SIDE = 1600  # enough to recognise a face at the gate; larger photos are scaled down


def sniff_image(head: bytes) -> str | None:
    """The content type the leading bytes claim (JPEG or PNG), else None."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def _too_many_pixels() -> PhotoTooManyPixels:
    """The refusal for a photo above MAX_PIXELS (in 万像素 and in megapixels)."""
    return PhotoTooManyPixels(limit_wan=MAX_PIXELS // 10_000, limit_mp=MAX_PIXELS // 1_000_000)


def _decode(data: bytes, content_type: str) -> Image.Image:
    """The decoded first frame, its pixel count bounded before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_FORMATS[content_type]])
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _too_many_pixels()
            image.load()
    except PhotoTooManyPixels:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise PhotoUnreadable(errors={"file": ["JPEG/PNG"]}) from exc
    return image


def clean_photo(data: bytes) -> tuple[bytes, str]:
    """(re-encoded bytes, content type): upright, at most MAX_SIDE px, without metadata."""
    content_type = sniff_image(data[:16])
    if content_type is None:
        raise UnsupportedPhotoType(errors={"file": ["JPEG/PNG"]})
    image = _decode(data, content_type)
    # Keep the orientation the Exif tag gave; a broken tag is not worth refusing the photo.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        mode = "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"
        image.convert(mode).save(out, "PNG", optimize=True)
    return out.getvalue(), content_type
