"""Door, building, unit and room plates: templates as data, a layout in millimetres, PNG and PDF out.

A template (qr_templates/<kind>.toml, documented in qr_templates/README.md) places a coloured plate,
an optional frame and rules, a QR code on its light square, and text slots. `layout` turns a
template and the address fields into drawing operations in millimetres (origin top left, y down);
the PNG renderer here and the PDF writer in pdf.py draw the same operations, so a preview and the
print file agree. Text is checked against the font before anything is drawn: a character the font
lacks raises UnprintableText rather than printing a box.
"""

import io
import os
import string
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from app.plates.fonts import WEIGHTS, Font, FontMissing, font
from app.plates.qr import QUIET_ZONE, qr_matrix

__all__ = ["KINDS", "FIELDS", "Template", "TemplateError", "load_template", "qr_matrix", "render_png",
           "PdfSheet", "UnprintableText", "check_printable", "FontMissing", "layout"]

KINDS = ("door", "building", "unit", "room")
FIELDS = ("road", "number", "compound", "building", "unit", "room", "district", "township",
          "community", "address", "code", "beidou", "url")
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "qr_templates"
Color = tuple[int, int, int]


class UnprintableText(ValueError):
    """A plate's text holds a character the plate font cannot draw (e.g. private-use U+E170)."""

    def __init__(self, char: str, text: str):
        self.char, self.text = char, text
        self.codepoint = f"U+{ord(char):04X}"
        super().__init__(f"无法打印“{text}”中的字符 {self.codepoint}：门牌字体中没有这个字，请先更正名称。"
                         f" / Cannot print {self.codepoint} in {text!r}: the plate font has no glyph for it.")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    color: Color
    radius: float = 0.0
    stroke: float = 0.0  # > 0: an outline this wide (drawn inside the box) instead of a fill


@dataclass(frozen=True)
class TextSlot:
    formats: tuple[str, ...]  # alternatives: the first whose fields are all filled is used
    x: float
    y: float
    w: float
    h: float
    size: float
    min_size: float
    align: str
    color: Color
    weight: str

    def text(self, fields: dict) -> str:
        for fmt in self.formats:
            names = _field_names(fmt)
            if all(str(fields.get(name) or "").strip() for name in names):
                return " ".join(fmt.format_map(_Fields(fields)).split())
        return ""


@dataclass(frozen=True)
class QrSpec:
    x: float
    y: float
    size: float  # the light square, quiet zone included
    dark: Color
    light: Color


@dataclass(frozen=True)
class Template:
    kind: str
    label: str
    width: float
    height: float
    background: Color
    radius: float
    shapes: tuple[Rect, ...]  # frame and rules, drawn over the background
    qr: QrSpec
    slots: tuple[TextSlot, ...]


@dataclass(frozen=True)
class TextRun:
    text: str
    font: Font
    size: float  # em in mm
    x: float
    baseline: float
    hscale: float  # < 1 when the text is condensed to fit
    color: Color

    @property
    def width(self) -> float:
        return self.font.width(self.text) * self.size * self.hscale


@dataclass(frozen=True)
class Plate:
    template: Template
    shapes: tuple[Rect, ...]
    qr: QrSpec
    matrix: np.ndarray
    runs: tuple[TextRun, ...]


# --- templates ---------------------------------------------------------------------------------

def load_template(kind: str) -> Template:
    """The template for kind, read once from qr_templates/<kind>.toml (or $YIBIAO_QR_TEMPLATES)."""
    if kind not in KINDS:
        raise TemplateError(f"unknown plate kind {kind!r}, expected one of {KINDS}")
    return _load_template(os.environ.get("YIBIAO_QR_TEMPLATES") or str(TEMPLATES_DIR), kind)


@cache
def _load_template(directory: str, kind: str) -> Template:
    path = Path(directory) / f"{kind}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path}: {exc}") from exc
    try:
        return _parse_template(kind, data)
    except (KeyError, TypeError, ValueError) as exc:
        raise TemplateError(f"{path}: {exc}") from exc


_KEYS = {
    "": {"label", "width_mm", "height_mm", "corner_radius_mm", "background", "border", "rule", "qr", "text"},
    "border": {"inset_mm", "width_mm", "color", "corner_radius_mm"},
    "rule": {"x_mm", "y_mm", "w_mm", "h_mm", "color"},
    "qr": {"x_mm", "y_mm", "size_mm", "dark", "light"},
    "text": {"format", "box_mm", "size_mm", "min_size_mm", "align", "color", "weight"},
}


def _check_keys(data: dict) -> None:
    tables = [("", data)] + [(k, data[k]) for k in ("border", "qr") if k in data]
    tables += [(k, item) for k in ("rule", "text") for item in data.get(k, [])]
    for name, table in tables:
        unknown = set(table) - _KEYS[name]
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)} in [{name or 'top level'}]; "
                             f"known: {', '.join(sorted(_KEYS[name]))}")


def _parse_template(kind: str, data: dict) -> Template:
    _check_keys(data)
    width, height = float(data["width_mm"]), float(data["height_mm"])
    shapes = []
    if "border" in data:
        b = data["border"]
        inset = float(b["inset_mm"])
        shapes.append(Rect(inset, inset, width - 2 * inset, height - 2 * inset, _color(b["color"]),
                           float(b.get("corner_radius_mm", 0)), float(b["width_mm"])))
    for r in data.get("rule", []):
        shapes.append(Rect(float(r["x_mm"]), float(r["y_mm"]), float(r["w_mm"]), float(r["h_mm"]),
                           _color(r["color"])))
    q = data["qr"]
    qr = QrSpec(float(q["x_mm"]), float(q["y_mm"]), float(q["size_mm"]),
                _color(q.get("dark", "#000000")), _color(q.get("light", "#ffffff")))
    _inside("qr", qr.x, qr.y, qr.size, qr.size, width, height)
    slots = []
    for i, t in enumerate(data.get("text", [])):
        formats = (t["format"],) if isinstance(t["format"], str) else tuple(t["format"])
        for fmt in formats:
            unknown = set(_field_names(fmt)) - set(FIELDS)
            if unknown:
                raise ValueError(f"text {i + 1}: unknown field(s) {sorted(unknown)} in {fmt!r}; "
                                 f"known: {', '.join(FIELDS)}")
        x, y, w, h = (float(v) for v in t["box_mm"])
        _inside(f"text {i + 1}", x, y, w, h, width, height)
        size = float(t["size_mm"])
        min_size = float(t.get("min_size_mm", size))
        weight = t.get("weight", "bold")
        align = t.get("align", "center")
        if weight not in WEIGHTS or align not in ("left", "center", "right") or not 0 < min_size <= size:
            raise ValueError(f"text {i + 1}: weight must be one of {WEIGHTS}, align left/center/right, "
                             f"0 < min_size_mm <= size_mm")
        slots.append(TextSlot(formats, x, y, w, h, size, min_size, align,
                              _color(t.get("color", "#ffffff")), weight))
    return Template(kind, str(data.get("label", kind)), width, height, _color(data["background"]),
                    float(data.get("corner_radius_mm", 0)), tuple(shapes), qr, tuple(slots))


def _inside(what, x, y, w, h, width, height):
    if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > width + 1e-6 or y + h > height + 1e-6:
        raise ValueError(f"{what}: box {x},{y} {w}×{h} mm is not inside the {width}×{height} mm plate")


def _color(value: str) -> Color:
    v = value.lstrip("#")
    if len(v) != 6:
        raise ValueError(f"colour {value!r} must be #rrggbb")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


@cache
def _field_names(fmt: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(fmt) if name)


class _Fields(dict):
    def __init__(self, fields):
        super().__init__({k: ("" if v is None else v) for k, v in fields.items()})

    def __missing__(self, key):
        return ""


# --- layout ------------------------------------------------------------------------------------

def check_printable(kind: str, fields: dict) -> None:
    """Raise UnprintableText for the first character of the plate's text the font cannot draw."""
    template = load_template(kind)
    for slot in template.slots:
        text = slot.text(fields)
        if text:
            _check_text(text, font(slot.weight))


def _check_text(text: str, face: Font) -> None:
    for char in text:
        if not face.covers(char):
            raise UnprintableText(char, text)


def layout(kind: str, fields: dict) -> Plate:
    """The plate's drawing operations, in mm; raises UnprintableText before anything is drawn."""
    template = load_template(kind)
    texts = [(slot, slot.text(fields)) for slot in template.slots]
    for slot, text in texts:
        if text:
            _check_text(text, font(slot.weight))
    runs = tuple(fit_text(text, font(slot.weight), slot.x, slot.y, slot.w, slot.h, slot.size,
                          slot.min_size, slot.align, slot.color) for slot, text in texts if text)
    return Plate(template, template.shapes, template.qr, qr_matrix(fields["url"]), runs)


def fit_text(text: str, face: Font, x: float, y: float, w: float, h: float, size: float,
             min_size: float, align: str, color: Color) -> TextRun:
    """Set text in the box: at size, smaller down to min_size if too wide, then condensed to fit."""
    ems = face.width(text)
    size = min(size, h)  # the em box never outgrows the slot's height
    hscale = 1.0
    if ems * size > w:
        size = max(min(min_size, size), w / ems)
        if ems * size > w:
            hscale = w / (ems * size)
    width = ems * size * hscale
    left = x if align == "left" else x + w - width if align == "right" else x + (w - width) / 2
    em_top = y + (h - size) / 2  # centre the em box (ascender to descender) in the slot
    baseline = em_top + size * face.ascent / (face.ascent - face.descent)
    return TextRun(text, face, size, left, baseline, hscale, color)


# --- PNG ---------------------------------------------------------------------------------------

def render_png(kind: str, fields: dict, *, dpi: int = 300, width_px: int | None = None) -> bytes:
    """The plate as PNG bytes at dpi (default 300), or width_px wide; raises UnprintableText."""
    image = render_image(kind, fields, dpi=dpi, width_px=width_px)
    out = io.BytesIO()
    scale_dpi = round(image.width / load_template(kind).width * 25.4)
    # level 1: plates are large flat areas, and a preview is wanted fast more than small
    image.save(out, "PNG", compress_level=1, dpi=(scale_dpi, scale_dpi))
    return out.getvalue()


def render_image(kind: str, fields: dict, *, dpi: int = 300, width_px: int | None = None):
    """The plate as a Pillow RGB image (see render_png)."""
    from PIL import Image, ImageDraw

    plate = layout(kind, fields)
    t = plate.template
    px = (width_px / t.width) if width_px else dpi / 25.4  # pixels per mm
    image = Image.new("RGB", (round(t.width * px), round(t.height * px)), "white")
    draw = ImageDraw.Draw(image)

    def box(x, y, w, h):
        return [round(x * px), round(y * px), round((x + w) * px) - 1, round((y + h) * px) - 1]

    draw.rounded_rectangle(box(0, 0, t.width, t.height), radius=round(t.radius * px), fill=t.background)
    for s in plate.shapes:
        if s.stroke:
            draw.rounded_rectangle(box(s.x, s.y, s.w, s.h), radius=round(s.radius * px),
                                   outline=s.color, width=max(1, round(s.stroke * px)))
        else:
            draw.rectangle(box(s.x, s.y, s.w, s.h), fill=s.color)

    q, matrix = plate.qr, plate.matrix
    draw.rectangle(box(q.x, q.y, q.size, q.size), fill=q.light)
    module = q.size / (len(matrix) + 2 * QUIET_ZONE)
    left, top = round((q.x + QUIET_ZONE * module) * px), round((q.y + QUIET_ZONE * module) * px)
    side = round((q.x + q.size - QUIET_ZONE * module) * px) - left
    modules = Image.fromarray(np.where(matrix, 255, 0).astype(np.uint8), "L").resize((side, side), Image.NEAREST)
    image.paste(q.dark, (left, top, left + side, top + side), modules)

    for run in plate.runs:
        _draw_run(image, draw, run, px)
    return image


def _draw_run(image, draw, run: TextRun, px: float) -> None:
    from PIL import Image, ImageDraw

    size_px = max(1, round(run.size * px))
    pil = run.font.pil(size_px)
    x, baseline = run.x * px, run.baseline * px
    if run.hscale > 0.999:
        draw.text((x, baseline), run.text, font=pil, fill=run.color, anchor="ls")
        return
    # condensed: draw at full width into a mask, squeeze it horizontally, paint through it
    ascent = round(size_px * run.font.ascent / run.font.units_per_em) + 2
    descent = round(-size_px * run.font.descent / run.font.units_per_em) + 2
    natural = max(1, round(pil.getlength(run.text)) + 2)
    mask = Image.new("L", (natural, ascent + descent))
    ImageDraw.Draw(mask).text((0, ascent), run.text, font=pil, fill=255, anchor="ls")
    mask = mask.resize((max(1, round(natural * run.hscale)), mask.height), Image.LANCZOS)
    image.paste(run.color, (round(x), round(baseline) - ascent), mask)


# --- PDF ---------------------------------------------------------------------------------------

def __getattr__(name):  # PdfSheet lives in pdf.py, which imports this module
    if name == "PdfSheet":
        from app.plates.pdf import PdfSheet
        return PdfSheet
    raise AttributeError(name)
