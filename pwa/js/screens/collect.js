// Steps 2-5 of "two scans, five steps": photograph the storefront, choose the building, fill in the
// address, submit. The draft is saved on the phone at every change, so the camera app (which can
// make the phone close this page) or a restart loses nothing: the app reopens at the same step.
// A draft started from a verification task queues the task's answer right after the shop.
import { shopAddress, shopBody, shopForm } from '../forms.js';
import * as outbox from '../outbox.js';
import * as pack from '../pack.js';
import { distanceFrom, formatDistance, locate, POOR_ACCURACY_M } from '../geo.js';
import { cameraInput, removablePreview } from '../photo.js';
import * as store from '../store.js';
import * as tasks from '../tasks.js';
import { go, h, route, saving, show, uuid, validateAll } from '../ui.js';

const STEPS = ['photo', 'building', 'address', 'confirm'];
const MAX_PHOTOS = 5;

export async function render() {
  const draft = await store.getDraft();
  if (!draft) {
    go('#/');
    return;
  }
  const plate = pack.plateOf(draft.plate);
  if (!plate) {
    show(h('p', { class: 'error' }, '这份草稿的门牌已不在地址包中，请重新扫码'),
      h('button', { class: 'danger', onclick: async () => { await store.discardDraft(); go('#/scan'); } }, '放弃草稿'));
    return;
  }
  if (!draft.position && !draft.positionError) locateInto(draft); // once: a refusal is not asked again at every redraw
  const screens = { photo: photoStep, building: buildingStep, address: addressStep, confirm: confirmStep };
  return screens[draft.step](draft, plate);
}

// A shop in the outbox that has not gone yet (or was turned down) opened again at its address step,
// photos and all, to be changed and submitted anew; a task's answer waiting on it comes back to its
// form. It gets a new id: the server has nothing under the old one, or refused it.
export async function change(item) {
  const b = item.body;
  const building = pack.building(b.building_code);
  if (!building) {
    alert('这栋楼已不在地址包中：请先更新地址包；仍没有就删除这条，重新扫码采集。');
    return;
  }
  const gone = () => alert(outbox.TOO_LATE_TO_CHANGE);
  const now = await store.getItem(item.id);
  if (!now || !outbox.changeable(now)) return gone(); // before an unfinished draft is given up for it
  if (await store.getDraft()) {
    if (!confirm('还有一份未完成的采集。放弃它，修改这一条？')) return;
    await store.discardDraft();
  }
  const taken = await store.takeBack(item.id, (held, following) => {
    if (!outbox.changeable(held)) return null;
    const answer = following.find((i) => i.kind === 'answer');
    const id = uuid();
    return {
      draft: { id, plate: building.plate, token: b.plate_token, task: answer?.task ?? null, step: 'address',
        photos: b.photos, createdAt: Date.parse(b.captured_at), building: b.building_code, unit: b.unit,
        floor: String(b.floor), room: b.room, shopName: b.shop_name, businessKind: b.business_kind, position: b.position },
      taskDrafts: answer ? { [answer.task]: { outcome: 'corrected', note: answer.body.note ?? '', photos: answer.body.photos } } : {},
      // A binding of the shop waits on, and names, the changed shop.
      items: following.filter((i) => i.kind === 'binding').map((i) => ({ ...i, after: id, body: { ...i.body, shop: id } })),
    };
  });
  if (taken) go('#/collect');
  else gone();
}

async function save(draft, changes = {}) {
  Object.assign(draft, changes);
  await store.saveDraft(draft);
}

async function next(draft, step) {
  await save(draft, { step });
  redraw();
}

// The step shown again, unless the user has gone to another screen meanwhile (a fix from the GPS or
// a photo being shrunk can take seconds): the draft keeps what came, the other screen stays.
function redraw() {
  if (route().name === 'collect') render();
}

function locateInto(draft) {
  locate().then(async (position) => {
    const fresh = await store.getDraft();
    if (fresh?.id === draft.id && !fresh.position) {
      draft.position = position.error ? null : position;
      draft.positionError = position.error ?? null;
      await store.saveDraft({ ...fresh, position: draft.position, positionError: draft.positionError });
      if (fresh.step === 'building') redraw();
    }
  });
}

function header(draft, plate, title) {
  const done = STEPS.indexOf(draft.step) + 1;
  return [
    h('div', { class: 'steps', 'aria-label': `第 ${done + 1} 步，共 5 步` },
      [0, 1, 2, 3, 4].map((i) => h('span', { class: i <= done ? 'done' : '' }))),
    h('h1', {}, title),
    h('p', { class: 'muted' }, pack.addressText(plate)),
  ];
}

function back(draft, step) {
  return h('button', { class: 'secondary', onclick: () => next(draft, step) }, '上一步');
}

async function photoStep(draft, plate) {
  const previews = h('div', { id: 'photos' });
  for (const sha of draft.photos) {
    const photo = await store.getPhoto(sha);
    if (photo) {
      previews.append(removablePreview(photo, '门头照', async () => {
        await save(draft, { photos: draft.photos.filter((s) => s !== sha) });
        redraw();
      }));
    }
  }
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const input = cameraInput('photo-input', status, async (sha) => {
    await save(draft, { photos: [...new Set([...draft.photos, sha])].slice(0, MAX_PHOTOS) });
    redraw();
  });
  const more = draft.photos.length > 0;
  show(...header(draft, plate, '拍门头照'),
    h('p', {}, '拍下店铺门头，招牌文字要清楚。照片会压缩，并去掉其中的位置信息。'),
    previews,
    draft.photos.length < MAX_PHOTOS && h('label', { class: `button file-button ${more ? 'secondary' : ''}`, for: 'photo-input' },
      more ? '再拍一张' : '拍照', input),
    status,
    more && h('button', { id: 'next', onclick: () => next(draft, 'building') }, '下一步：选择楼栋'),
    h('button', { class: 'danger', onclick: async () => {
      if (confirm('放弃这次采集？已拍的照片也会删除。')) {
        await store.discardDraft();
        go('#/');
      }
    } }, '放弃'));
}

function buildingStep(draft, plate) {
  const choose = (b) => next(Object.assign(draft, { building: b.code, unit: null }), 'address');
  const row = (b, note) => h('li', {}, h('button', { class: 'pick', 'data-building': b.code, onclick: () => choose(b) },
    h('span', {}, pack.buildingLabel(b)), h('span', { class: 'dist' }, note)));
  const own = pack.buildingsOf(plate.code);
  const position = draft.position;
  const precise = position && position.accuracy_m <= POOR_ACCURACY_M;
  const near = precise ? pack.nearby(position).filter((n) => n.building.plate !== plate.code || own.length === 1) : [];
  const plateAway = precise && own.length > 0 ? Math.min(...own.map((b) => distanceFrom(position, b))) : 0;
  const results = h('ul', { class: 'list', id: 'building-results' });
  const search = h('input', { id: 'building-search', name: 'building-search', placeholder: '搜索：路名、门牌号、楼名' });
  search.addEventListener('input', () => {
    results.replaceChildren(...pack.search(search.value, 5).flatMap((p) => pack.buildingsOf(p.code)).slice(0, 12)
      .map((b) => row(b, '')));
  });
  const located = position
    ? `已定位（精度约 ±${Math.round(position.accuracy_m)} 米）${precise ? '' : '：精度较差，请从本门牌的楼栋中选择或搜索'}`
    : (draft.positionError || '正在定位…（也可直接从本门牌的楼栋中选择）');
  show(...header(draft, plate, '选择楼栋'),
    h('p', { class: 'muted', id: 'position' }, located, ' ', draft.positionError && h('button', {
      class: 'small secondary', id: 'locate-again', onclick: async () => {
        await save(draft, { positionError: null });
        redraw(); // says 正在定位… and asks the phone again
      } }, '重新定位')),
    plateAway > pack.farM() && h('p', { class: 'error', id: 'far-from-plate' },
      `您离这个门牌约 ${formatDistance(plateAway)}，不在门牌附近：请确认扫的是眼前的门牌。`
      + `离楼栋 ${pack.farM()} 米以外拍的照片，审核时会标出。`),
    h('h2', {}, '本门牌的楼栋'),
    h('ul', { class: 'list', id: 'own-buildings' }, own.map((b) => row(b, precise
      ? formatDistance(distanceFrom(position, b)) : '本门牌'))),
    near.length > 0 && h('h2', {}, '附近的楼栋（由近到远）'),
    near.length > 0 && h('ul', { class: 'list', id: 'nearby' }, near.map((n) => row(n.building, formatDistance(n.distance)))),
    h('label', { for: 'building-search' }, '都不是？搜索'), search, results,
    back(draft, 'photo'));
}

async function addressStep(draft, plate) {
  const building = pack.building(draft.building);
  const form = shopForm(building, draft);
  // A shop already collected at this address (by anyone, in review or approved and not yet bound, or
  // on this phone): most often the same shop again, which the reviewer would only have to turn down.
  // Said, not refused: two shops can share a room.
  const known = h('p', { class: 'comment', id: 'address-known', 'aria-live': 'polite' });
  const shops = pack.shopsAt(building.plate, await store.outboxItems());
  const checkKnown = () => {
    const text = form.values().room && shopAddress(building, form.values());
    const same = shops.filter((s) => s.address_text === text);
    known.textContent = same.length ? `这个地址已采集过：${same.map((s) => `${s.name}（${s.status_label}）`).join('、')}。`
      + '同一家店无需再采集；不是同一家店可以继续。' : '';
  };
  for (const input of form.inputs) input.addEventListener('input', () => { save(draft, form.values()); checkKnown(); });
  checkKnown();
  show(...header(draft, plate, '填写地址'),
    h('p', { class: 'muted' }, `楼栋：${pack.buildingLabel(building)}`),
    ...form.fields.map((f) => f.el),
    form.preview, known,
    h('button', { id: 'next', onclick: () => { if (validateAll(form.fields)) next(draft, 'confirm'); } }, '下一步：核对并提交'),
    back(draft, 'building'));
}

async function confirmStep(draft, plate) {
  const building = pack.building(draft.building);
  const text = shopAddress(building, draft);
  const photos = await Promise.all(draft.photos.map((sha) => store.getPhoto(sha)));
  const kindLabel = pack.businessKinds()[draft.businessKind];
  const away = draft.position ? distanceFrom(draft.position, building) : 0;
  show(...header(draft, plate, '核对并提交'),
    away > pack.farM() && h('p', { class: 'error', id: 'far-from-building' },
      `拍照位置距这栋楼约 ${formatDistance(away)}（超过 ${pack.farM()} 米），审核时会标出：请确认楼栋选对了。`),
    photos.filter(Boolean).map((p) => h('img', { class: 'photo-preview', src: URL.createObjectURL(p.blob), alt: '门头照' })),
    h('div', { class: 'card' },
      h('p', {}, h('b', {}, draft.shopName), ` · ${kindLabel}`),
      h('div', { class: 'address', id: 'final-address' }, text),
      h('p', { class: 'muted' }, `${draft.floor} 层 · ${draft.position ? `定位 ±${Math.round(draft.position.accuracy_m)} 米` : '未定位'}`)),
    h('button', { id: 'submit', onclick: (e) => saving(e.target, async () => {
      const body = {
        id: draft.id, kind: 'shop', building_code: building.code, ...shopBody(draft), photos: draft.photos,
        captured_at: new Date(draft.createdAt).toISOString(), position: draft.position, plate_token: draft.token || null,
      };
      await outbox.enqueue(body, draft.photos, { title: draft.shopName, address: text });
      const answer = draft.task && await tasks.enqueueCorrection(draft.task, draft.id);
      await store.dropDraft();
      outbox.flush();
      go(answer ? `#/task/${answer.task}` : `#/item/${draft.id}`);
    }) }, '提交'),
    back(draft, 'address'));
}
