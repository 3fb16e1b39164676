"""The plate renderer as a resident, a grid worker and a print shop meet it: the QR code scans back to
the plate's address, the Chinese names are really drawn, an unprintable name is refused, long road
names stay on the plate, and the print PDF has the right pages with its font embedded."""

import csv
import io
import random
import re
import secrets
import shutil
import string
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import lost_point

from app.plates import fonts, pdf, qr
from app.plates.render import (
    KINDS,
    FontMissing,
    PdfSheet,
    TemplateError,
    UnprintableText,
    check_printable,
    layout,
    load_template,
    qr_matrix,
    render_image,
    render_png,
)

ROOT = Path(__file__).resolve().parents[2]
DIVISIONS = ROOT / "app" / "demo" / "data" / "xiangyang" / "divisions.csv"
PRIVATE_USE = "\ue170"


def plate_fields(**changes) -> dict:
    fields = dict(
        road="檀溪路", number="12", compound="檀溪花园", building="3栋", unit="2单元", room="301",
        district="襄城区", township="真武山街道", community="檀溪社区",
        address="湖北省襄阳市襄城区真武山街道檀溪社区檀溪路12号檀溪花园3栋2单元301室",
        code="420602001008000120301", beidou="", url=f"https://yb.example.cn/p/{secrets.token_urlsafe(12)}")
    fields.update(changes)
    return fields


def division_names() -> list[str]:
    with DIVISIONS.open(encoding="utf-8") as f:
        return [row["name"] for row in csv.DictReader(f)]


def decoded(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_pages(data: bytes, px_per_mm: float = 4.0):
    document = pdfium.PdfDocument(data)
    return document, [page.render(scale=px_per_mm * 25.4 / 72).to_pil() for page in document]


# --- the QR code scans back to the plate's URL ---------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_png_plate_scans_back_to_its_url(kind):
    fields = plate_fields()
    image = Image.open(io.BytesIO(render_png(kind, fields, dpi=150)))
    assert decoded(image) == [fields["url"]]


@pytest.mark.parametrize("kind", KINDS)
def test_plate_scans_at_arms_length(kind):
    """A phone a metre or so away sees the QR code about 110 px wide."""
    fields = plate_fields()
    template = load_template(kind)
    image = Image.open(io.BytesIO(render_png(kind, fields)))
    width = round(110 * template.width / template.qr.size)
    small = image.resize((width, round(width * image.height / image.width)), Image.LANCZOS)
    assert decoded(small) == [fields["url"]]


def test_pdf_plates_scan_back_to_their_urls():
    plates = [(kind, plate_fields()) for kind in KINDS]
    out = io.BytesIO()
    with PdfSheet(out) as sheet:
        for kind, fields in plates:
            sheet.add(kind, fields)
    _, images = pdf_pages(out.getvalue())
    assert [decoded(image) for image in images] == [[fields["url"]] for _, fields in plates]


def test_a4_sheet_plates_all_scan():
    urls = [plate_fields()["url"] for _ in range(3)]
    out = io.BytesIO()
    with PdfSheet(out, layout="A4") as sheet:
        for url in urls:
            sheet.add("room", plate_fields(url=url))
    _, images = pdf_pages(out.getvalue())
    assert sorted(text for image in images for text in decoded(image)) == sorted(urls)


# --- QR symbols: small, and the standard's mask ---------------------------------------------------

@pytest.mark.parametrize("base", ["https://yb.example.cn/p/", "http://127.0.0.1:5000/p/"])
def test_plate_urls_fit_version_4_at_level_q(base):
    for _ in range(50):
        url = base + secrets.token_urlsafe(12)
        assert qr.qr_version(url) <= 4
        assert len(qr_matrix(url)) <= 33  # version 4 is 33 modules wide


def reference_symbol(data: str, mask: int | None = None):
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0, mask_pattern=mask)
    code.add_data(data)
    code.make(fit=True)
    return code


def standard_mask(data: str) -> int:
    """ISO/IEC 18004:2015 7.8.3.1, the slow way: draw each complete symbol (format information
    included, as the standard evaluates it) with qrcode and score it with qrcode's N1–N4."""
    code = reference_symbol(data)
    scores = []
    for mask in range(8):
        code.makeImpl(False, mask)
        scores.append(lost_point(code.modules))
    return scores.index(min(scores))


def sample_urls() -> list[str]:
    rng = random.Random(18004)
    alphabet = string.ascii_letters + string.digits + "-_"
    urls = [f"https://yb.example.cn/p/{''.join(rng.choices(alphabet, k=16))}" for _ in range(150)]
    urls += [f"http://127.0.0.1:5000/p/{''.join(rng.choices(alphabet, k=16))}" for _ in range(50)]
    # other lengths and character mixes reach other versions (7+ has version information) and
    # mixed numeric/byte segments
    urls += ["".join(rng.choices(string.printable, k=rng.randint(1, 200))) for _ in range(60)]
    urls += ["https://yb.example.cn/p/" + "1234567890" * 3, "HTTPS://YB.EXAMPLE.CN/P/ABC", "檀溪路12号"]
    return urls


def test_mask_choice_is_the_standards_for_random_urls():
    for url in sample_urls():
        mask = qr.chosen_mask(url)
        assert mask == standard_mask(url), url
        assert np.array_equal(qr_matrix(url), np.array(reference_symbol(url, mask).get_matrix(), dtype=bool)), url


def test_qrcodes_own_choice_differs_only_by_scoring_with_the_format_area_blank():
    """qrcode's best_mask_pattern leaves format information out of the evaluation (see qr.py);
    scoring that way gives exactly its choice, and on plate URLs it often differs from the standard's."""
    urls = sample_urls()
    own = [reference_symbol(url).best_mask_pattern() for url in urls]
    assert [qr.chosen_mask(url, format_area_blank=True) for url in urls] == own
    assert sum(a != qr.chosen_mask(url) for a, url in zip(own, urls)) > len(urls) // 5


def test_penalty_scores_equal_qrcodes_n1_to_n4():
    rng = np.random.default_rng(7)
    for n in (21, 25, 29, 33, 45):
        symbols = (rng.random((8, n, n)) < rng.uniform(0.2, 0.8)).astype(np.uint8)
        symbols[:, :3, :12] = 0  # long light runs and finder-like patterns too
        symbols[:, 5, 10:21] = [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0]
        expected = [lost_point([[bool(v) for v in row] for row in s]) for s in symbols]
        assert list(qr.penalties(symbols)) == expected


# --- Chinese text --------------------------------------------------------------------------------

def test_font_draws_every_xiangyang_division_name_but_the_private_use_one():
    names = division_names()
    chars = {c for name in names for c in name}
    assert "\U00021413" in chars  # 𡐓 of 莫𡐓村, outside the BMP
    for weight in fonts.WEIGHTS:
        face = fonts.font(weight)
        assert {c for c in chars if not face.covers(c)} == {PRIVATE_USE}


def ink_mask(image: Image.Image, box) -> np.ndarray:
    """Pixels in box that are near white (the plates' text colour on blue)."""
    return np.asarray(image.crop(box).convert("L")) > 160


def road_box(run, px: float):
    top = run.baseline - run.size * run.font.ascent / 1000
    return (round(run.x * px), round(top * px), round((run.x + run.width) * px), round((top + run.size) * px))


def test_rare_character_is_drawn_not_a_box_or_blank():
    fields = plate_fields(road="莫𡐓路")
    px = 100 / 25.4
    run = layout("door", fields).runs[0]
    box = road_box(run, px)
    drawn = ink_mask(render_image("door", fields, dpi=100), box)
    # what the plate would show if the glyphs were missing: the font's .notdef boxes
    tofu_image = Image.new("RGB", (box[2] - box[0], box[3] - box[1]), (15, 76, 156))
    ImageDraw.Draw(tofu_image).text((0, round(run.baseline * px) - box[1]), PRIVATE_USE * 3,
                                    font=run.font.pil(round(run.size * px)), fill="white", anchor="ls")
    tofu = ink_mask(tofu_image, (0, 0) + tofu_image.size)
    assert drawn.mean() > 0.15  # not blank
    assert (drawn & tofu).sum() / (drawn | tofu).sum() < 0.5  # not boxes


def test_pdf_text_is_drawn_in_the_embedded_font():
    fields = plate_fields(road="莫𡐓路")
    out = io.BytesIO()
    with PdfSheet(out) as sheet:
        sheet.add("door", fields)
    document, images = pdf_pages(out.getvalue(), px_per_mm=100 / 25.4)
    assert "莫𡐓路" in document[0].get_textpage().get_text_range()
    run = layout("door", fields).runs[0]
    box = road_box(run, 100 / 25.4)
    in_pdf = ink_mask(images[0], box)
    in_png = ink_mask(render_image("door", fields, dpi=100), box)
    assert in_pdf.mean() > 0.15
    assert (in_pdf & in_png).sum() / (in_pdf | in_png).sum() > 0.8  # the same glyphs, in the same place


# --- unprintable names ---------------------------------------------------------------------------

def private_use_village() -> str:
    return next(name for name in division_names() if PRIVATE_USE in name)


def test_private_use_village_name_is_refused_naming_the_character():
    village = private_use_village()
    fields = plate_fields(community=village)
    with pytest.raises(UnprintableText) as refused:
        check_printable("door", fields)
    assert "U+E170" in str(refused.value) and village in str(refused.value)
    with pytest.raises(UnprintableText):
        render_png("door", fields)


def test_pdf_sheet_stays_valid_after_a_refused_plate():
    good = [plate_fields(), plate_fields()]
    out = io.BytesIO()
    with PdfSheet(out) as sheet:
        sheet.add("door", good[0])
        with pytest.raises(UnprintableText):
            sheet.add("door", plate_fields(community=private_use_village()))
        sheet.add("door", good[1])
    assert sheet.count == 2
    document, images = pdf_pages(out.getvalue(), px_per_mm=1.5)
    assert len(document) == 2
    assert [decoded(image) for image in images] == [[f["url"]] for f in good]


def test_refused_caption_on_a_sheet_is_refused_too():
    with PdfSheet(io.BytesIO(), layout="A4") as sheet:
        with pytest.raises(UnprintableText):
            sheet.add("room", plate_fields(address=f"襄阳市{private_use_village()}1号"))
        assert sheet.count == 0


# --- long road names -----------------------------------------------------------------------------

@pytest.mark.parametrize("road", ["长虹北路", "襄阳市樊城区长虹北路辅道", "襄阳市樊城区长虹北路辅道东侧东延伸段"])
def test_long_road_name_stays_inside_its_slot(road):
    fields = plate_fields(road=road)
    slot = load_template("door").slots[0]
    run = layout("door", fields).runs[0]
    assert run.text == road
    assert slot.x - 0.01 <= run.x and run.x + run.width <= slot.x + slot.w + 0.01
    # and on the picture: the ink of the road line stays between the slot's edges
    px = 50 / 25.4
    image = render_image("door", fields, dpi=50)
    band = ink_mask(image, (0, round(slot.y * px), image.width, round((slot.y + slot.h) * px)))
    columns = np.flatnonzero(band.any(axis=0))
    frame_free = columns[(columns > round((slot.x - 5) * px)) & (columns < round((slot.x + slot.w + 5) * px))]
    assert frame_free.min() >= round(slot.x * px) - 1 and frame_free.max() <= round((slot.x + slot.w) * px) + 1


def test_long_road_name_shrinks_then_condenses():
    slot = load_template("door").slots[0]
    short = layout("door", plate_fields(road="檀溪路")).runs[0]
    twelve = layout("door", plate_fields(road="襄阳市樊城区长虹北路辅道")).runs[0]
    very_long = layout("door", plate_fields(road="襄阳市樊城区长虹北路辅道东侧东延伸段")).runs[0]
    assert short.size == slot.size and short.hscale == 1
    assert slot.min_size <= twelve.size < slot.size
    assert very_long.size == slot.min_size and very_long.hscale < 1


# --- the print PDF -------------------------------------------------------------------------------

def test_plate_layout_pages_have_each_plates_size_in_mm():
    out = io.BytesIO()
    with PdfSheet(out) as sheet:
        for kind in KINDS:
            sheet.add(kind, plate_fields())
    document = pdfium.PdfDocument(out.getvalue())
    sizes = [tuple(round(v * 25.4 / 72, 1) for v in page.get_size()) for page in document]
    assert sizes == [(570.0, 370.0), (500.0, 300.0), (270.0, 170.0), (150.0, 90.0)]


@pytest.mark.parametrize("sheet_name, kind", [("A4", "room"), ("A3", "room"), ("A3", "unit")])
def test_sheet_fits_its_number_of_plates_per_page(sheet_name, kind):
    per_page = pdf.plates_per_page(kind, sheet_name)
    assert per_page >= 2
    out = io.BytesIO()
    with PdfSheet(out, layout=sheet_name) as sheet:
        for _ in range(2 * per_page + 1):
            sheet.add(kind, plate_fields())
    document, images = pdf_pages(out.getvalue(), px_per_mm=3)
    assert len(document) == 3
    short, long_ = pdf.SHEETS[sheet_name]
    for page in document:
        assert sorted(round(v * 25.4 / 72) for v in page.get_size()) == [short, long_]
    assert [len(decoded(image)) for image in images] == [per_page, per_page, 1]


def test_fonts_are_embedded_as_small_subsets():
    out = io.BytesIO()
    with PdfSheet(out) as sheet:
        sheet.add("door", plate_fields())
    data = out.getvalue()
    assert data.count(b"/Subtype /CIDFontType0C") == 2  # regular and bold
    assert len(re.findall(rb"/BaseFont /[A-Z]{6}\+NotoSansCJKsc-(Bold|Regular)", data)) == 4
    assert len(data) < 40_000  # the whole Noto Sans CJK face would be megabytes


def test_pdf_pages_are_written_as_plates_are_added():
    out = io.BytesIO()
    with PdfSheet(out) as sheet:
        sheet.add("room", plate_fields())
        after_one = len(out.getvalue())
        sheet.add("room", plate_fields())
        assert len(out.getvalue()) > after_one > 0


# --- configuration -------------------------------------------------------------------------------

def test_a_city_changes_the_plate_colour_without_code(tmp_path, monkeypatch):
    for kind in KINDS:
        shutil.copy(ROOT / "qr_templates" / f"{kind}.toml", tmp_path / f"{kind}.toml")
    room = tmp_path / "room.toml"
    room.write_text(room.read_text(encoding="utf-8").replace('"#0f4c9c"', '"#1b7a3a"'), encoding="utf-8")
    monkeypatch.setenv("YIBIAO_QR_TEMPLATES", str(tmp_path))
    image = render_image("room", plate_fields(), dpi=50)
    assert image.getpixel((image.width // 2, 20)) == (0x1B, 0x7A, 0x3A)


def test_missing_font_says_to_install_fonts_noto_cjk(monkeypatch, tmp_path):
    monkeypatch.setenv("YIBIAO_PLATE_FONT", str(tmp_path / "none.ttc"))
    monkeypatch.delenv("YIBIAO_PLATE_FONT_BOLD", raising=False)
    with pytest.raises(FontMissing, match="fonts-noto-cjk") as missing:
        render_png("room", plate_fields())
    assert "中文字体" in str(missing.value)


def test_a_typo_in_a_template_is_reported_with_its_file(tmp_path, monkeypatch):
    for kind in KINDS:
        shutil.copy(ROOT / "qr_templates" / f"{kind}.toml", tmp_path / f"{kind}.toml")
    room = tmp_path / "room.toml"
    room.write_text(room.read_text(encoding="utf-8").replace("size_mm = 42", "font_size_mm = 42"), encoding="utf-8")
    monkeypatch.setenv("YIBIAO_QR_TEMPLATES", str(tmp_path))
    with pytest.raises(TemplateError, match=r"room\.toml.*font_size_mm"):
        render_png("room", plate_fields())
