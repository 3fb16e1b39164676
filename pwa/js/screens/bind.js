// The grid worker's scan: bind the business at this plate by the credit code on its licence
// (typed, or read from the licence's QR code, which usually holds a URL with the code in it). From a
// verification task (?task=), the binding is queued with the task's answer right after it. With
// ?change=, a binding on the phone not yet gone is changed instead (change() below).
import * as credit from '../credit.js';
import { bindingBody, bindingForm, bindingValues, refusal } from '../forms.js';
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
  const items = await store.outboxItems();
  // 修改: a binding saved on this phone and not yet gone, filled in again; it stays as it was until
  // the change is submitted.
  const changing = query.get('change') && items.find((i) => i.id === query.get('change'));
  if (query.get('change') && !(changing && outbox.changeable(changing))) {
    show(h('h1', {}, '修改绑定'), h('p', { id: 'change-gone' }, outbox.TOO_LATE_TO_CHANGE),
      h('a', { class: 'button', href: '#/outbox' }, '待上传列表'));
    return;
  }
  const saved = changing?.body;
  const shopId = saved ? saved.shop : query.get('shop');
  const shop = shopId ? pack.shopsAt(plate.code, items).find((s) => s.id === shopId) : null;
  const address = changing?.label.address ?? shop?.address_text ?? pack.addressText(plate);
  const form = bindingForm(saved ? bindingValues(saved) : { name: shop?.name });
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
  const target = saved?.address_code ?? shop?.room_code ?? plate.code;
  // A shop collected on this phone goes first: the server takes no binding naming a shop it lacks.
  const after = items.some((i) => i.id === shopId && i.kind === 'shop') ? shopId : null;
  show(
    h('h1', {}, changing ? '修改绑定' : '绑定单位'), changing && refusal(changing, 'refusal'),
    h('div', { class: 'card' }, h('div', { class: 'address' }, address), shop && h('p', {}, '门店：', h('b', {}, shop.name))),
    codeField.el, form.ok,
    h('button', { class: 'secondary', onclick: scanLicence }, '扫营业执照二维码'), video,
    form.nameField.el, h('p', { class: 'muted' }, '已登记的单位以系统中的名称为准；新单位必须填写名称。提交后经审核通过，单位才绑定到这个地址。'),
    h('button', { id: 'bind', onclick: async (e) => {
      if (!validateAll(form.fields)) return;
      await saving(e.target, async () => {
        const body = { id: uuid(), kind: 'binding', address_code: target, ...bindingBody(form.values()), shop: shopId ?? null,
          confirm_move: false, photos: [], captured_at: new Date().toISOString(),
          plate_token: saved ? saved.plate_token : query.get('token') || null };
        const label = { title: `绑定 ${body.name || body.credit_code}`, address };
        let answer;
        if (changing) {
          if (!await outbox.replace(changing.id, body, label, after)) {
            alert(outbox.TOO_LATE_TO_CHANGE);
            return go(`#/item/${changing.id}`); // as it went
          }
          answer = items.find((i) => i.after === changing.id);
        } else {
          await outbox.enqueue(body, [], label, { after });
          answer = query.get('task') && await tasks.enqueueCorrection(query.get('task'), body.id);
        }
        outbox.flush();
        go(answer ? `#/task/${answer.task}` : `#/item/${body.id}`);
      });
    } }, '提交绑定'),
  );
  return () => camera.close();
}

// 修改 on a binding saved offline or refused: this screen again at its plate (a shop's room's plate).
export function change(item) {
  const plate = pack.plateOf(item.body.address_code);
  if (!plate) alert('这个门牌已不在地址包中：请先更新地址包；仍没有就删除这条，重新扫码绑定。');
  else go(`#/bind/${plate.code}?change=${item.id}`);
}
