"""Plate pages: what a phone camera opens (/p/<token>, public), and the admin's printing and
plate pages."""
from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.accounts.auth import actor
from app.errors import Problem, wants_html
from app.extensions import db, limiter
from app.jobs.models import Job
from app.places import services as places
from app.places.addresses import address_text, area_id_of, area_index, chain_text, door_plate_of, location_of
from app.places.views import map_point

from . import services
from .models import PLATE_LABELS

bp = Blueprint("plates", __name__, template_folder="templates")


@bp.get("/p/<token>")
@limiter.limit(lambda: current_app.config["RATELIMIT_PLATE_SCAN"])
def scanned(token):
    """A scanned plate. The field app (its scanner adds ?via=app) goes on to the address in the
    system; any other camera gets the public page: where the plate is, and no personal data."""
    try:
        plate, node = services.scanned(token)
    except Problem:
        if not wants_html():
            raise
        return render_template("plates/unknown.html"), 404
    staff = current_user.is_authenticated and actor().can("places.read") and actor().jurisdiction.covers(node)
    field_app = None
    if staff and (actor().can("collect.submit") or actor().can("actuals.write")):
        field_app = f"{url_for('collect.shell')}#/site/{door_plate_of(node).object_code}?token={plate.token}"
    if request.args.get("via") == "app":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        if staff:
            return redirect(field_app or url_for("places.address", code=node.object_code))
    lon, lat, grid_code = location_of(node)
    text = address_text(node)
    area = area_index.info(area_id_of(node))
    names = area["names"]
    lines = [current_app.config["PROVINCE_NAME"] + names.get("city", ""),
             names.get("district", "") + names.get("township", ""), chain_text(node.parts)]
    return render_template("plates/public.html", plate=plate, node=node, text=text, lines=lines, grid_code=grid_code,
                           lon=lon, lat=lat, area=area, staff=staff, field_app=field_app, tiles=tile_grid(lon, lat))


TILE_ZOOM, TILE_PX = 17, 256


def tile_grid(lon: float, lat: float) -> dict | None:
    """The 3×3 map tiles around a point, each with its offset from the point in pixels, for a map
    without script or inline style (the public page must stay light for a slow phone, and its
    Content-Security-Policy allows neither); None when no tiles are configured."""
    url = current_app.config["MAP_TILE_URL"]
    if not url:
        return None
    x, y = map_point(lon, lat)
    n = 2 ** TILE_ZOOM
    fx = (x + 180) / 360 * n
    fy = (1 - math.asinh(math.tan(math.radians(y))) / math.pi) / 2 * n
    cx, cy = int(fx), int(fy)
    px, py = round((fx - cx) * TILE_PX), round((fy - cy) * TILE_PX)  # the point on its own tile
    return {"tiles": [{"src": url.replace("{s}", "a").format(z=TILE_ZOOM, x=cx + dx, y=cy + dy),
                       "x": dx * TILE_PX - px, "y": dy * TILE_PX - py} for dy in (-1, 0, 1) for dx in (-1, 0, 1)],
            "attribution": current_app.config["MAP_TILE_ATTRIBUTION"]}


@bp.get("/plates")
@login_required
def printing():
    """Pick an area and plate kinds, preview one plate, start a batch."""
    user = actor()
    if not user.can("plates.manage"):  # with or without an area chosen
        raise Problem("auth.forbidden", "只有系统管理员可以打印门牌")
    area_code = request.args.get("area", "").strip()
    area = counts = problem = None
    samples: dict[str, str] = {}
    if area_code:
        try:
            area = places.get_area(user, area_code)
            counts = services.kind_counts(user, area.code)
            # one plate of each kind the area has, so the preview follows the kinds ticked
            samples = {k: services.first_target(user, area, k) for k in PLATE_LABELS if counts[k]}
        except Problem as e:
            problem = e
    jobs = db.session.scalars(select(Job).where(Job.created_by_id == user.id, Job.kind == "plates_pdf")
                              .order_by(Job.created_at.desc()).limit(10)).all()
    from .qr import qr_version

    sample_url = services.plate_url("x" * 16)
    return render_template("plates/printing.html", area=area, area_code=area_code, counts=counts,
                           sample_url=sample_url, qr_version=qr_version(sample_url),
                           samples=samples, problem=problem, roots=places.root_areas(user), jobs=jobs,
                           labels=PLATE_LABELS, layouts=services.LAYOUTS)


@bp.get("/plates/a/<code>")
@login_required
def plate(code):
    """One address's plate: preview, downloads, replace or revoke, and its history."""
    user = actor()
    node, plates, prints = services.plates_of(user, code)
    current = next((p for p in plates if p.status == "active"), None)
    return render_template("plates/plate.html", node=node, text=address_text(node), plates=plates, prints=prints,
                           current=current, url=services.plate_url(current.token) if current else None,
                           label=PLATE_LABELS[services.plate_kind(node)])


@bp.post("/plates/a/<code>/issue")
@login_required
def issue(code):
    services.current_plate(actor(), code)
    flash("已发牌")
    return redirect(url_for("plates.plate", code=code))


@bp.post("/plates/<token>/<action>")
@login_required
def end(token, action):
    """换牌 (reissue) or 停用 (revoke), from the plate page's forms."""
    if action not in ("reissue", "revoke"):
        raise Problem("resource.not_found")
    user = actor()
    found = services.resolve(token)
    code = found[0].object_code if found else None
    reason = request.form.get("reason", "").strip()
    try:
        if not 2 <= len(reason) <= 200:
            raise Problem("validation.failed", field="reason", detail="请填写原因（2–200 个字），如“门牌损坏”")
        if action == "reissue":
            services.reissue(user, token, reason)
            flash("已换发新门牌：请打印新牌；旧二维码扫出时会提示“已更换”")
        else:
            services.revoke(user, token, reason)
            flash("已停用该门牌；它的二维码扫出时会提示“已停用”")
    except Problem as e:
        if e.status == 404:
            raise
        flash(e.detail, "error")
    return redirect(url_for("plates.plate", code=code))
