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
  const token = query.get('token') || null;
  const task = query.get('task') ? await tasks.cached(query.get('task')) : null;
  let shown = null;
  // Drawn from the pack and the outbox on the phone, and again when either changes (a fresher pack
  // with shops collected since, a shop of this phone's uploaded), unless nothing shown changed.
  const draw = async () => {
    const plate = pack.plateOf(code);
    const items = await store.outboxItems();
    const here = plate && { shops: pack.shopsAt(plate.code, items), sent: bindingsSent(items),
      organisations: pack.organisationsAt(plate.code), buildings: pack.buildingsOf(plate.code) };
    const showing = JSON.stringify(here);
    if (showing === shown) return;
    const again = shown !== null;
    shown = showing;
    if (!plate) {
      show(h('h1', {}, '未找到门牌'), h('p', {}, `地址包中没有编码 ${code}：它不在您的辖区内，或地址包需要联网更新。`),
        h('a', { class: 'button', href: '#/scan' }, '重新扫码'));
      return;
    }
    // Only at the task's own plate does a new submission answer it.
    const taskId = task?.door_plate_code === plate.code ? task.id : null;
    const carry = `token=${token ?? ''}${taskId ? `&task=${taskId}` : ''}`;
    const { shops, sent, organisations, buildings } = here;
    const scrolled = window.scrollY; // drawn again: the list stays where the user scrolled it
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
        sent.includes(s.id) ? h('p', { class: 'ok' }, '已提交绑定，待审核')
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
    if (again) window.scrollTo(0, scrolled);
  };
  await draw();
  if (!app.user) go('#/');
  refreshStalePack();
  const stops = [store.onChange(draw), pack.onChange(draw)];
  return () => stops.forEach((stop) => stop());
}

// Shops a binding from this phone is on its way for. Once the server confirmed the pack after it was
// sent, the pack knows: a shop it still lists had that binding turned down, and can be bound again.
function bindingsSent(items) {
  return items.filter((i) => i.kind === 'binding' && i.state !== 'failed'
    && !(i.state === 'sent' && i.sentAt < pack.confirmedAt())).map((i) => i.body.shop);
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
