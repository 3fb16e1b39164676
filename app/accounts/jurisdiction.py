"""Jurisdiction: what part of the city a user may see and change.

Most users hold one or more areas of any level; since an area's code is a prefix of every code
below it, "inside" means "area code starts with one of mine". Owning units (owner_reviewer) hold a
set of objects instead: buildings or door plates by object code, with everything in them.

The same rule has two forms here, kept side by side so that they cannot drift apart: `clause(model)`
filters a query, `covers(obj)` checks one loaded object. Objects outside answer 404, never 403.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, or_, select

from app.actuals.models import Binding, Housing, Organisation, Resident
from app.collect.models import Submission
from app.errors import Problem
from app.places.addresses import area_index
from app.places.models import Area, Building, Compound, DoorPlate, Road, Room, Unit
from app.tasks.models import Task

from .roles import OBJECT_SCOPED_ROLES


@dataclass(frozen=True)
class Jurisdiction:
    area_codes: tuple[str, ...] = ()
    object_codes: frozenset[str] = frozenset()

    @classmethod
    def load(cls, user) -> "Jurisdiction":
        from app.accounts.models import UserArea, UserObject
        from app.extensions import db

        if user.role in OBJECT_SCOPED_ROLES:
            codes = db.session.scalars(select(UserObject.object_code).where(UserObject.user_id == user.id))
            return cls(object_codes=frozenset(codes))
        codes = sorted(db.session.scalars(select(Area.code).join(UserArea, UserArea.area_id == Area.id)
                                          .where(UserArea.user_id == user.id)))
        # Drop areas already inside another of the user's areas.
        kept = tuple(c for c in codes if not any(c != p and c.startswith(p) for p in codes))
        return cls(area_codes=kept)

    # --- areas -----------------------------------------------------------------------------
    def covers_area_code(self, code: str) -> bool:
        return any(code.startswith(p) for p in self.area_codes)

    def _area_code_clause(self, column):
        if not self.area_codes:
            return false()
        return or_(*(column.startswith(p, autoescape=True) for p in self.area_codes))

    def _area_ids(self):
        return select(Area.id).where(self._area_code_clause(Area.code))

    # --- the address chain -----------------------------------------------------------------
    def _plate_ids_owned(self):
        return select(DoorPlate.id).where(DoorPlate.object_code.in_(self.object_codes))

    def _building_ids(self):
        return select(Building.id).where(self.clause(Building))

    def _room_ids(self):
        return select(Room.id).where(Room.building_id.in_(self._building_ids()))

    def clause(self, model):
        """A WHERE clause limiting `model` rows to this jurisdiction."""
        if model is Area:
            return self._area_code_clause(Area.code)
        if model is Road:  # a road belongs to a district; a smaller jurisdiction sees the roads it has plates on
            whole_districts = Jurisdiction(area_codes=tuple(c for c in self.area_codes if len(c) <= 6))
            if whole_districts == self:
                return Road.area_id.in_(self._area_ids())
            return or_(Road.area_id.in_(self._area_ids()), Road.id.in_(self._road_ids()))
        if model is Compound:
            return or_(Compound.area_id.in_(self._area_ids()),
                       Compound.id.in_(select(Building.compound_id).where(self.clause(Building))))
        if model is DoorPlate:
            return or_(DoorPlate.area_id.in_(self._area_ids()),
                       DoorPlate.object_code.in_(self.object_codes))
        if model is Building:
            return or_(Building.area_id.in_(self._area_ids()),
                       Building.object_code.in_(self.object_codes),
                       Building.door_plate_id.in_(self._plate_ids_owned()))
        if model in (Unit, Room):
            return model.building_id.in_(self._building_ids())
        if model in (Resident, Housing):
            return model.room_id.in_(self._room_ids())
        if model is Organisation:
            bound_here = select(Binding.organisation_id).where(Binding.active, self.clause(Binding))
            return or_(Organisation.area_id.in_(self._area_ids()), Organisation.id.in_(bound_here))
        if model is Binding:
            return or_(Binding.room_id.in_(self._room_ids()),
                       Binding.door_plate_id.in_(select(DoorPlate.id).where(self.clause(DoorPlate))))
        if model is Submission:
            if not self.object_codes:
                return Submission.area_id.in_(self._area_ids())
            return or_(Submission.door_plate_id.in_(self._plate_ids_owned()),
                       Submission.building_id.in_(select(Building.id).where(self.clause(Building))))
        if model is Task:
            return or_(Task.area_id.in_(self._area_ids()), Task.door_plate_id.in_(self._plate_ids_owned()))
        raise TypeError(f"no jurisdiction rule for {model.__name__}")

    def _road_ids(self):
        plates = or_(self.clause(DoorPlate), DoorPlate.id.in_(select(Building.door_plate_id).where(self.clause(Building))))
        return select(DoorPlate.road_id).where(plates)

    def covers(self, obj) -> bool:
        """Whether one loaded object lies inside this jurisdiction."""
        if isinstance(obj, Area):
            return self.covers_area_code(obj.code)
        if isinstance(obj, DoorPlate):
            return self.covers_area_code(area_index.code(obj.area_id)) or obj.object_code in self.object_codes
        if isinstance(obj, Building):
            return (self.covers_area_code(area_index.code(obj.area_id)) or obj.object_code in self.object_codes
                    or obj.door_plate.object_code in self.object_codes)
        if isinstance(obj, (Unit, Room)):
            return self.covers(obj.building)
        if isinstance(obj, (Resident, Housing)):
            return self.covers(obj.room)
        if isinstance(obj, Binding):
            return self.covers(obj.room or obj.door_plate)
        if isinstance(obj, Organisation):
            binding = obj.active_binding
            return self.covers_area_code(area_index.code(obj.area_id)) or (binding is not None and self.covers(binding))
        if isinstance(obj, Submission):
            return (self.covers_area_code(area_index.code(obj.area_id)) or obj.door_plate.object_code in self.object_codes
                    or (obj.building_id is not None and self.covers(db_get(Building, obj.building_id))))
        if isinstance(obj, Task):
            return self.covers_area_code(area_index.code(obj.area_id)) or (
                obj.door_plate is not None and obj.door_plate.object_code in self.object_codes)
        if isinstance(obj, (Road, Compound)):
            return self.covers_area_code(area_index.code(obj.area_id)) or _scalar_exists(
                select(type(obj).id).where(type(obj).id == obj.id, self.clause(type(obj))))
        raise TypeError(f"no jurisdiction rule for {type(obj).__name__}")

    def require(self, obj):
        """`obj`, or 404 when it does not exist or lies outside (existence must not leak)."""
        if obj is None or not self.covers(obj):
            raise Problem("resource.not_found")
        return obj


_cache: dict[tuple[int, int], Jurisdiction] = {}
_CACHE_SIZE = 4096


def jurisdiction_of(user) -> Jurisdiction:
    """The user's Jurisdiction, read from the database once per user version in each process:
    every request needs it, and it changes only when the user does (which bumps the version)."""
    key = (user.id, user.version)
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        found = _cache[key] = Jurisdiction.load(user)
    return found


def db_get(model, ident):
    from app.extensions import db

    return db.session.get(model, ident)


def _scalar_exists(stmt) -> bool:
    from app.extensions import db

    return db.session.scalar(stmt.limit(1)) is not None
