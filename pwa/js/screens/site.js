// A scanned door plate: its address and buildings, the shops collected here that wait for their
// organisation, the organisations bound here, and what this user can do next. Opened from a
// verification task (?task=), it says whether this is the task's plate; a shop collected or a
// business bound here then answers the task as corrected.
import * as pack from '../pack.js';
import { app, can, refreshStalePack } from '../state.js';
import * as store from '../store.js';
import * as tasks from '../tasks.js';
import { go, h, show, uuid } from '../ui.js';

export async function render([code], query) {
  const plate = pack.plateOf(code);
  if (!plate) {
    show(h('h1', {}, '未找到门牌'), h('p', {}, `地址包中没有编码 ${code}：它不在您的辖区内，或地址包需要联网更新。`),
      h('a', { class: 'button', href: '#/scan' }, '重新扫码'));
    return;
  }
  const token = query.get('token') || null;
  const task = query.get('task') ? await tasks.cached(query.get('task')) : null;
  // Only at the task's own plate does a new submission answer it.
  const taskId = task?.door_plate_code === plate.code ? task.id : null;
  const carry = `token=${token ?? ''}${taskId ? `&task=${taskId}` : ''}`;
  const items = await store.outboxItems();
  const shops = pack.shopsAt(plate.code, items);
  // Shops a binding from this phone is on its way for. Once the server confirmed the pack after it
  // was sent, the pack knows: a shop it still lists had that binding turned down, and can be bound again.
  const bindingsSent = new Set(items.filter((i) => i.kind === 'binding' && i.state !== 'failed'
    && !(i.state === 'sent' && i.sentAt < pack.confirmedAt())).map((i) => i.body.shop));
  const organisations = pack.organisationsAt(plate.code);
  const buildings = pack.buildingsOf(plate.code);
  show(
    task && taskCard(task, taskId !== null),
    h('h1', {}, '门牌地址'),
    h('div', { class: 'card' }, h('div', { class: 'address', id: 'plate-address' }, pack.addressText(plate)),
      h('p', { class: 'muted' }, `${buildings.length} 栋楼 · 编码 ${plate.code}`)),
    can('collect.submit') && h('button', { id: 'collect', onclick: () => startCollecting(plate, token, taskId) }, '采集门店（拍门头照）'),
    h('h2', {}, '待绑定的门店'),
    shops.length ? h('ul', { class: 'list', id: 'shops' }, shops.map((s) => h('li', { class: 'item' },
      h('b', {}, s.name), ' ', h('span', { class: 'chip' }, s.status_label),
      h('div', { class: 'muted' }, s.address_text),
      bindingsSent.has(s.id) ? h('p', { class: 'ok' }, '已提交绑定，待审核')
        : can('actuals.write') && h('button', { class: 'small', 'data-shop': s.id,
          onclick: () => go(`#/bind/${plate.code}?shop=${s.id}&${carry}`) }, '绑定单位'))))
      : h('p', { class: 'muted' }, '这个门牌下没有待绑定的门店'),
    h('h2', {}, '已绑定的单位'),
    organisations.length ? h('ul', { class: 'list', id: 'organisations' }, organisations.map((o) => h('li', { class: 'item' },
      h('b', {}, o.name), h('div', { class: 'muted' }, o.creditCode ?? '无统一社会信用代码'))))
      : h('p', { class: 'muted' }, '暂无'),
    can('actuals.write') && h('button', { class: 'secondary', id: 'bind-other', onclick: () => go(`#/bind/${plate.code}?${carry}`) },
      '按信用代码绑定其他单位'),
  );
  if (!app.user) go('#/');
  // Shown at once from the pack on the phone; drawn again if a fresher one has shops or
  // organisations that came since, unless the user has moved on.
  const shown = document.getElementById('plate-address');
  refreshStalePack().then((changed) => { if (changed && shown.isConnected) render([code], query); });
}

function taskCard(task, here) {
  return h('div', { class: `card task-card ${here ? '' : 'wrong'}`, id: 'task-card' },
    h('p', {}, '核查任务：', h('b', {}, task.title)),
    here ? h('p', { class: 'ok', id: 'task-match' }, '✓ 就是任务所在的门牌。与记录不符时，在此采集门店或绑定单位，提交后任务自动答复为“已更正”。')
      : h('p', { class: 'error', id: 'task-match' }, `这不是任务所在的门牌（任务地址：${task.address_text}），在此提交的采集不算作答复。`),
    h('a', { class: 'button small secondary', href: `#/task/${task.id}` }, '返回答复'));
}

async function startCollecting(plate, token, task) {
  const unfinished = await store.getDraft();
  if (unfinished) {
    if (!confirm('还有一份未完成的采集。放弃它，开始采集这个门牌？')) return go('#/collect');
    await store.discardDraft();
  }
  await store.saveDraft({ id: uuid(), plate: plate.code, token, task, step: 'photo', photos: [], createdAt: Date.now(),
    building: null, unit: null, floor: '1', room: '', shopName: '', businessKind: '', position: null });
  go('#/collect');
}
