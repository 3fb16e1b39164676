"""Photos from outside, whatever they claim to be: decompression bombs and truncated files are refused
on every way a photo comes in (the field app's upload, a resident's report form, a task answered at
the desk), with nothing stored; large real photos still work; a bomb stored before the limit fails
its re-encode cleanly; and three large photos re-encoded at once take the memory of one."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import logging
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app.collect.models import Photo, Submission
from app.extensions import db
from app.tasks.models import Task
from tests.collect.test_collect import jpeg, put_photo
from tests.factories import one_colour_png, unique
from tests.reports.test_reports import ERROR, form_post, token  # noqa: F401  (fixture)
from tests.review.test_pages import desk, text  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
BOMBS = {"12000×12000": (12000, 12000), "20000×20000": (20000, 20000)}


def truncated(kind: str) -> bytes:
    """A real photo of that kind, cut off after 60 % of its bytes (a download or copy that stopped)."""
    out = io.BytesIO()
    picture = Image.effect_noise((640, 480), 60).convert("RGB")  # noise: JPEG and PNG cannot squeeze it
    if kind == "progressive JPEG":
        picture.save(out, "JPEG", progressive=True)
    else:
        picture.save(out, kind)
    return out.getvalue()[: len(out.getvalue()) * 6 // 10]


BROKEN = ["JPEG", "progressive JPEG", "PNG"]
# What the forms must refuse, and the words their message must have: the photo's size and the limit.
REFUSED = ((one_colour_png(12000, 12000), ("12000×12000 像素", "上限 1000 万像素", "请缩小后重传")),
           (truncated("JPEG"), ("不完整或已损坏",)))


def stored_files(app) -> set[Path]:
    return {p for p in Path(app.config["PHOTO_STORAGE_ROOT"]).rglob("*") if p.is_file()}


def photo_row(app, data: bytes) -> Photo | None:
    with app.app_context():
        return db.session.get(Photo, hashlib.sha256(data).hexdigest())


# --- the field app's upload ------------------------------------------------------------------------

@pytest.mark.parametrize("size", BOMBS)
def test_a_png_of_more_pixels_than_allowed_is_refused_before_decoding_and_nothing_is_stored(app, as_user, size):
    police = as_user("police")
    bomb = one_colour_png(*BOMBS[size])
    assert len(bomb) < 50_000  # a few KB claiming hundreds of millions of pixels
    before = stored_files(app)
    response = put_photo(police, bomb)
    assert response.status_code == 422 and response.mimetype == "application/problem+json", response.data[:300]
    assert response.json["code"] == "photo.too_many_pixels"
    assert f"{size} 像素" in response.json["detail"] and "上限 1000 万像素" in response.json["detail"]
    assert stored_files(app) == before and photo_row(app, bomb) is None
    assert police.c.head(f"/api/v1/photos/{hashlib.sha256(bomb).hexdigest()}").status_code == 404


@pytest.mark.parametrize("kind", BROKEN)
def test_a_truncated_photo_is_refused_when_it_arrives_not_by_its_re_encode_later(app, as_user, kind):
    broken = truncated(kind)
    before = stored_files(app)
    response = put_photo(as_user("police"), broken)
    assert response.status_code == 422 and response.json["code"] == "photo.unreadable", response.data[:300]
    assert "不完整或已损坏" in response.json["detail"]
    assert stored_files(app) == before and photo_row(app, broken) is None


def complete_jpegs() -> dict[str, bytes]:
    """Complete JPEGs of every make a phone, a camera or an editor writes."""
    picture = Image.effect_noise((320, 240), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6

    def saved(image, **options) -> bytes:
        out = io.BytesIO()
        image.save(out, "JPEG", **options)
        return out.getvalue()

    plain = saved(picture)
    return {"baseline": plain, "progressive": saved(picture, progressive=True),
            "restart markers": saved(picture, restart_marker_blocks=2), "4:4:4": saved(picture, subsampling=0),
            "grey": saved(picture.convert("L")), "CMYK": saved(picture.convert("CMYK")),
            "EXIF": saved(picture, exif=exif), "data after the end": plain + b"\0" * 100,
            "fill bytes before its end": plain[:-2] + b"\xff\xff\xff\xd9"}


def test_every_complete_jpeg_is_read_to_its_end_and_accepted(ctx):
    from app.collect.images import checked_size

    for make, data in complete_jpegs().items():
        assert checked_size(data) == (320, 240), make


def test_a_large_camera_original_and_a_large_png_within_the_limits_are_accepted_and_shown(app, as_user):
    police = as_user("police")
    for data, size in ((jpeg(seed=21, size=(6000, 4000)), (6000, 4000)),  # 2400 万 pixels, under 4000 万
                       (one_colour_png(3000, 3000, colour_type=2, bit_depth=8), (3000, 3000))):  # 900 万, under 1000 万
        response = put_photo(police, data)
        assert response.status_code == 201, response.json
        assert (response.json["width"], response.json["height"]) == size
        shown = police.get(f"/api/v1/photos/{response.json['sha256']}")
        assert shown.status_code == 200 and max(Image.open(io.BytesIO(shown.data)).size) == 2048


def test_any_image_opened_another_way_is_held_to_the_limit_and_never_answers_500(app):
    """Pillow's own limit, for code that opens an image without app/collect/images.py (openpyxl's
    pictures in a register, say): it refuses a bomb outright, and the refusal is a problem."""
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(one_colour_png(12000, 12000)))
    with app.test_request_context("/api/v1/anything"):
        response = app.handle_user_exception(Image.DecompressionBombError("Image size (144000000 pixels) exceeds"))
    assert response.status_code == 422 and response.json["code"] == "photo.too_many_pixels"
    assert "4000 万像素" in response.json["detail"]


# --- the resident's report form, and its JSON API ----------------------------------------------------

def test_a_resident_report_with_a_bomb_or_a_truncated_photo_names_the_photo_and_stores_nothing(
        app, anonymous, token):  # noqa: F811
    with app.app_context():
        reports = db.session.query(Submission).count()
    before = stored_files(app)
    for data, words in REFUSED:
        page = form_post(anonymous, token, "plate_problem", {"problem": "damaged", "photo": (io.BytesIO(data), "p.png")},
                         content_type="multipart/form-data")
        errors = dict(ERROR.findall(page.get_data(as_text=True)))
        assert page.status_code == 422 and all(w in errors.get("photo", "") for w in words), errors
    # The JSON API takes no photo at all (photos only through the form): one in its body is not stored.
    bomb = one_colour_png(20000, 20000)
    filed = anonymous.post(f"/api/v1/public/plates/{token}/reports/plate_problem",
                           json={"problem": "damaged", "photo": bomb.hex()})
    assert filed.status_code == 202, filed.json
    with app.app_context():
        assert db.session.query(Submission).count() == reports + 1  # the JSON report, without a photo
        newest = db.session.scalar(select(Submission).order_by(Submission.id.desc()).limit(1))
        assert newest.photos == []
    assert stored_files(app) == before


# --- a task answered at the desk ---------------------------------------------------------------------

def test_a_task_answered_at_the_desk_with_a_bomb_or_a_truncated_photo_stays_open_and_stores_nothing(
        app, desk):  # noqa: F811
    from app.accounts.models import User
    from app.tasks import services as tasks

    with app.app_context():
        township = db.session.scalar(select(User).where(User.username == "street")).areas[0].area
        task_id = tasks.open_task(None, "register", None, "部门比对：地址不存在", unique("照片测试"), area=township,
                                  text="襄阳市樊城区没有这条路9号").id
        db.session.commit()
    page = desk("street")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text(page.get("/tasks/?status=open"))).group(1)
    before = stored_files(app)
    for data, words in REFUSED:
        answered = page.post(f"/tasks/{task_id}/answer", data={"csrf_token": csrf, "outcome": "not_found",
                                                                "note": "经查无此路", "photo": (io.BytesIO(data), "site.jpg")},
                             content_type="multipart/form-data")
        assert answered.status_code == 422 and all(w in text(answered) for w in words), text(answered)[:3000]
    with app.app_context():
        assert db.session.get(Task, task_id).status == "open"
    assert stored_files(app) == before


# --- photos stored before these checks ---------------------------------------------------------------

@pytest.mark.parametrize("size", [*BOMBS, "truncated"])
def test_a_bad_photo_stored_before_the_checks_fails_its_re_encode_cleanly(app, as_user, caplog, monkeypatch, size):
    """Uploaded before uploads were checked: its re-encode job stops at once (logged, not retried,
    no runaway worker), and whoever views it is told why, not answered 500."""
    # The test database's migrations configured logging, which disables loggers made before.
    monkeypatch.setattr(logging.getLogger("app.collect.services"), "disabled", False)
    from app.accounts.models import User
    from app.collect.services import reencode_photo
    from app.collect.storage import PhotoStore

    data = truncated("JPEG") if size == "truncated" else one_colour_png(*BOMBS[size])
    sha = hashlib.sha256(data).hexdigest()
    with app.app_context():
        store = PhotoStore(app.config["PHOTO_STORAGE_ROOT"])
        store.put(sha, data)
        police = db.session.scalar(select(User).where(User.username == "police"))
        db.session.merge(Photo(sha256=sha, size=len(data), content_type="image/*", width=0, height=0,
                               uploaded_by_id=police.id))
        db.session.commit()
    reencode_photo.call_local(sha)  # the job: ends without raising, so huey does not try again
    assert not store.has(sha, "display")
    assert any(sha in r.getMessage() for r in caplog.records)
    shown = as_user("police").get(f"/api/v1/photos/{sha}")
    assert shown.status_code == 422 and shown.json["code"] == "photo.unreadable", shown.data[:300]
    assert ("不完整或已损坏" if size == "truncated" else f"{size} 像素") in shown.json["detail"]


# --- memory --------------------------------------------------------------------------------------------

def test_three_of_the_largest_photos_re_encoded_at_once_take_the_memory_of_one(tmp_path):
    """A progressive JPEG takes the most memory to decode (its coefficients, at any scale): three
    re-encoded at once, as the threads of a worker would, must not take three times one's memory."""
    spec = importlib.util.spec_from_file_location("photo_memory", ROOT / "bench" / "photo_memory.py")
    photo_memory = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(photo_memory)
    photo = tmp_path / "largest.jpg"
    Image.new("RGB", (3000, 3000), (90, 140, 200)).save(photo, "JPEG", progressive=True, subsampling=0)

    def growth(threads: int) -> int:
        measured = photo_memory.measure(ROOT, photo, threads, tmp_path)
        assert measured.get("ended") == ["ok"], measured
        return measured["peak"] - measured["before"]  # KiB

    one, three = growth(1), growth(3)
    assert one > 20_000  # the photo did take memory to decode
    assert three < 1.5 * one, (one, three)
