"""A fake camera pointed at a plate: a YUV4MPEG2 (.y4m) video of a plate PNG, for Chromium's
--use-fake-device-for-media-stream --use-file-for-fake-video-capture=FILE.y4m (which loops it)."""
from __future__ import annotations

from pathlib import Path

from PIL import Image

BACKGROUND = (225, 225, 225)  # light grey: a wall around the plate


def plate_frame(png: Path, width: int = 640, height: int = 480) -> Image.Image:
    """The plate scaled to fit (as large as fits, aspect kept) and centred on a light grey frame."""
    plate = Image.open(png)
    plate = plate.convert("RGBA") if "A" in plate.getbands() or "transparency" in plate.info else plate.convert("RGB")
    scale = min(width / plate.width, height / plate.height)
    size = (max(1, round(plate.width * scale)), max(1, round(plate.height * scale)))
    # Lanczos keeps the QR modules' edges sharp enough to decode, shrinking or enlarging.
    plate = plate.resize(size, Image.Resampling.LANCZOS)
    frame = Image.new("RGB", (width, height), BACKGROUND)
    offset = ((width - size[0]) // 2, (height - size[1]) // 2)
    frame.paste(plate, offset, plate if plate.mode == "RGBA" else None)
    return frame


def plate_y4m(png: Path, out: Path, width: int = 640, height: int = 480, frames: int = 30) -> Path:
    """Writes `frames` identical 4:2:0 frames of the plate to `out` and returns `out`."""
    if width % 2 or height % 2:
        raise ValueError(f"4:2:0 video needs an even width and height, not {width}x{height}")
    y, cb, cr = plate_frame(png, width, height).convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = (b"FRAME\n" + y.tobytes()
             + cb.resize(half, Image.Resampling.BOX).tobytes()
             + cr.resize(half, Image.Resampling.BOX).tobytes())
    out = Path(out)
    with out.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            f.write(frame)
    return out
