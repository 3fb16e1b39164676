// The grid worker's scan: bind the business at this plate by the credit code on its licence
// (typed, or read from the licence's QR code, which usually holds a URL with the code in it).
import * as credit from '../credit.js';
import * as outbox from '../outbox.js';
import * as pack from '../pack.js';
import { startScanner } from '../scanner.js';
import * as store from '../store.js';
import { field, go, h, show, uuid } from '../ui.js';

export async function render([plateCode], query) {
  const plate = pack.plateOf(plateCode);
  if (!plate) {
    go('#/scan');
    return;
  }
  const shopId = query.get('shop');
  const local = shopId ? await store.getItem(shopId) : null;
  const shop = pack.shopsAt(plate.code).find((s) => s.id === shopId)
    ?? (local ? { id: local.id, name: local.body.shop_name, address_text: local.label.address, room_code: null } : null);
  const code = h('input', { name: 'credit_code', autocomplete: 'off', autocapitalize: 'characters', maxlength: 24,
    placeholder: '18 位，如 92420606MA4XXXXXXX', spellcheck: 'false' });
  const name = h('input', { name: 'name', value: shop?.name ?? '', autocomplete: 'off', placeholder: '营业执照上的名称' });
  const codeField = field('统一社会信用代码', code, (v) => credit.problem(v));
  const nameField = field('单位名称', name, (v) => (!v.trim() || (v.trim().length >= 2 && v.trim().length <= 128)
    ? null : '名称应为 2–128 个字'));
  const ok = h('p', { class: 'ok', 'aria-live': 'polite' });
  code.addEventListener('input', () => {
    const typed = credit.normalise(code.value); // full-width and lower-case letters, as phones type them
    if (typed !== code.value) code.value = typed;
    ok.textContent = credit.problem(typed) ? '' : '✓ 代码有效';
  });
  const video = h('video', { playsinline: true, muted: true, autoplay: true, hidden: true });
  let scanner = null;
  const scanLicence = async () => {
    video.hidden = false;
    scanner = await startScanner(video, {
      onCode: (text) => {
        scanner.stop();
        video.hidden = true;
        const found = credit.fromScan(text);
        code.value = found ?? '';
        code.dispatchEvent(new Event('input'));
        if (!found) codeField.error.textContent = '执照二维码中没有找到有效的统一社会信用代码，请手动输入';
      },
      onError: (m) => { codeField.error.textContent = m; video.hidden = true; },
    });
  };
  const target = shop?.room_code ?? plate.code;
  show(
    h('h1', {}, '绑定单位'),
    h('div', { class: 'card' }, h('div', { class: 'address' }, shop?.address_text ?? pack.addressText(plate)),
      shop && h('p', {}, '门店：', h('b', {}, shop.name))),
    codeField.el, ok,
    h('button', { class: 'secondary', onclick: scanLicence }, '扫营业执照二维码'), video,
    nameField.el, h('p', { class: 'muted' }, '已登记的单位以系统中的名称为准；新单位必须填写名称。'),
    h('button', { id: 'bind', onclick: async (e) => {
      if (![codeField.validate(), nameField.validate()].every(Boolean)) return;
      e.target.disabled = true;
      const body = { id: uuid(), kind: 'binding', address_code: target, credit_code: credit.normalise(code.value),
        name: name.value.trim() || null, shop: shop?.id ?? null, confirm_move: false, photos: [],
        captured_at: new Date().toISOString(), plate_token: query.get('token') || null };
      await outbox.enqueue(body, [], { title: `绑定 ${name.value.trim() || body.credit_code}`, address: shop?.address_text ?? pack.addressText(plate) });
      outbox.flush();
      go(`#/item/${body.id}`);
    } }, '绑定'),
  );
  return () => scanner?.stop();
}
