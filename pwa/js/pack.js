// The address pack: the door plates, buildings and units of the user's jurisdiction, kept on the
// phone so that scanning, choosing a building and writing the address work with no network.
// Refreshed whenever the network allows (the server answers 304 when nothing changed).
import * as api from './api.js';
import { distanceFrom } from './geo.js';
import * as store from './store.js';

let current = null;
let index = null;

export async function load() {
  const saved = await store.getMeta('pack');
  if (saved) use(saved);
  return current;
}

let lastConfirmed = null;

// Fetched again unless the server says the phone's is current.
export async function refresh() {
  const asked = Date.now(); // the server's answer holds what was on record by then, not later
  const fresh = await api.pack(current?.etag);
  lastConfirmed = asked;
  if (fresh) {
    const saved = { etag: fresh.etag, data: fresh.data, fetchedAt: asked };
    await store.setMeta('pack', saved);
    use(saved);
  }
  for (const fn of listeners) fn();
}

// Screens showing what the pack holds draw again when the server has answered (a fresher pack, or
// the phone's confirmed as current).
const listeners = new Set();
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export function ready() { return Boolean(current); }
export function fetchedAt() { return current?.fetchedAt; }
export function size() { return { plates: current.data.door_plates.length, buildings: current.data.buildings.length }; }
// When the server last said the pack on the phone is its current one (fetched, or answered 304).
export function confirmedAt() { return lastConfirmed ?? current?.fetchedAt ?? 0; }

function use(saved) {
  current = saved;
  const d = saved.data;
  index = {
    plates: new Map(d.door_plates.map(([code, road, number, area, lon, lat]) => [code, { code, road, number, area, lon, lat }])),
    buildings: new Map(d.buildings.map(([code, plate, number, name, lon, lat, floors]) =>
      [code, { code, plate, number, name, lon, lat, floors }])),
    units: new Map(d.units.map(([code, building, number]) => [code, { code, building, number }])),
    tokens: new Map(d.plates),
    rooms: new Map((d.shops ?? []).filter((s) => s.room_code).map((s) => [s.room_code, s.door_plate])),
  };
}

export function doorPlate(code) { return index?.plates.get(code) ?? null; }
export function building(code) { return index?.buildings.get(code) ?? null; }

// The door plate an object code belongs to (a door plate, building or unit of the pack, or the room
// of a shop waiting for its binding), or null.
export function plateOf(code) {
  if (!index) return null;
  if (index.plates.has(code)) return index.plates.get(code);
  if (index.rooms.has(code)) return index.plates.get(index.rooms.get(code));
  const b = index.buildings.get(code) ?? index.buildings.get(index.units.get(code)?.building);
  return b ? index.plates.get(b.plate) : null;
}

export function codeForToken(token) { return index?.tokens.get(token) ?? null; }

export function buildingsOf(plateCode) {
  return [...(index?.buildings.values() ?? [])].filter((b) => b.plate === plateCode);
}

export function unitsOf(buildingCode) {
  return [...(index?.units.values() ?? [])].filter((u) => u.building === buildingCode)
    .sort((a, b) => a.number.localeCompare(b.number, 'zh', { numeric: true }));
}

// Buildings within farM() of the position, nearest first: farther off, a photo taken here is flagged.
export function nearby(position, limit = 8) {
  return [...(index?.buildings.values() ?? [])]
    .map((b) => ({ building: b, distance: distanceFrom(position, b) }))
    .filter((n) => n.distance <= farM())
    .sort((a, b) => a.distance - b.distance).slice(0, limit);
}

// How far from its building a shop's photo may be taken before review flags it (the server's
// REVIEW_GPS_FAR_M; a pack fetched before it was sent says nothing, so its default).
export function farM() { return current?.data.gps_far_m ?? 200; }

// Door plates whose address contains the text ("人民路12", "12号"), best first.
export function search(text, limit = 20) {
  const q = text.replace(/\s/g, '').replace(/号$/, '');
  if (!q || !index) return [];
  if (/^\d{21}$/.test(q)) return plateOf(q) ? [plateOf(q)] : [];
  return [...index.plates.values()].filter((p) => `${p.road}${p.number}号`.includes(q))
    .sort((a, b) => a.road.length - b.road.length || a.number.localeCompare(b.number, 'zh', { numeric: true }))
    .slice(0, limit);
}

// The standard address text, as the server writes it (app/places/addresses.py).
export function addressText(plate, { building = null, unit = null, room = null } = {}) {
  let text = `${current.data.prefixes[plate.area] ?? ''}${plate.road}${plate.number}号`;
  if (building?.number) text += `${building.number}栋`;
  if (unit) text += `${unit}单元`;
  if (room) text += `${room}室`;
  return text;
}

export function buildingLabel(b) {
  const plate = index.plates.get(b.plate);
  const where = plate ? `${plate.road}${plate.number}号` : '';
  return `${where}${b.number ? `${b.number}栋` : ''}${b.name ? `（${b.name}）` : ''}`;
}

// {catering: '餐饮', …}: the server's list, so the two never disagree.
export function businessKinds() { return current?.data.business_kinds ?? {}; }

// The shops collected at a door plate that wait for their organisation: the pack's, and this phone's
// own from its outbox (`items`) that the pack does not hold yet (waiting to upload, or sent since the
// pack was fetched). A correction's shop is on the server already; a refused one is no shop.
export function shopsAt(plateCode, items) {
  const held = (current?.data.shops ?? []).filter((s) => s.door_plate === plateCode);
  const known = new Set(held.map((s) => s.id));
  const own = items.filter((i) => i.kind === 'shop' && !i.body.revision && i.state !== 'failed' && !known.has(i.id)
    && building(i.body.building_code)?.plate === plateCode);
  return [...held, ...own.map((i) => ({ id: i.id, name: i.body.shop_name, address_text: i.label.address, room_code: null,
    status_label: i.state === 'sent' ? (i.result?.status_label ?? '已上传') : '本机待上传' }))];
}

export function organisationsAt(plateCode) {
  return (current?.data.organisations ?? []).filter((o) => o[3] === plateCode)
    .map(([code, name, creditCode, plate, address]) => ({ code, name, creditCode, plate, address }));
}
