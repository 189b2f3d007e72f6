"""Thumbnails of untrusted images, with Pillow alone (no Django: the isolated child imports it).

Why re-encode: the browser gets a WebP this server wrote, never the pushed bytes (which could
be anything that merely ends in ``.png``). ``Image.MAX_IMAGE_PIXELS`` is Pillow's
decompression-bomb guard: a few kilobytes of PNG can declare gigapixels.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

THUMB_BOX = 160  # longest side of a thumbnail, in pixels
# Pillow raises DecompressionBombError past twice this: 50 megapixels is plenty for a photo.
MAX_PIXELS = 50_000_000
MAX_SOURCE_BYTES = 32 << 20


class ThumbnailError(ValueError):
    """Not an image Pillow can read safely (unknown format, too large, a bomb)."""


def thumbnail(data: bytes, *, box: int = THUMB_BOX) -> bytes:
    """A WebP thumbnail (at most ``box`` pixels on its longest side) of image ``data``."""
    if len(data) > MAX_SOURCE_BYTES:
        raise ThumbnailError("image too large")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (box * 2, box * 2))  # JPEG: decode at a reduced scale
            img.thumbnail((box, box))
            rgb = img.convert("RGBA" if img.mode in {"RGBA", "LA", "P"} else "RGB")
            out = io.BytesIO()
            rgb.save(out, "WEBP", quality=80, method=4)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ThumbnailError(str(exc)) from None
