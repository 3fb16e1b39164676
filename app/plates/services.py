"""QR plates: issue one per address node, answer a scanned token, revoke and reissue, print.

Printing goes through app/plates/render.py (PNG for previews and single downloads, a streamed PDF
for batches); every plate printed leaves a PlatePrint row.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from app.audit.services import record, snapshot
from app.errors import Problem
from app.extensions import db
from app.jobs.models import Job
from app.jobs.services import enqueue, job_kind, result_file
from app.lifecycle import utcnow
from app.places.addresses import (ADDRESS_MODELS, address_text, area_id_of, area_index, find_by_code, kind_of,
                                  location_of)
from app.places.models import Area, Building, DoorPlate
from app.places.services import get_address, get_area
from app.rules import insert_or_ignore, require
from app.standards import object_code

from .models import PLATE_KINDS, PLATE_LABELS, TOKEN_PATTERN, Plate, PlatePrint

KIND_MODELS = {PLATE_KINDS[kind]: model for kind, model in ADDRESS_MODELS.items()}  # "door" -> DoorPlate
LAYOUTS = {"plate": "每块一页（按门牌实际尺寸）", "A4": "拼版到 A4（带裁切线）", "A3": "拼版到 A3（带裁切线）"}
CHUNK = 500
_NO_TOKEN = "~" * 16  # never issued: it is not URL-safe base64


def plate_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/p/{token}"


def plate_kind(node) -> str:
    return PLATE_KINDS[kind_of(node)]


def fields_for(node, plate: Plate) -> dict:
    """The text a plate template can print (qr_templates/README.md lists the names)."""
    parts = node.parts
    lon, lat, grid_code = location_of(node)
    names = area_index.info(area_id_of(node))["names"]
    building = node if isinstance(node, Building) else getattr(node, "building", None)
    compound = building.compound.name if building is not None and building.compound_id else ""
    return {
        "road": parts["road"], "number": parts["number"], "compound": compound,
        "building": f"{parts['building']}栋" if parts.get("building") else "",
        "unit": f"{parts['unit']}单元" if parts.get("unit") else "",
        "room": parts.get("room") or "",
        "district": names.get("district", ""), "township": names.get("township", ""),
        "community": names.get("community", ""),
        "address": address_text(node), "code": node.object_code, "beidou": grid_code,
        "url": plate_url(plate.token),
    }


# --- answering a scan ---------------------------------------------------------------------------

def resolve(token: str, active_only: bool = False) -> tuple[Plate, object] | None:
    """The plate with this token (only if it is in use, with `active_only`) and its address node,
    or None.

    Unknown and malformed tokens take the same path (one indexed look-up: a malformed token is
    looked up as a token that is never issued), so neither the answer nor its time tells which
    tokens exist; with `active_only`, neither does it for replaced and revoked ones."""
    lookup = token if TOKEN_PATTERN.fullmatch(token) else _NO_TOKEN
    stmt = select(Plate).where(Plate.token == lookup)
    plate = db.session.scalar(stmt.where(Plate.status == "active") if active_only else stmt)
    if plate is None:
        return None
    return plate, find_by_code(plate.object_code)


def scanned(token: str) -> tuple[Plate, object]:
    found = resolve(token)
    if found is None or found[1] is None:
        raise Problem("plate.unknown")
    return found


# --- managing plates ----------------------------------------------------------------------------

def current_plate(actor, code: str) -> tuple[Plate, object]:
    """The address node's plate in use, issued now if it has none yet."""
    require(actor, "plates.manage")
    node = get_address(actor, code)
    plate = _active(node.object_code)
    if plate is None:
        if node.status != "active":
            raise Problem("state.not_allowed", f"该{PLATE_LABELS[plate_kind(node)]}的地址已{node.STATUSES[node.status]}，不再发牌")
        plates, issued = _issue_missing(actor, [node])
        plate = plates[node.object_code]
        if issued:  # else issued a moment ago by someone else, who wrote its audit row
            record(actor, "plate.issue", plate, after=snapshot(plate))
        db.session.commit()
    return plate, node


def plates_of(actor, code: str) -> tuple[object, list[Plate], dict[int, list[PlatePrint]]]:
    """An address node's plates, newest first, with their printing history."""
    require(actor, "plates.manage")
    node = get_address(actor, code)
    plates = list(db.session.scalars(select(Plate).where(Plate.object_code == node.object_code)
                                     .order_by(Plate.id.desc())))
    prints: dict[int, list[PlatePrint]] = {p.id: [] for p in plates}
    for row in db.session.scalars(select(PlatePrint).where(PlatePrint.plate_id.in_(prints))
                                  .order_by(PlatePrint.id.desc())):
        prints[row.plate_id].append(row)
    return node, plates, prints


def _managed(actor, token: str) -> tuple[Plate, object]:
    require(actor, "plates.manage")
    found = resolve(token)
    if found is None or found[1] is None or not actor.jurisdiction.covers(found[1]):
        raise Problem("resource.not_found")
    return found


def reissue(actor, token: str, reason: str) -> Plate:
    """A new plate (new token) for the same address; the old QR then says it was replaced."""
    old, node = _managed(actor, token)
    before = snapshot(old)
    new = Plate.issue(old.kind, old.object_code, actor)
    old.end("replaced", actor, reason)
    db.session.flush()  # the old plate leaves the one-active-plate index before the new one enters
    db.session.add(new)
    db.session.flush()
    old.replaced_by = new
    record(actor, "plate.replace", old, before=before, after=snapshot(old), reason=reason)
    record(actor, "plate.issue", new, after=snapshot(new), reason=reason)
    db.session.commit()
    return new


def revoke(actor, token: str, reason: str) -> Plate:
    plate, node = _managed(actor, token)
    before = snapshot(plate)
    plate.end("revoked", actor, reason)
    record(actor, "plate.revoke", plate, before=before, after=snapshot(plate), reason=reason)
    db.session.commit()
    return plate


def _active(code: str) -> Plate | None:
    return db.session.scalar(select(Plate).where(Plate.object_code == code, Plate.status == "active"))


# --- printing -----------------------------------------------------------------------------------

def png(actor, code: str, *, width_px: int | None = None, dpi: int = 300, download: bool = False) -> tuple[bytes, str]:
    """One plate as PNG (a preview, or a download that enters the printing history)."""
    from .render import UnprintableText, render_png

    plate, node = current_plate(actor, code)
    with _font_problems():
        try:
            data = render_png(plate.kind, fields_for(node, plate), dpi=dpi, width_px=width_px)
        except UnprintableText as e:
            raise Problem("plate.unprintable", _chinese(e)) from None
    if download:
        _printed(actor, [plate.id], "png", None)
        db.session.commit()
    return data, f"{plate.label}-{node.object_code}.png"


@contextmanager
def _font_problems():
    """No font on the server is the administrator's to fix: a 503 that says how, not a 500."""
    from .render import FontMissing

    try:
        yield
    except FontMissing as e:
        raise Problem("plate.font_missing", _chinese(e)) from None


def _chinese(e: Exception) -> str:
    """The renderer's messages are "中文 / English"; users read the first half."""
    return str(e).split(" / ")[0]


def print_targets(actor, area_code: str | None, codes: list[str] | None, kinds: list[str]) -> list[str]:
    """Object codes of the active address nodes to print, inside the jurisdiction, in print order:
    every node of the chosen kinds in an area, or the given codes (each must be visible)."""
    require(actor, "plates.manage")
    if codes:
        nodes = [get_address(actor, c) for c in codes]
        return [n.object_code for n in nodes if plate_kind(n) in kinds and n.status == "active"]
    area = get_area(actor, area_code)
    out: list[str] = []
    for kind in kinds:
        model = KIND_MODELS[kind]
        out.extend(db.session.scalars(_in_area(actor, area, model, model.object_code).order_by(model.id)))
    return out


def kind_counts(actor, area_code: str) -> dict[str, int]:
    """How many plates of each kind an area has (active address nodes inside the jurisdiction)."""
    require(actor, "plates.manage")
    area = get_area(actor, area_code)
    return {kind: db.session.scalar(_in_area(actor, area, model, func.count()))
            for kind, model in KIND_MODELS.items()}


def _in_area(actor, area: Area, model, column):
    """select(column) over the active nodes of `model` in `area` and the actor's jurisdiction."""
    located = model if model in (DoorPlate, Building) else Building  # units and rooms: their building's
    stmt = select(column).select_from(model).where(model.status == "active")
    if located is not model:
        stmt = stmt.join(Building, model.building_id == Building.id)
    inside = select(Area.id).where(Area.code.startswith(area.code, autoescape=True))
    return stmt.where(located.area_id.in_(inside), actor.jurisdiction.clause(located))


def render_batch(actor, codes: list[str], layout: str, out: Path,
                 progress: Callable[[int, int | None], None], job_id: str | None = None) -> dict:
    """Print the plates of `codes` into one PDF at `out`, CHUNK nodes at a time (plates issued and
    committed per chunk, so the file and memory stay the size of a chunk). Plates whose text the
    font cannot draw are left out and listed in the report."""
    from .render import PdfSheet, UnprintableText

    refused: list[dict] = []
    printed = 0
    progress(0, len(codes))
    with _font_problems(), PdfSheet(out, layout=layout) as sheet:
        for start in range(0, len(codes), CHUNK):
            chunk = codes[start:start + CHUNK]
            nodes = _load_nodes(chunk)
            plates, issued = _issue_missing(actor, nodes)
            if issued:
                record(actor, "plate.issue_batch", None, object_type="plate", after={"count": len(issued)})
            done_ids = []
            for node in nodes:
                plate = plates[node.object_code]
                try:
                    sheet.add(plate.kind, fields_for(node, plate))
                except UnprintableText as e:
                    refused.append({"code": node.object_code, "address": address_text(node),
                                    "char": e.codepoint, "text": e.text})
                    continue
                done_ids.append(plate.id)
            _printed(actor, done_ids, "pdf", job_id)
            db.session.commit()
            printed += len(done_ids)
            progress(start + len(chunk))
    return {"printed": printed, "refused": refused}


def start_print_job(actor, data: dict) -> Job:
    """Check what is to be printed (404 outside the jurisdiction, 422 if nothing), then queue it."""
    codes = print_targets(actor, data.get("area_code"), data.get("object_codes"), data["kinds"])
    if not codes:
        labels = "、".join(PLATE_LABELS[k] for k in data["kinds"])
        raise Problem("validation.failed", field="kinds", detail=f"所选范围内没有在用的{labels}可打印")
    params = {k: data[k] for k in ("area_code", "object_codes", "kinds", "layout") if data.get(k)}
    params["count"] = len(codes)
    where = get_area(actor, data["area_code"]).name if data.get("area_code") else f"{len(codes)} 个地址"
    params["label"] = f"{where} · {'、'.join(PLATE_LABELS[k] for k in data['kinds'])} · {LAYOUTS[data['layout']]}"
    return enqueue(actor, "plates_pdf", params)


@job_kind("plates_pdf", "打印门牌")
def print_job(job, progress) -> tuple[str, str, str]:
    from app.accounts.models import User

    actor = db.session.get(User, job.created_by_id)
    params = job.params
    codes = print_targets(actor, params.get("area_code"), params.get("object_codes"), params["kinds"])
    path = result_file(job, ".pdf")
    report = render_batch(actor, codes, params["layout"], path, progress, job.id)
    kinds = "".join(PLATE_LABELS[k] for k in params["kinds"])
    return str(path), f"{kinds}-{params.get('area_code') or '清单'}-{params['layout']}.pdf", report_message(report)


def report_message(report: dict) -> str:
    text = f"已生成 {report['printed']:,} 块"
    if report["refused"]:
        lines = [f"{r['code']} {r['address']}：含无法打印的字符 {r['char']}" for r in report["refused"][:50]]
        more = len(report["refused"]) - len(lines)
        text += (f"；{len(report['refused'])} 块无法打印，请先更正名称：\n" + "\n".join(lines)
                 + (f"\n……另有 {more} 块" if more > 0 else ""))
    return text


def _load_nodes(codes: list[str]) -> list:
    """The nodes of `codes`, in that order (one query per address class)."""
    by_class: dict[str, list[str]] = {}
    for code in codes:
        by_class.setdefault(object_code.parse(code).class_name, []).append(code)
    by_code = {}
    for class_name, wanted in by_class.items():
        model = ADDRESS_MODELS[class_name]
        by_code.update((n.object_code, n) for n in db.session.scalars(select(model).where(model.object_code.in_(wanted))))
    return [by_code[c] for c in codes if c in by_code]


def _issue_missing(actor, nodes: Iterable) -> tuple[dict[str, Plate], list[int]]:
    """The plate in use of each node, issuing the missing ones in one insert, and the ids of those
    issued here. A plate issued at the same moment by someone else wins (the one-active-plate
    index), and is the one printed; the caller writes the audit row of those it issued."""
    codes = [n.object_code for n in nodes]
    have = {p.object_code: p for p in db.session.scalars(
        select(Plate).where(Plate.object_code.in_(codes), Plate.status == "active"))}
    missing = [n for n in nodes if n.object_code not in have]
    issued = []
    if missing:
        now = utcnow()
        issued = list(db.session.scalars(insert_or_ignore(Plate).returning(Plate.id), [
            {"token": Plate.new_token(), "kind": plate_kind(n), "object_code": n.object_code, "status": "active",
             "issued_at": now, "issued_by_id": getattr(actor, "id", None), "prints": 0} for n in missing]))
        have.update((p.object_code, p) for p in db.session.scalars(
            select(Plate).where(Plate.object_code.in_([n.object_code for n in missing]), Plate.status == "active")))
    return have, issued


def _printed(actor, plate_ids: list[int], output: str, job_id: str | None) -> None:
    if not plate_ids:
        return
    now = utcnow()
    db.session.execute(PlatePrint.__table__.insert(), [
        {"plate_id": i, "job_id": job_id, "output": output, "printed_at": now,
         "printed_by_id": getattr(actor, "id", None)} for i in plate_ids])
    db.session.execute(update(Plate).where(Plate.id.in_(plate_ids))
                       .values(prints=Plate.prints + 1, last_printed_at=now))


def first_target(actor, area: Area, kind: str) -> str | None:
    """The object code of the first plate of `kind` a batch in `area` would print (for a preview)."""
    model = KIND_MODELS[kind]
    return db.session.scalar(_in_area(actor, area, model, model.object_code).order_by(model.id).limit(1))
