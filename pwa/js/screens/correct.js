// Correcting a submission a reviewer returned: the reason and every comment at the top, its fields
// filled in as sent, each field the reviewer commented on marked with its comment. The correction goes through the outbox like a new submission
// (same id, plus the version it was returned at), so no network or a closed app loses nothing.
import {
  bindingBody, bindingForm, bindingValues, label, shopAddress, shopBody, shopForm, shopValues,
} from '../forms.js';
import * as outbox from '../outbox.js';
import * as pack from '../pack.js';
import * as store from '../store.js';
import { go, h, saving, show, validateAll } from '../ui.js';

// Per kind: the form (null when the address pack lacks what it needs), the body's own fields, and
// the outbox label. `d` holds the submission's fields as the server or the last correction has them.
const KINDS = {
  shop: {
    form: (s, d) => {
      const building = pack.building(s.data.building_code);
      return building && { building, ...shopForm(building, shopValues(d)) };
    },
    body: (s, form) => ({ building_code: s.data.building_code, ...shopBody(form.values()) }),
    label: (s, body, form) => ({ title: body.shop_name, address: shopAddress(form.building, form.values()) }),
  },
  binding: {
    form: (s, d) => bindingForm(bindingValues(d)),
    body: (s, form) => ({ address_code: s.data.address_code, ...bindingBody(form.values()), shop: s.data.shop ?? null,
      confirm_move: Boolean(s.data.confirm_move) }),
    label: (s, body) => ({ title: `绑定 ${body.name || body.credit_code}`, address: s.address_text }),
  },
};

export async function render([id]) {
  const s = (await store.getMeta('inbox'))?.items.find((i) => i.id === id);
  if (s?.status !== 'returned') {
    show(h('h1', {}, '更正'), h('p', {}, '这条提交现在不需要更正（可能已更正，或已被审核处理）。'),
      h('a', { class: 'button', href: '#/inbox' }, '我的提交'));
    return;
  }
  const kind = KINDS[s.kind];
  // On this phone: the original (its position), or a correction the server refused, to start from.
  const local = await store.getItem(id);
  const previous = local?.body.revision === s.version ? local.body : null;
  const form = kind.form(s, previous ?? s.data);
  if (!form) {
    show(h('h1', {}, '更正'), h('p', { class: 'error' }, '地址包中没有这条提交的楼栋，请联网后在首页更新地址包。'),
      h('a', { class: 'button', href: '#/inbox' }, '我的提交'));
    return;
  }
  const comments = s.comments ?? {};
  for (const f of form.fields) {
    const comment = comments[f.input.name];
    if (!comment) continue;
    f.el.classList.add('commented');
    f.input.before(h('p', { class: 'comment', id: `${f.input.name}-comment` }, `审核意见：${comment}`));
  }
  show(
    h('h1', {}, '更正退回的提交'),
    h('div', { class: 'card' },
      h('div', { class: 'address' }, s.address_text),
      s.step_label && h('p', { class: 'muted' }, `退回环节：${s.step_label}`),
      s.reason && h('p', { id: 'return-reason' }, `退回理由：${s.reason}`),
      Object.entries(comments).map(([name, comment]) => h('p', { class: 'comment' }, h('b', {}, `${label(name)}：`), comment))),
    ...form.fields.map((f) => f.el),
    form.ok, form.preview,
    h('button', { id: 'submit-correction', onclick: async (e) => {
      if (!validateAll(form.fields)) return;
      await saving(e.target, async () => {
        const body = { id, kind: s.kind, ...kind.body(s, form), photos: s.photos, note: s.data.note ?? null,
          plate_token: s.data.plate_token ?? null, captured_at: local?.body.captured_at ?? null,
          position: local?.body.position ?? null, revision: s.version };
        // Its photos are on the server already: the outbox has none to upload.
        await outbox.enqueue(body, [], kind.label(s, body, form));
        outbox.flush();
        go(`#/item/${id}`);
      });
    } }, '提交更正'),
    h('a', { class: 'button secondary', href: '#/inbox' }, '返回'),
  );
}
