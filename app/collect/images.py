"""Photos from outside, read without trusting them: every image the service decodes comes through
here (the field app's uploads, which task answers name too; resident report photos and desk task
answers, both from forms; the display copy made of each).

A 17 KB PNG can say it has 12000 × 12000 pixels, and re-encoding it took a worker to ~1 GB. So:
- a photo's size is read from its header and held to PHOTO_MAX_PIXELS (a PNG or WebP, decoded
  whole, to a quarter of it) before a pixel is decoded;
- a photo is read to its end when it arrives, so a truncated or broken file is refused then, not by
  its re-encode later: a PNG or WebP decoded whole, a JPEG followed through its scans to its end
  marker (a phone's photo, on the ingest path: a decode would cost more than the rest of it);
- its display copy is decoded no larger than it needs (a JPEG at 1/2 to 1/8, a PNG or WebP reduced
  as soon as it is decoded), and a process decodes one large photo at a time: bench/photo_memory.py
  measures what that takes;
- Pillow's own limit is set to the same, for anything that opens an image another way.
"""
from __future__ import annotations

import io
import math
import re
import threading
from contextlib import nullcontext

from flask import current_app
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from app.errors import Problem

DISPLAY_MAX_PX = 2048
# Each accepted type is read by its own reader, not by Image.open: that one's bomb check (see
# init_app) would refuse a large photo before its size could be said.
READERS = {b"\xff\xd8\xff": ("image/jpeg", JpegImagePlugin.JpegImageFile),
           b"\x89PNG\r\n\x1a\n": ("image/png", PngImagePlugin.PngImageFile)}
WEBP = ("image/webp", WebPImagePlugin.WebPImageFile)
# What Pillow raises for a truncated or broken file, depending on the format and where it breaks.
BROKEN = (OSError, SyntaxError, ValueError, EOFError)
# In a JPEG's entropy-coded data a 0xFF is followed by 0x00 (a stuffed byte), a restart marker
# (D0-D7) or more 0xFF (fill); anything else is the next marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# Modes Pillow resizes well as they are; the rest (palette, 1-bit, 16-bit) are made RGB first.
RESIZABLE = {"L", "LA", "RGB", "RGBA", "CMYK"}

# A photo larger than a display copy is decoded by one thread of a process at a time, so that
# threads (gthread workers, job workers) never hold several of the largest at once.
_one_large_at_a_time = threading.Lock()


def init_app(app) -> None:
    # Pillow refuses an image above twice MAX_IMAGE_PIXELS (DecompressionBombError) and only warns
    # below that: half the limit makes it refuse what a JPEG upload is refused for.
    Image.MAX_IMAGE_PIXELS = app.config["PHOTO_MAX_PIXELS"] // 2


def content_type(data: bytes) -> str | None:
    return _reader(data)[0]


def checked_size(data: bytes, field: str | None = None) -> tuple[int, int]:
    """(width, height) of a photo read to its end: a JPEG's segments and scans to its end marker, a
    PNG or WebP decoded whole. Problems: photo.too_many_pixels, photo.unreadable."""
    with _opened(data, field) as image:
        size = image.size
        if over := _over_limit(image):
            raise Problem("photo.too_many_pixels", f"{over}；请缩小后重传", field=field)
        if image.format != "JPEG":
            with _budget(size):
                try:
                    image.load()
                except BROKEN:
                    raise _unreadable(field) from None
        elif not _jpeg_complete(data):
            raise _unreadable(field)
    return size


def display_copy(data: bytes) -> Image.Image:
    """The photo upright by its EXIF orientation, RGB, at most DISPLAY_MAX_PX on its long side.
    Problems: photo.unreadable (a photo stored before uploads were checked as they are now)."""
    with _opened(data) as image:
        if over := _over_limit(image):
            raise Problem("photo.unreadable", f"{over}，无法显示")
        with _budget(image.size):
            try:
                # A JPEG decoded at the smallest scale (1/2 to 1/8) still as large as the copy
                # (thumbnail's own draft asks for a square, which misses most photos).
                image.draft(None, _display_size(image.size))
                if image.mode not in RESIZABLE:
                    image = image.convert("RGB")
                image.thumbnail((DISPLAY_MAX_PX, DISPLAY_MAX_PX))  # reduced by a whole factor first
                return ImageOps.exif_transpose(image).convert("RGB")
            except BROKEN:
                raise Problem("photo.unreadable", "照片文件不完整或已损坏，无法显示") from None


def _reader(data: bytes) -> tuple:
    for magic, reader in READERS.items():
        if data.startswith(magic):
            return reader
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None, None


def _opened(data: bytes, field: str | None = None):
    """The photo with its header read, nothing decoded. Problems: photo.unreadable."""
    reader = _reader(data)[1]
    try:
        if reader is None:
            raise SyntaxError("not a photo")
        return reader(io.BytesIO(data))
    except BROKEN:
        raise _unreadable(field) from None


def _jpeg_complete(data: bytes) -> bool:
    """Whether a JPEG's segments and scans run to its end-of-image marker, as a decoder would find.
    A decode, even at 1/8 of the size, Huffman-decodes every scan: for a phone's 300 KB photo as many
    instructions as the rest of its upload and its submission together (bench/ingest_instructions.py).
    A scan's data never holds FF D9, so a file ending with it is whole (a phone's always does); one
    with bytes after its end (a camera's trailer) or none is followed through to find out."""
    if data.endswith(b"\xff\xd9"):
        return True
    try:
        pos = 2  # after the start-of-image marker
        while True:
            pos = data.index(b"\xff", pos)  # a decoder skips stray bytes before a marker too
            while data[pos + 1] == 0xFF:  # fill bytes
                pos += 1
            marker = data[pos + 1]
            if marker == 0xD9:
                return True
            if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
                pos += 2
                continue
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
            if marker == 0xDA:  # a scan: its entropy-coded data runs to the next marker
                found = _NEXT_MARKER.search(data, pos)
                if found is None:
                    return False
                pos = found.start()
    except (IndexError, ValueError):  # ran off the end
        return False


def _over_limit(image) -> str | None:
    """What is wrong with the photo's size, if it has more pixels than its format may: a JPEG
    PHOTO_MAX_PIXELS, as it is decoded at 1/2 to 1/8 of its size; a PNG or WebP a quarter of that,
    as it is decoded whole, at 8 (PNG) to 16 (WebP) bytes a pixel. Either then takes at most about
    what the largest progressive JPEG does (its coefficients, ~6 bytes a pixel at any scale)."""
    width, height = image.size
    limit = current_app.config["PHOTO_MAX_PIXELS"]
    which = ""
    if image.format != "JPEG":
        limit, which = limit // 4, " PNG、WebP 照片的"
    if width * height > limit:
        return f"照片为 {width}×{height} 像素（{_wan(width * height)} 万像素），超过{which}上限 {_wan(limit)} 万像素"
    return None


def _display_size(size: tuple[int, int]) -> tuple[int, int]:
    scale = min(1, DISPLAY_MAX_PX / max(size))
    return math.ceil(size[0] * scale), math.ceil(size[1] * scale)


def _budget(size: tuple[int, int]):
    return _one_large_at_a_time if size[0] * size[1] > DISPLAY_MAX_PX * DISPLAY_MAX_PX else nullcontext()


def _unreadable(field: str | None = None) -> Problem:
    return Problem("photo.unreadable", "照片文件不完整或已损坏，无法读取，请重新拍摄或重新选择", field=field)


def _wan(pixels: int) -> str:
    """A pixel count in 万 (ten thousands), as cameras are sold: 14400, 4000."""
    return f"{pixels / 10000:.0f}"
