"""The address browser: area tree → buildings → rooms with their residents and organisations."""
from flask import Blueprint, current_app, render_template, request
from flask_login import login_required
from sqlalchemy import func, select

from app.accounts.auth import actor
from app.actuals import services as actuals
from app.actuals.models import HOUSING_USES, OWNERSHIP
from app.api import page
from app.errors import Problem
from app.extensions import db
from app.standards import coords

from . import services
from .addresses import KIND_LABELS, address_text, area_id_of, kind_of, location_of
from .models import Area, Building, Room, Unit

bp = Blueprint("places", __name__, template_folder="templates")
PAGE = 100


def map_point(lon: float, lat: float) -> list[float]:
    """A WGS-84 point in the coordinate system of the configured tiles."""
    crs = current_app.config["MAP_TILE_CRS"] if current_app.config["MAP_TILE_URL"] else "wgs84"
    if crs == "gcj02":
        return list(coords.wgs84_to_gcj02(lon, lat))
    if crs == "bd09":
        return list(coords.wgs84_to_bd09(lon, lat))
    return [lon, lat]


def _crumbs(area: Area | None) -> list[Area]:
    user = actor()
    chain = []
    while area is not None and user.jurisdiction.covers(area):
        chain.append(area)
        area = area.parent
    return chain[::-1]


@bp.get("/")
@login_required
def index():
    user = actor()
    q = request.args.get("q", "").strip()
    results, problem = [], None
    if q:
        try:
            results = services.search_addresses(user, q)
        except Problem as e:
            problem = e
    return render_template("places/index.html", roots=services.root_areas(user), q=q, results=results,
                           problem=problem)


@bp.get("/places/areas/<code>")
@login_required
def area(code):
    user = actor()
    area = services.get_area(user, code)
    buildings = page(services.buildings_in(user, area), Building.id,
                     {"cursor": request.args.get("cursor"), "limit": PAGE})
    markers = [{"code": b.object_code, "label": address_text(b), "at": map_point(b.lon, b.lat)}
               for b in buildings["items"]]
    total = db.session.scalar(select(func.count()).select_from(services.buildings_in(user, area).subquery()))
    return render_template("places/area.html", area=area, crumbs=_crumbs(area), children=services.child_areas(area),
                           buildings=buildings, total=total, markers=markers)


@bp.get("/places/a/<code>")
@login_required
def address(code):
    user = actor()
    node = services.get_address(user, code)
    lon, lat, grid_code = location_of(node)
    actuals_here = actuals.actuals_at(user, code) if user.can("actuals.read") else None
    if actuals_here:
        by_room: dict[int, list] = {}
        for r in actuals_here["residents"]:
            by_room.setdefault(r.room_id, []).append(r)
        actuals_here["by_room"] = by_room
    building = node.building if isinstance(node, (Unit, Room)) else None
    return render_template(
        "places/address.html", node=node, kind=kind_of(node), kind_label=KIND_LABELS[kind_of(node)],
        text=address_text(node), lon=lon, lat=lat, grid_code=grid_code, gcj02=coords.wgs84_to_gcj02(lon, lat),
        children=services.active_children(node), actuals=actuals_here, building=building,
        crumbs=_crumbs(db.session.get(Area, area_id_of(node))), housing_uses=HOUSING_USES, ownership=OWNERSHIP,
        markers=[{"code": node.object_code, "label": address_text(node), "at": map_point(lon, lat)}])


@bp.app_context_processor
def _template_helpers():
    cfg = current_app.config
    return {"map_tiles": {"url": cfg["MAP_TILE_URL"], "attribution": cfg["MAP_TILE_ATTRIBUTION"]},
            "address_text": address_text, "kind_of": kind_of, "kind_labels": KIND_LABELS}
