"""The standard address base (一标): areas, roads, door plates, buildings, units, rooms, compounds.

Two trees meet here: administrative areas (city → district → township → community → grid, keyed by
the national division code, which is a prefix code) and the physical address chain (road → door
plate → building → unit → room). Every door plate and building lies in one grid area; units and
rooms lie in their building. Every located object has a WGS-84 point, its BeiDou grid code and a
21-digit object code; the standard address text is derived from the chain by `address_text`.
"""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.lifecycle import Lifecycle, Located, code_column

AREA_LEVELS: dict[str, str] = {
    "city": "市", "district": "区/县", "township": "街道/乡镇", "community": "社区/村", "grid": "网格",
}

BUILDING_USES = {"residential": "住宅", "commercial": "商业", "mixed": "商住", "office": "办公",
                 "industrial": "工业", "public": "公共服务", "other": "其他"}
ROOM_USES = {"residential": "住宅", "shop": "商铺", "office": "办公", "storage": "仓储", "other": "其他"}


def _active_only(*columns: str, name: str) -> Index:
    """A unique index over active rows only: a retired number can be given again, never its code."""
    where = text("status = 'active'")
    return Index(name, *columns, unique=True, sqlite_where=where, postgresql_where=where)


class Area(db.Model):
    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(code_column(15), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    parent: Mapped["Area | None"] = relationship(remote_side=[id], lazy="select")

    @property
    def level_label(self) -> str:
        return AREA_LEVELS[self.level]

    @property
    def division_code(self) -> str:
        """The county-level division code used in object codes (first 6 digits)."""
        return self.code[:6]


class Road(Lifecycle, db.Model):
    __tablename__ = "road"
    __table_args__ = (_active_only("area_id", "name", name="uq_road_active_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)  # the district

    area: Mapped[Area] = relationship()


class Compound(Lifecycle, db.Model):
    """A named residential compound (小区) with its developer."""

    __tablename__ = "compound"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    developer: Mapped[str | None] = mapped_column(String(128))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)

    area: Mapped[Area] = relationship()


class DoorPlate(Lifecycle, Located, db.Model):
    __tablename__ = "door_plate"
    __table_args__ = (_active_only("road_id", "number", name="uq_door_plate_active_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_code: Mapped[str] = mapped_column(String(21), unique=True)
    road_id: Mapped[int] = mapped_column(ForeignKey("road.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))  # "12", "12-1"
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)  # the grid

    road: Mapped[Road] = relationship(lazy="joined")
    area: Mapped[Area] = relationship()
    buildings: Mapped[list["Building"]] = relationship(back_populates="door_plate", order_by="Building.id")

    @property
    def parts(self) -> dict:
        return {"road": self.road.name, "number": self.number}


class Building(Lifecycle, Located, db.Model):
    __tablename__ = "building"
    __table_args__ = (_active_only("door_plate_id", "number", name="uq_building_active_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_code: Mapped[str] = mapped_column(String(21), unique=True)
    door_plate_id: Mapped[int] = mapped_column(ForeignKey("door_plate.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(16))  # "1", "A"; None for the plate's only building
    name: Mapped[str | None] = mapped_column(String(64))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)  # the grid
    floors: Mapped[int] = mapped_column(Integer, default=1)
    use: Mapped[str] = mapped_column(String(16), default="residential")
    footprint: Mapped[dict | None] = mapped_column(JSON)  # GeoJSON Polygon, WGS-84

    door_plate: Mapped[DoorPlate] = relationship(back_populates="buildings", lazy="joined")
    compound: Mapped[Compound | None] = relationship()
    area: Mapped[Area] = relationship()
    units: Mapped[list["Unit"]] = relationship(back_populates="building", order_by="Unit.number")

    @property
    def parts(self) -> dict:
        return {**self.door_plate.parts, "building": self.number}


class Unit(Lifecycle, db.Model):
    __tablename__ = "unit"
    __table_args__ = (_active_only("building_id", "number", name="uq_unit_active_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_code: Mapped[str] = mapped_column(String(21), unique=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))

    # Not joined by default: a room joins its building itself, and joining it again through the
    # unit doubled the room look-up's joins. A room's unit.building then comes from the identity map.
    building: Mapped[Building] = relationship(back_populates="units")

    @property
    def parts(self) -> dict:
        return {**self.building.parts, "unit": self.number}


class Room(Lifecycle, db.Model):
    """A household dwelling or a shop unit. It has the building's location, plus its floor."""

    __tablename__ = "room"
    # coalesce: rooms without a unit must be unique too (NULLs never collide in a unique index).
    __table_args__ = (_active_only("building_id", text("coalesce(unit_id, 0)"), "number",
                                   name="uq_room_active_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_code: Mapped[str] = mapped_column(String(21), unique=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    floor: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))  # "301", "1502"
    use: Mapped[str] = mapped_column(String(16), default="residential")

    building: Mapped[Building] = relationship(lazy="joined")
    unit: Mapped[Unit | None] = relationship(lazy="joined")

    @property
    def parts(self) -> dict:
        base = self.unit.parts if self.unit else self.building.parts
        return {**base, "room": self.number}


class ObjectCodeSerial(db.Model):
    """The last serial given out per (division, classification). Rows are only ever incremented,
    under a row lock, so a serial is never given twice, even by concurrent requests."""

    __tablename__ = "object_code_serial"

    division: Mapped[str] = mapped_column(String(6), primary_key=True)
    classification: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
