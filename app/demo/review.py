"""A few field submissions in the demo city, made through the real services, so that the reviewers'
queues, the item page and the field app's inbox have something to show on first start."""
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
