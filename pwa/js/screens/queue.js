// The outbox as the user sees it: every item with its state, what failed and why, and what to do.
import * as api from '../api.js';
import { moveButton, refusal } from '../forms.js';
import * as outbox from '../outbox.js';
import * as store from '../store.js';
import { h, show, when } from '../ui.js';
import { change } from './item.js';

// Why an item that could go has no 删除: another waits on it, and that one is deleted first.
function awaitedNote(waiter) {
  return waiter && h('div', { class: 'muted awaited' }, waiter.kind === 'binding'
    ? '单位绑定在等这条上传：要删除这条，请先删除那条绑定。' : '核查答复在等这条上传：要删除这条，请先删除那条答复。');
}

export async function render() {
  let drawn = null;
  const draw = async () => {
    const items = (await store.outboxItems()).reverse();
    const signature = JSON.stringify(items.map((i) => [i.id, i.state, i.attempts, i.error]));
    if (signature === drawn) return; // nothing the user would see changed: leave the page still
    drawn = signature;
    const waiting = outbox.pending(items);
    const byId = new Map(items.map((i) => [i.id, i]));
    const needLogin = items.some((i) => i.state === 'login');
    show(
      h('h1', {}, '待上传'),
      h('p', { class: 'muted', id: 'outbox-summary' }, waiting.length ? `${waiting.length} 条未上传` : '全部已上传'),
      needLogin && h('a', { class: 'button', href: api.loginUrl('/app/#/outbox') }, '重新登录后上传'),
      items.some(outbox.waiting) && (navigator.onLine // what waits on someone (refused, to confirm) has its own buttons
        ? h('button', { id: 'upload', onclick: () => outbox.flush({ force: true }) }, '立即上传')
        : h('p', { class: 'muted' }, '当前离线：恢复网络后自动上传，关闭应用也不会丢失。')),
      h('ul', { class: 'list', id: 'outbox' }, items.map((item) => h('li', { class: 'item', 'data-id': item.id, 'data-state': item.state },
        h('b', {}, item.label.title), ' ', h('span', { class: `chip ${item.state}` }, outbox.STATES[item.state]),
        h('div', { class: 'muted' }, item.label.address),
        h('div', { class: 'muted' }, `保存于 ${when(item.createdAt)}${item.sentAt ? ` · 上传于 ${when(item.sentAt)}` : ''}`
          + `${item.attempts && item.state !== 'sent' ? ` · 已尝试 ${item.attempts} 次` : ''}`),
        item.after && outbox.waiting(item) && byId.get(item.after) && byId.get(item.after).state !== 'sent'
          && h('div', { class: 'muted' }, item.kind === 'binding' ? '在所绑定的门店上传之后上传' : '在所更正的采集上传之后上传'),
        refusal(item),
        outbox.onPhoneOnly(item) && awaitedNote(outbox.awaitedBy(item, items)),
        moveButton(item),
        outbox.changeable(item) && h('button', { class: 'small secondary change', onclick: () => change(item) }, '修改'),
        outbox.deletable(item, items) && h('button', { class: 'small danger delete', onclick: async () => {
          if (confirm('删除这条记录？删除后无法恢复。') && !await store.deleteItem(item.id, outbox.deletable)) {
            alert('这条已开始上传，不能再删除。');
          }
        } }, '删除')))),
      items.some((i) => i.state === 'sent') && h('p', { class: 'muted', id: 'sent-kept' },
        `已上传的记录在手机上保留 ${outbox.SENT_KEPT_DAYS} 天，之后可在“我的提交”中查看。`),
    );
  };
  await draw();
  const redraw = () => { drawn = null; draw(); };
  window.addEventListener('online', redraw);
  window.addEventListener('offline', redraw);
  const stop = store.onChange(draw);
  return () => { stop(); window.removeEventListener('online', redraw); window.removeEventListener('offline', redraw); };
}
