// The grid worker's scan: bind the business at this plate by the credit code on its licence
// (typed, or read from the licence's QR code, which usually holds a URL with the code in it). From a
// verification task (?task=), the binding is queued with the task's answer right after it.
import * as credit from '../credit.js';
import { bindingBody, bindingForm } from '../forms.js';
import * as outbox from '../outbox.js';
import * as pack from '../pack.js';
import { screenCamera } from '../scanner.js';
import * as store from '../store.js';
import * as tasks from '../tasks.js';
import { go, h, saving, show, uuid, validateAll } from '../ui.js';

export async function render([plateCode], query) {
  const plate = pack.plateOf(plateCode);
  if (!plate) {
    go('#/scan');
    return;
  }
  const shopId = query.get('shop');
  const shop = shopId ? pack.shopsAt(plate.code, await store.outboxItems()).find((s) => s.id === shopId) : null;
  const form = bindingForm({ name: shop?.name });
  const { codeField, code } = form;
  const video = h('video', { playsinline: true, muted: true, autoplay: true, hidden: true });
  const camera = screenCamera(video, {
    onCode: (text) => {
      camera.stop();
      video.hidden = true;
      const found = credit.fromScan(text);
      code.value = found ?? '';
      code.dispatchEvent(new Event('input'));
      if (!found) codeField.error.textContent = '执照二维码中没有找到有效的统一社会信用代码，请手动输入';
    },
    onError: (m) => { codeField.error.textContent = m; video.hidden = true; },
  });
  const scanLicence = () => {
    video.hidden = false;
    camera.start();
  };
  const target = shop?.room_code ?? plate.code;
  show(
    h('h1', {}, '绑定单位'),
    h('div', { class: 'card' }, h('div', { class: 'address' }, shop?.address_text ?? pack.addressText(plate)),
      shop && h('p', {}, '门店：', h('b', {}, shop.name))),
    codeField.el, form.ok,
    h('button', { class: 'secondary', onclick: scanLicence }, '扫营业执照二维码'), video,
    form.nameField.el, h('p', { class: 'muted' }, '已登记的单位以系统中的名称为准；新单位必须填写名称。提交后经审核通过，单位才绑定到这个地址。'),
    h('button', { id: 'bind', onclick: async (e) => {
      if (!validateAll(form.fields)) return;
      await saving(e.target, async () => {
        const body = { id: uuid(), kind: 'binding', address_code: target, ...bindingBody(form.values()), shop: shop?.id ?? null,
          confirm_move: false, photos: [], captured_at: new Date().toISOString(), plate_token: query.get('token') || null };
        await outbox.enqueue(body, [], { title: `绑定 ${body.name || body.credit_code}`, address: shop?.address_text ?? pack.addressText(plate) });
        const answer = query.get('task') && await tasks.enqueueCorrection(query.get('task'), body.id);
        outbox.flush();
        go(answer ? `#/task/${answer.task}` : `#/item/${body.id}`);
      });
    } }, '提交绑定'),
  );
  return () => camera.close();
}
