"""A department's register in the demo city, compared through the real services: the report has
each class, and the demo grid worker has a register task in the field app's inbox."""
from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from app.accounts.models import User
from app.actuals.models import Binding, Organisation
from app.compare import services
from app.extensions import db
from app.places.addresses import area_index
from app.places.models import DoorPlate
from app.spreadsheets import append

HEADER = ["企业名称", "统一社会信用代码", "经营地址", "联系人", "联系电话"]


def _written(plate: DoorPlate) -> str:
    """A door plate's address as a clerk writes it: 襄阳市樊城区人民路12号."""
    return f"襄阳市{area_index.info(plate.area_id)['names']['district']}{plate.road.name}{plate.number}号"


def demo_register() -> int:
    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(["dept", "grid"])))}
    if len(users) < 2:
        return 0
    grid_plates = db.session.scalars(select(DoorPlate).where(users["grid"].jurisdiction.clause(DoorPlate),
                                                             DoorPlate.status == "active").order_by(DoorPlate.id)).all()
    orgs = _bound(grid_plates)
    if len(orgs) < 9 or not grid_plates:
        return 0
    rows = [[org.name, org.credit_code, _written(plate), "张师傅", "17000009903"] for org, plate in orgs[:6]]
    moved, plate = orgs[6]
    rows.append([moved.name, moved.credit_code, _written(grid_plates[0]), "李经理", "17000009904"])  # into the grid
    lost, plate = orgs[7]
    rows.append([lost.name, lost.credit_code, _written(plate).replace(f"{plate.number}号", "999号"), "", ""])
    bad_code, plate = orgs[8]
    rows.append([bad_code.name, bad_code.credit_code[:17] + ("0" if bad_code.credit_code[17] != "0" else "1"),
                 _written(plate), "", ""])
    rows.append(["", "", "襄阳市樊城区某路1号", "", ""])  # no name: listed with its error, not compared
    book = Workbook()
    for row in [HEADER, *rows]:
        append(book.active, row)
    out = io.BytesIO()
    book.save(out)
    register = services.upload(users["dept"], out.getvalue(), "道路运输企业名录.xlsx", "道路运输企业", "市交通运输局",
                               start=False)
    services.run(register)
    db.session.commit()
    return 1


def _bound(exclude: list[DoorPlate]) -> list[tuple[Organisation, DoorPlate]]:
    """Organisations bound at door plates outside the grid worker's grid, with their plate."""
    skip = {p.id for p in exclude}
    found = []
    for binding in db.session.scalars(select(Binding).where(Binding.active).order_by(Binding.id).limit(200)):
        plate = binding.door_plate or binding.room.building.door_plate
        if plate.id not in skip and binding.organisation.credit_code and binding.organisation.status == "active":
            found.append((binding.organisation, plate))
            skip.add(plate.id)
        if len(found) == 9:
            break
    return found
