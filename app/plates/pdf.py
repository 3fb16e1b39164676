"""A streaming vector PDF of plates: each page is written as soon as it is full, fonts at the end.

Noto Sans CJK is CFF in a TrueType collection, which reportlab cannot embed and fpdf2 would keep
with every page in memory until the end. This writer is small instead: page content streams
(deflated) go to the file as they are made; the pages tree, one subset per font weight (fontTools,
embedded as CIDFontType0C with Identity-H and a ToUnicode map so text can be searched and copied),
the cross-reference table and the trailer are written on close. Memory holds only the page object
numbers, the byte offsets and the set of characters used.

Layouts: "plate" gives each plate a page of its own size; "A4" and "A3" place plates at full size
(scaled down only if one cannot fit the sheet) in rows, with crop marks at the corners and the
address printed small underneath.
"""

import hashlib
import zlib
from pathlib import Path

from app.plates.fonts import Font, font
from app.plates.render import QUIET_ZONE, Plate, UnprintableText, _check_text, fit_text, layout

PT = 72 / 25.4  # points per mm
SHEETS = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
SHEET_MARGIN = 10.0  # mm of paper kept clear at the edges
GAP = 12.0  # mm between plates: room for the crop marks of both neighbours
MARK_OFFSET, MARK_LENGTH = 2.0, 4.0  # crop marks start this far from the corner, this long
CAPTION_GAP, CAPTION_SIZE, CAPTION_HEIGHT = 1.5, 3.0, 4.5
CAPTION_COLOR = (0, 0, 0)
FONT_RESOURCE = {"regular": b"/R", "bold": b"/B"}

__all__ = ["PdfSheet", "UnprintableText"]


class PdfSheet:
    """Plates into a PDF file (a path or a binary file object), one page at a time.

        with PdfSheet("plates.pdf", layout="A4") as sheet:
            sheet.add("room", fields)     # UnprintableText: nothing of that plate is written
    """

    def __init__(self, target, layout: str = "plate"):
        if layout != "plate" and layout not in SHEETS:
            raise ValueError(f"layout must be 'plate', 'A4' or 'A3', not {layout!r}")
        self.layout = layout
        self.count = 0
        if isinstance(target, (str, Path)):
            self._file, self._owns = open(target, "wb"), True
        else:
            self._file, self._owns = target, False
        self._writer = _Writer(self._file)
        self._page = None  # the sheet page being filled (A4/A3)
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.close()
        except Exception:
            if exc_type is None:
                raise
        return False

    def add(self, kind: str, fields: dict) -> None:
        """Draw one plate; raises UnprintableText (and writes nothing) if its text cannot be printed."""
        plate = layout(kind, fields)
        if self.layout == "plate":
            t = plate.template
            content = _Content(self._writer)
            content.plate(plate, 0, 0, 1.0, t.height)
            self._writer.page(t.width, t.height, content)
        else:
            caption = " ".join(str(fields.get("address") or fields.get("url") or "").split())
            if caption:
                _check_text(caption, font("regular"))
            self._place(plate, caption)
        self.count += 1

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._page is not None:
            self._writer.page(*self._page.size, self._page.content)
            self._page = None
        self._writer.finish()
        if self._owns:
            self._file.close()

    def _place(self, plate: Plate, caption: str) -> None:
        t = plate.template
        page = self._page
        if page is None or not page.fits(t):
            if page is not None:
                self._writer.page(*page.size, page.content)
            page = self._page = _SheetPage(self.layout, t, self._writer)
        page.put(plate, caption)


class _SheetPage:
    """One A4/A3 page filled in rows, left to right, top to bottom."""

    def __init__(self, sheet: str, first, writer):
        short, long_ = SHEETS[sheet]
        # the orientation that holds more plates of the first kind on the page
        self.size = max(((short, long_), (long_, short)), key=lambda s: _per_page(first, *s))
        self.content = _Content(writer)
        self.x = self.y = SHEET_MARGIN
        self.row_height = 0.0

    def _scale(self, t) -> float:
        w, h = self.size
        return min(1.0, (w - 2 * SHEET_MARGIN) / t.width,
                   (h - 2 * SHEET_MARGIN - CAPTION_GAP - CAPTION_HEIGHT) / t.height)

    def _slot(self, t):
        """Where the next plate of template t goes on this page: (x, y), or None if it is full."""
        s = self._scale(t)
        w, h = t.width * s, t.height * s + CAPTION_GAP + CAPTION_HEIGHT
        x, y = self.x, self.y
        if x > SHEET_MARGIN and x + w > self.size[0] - SHEET_MARGIN + 1e-6:
            x, y = SHEET_MARGIN, y + self.row_height + GAP
        if y > SHEET_MARGIN and y + h > self.size[1] - SHEET_MARGIN + 1e-6:
            return None
        return x, y

    def fits(self, t) -> bool:
        return self._slot(t) is not None

    def put(self, plate: Plate, caption: str) -> None:
        t = plate.template
        x, y = self._slot(t)
        if x == SHEET_MARGIN and y != self.y:
            self.row_height = 0.0
        s = self._scale(t)
        w, h = t.width * s, t.height * s
        self.content.plate(plate, x, y, s, self.size[1])
        self.content.crop_marks(x, y, w, h, self.size[1])
        note = "" if s >= 0.999 else f"（缩小至 {s:.0%}）"
        text = caption + note
        if text:
            run = fit_text(text, font("regular"), x + MARK_OFFSET + MARK_LENGTH, y + h + CAPTION_GAP,
                           max(1.0, w - 2 * (MARK_OFFSET + MARK_LENGTH)), CAPTION_HEIGHT, CAPTION_SIZE,
                           CAPTION_SIZE * 0.6, "center", CAPTION_COLOR)
            self.content.text_on_page(run, self.size[1])
        self.x, self.y = x + w + GAP, y
        self.row_height = max(self.row_height, h + CAPTION_GAP + CAPTION_HEIGHT)


def _per_page(t, width: float, height: float) -> int:
    s = min(1.0, (width - 2 * SHEET_MARGIN) / t.width,
            (height - 2 * SHEET_MARGIN - CAPTION_GAP - CAPTION_HEIGHT) / t.height)
    w, h = t.width * s, t.height * s + CAPTION_GAP + CAPTION_HEIGHT
    across = int((width - 2 * SHEET_MARGIN + GAP + 1e-6) // (w + GAP))
    down = int((height - 2 * SHEET_MARGIN + GAP + 1e-6) // (h + GAP))
    return across * down


def plates_per_page(kind: str, sheet: str) -> int:
    """How many plates of kind an A4/A3 page holds (the better orientation)."""
    from app.plates.render import load_template
    t = load_template(kind)
    short, long_ = SHEETS[sheet]
    return max(_per_page(t, short, long_), _per_page(t, long_, short))


def _num(v: float) -> bytes:
    """A PDF number: at most 3 decimals, no trailing zeros."""
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode()


def _rgb(color) -> bytes:
    return b" ".join(_num(c / 255) for c in color)


class _Content:
    """Operators of one page; plates are drawn in mm with y down via a transformation matrix."""

    def __init__(self, writer):
        self.writer = writer
        self.parts: list[bytes] = []
        self.fonts: set[str] = set()

    def plate(self, plate: Plate, x: float, y: float, scale: float, page_height: float) -> None:
        t = plate.template
        k = scale * PT
        out = self.parts
        # plate space: mm from the plate's top left corner, y down
        out.append(b"q %s 0 0 %s %s %s cm\n" % (_num(k), _num(-k), _num(x * PT), _num((page_height - y) * PT)))
        out.append(_rgb(t.background) + b" rg\n" + _round_rect(0, 0, t.width, t.height, t.radius) + b" f\n")
        for s in plate.shapes:
            if s.stroke:
                half = s.stroke / 2
                out.append(b"%s RG %s w\n" % (_rgb(s.color), _num(s.stroke)) +
                           _round_rect(s.x + half, s.y + half, s.w - s.stroke, s.h - s.stroke,
                                       max(0.0, s.radius - half)) + b" S\n")
            else:
                out.append(_rgb(s.color) + b" rg %s %s %s %s re f\n" % (_num(s.x), _num(s.y), _num(s.w), _num(s.h)))
        q = plate.qr
        out.append(_rgb(q.light) + b" rg %s %s %s %s re f\n" % (_num(q.x), _num(q.y), _num(q.size), _num(q.size)))
        module = q.size / (len(plate.matrix) + 2 * QUIET_ZONE)
        out.append(b"q %s 0 0 %s %s %s cm " % (_num(module), _num(module), _num(q.x + QUIET_ZONE * module),
                                               _num(q.y + QUIET_ZONE * module)))
        out.append(_rgb(q.dark) + b" rg\n" + _qr_path(plate.matrix) + b"f Q\n")
        for run in plate.runs:
            self._text(run)
        out.append(b"Q\n")

    def text_on_page(self, run, page_height: float) -> None:
        self.parts.append(b"q %s 0 0 %s 0 %s cm\n" % (_num(PT), _num(-PT), _num(page_height * PT)))
        self._text(run)
        self.parts.append(b"Q\n")

    def _text(self, run) -> None:
        weight = "bold" if run.font is font("bold") else "regular"
        self.fonts.add(weight)
        codes = self.writer.use(weight, run.text)
        # the text matrix flips y back, so glyphs stand upright in the y-down plate space
        self.parts.append(b"BT %s %s 1 Tf %s 0 0 %s %s %s Tm <%s> Tj ET\n" % (
            _rgb(run.color) + b" rg", FONT_RESOURCE[weight], _num(run.size * run.hscale), _num(-run.size),
            _num(run.x), _num(run.baseline), codes))

    def crop_marks(self, x, y, w, h, page_height) -> None:
        lines = []
        for cx, dx in ((x, -1), (x + w, 1)):
            for cy, dy in ((y, -1), (y + h, 1)):
                a, b = MARK_OFFSET, MARK_OFFSET + MARK_LENGTH
                lines.append(b"%s %s m %s %s l " % (_num(cx + dx * a), _num(cy), _num(cx + dx * b), _num(cy)))
                lines.append(b"%s %s m %s %s l " % (_num(cx), _num(cy + dy * a), _num(cx), _num(cy + dy * b)))
        self.parts.append(b"q %s 0 0 %s 0 %s cm 0 G 0.2 w\n" % (_num(PT), _num(-PT), _num(page_height * PT)) +
                          b"".join(lines) + b"S Q\n")

    def stream(self) -> bytes:
        return b"".join(self.parts)


def _round_rect(x, y, w, h, r) -> bytes:
    if r <= 0:
        return b"%s %s %s %s re" % (_num(x), _num(y), _num(w), _num(h))
    r = min(r, w / 2, h / 2)
    c = r * 0.4477  # 1 - 0.5523: Bézier control points of a quarter circle
    n = _num
    return b" ".join([
        b"%s %s m" % (n(x + r), n(y)), b"%s %s l" % (n(x + w - r), n(y)),
        b"%s %s %s %s %s %s c" % (n(x + w - c), n(y), n(x + w), n(y + c), n(x + w), n(y + r)),
        b"%s %s l" % (n(x + w), n(y + h - r)),
        b"%s %s %s %s %s %s c" % (n(x + w), n(y + h - c), n(x + w - c), n(y + h), n(x + w - r), n(y + h)),
        b"%s %s l" % (n(x + r), n(y + h)),
        b"%s %s %s %s %s %s c" % (n(x + c), n(y + h), n(x), n(y + h - c), n(x), n(y + h - r)),
        b"%s %s l" % (n(x), n(y + r)),
        b"%s %s %s %s %s %s c h" % (n(x), n(y + c), n(x + c), n(y), n(x + r), n(y)),
    ])


def _qr_path(matrix) -> bytes:
    """Dark modules as rectangles in module units: runs in a row, stacked while rows repeat."""
    rows = [bytes(r) for r in matrix.astype("u1")]
    open_: dict[tuple[int, int], int] = {}  # (start, length) -> first row of a rectangle still growing
    parts = []
    for y in range(len(rows) + 1):
        runs = set(_runs(rows[y])) if y < len(rows) else set()
        for key in [k for k in open_ if k not in runs]:
            top = open_.pop(key)
            parts.append(b"%d %d %d %d re" % (key[0], top, key[1], y - top))
        for key in runs:
            open_.setdefault(key, y)
    parts.append(b"")
    return b"\n".join(parts)


def _runs(row: bytes):
    start = row.find(1)
    while start != -1:
        end = row.find(0, start)
        if end == -1:
            end = len(row)
        yield start, end - start
        start = row.find(1, end)


class _Writer:
    """PDF objects straight to the file; what must come last is written by finish()."""

    def __init__(self, file):
        self.file = file
        self.offsets: list[int] = [0]  # offsets[i] = byte offset of object i
        self.pages: list[int] = []
        self.pos = 0
        self.catalog, self.pages_id = self._reserve(), self._reserve()
        self.font_ids = {w: self._reserve() for w in FONT_RESOURCE}
        self.chars: dict[str, set[str]] = {w: set() for w in FONT_RESOURCE}
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _reserve(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def _write(self, data: bytes) -> None:
        self.file.write(data)
        self.pos += len(data)

    def obj(self, body: bytes, number: int | None = None) -> int:
        number = number or self._reserve()
        self.offsets[number] = self.pos
        self._write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
        return number

    def stream(self, data: bytes, extra: bytes = b"", number: int | None = None, compress: bool = True) -> int:
        if compress:
            data, extra = zlib.compress(data, 6), extra + b" /Filter /FlateDecode"
        return self.obj(b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream", number)

    def use(self, weight: str, text: str) -> bytes:
        """The hex codes (CIDs) of text in font weight, recording its characters for the subset."""
        face = font(weight)
        self.chars[weight].update(text)
        return b"".join(b"%04X" % face.glyph_id(c) for c in text)

    def page(self, width_mm: float, height_mm: float, content: _Content) -> None:
        contents = self.stream(content.stream())
        resources = b" ".join(b"%s %d 0 R" % (FONT_RESOURCE[w], self.font_ids[w]) for w in sorted(content.fonts))
        self.pages.append(self.obj(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R /Resources << /Font << %s >> >> >>"
            % (self.pages_id, _num(width_mm * PT), _num(height_mm * PT), contents, resources)))

    def finish(self) -> None:
        for weight, number in self.font_ids.items():
            if self.chars[weight]:
                self._font(number, font(weight), self.chars[weight])
            else:
                self.obj(b"null", number)  # reserved, never used
        kids = b" ".join(b"%d 0 R" % p for p in self.pages)
        self.obj(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.pages)), self.pages_id)
        self.obj(b"<< /Type /Catalog /Pages %d 0 R >>" % self.pages_id, self.catalog)
        xref = self.pos
        lines = [b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets)]
        lines += [b"%010d 00000 n \n" % off for off in self.offsets[1:]]
        self._write(b"".join(lines))
        self._write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(self.offsets), self.catalog, xref))
        self.file.flush()

    def _font(self, number: int, face: Font, chars: set[str]) -> None:
        cids = sorted({face.glyph_id(c) for c in chars})
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha1(repr((face.ps_name, cids)).encode()).digest()[:6])
        name = f"{tag}+{face.ps_name}".encode()
        file3 = self.stream(face.subset_cff(chars), b" /Subtype /CIDFontType0C")
        em = face.units_per_em
        scale = 1000 / em
        descriptor = self.obj(
            b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%s] /ItalicAngle 0 /Ascent %d"
            b" /Descent %d /CapHeight %d /StemV 80 /FontFile3 %d 0 R >>"
            % (name, b" ".join(_num(v * scale) for v in face.bbox), round(face.ascent * scale),
               round(face.descent * scale), round(face.cap_height * scale), file3))
        widths = b" ".join(b"%d [%s]" % (cid, _num(face.advance(c) * scale))
                           for cid, c in sorted({(face.glyph_id(c), c) for c in chars}))
        cid_font = self.obj(
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe)"
            b" /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /W [%s] >>"
            % (name, descriptor, widths))
        to_unicode = self.stream(_to_unicode({face.glyph_id(c): c for c in chars}))
        self.obj(b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R]"
                 b" /ToUnicode %d 0 R >>" % (name, cid_font, to_unicode), number)


def _to_unicode(mapping: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
             b"1 begincodespacerange <0000> <FFFF> endcodespacerange"]
    items = sorted(mapping.items())
    for i in range(0, len(items), 100):
        chunk = items[i:i + 100]
        lines.append(b"%d beginbfchar" % len(chunk))
        lines += [b"<%04X> <%s>" % (cid, char.encode("utf-16-be").hex().upper().encode()) for cid, char in chunk]
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)
