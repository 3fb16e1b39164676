"""The CJK font plates are drawn in: finding it, its metrics, its glyph coverage and PDF subsets.

Plates use Noto Sans CJK SC (Debian `fonts-noto-cjk`): a TrueType collection whose faces are CFF
(PostScript) outlines. One face per weight; `regular` and `bold` are the weights a template names.
Widths come from the font's own advance table, so the PNG and the PDF lay out text identically.
"""

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

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
_PROBE = ord("襄")


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
    cmap: dict[int, str] = field(repr=False)
    advances: dict[str, int] = field(repr=False)

    def covers(self, char: str) -> bool:
        return ord(char) in self.cmap

    def width(self, text: str) -> float:
        """Advance width of text in ems (no kerning: CJK plates are set solid)."""
        cmap, advances = self.cmap, self.advances
        return sum(advances[cmap[ord(c)]] for c in text) / self.units_per_em

    def glyph_id(self, char: str) -> int:
        """The CID the PDF content stream uses: in a CID-keyed CFF (Noto CJK) the glyph is named cidNNNNN."""
        name = self.cmap[ord(char)]
        if name.startswith("cid") and name[3:].isdigit():
            return int(name[3:])
        raise FontMissing(f"{self.path}: glyph {name!r} is not CID-keyed; use Noto Sans CJK")

    def pil(self, size_px: int):
        """A Pillow font of this face at size_px pixels per em."""
        return _pil_font(self.path, self.index, size_px)

    def subset_cff(self, chars: set[str]) -> bytes:
        """The CFF table of a subset holding the glyphs of chars (CIDs kept), for a PDF FontFile3."""
        from fontTools import subset
        face = TTFont(self.path, fontNumber=self.index, lazy=True)
        options = subset.Options()
        options.notdef_outline = True
        options.name_IDs = []
        options.layout_features = []
        options.hinting = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(glyphs=sorted({self.cmap[ord(c)] for c in chars}))
        subsetter.subset(face)
        return face["CFF "].compile(face)


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
            faces = TTCollection(path, lazy=True).fonts
        else:
            faces = [TTFont(path, lazy=True)]
    except Exception:  # noqa: BLE001 - a missing or broken file is just not a candidate
        return None
    names = [(face["name"].getDebugName(1) or "") for face in faces]
    # prefer the proportional SC face of a Noto/Source Han collection, else the first that has 襄
    order = sorted(range(len(faces)), key=lambda i: (" SC" not in names[i], "Mono" in names[i], i))
    for index in order:
        face = TTFont(path, fontNumber=index, lazy=True) if len(faces) > 1 else faces[0]
        cmap = face.getBestCmap() or {}
        if _PROBE not in cmap:
            continue
        if "CFF " not in face:
            continue  # our PDF writer embeds CFF outlines (Noto CJK); TrueType-flavoured fonts are not wired
        os2, head, hmtx = face["OS/2"], face["head"], face["hmtx"]
        return Font(
            path=path, index=index if len(faces) > 1 else 0,
            ps_name=face["name"].getDebugName(6) or "NotoSansCJK",
            units_per_em=head.unitsPerEm, ascent=os2.sTypoAscender, descent=os2.sTypoDescender,
            cap_height=getattr(os2, "sCapHeight", 0) or int(0.73 * head.unitsPerEm),
            bbox=(head.xMin, head.yMin, head.xMax, head.yMax),
            cmap=dict(cmap), advances={name: hmtx[name][0] for name in set(cmap.values()) | {".notdef"}})
    return None


@lru_cache(maxsize=64)
def _pil_font(path: str, index: int, size_px: int):
    from PIL import ImageFont
    return ImageFont.truetype(path, size=size_px, index=index, layout_engine=ImageFont.Layout.BASIC)
