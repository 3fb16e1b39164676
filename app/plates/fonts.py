"""The CJK font plates are drawn in: finding it, its metrics, its glyph coverage and PDF subsets.

Plates use Noto Sans CJK SC (Debian `fonts-noto-cjk`): a TrueType collection whose faces are CFF
(PostScript) outlines. One face per weight; `regular` and `bold` are the weights a template names.
Widths come from the font's own advance table, so the PNG and the PDF lay out text identically.
"""

import os
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTCollection, TTFont

WEIGHTS = ("regular", "bold")
DEBIAN_PATHS = {
    "regular": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf"),
    "bold": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf"),
}
ENV_PATHS = {"regular": "YIBIAO_PLATE_FONT", "bold": "YIBIAO_PLATE_FONT_BOLD"}
# a character every usable face has: the check that fc-match did not fall back to a Latin font
_PROBE = "襄"


class FontMissing(RuntimeError):
    def __init__(self, detail: str = ""):
        super().__init__(
            "找不到可用的中文字体，无法生成门牌。请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
            "或用环境变量 YIBIAO_PLATE_FONT 指定简体中文 .ttc/.otf 字体文件。"
            " / No Chinese (CJK) font found, so plates cannot be drawn: install fonts-noto-cjk "
            "(apt-get install fonts-noto-cjk) or set YIBIAO_PLATE_FONT to a Simplified Chinese "
            ".ttc/.otf font." + (f" ({detail})" if detail else ""))


@dataclass
class Font:
    path: str
    index: int  # face in a collection; 0 for a single font
    ps_name: str
    units_per_em: int
    ascent: int  # typographic ascender and descender (font units); the em box plates centre on
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    # the character map as sorted ranges (first, last, first glyph id) and the advance of every glyph:
    # read straight from the font's tables, a few hundred KB where fontTools' dicts of glyph names
    # would take tens of MB per face
    cmap_ranges: np.ndarray = field(repr=False)
    advances: np.ndarray = field(repr=False)
    _ids: dict = field(default_factory=dict, repr=False)

    def gid(self, char: str) -> int:
        """The glyph id of char, 0 (.notdef) if the font has none."""
        found = self._ids.get(char)
        if found is None:
            code = ord(char)
            ranges = self.cmap_ranges
            i = int(np.searchsorted(ranges[:, 0], code, side="right")) - 1
            found = int(ranges[i, 2] + code - ranges[i, 0]) if i >= 0 and code <= ranges[i, 1] else 0
            self._ids[char] = found
        return found

    def covers(self, char: str) -> bool:
        return self.gid(char) != 0

    def width(self, text: str) -> float:
        """Advance width of text in ems (no kerning: CJK plates are set solid)."""
        advances, gid = self.advances, self.gid
        return sum(int(advances[gid(c)]) for c in text) / self.units_per_em

    def advance(self, char: str) -> int:
        return int(self.advances[self.gid(char)])

    def glyph_id(self, char: str) -> int:
        """The code the PDF content stream uses: the CID, equal to the glyph id in Noto CJK's
        Adobe-Identity-0 CFF (checked when the subset is made)."""
        return self.gid(char)

    def pil(self, size_px: int):
        """A Pillow font of this face at size_px pixels per em."""
        return _pil_font(self.path, self.index, size_px)

    def subset_cff(self, chars: set[str]) -> bytes:
        """The CFF table of a subset holding the glyphs of chars (CIDs kept), for a PDF FontFile3;
        made in a child process (see subset_cff.py for why)."""
        gids = " ".join(str(self.gid(c)) for c in sorted(chars))
        done = subprocess.run([sys.executable, str(Path(__file__).with_name("subset_cff.py")), self.path,
                               str(self.index)], input=gids.encode(), capture_output=True)
        if done.returncode:
            raise FontMissing(done.stderr.decode(errors="replace").strip().splitlines()[-1])
        return done.stdout


def font(weight: str) -> Font:
    """The face for weight ("regular" or "bold"), found once per process; raises FontMissing."""
    if weight not in WEIGHTS:
        raise ValueError(f"unknown font weight {weight!r}, expected one of {WEIGHTS}")
    return _load(weight, os.environ.get(ENV_PATHS[weight]) or os.environ.get(ENV_PATHS["regular"]) or "")


@cache
def _load(weight: str, configured: str) -> Font:
    tried = []
    for path in _candidates(weight, configured):
        tried.append(path)
        loaded = _open_face(path)
        if loaded is not None:
            return loaded
    raise FontMissing("tried: " + ", ".join(tried) if tried else "no font file found")


def _candidates(weight: str, configured: str):
    if configured:
        # one configured file serves both weights unless YIBIAO_PLATE_FONT_BOLD names another
        yield configured
        return
    yield from (p for p in DEBIAN_PATHS[weight] if Path(p).exists())
    if shutil.which("fc-match"):
        style = "Bold" if weight == "bold" else "Regular"
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", f"Noto Sans CJK SC:style={style}"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            yield out


def _open_face(path: str) -> Font | None:
    """The Simplified Chinese face of the file at path, or None if it has none or is no font."""
    try:
        if path.lower().endswith((".ttc", ".otc")):
            count = len(TTCollection(path, lazy=True).fonts)
        else:
            count = 1
        faces = [TTFont(path, fontNumber=i, lazy=True) if count > 1 else TTFont(path, lazy=True)
                 for i in range(count)]
    except Exception:  # noqa: BLE001 - a missing or broken file is just not a candidate
        return None
    names = [(face["name"].getDebugName(1) or "") for face in faces]
    # prefer the proportional SC face of a Noto/Source Han collection, else the first that has 襄
    for index in sorted(range(count), key=lambda i: (" SC" not in names[i], "Mono" in names[i], i)):
        face = faces[index]
        if "CFF " not in face:
            continue  # the PDF writer embeds CFF outlines (Noto CJK); TrueType-flavoured fonts are not wired
        ranges = _cmap_ranges(face.reader["cmap"])
        if ranges is None:
            continue
        os2, head = face["OS/2"], face["head"]
        font_ = Font(
            path=path, index=index if count > 1 else 0, ps_name=face["name"].getDebugName(6) or "NotoSansCJK",
            units_per_em=head.unitsPerEm, ascent=os2.sTypoAscender, descent=os2.sTypoDescender,
            cap_height=getattr(os2, "sCapHeight", 0) or int(0.73 * head.unitsPerEm),
            bbox=(head.xMin, head.yMin, head.xMax, head.yMax), cmap_ranges=ranges,
            advances=_advances(face.reader["hmtx"], face["hhea"].numberOfHMetrics, face["maxp"].numGlyphs))
        if font_.covers(_PROBE):
            return font_
    return None


def _cmap_ranges(table: bytes) -> np.ndarray | None:
    """The Unicode format 12 subtable of a raw cmap table as rows (first, last, first glyph id)."""
    count = struct.unpack_from(">H", table, 2)[0]
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", table, 4 + 8 * i)
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6)) and struct.unpack_from(">H", table, offset)[0] == 12:
            groups = struct.unpack_from(">I", table, offset + 12)[0]
            data = np.frombuffer(table, dtype=">u4", count=3 * groups, offset=offset + 16)
            return data.reshape(groups, 3).astype(np.int64)
    return None


def _advances(table: bytes, long_metrics: int, glyphs: int) -> np.ndarray:
    advances = np.frombuffer(table, dtype=">u2", count=2 * long_metrics)[::2].astype(np.int32)
    # glyphs after the last long metric share its advance
    return np.concatenate([advances, np.full(max(0, glyphs - long_metrics), advances[-1], dtype=np.int32)])


@lru_cache(maxsize=64)
def _pil_font(path: str, index: int, size_px: int):
    from PIL import ImageFont
    return ImageFont.truetype(path, size=size_px, index=index, layout_engine=ImageFont.Layout.BASIC)
