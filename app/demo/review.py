"""A few field submissions and residents' reports in the demo city, made through the real services,
so that the reviewers' queues, the item page and the field app's inbox have something to show on
first start."""
from __future__ import annotations

import hashlib
import io
import random
import uuid

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.accounts.models import User, UserObject
from app.collect import services as collect
from app.collect.models import BUSINESS_KINDS, Photo
from app.collect.storage import photo_store
from app.extensions import db
from app.lifecycle import utcnow
from app.places.models import Building
from app.review import services as review

SHOPS = ["老王面馆", "便民超市", "阿芳理发店", "顺心修车行", "好又多水果店", "兴旺五金店", "小林书屋", "街角咖啡"]


def storefront(rng: random.Random) -> bytes:
    """A drawn storefront (wall, sign board, door, window), 640 × 480 JPEG."""
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(150, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 130), fill=tuple(rng.randrange(20, 200) for _ in range(3)))
    draw.rectangle((80, 170, 280, 460), fill=(70, 60, 50))
    draw.rectangle((330, 170, 580, 380), fill=(160, 200, 230), outline=(90, 90, 90), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _photo(police: User, rng: random.Random) -> str:
    data = storefront(rng)
    sha = hashlib.sha256(data).hexdigest()
    photo_store().put(sha, data)  # re-encoded when first shown (no background job needed)
    if db.session.get(Photo, sha) is None:
        db.session.add(Photo(sha256=sha, size=len(data), content_type="image/jpeg", width=640, height=480,
                             uploaded_by_id=police.id, uploaded_at=utcnow()))
        db.session.commit()
    return sha


def demo_submissions(seed: int) -> int:
    """Shops collected by the demo officer, waiting at each step; one returned for correction."""
    rng = random.Random(seed)
    users = {u.username: u for u in db.session.scalars(select(User).where(
        User.username.in_(["police", "street", "district"])))}
    police = users.get("police")
    if police is None:
        return 0
    owned = select(UserObject.object_code)  # owning units review their own buildings: leave them out here
    buildings = db.session.scalars(select(Building).where(police.jurisdiction.clause(Building), Building.status == "active",
                                                          Building.object_code.not_in(owned))
                                   .order_by(Building.id).limit(40)).all()
    made = []
    for i, name in enumerate(SHOPS):
        building = buildings[(i * 5) % len(buildings)]
        position = {"lon": building.lon + rng.uniform(-0.0002, 0.0002), "lat": building.lat + rng.uniform(-0.0002, 0.0002),
                    "accuracy_m": round(rng.uniform(5, 30), 1)} if building.lon is not None else None
        body = {"id": str(uuid.UUID(int=rng.getrandbits(128))), "kind": "shop", "building_code": building.object_code,
                "floor": 1, "room": f"1{i + 1:02d}", "shop_name": name,
                "business_kind": rng.choice(list(BUSINESS_KINDS)), "photos": [_photo(police, rng)],
                "position": position}
        made.append(collect.submit(police, body)[0].client_id)
    street, district = users["street"], users["district"]
    for client_id in made[:3]:  # first review done: waiting for the district
        review.decide(street, client_id, "approve")
    review.decide(street, made[3], "return", reason="门店名称与招牌不符",
                  comments={"shop_name": "招牌上的名称与所填不一致，请核对", "room": "请核对房号"})
    review.decide(street, made[4], "approve")
    review.decide(district, made[4], "approve")  # one all the way: its room becomes a shop unit
    return len(made)


def demo_reports(seed: int) -> int:
    """Residents' reports from three plates in the demo officer's township: a floating resident's
    declaration, a new business and a damaged plate; the plate problem approved, so that the grid
    worker's inbox holds its task."""
    from app import privacy
    from app.actuals.models import Resident
    from app.demo.city import _credit_code
    from app.plates.services import current_plate
    from app.reports import review as _  # noqa: F401  (the reports' kinds in the review chain)
    from app.reports.services import file
    from app.standards.id_number import check_char

    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(["admin", "grid", "street"])))}
    if len(users) < 3:
        return 0
    buildings = db.session.scalars(select(Building).where(users["grid"].jurisdiction.clause(Building),
                                                          Building.status == "active").order_by(Building.id).limit(3)).all()
    tokens = [current_plate(users["admin"], b.object_code)[0].token for b in buildings]
    rng = random.Random(seed)
    # Like the city's residents: a sequence number 900-999 and a 1700000 phone, so no real person;
    # one no resident of the city has (at seed scale a birth day's 100 numbers may all be taken).
    def numbers():
        while True:
            born = f"{rng.randrange(1975, 2004)}0{rng.randrange(1, 10)}1{rng.randrange(0, 9)}"
            yield from (f"420606{born}{seq}" + check_char(f"420606{born}{seq}") for seq in range(999, 899, -1))
    number = next(n for n in numbers() if db.session.scalar(
        select(Resident.id).where(Resident.id_number_hash.in_(privacy.blind_indexes(n)))) is None)
    file(tokens[0], "residence", {"name": "周小梅", "id_number": number, "phone": "17000009901",
                                  "room": "9901", "moved_in": "2026-11-01", "reason": "work", "consent": "1"})
    file(tokens[1 % len(tokens)], "org_change", {"changes": ["opened"], "org_name": "晨光文具店",
                                                 "credit_code": _credit_code("92", "420606", 900_000 + seed),
                                                 "contact": "陈晨", "phone": "17000009902"})
    plate = file(tokens[2 % len(tokens)], "plate_problem", {"problem": "damaged", "note": "门牌被车刮花，号码看不清"})
    review.decide(users["street"], plate.submission.client_id, "approve")
    return 3
