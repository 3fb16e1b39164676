// The form pieces a submission is made of, shared by the screens that make one (collect.js, bind.js)
// and the screen that corrects a returned one (correct.js): the same inputs, checks and messages.
import * as credit from './credit.js';
import * as outbox from './outbox.js';
import * as pack from './pack.js';
import { field, h } from './ui.js';

const ROOM = /^[0-9A-Za-z-]{1,16}$/;

// What the user reads for a submission's field name (a reviewer's comment, a server message).
export const LABELS = {
  building_code: '楼栋', unit: '单元', floor: '楼层', room: '室号 / 铺位号', shop_name: '店名',
  business_kind: '经营类别', note: '备注', photos: '照片', position: '位置', credit_code: '统一社会信用代码',
  name: '单位名称', address_code: '地址', shop: '门店', confirm_move: '确认迁移',
  outcome: '核查结果', submission: '更正采集',
};

export function label(name) { return LABELS[name] ?? LABELS[name.split('.')[0]] ?? name; }

// Why an outbox item is not on the server (yet): the message and, when the server named fields,
// what to fix in each, by the names the user knows.
export function refusal(item, id = null) {
  if (!item.error || item.state === 'sent') return null;
  const fields = Object.entries(item.fields ?? {});
  return [h('p', { class: 'error', id }, item.error),
    fields.length > 0 && h('ul', { class: 'error fields' }, fields.map(([f, m]) => h('li', {}, `${label(f)}：${m}`)))];
}

// For a binding the server wants a move confirmed for (the business is bound elsewhere): confirm it.
export function moveButton(item) {
  return item.state === 'confirm'
    && h('button', { class: 'small confirm-move', onclick: () => outbox.confirmMove(item.id) }, '确认迁移并上传');
}

// The shop's place in the building and its name; values as collect.js keeps them in its draft.
export function shopForm(building, v) {
  const units = pack.unitsOf(building.code);
  const unit = h('select', { name: 'unit' }, h('option', { value: '' }, '不在单元内（如临街底商）'),
    units.map((u) => h('option', { value: u.number, selected: v.unit === u.number }, `${u.number}单元`)));
  const floor = h('input', { name: 'floor', type: 'number', inputmode: 'numeric', value: v.floor ?? '1', min: -5, max: 200 });
  const room = h('input', { name: 'room', value: v.room ?? '', autocomplete: 'off', placeholder: '如 101、A-3' });
  const shopName = h('input', { name: 'shop_name', value: v.shopName ?? '', autocomplete: 'off', placeholder: '招牌上的店名' });
  const kind = h('select', { name: 'business_kind' }, h('option', { value: '' }, '请选择'),
    Object.entries(pack.businessKinds()).map(([k, text]) => h('option', { value: k, selected: v.businessKind === k }, text)));
  const fields = [
    units.length > 0 && field(label('unit'), unit),
    field(label('floor'), floor, (x) => (/^-?\d+$/.test(x) && +x >= -5 && +x <= 200 ? null : '楼层应为 -5 到 200 之间的整数（地下填负数）'),
      (x) => x === '' || x === '-'),
    field(label('room'), room, (x) => (ROOM.test(x.trim()) ? null : '室号只能是 1-16 位数字、字母或“-”，如 101、A-3'),
      (x) => !x.trim()),
    field(label('shop_name'), shopName, (x) => (x.trim().length >= 2 && x.trim().length <= 64 ? null : '店名应为 2–64 个字'),
      (x) => x.trim().length < 2),
    field(label('business_kind'), kind, (x) => (x ? null : '请选择经营类别')),
  ].filter(Boolean);
  const values = () => ({ unit: unit.value || null, floor: floor.value, room: room.value.trim(), shopName: shopName.value.trim(),
    businessKind: kind.value });
  const inputs = [unit, floor, room, shopName, kind];
  const address = h('div', { class: 'address', id: 'address-preview' });
  const showAddress = () => { address.textContent = shopAddress(building, { ...values(), room: room.value.trim() || '□' }); };
  for (const input of inputs) input.addEventListener('input', showAddress);
  showAddress();
  return { fields, inputs, values, preview: h('div', { class: 'card' }, h('p', { class: 'muted' }, '将保存为：'), address) };
}

// The shop's standard address as the server will write it: on its building's own door plate.
export function shopAddress(building, v) {
  return pack.addressText(pack.plateOf(building.code), { building, unit: v.unit || null, room: v.room });
}

// A submitted shop's fields (the body sent, or the server's data) as shopForm takes them.
export function shopValues(d) {
  return { unit: d.unit ?? null, floor: String(d.floor ?? '1'), room: d.room ?? '', shopName: d.shop_name ?? '',
    businessKind: d.business_kind ?? '' };
}

// shopForm's values as POST /submissions takes them (ShopIn).
export function shopBody(v) {
  return { unit: v.unit || null, floor: Number(v.floor), room: v.room, shop_name: v.shopName, business_kind: v.businessKind };
}

// The organisation by the credit code on its licence, checked as it is typed, and its name.
export function bindingForm(v) {
  const code = h('input', { name: 'credit_code', value: v.creditCode ?? '', autocomplete: 'off', autocapitalize: 'characters',
    maxlength: 500, placeholder: '18 位，如 92420606MA4XXXXXXX', spellcheck: 'false' });
  const name = h('input', { name: 'name', value: v.name ?? '', autocomplete: 'off', placeholder: '营业执照上的名称' });
  const codeField = field(label('credit_code'), code, (x) => credit.problem(x), credit.unfinished);
  const nameField = field(label('name'), name, (x) => (!x.trim() || (x.trim().length >= 2 && x.trim().length <= 128)
    ? null : '名称应为 2–128 个字'), (x) => x.trim().length < 2);
  const ok = h('p', { class: 'ok', id: 'credit_code-ok', 'aria-live': 'polite' });
  const progress = () => {
    const valid = !credit.problem(code.value);
    ok.classList.toggle('pending', !valid);
    ok.textContent = valid ? '✓ 代码有效' : code.value && credit.unfinished(code.value) ? `已输入 ${code.value.length} 位，还差 ${18 - code.value.length} 位` : '';
  };
  code.addEventListener('input', () => {
    let typed = credit.normalise(code.value); // full-width and lower-case letters, as phones type them
    // A licence's link or text pasted whole (from a message, or the keyboard's clipboard): its code.
    if (typed.length > 18) typed = credit.fromScan(typed) ?? typed;
    if (typed !== code.value) {
      code.value = typed;
      codeField.typed(); // the field checked what was typed, before this
    }
    progress();
  });
  progress(); // a code filled in as saved
  const values = () => ({ creditCode: credit.normalise(code.value), name: name.value.trim() });
  return { fields: [codeField, nameField], codeField, nameField, ok, code, values };
}

export function bindingValues(d) { return { creditCode: d.credit_code ?? '', name: d.name ?? '' }; }

// bindingForm's values as POST /submissions takes them (BindingIn).
export function bindingBody(v) { return { credit_code: v.creditCode, name: v.name || null }; }
