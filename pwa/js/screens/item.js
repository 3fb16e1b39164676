// What became of one submission: saved on the phone, uploading, uploaded, or what to do about it.
import { moveButton, refusal } from '../forms.js';
import * as outbox from '../outbox.js';
import * as store from '../store.js';
import { h, show } from '../ui.js';
import * as bind from './bind.js';
import * as collect from './collect.js';

// 修改 on an item outbox.changeable allows: its screen again, filled in as saved.
export function change(item) {
  return (item.kind === 'binding' ? bind : collect).change(item);
}

// Kept on the phone but not going by itself: what the user has to do.
const WAITS_ON_YOU = {
  failed: '服务器没有接收，不会自动重传：请按提示修改后重新提交，不需要了可以删除。',
  confirm: '确认迁移后才会上传；代码输错了就点“修改”。',
};
const SENT = { shop: '服务器已收到，进入审核。', binding: '已提交，待审核：审核通过后单位才绑定到这个地址。' };

export async function render([id]) {
  const draw = async () => {
    const item = await store.getItem(id);
    if (!item) {
      return show(h('p', { id: 'item-gone' }, `这条记录已不在手机上：已删除，或已上传超过 ${outbox.SENT_KEPT_DAYS} 天（可在“我的提交”中查看）。`),
        h('a', { class: 'button', href: '#/outbox' }, '待上传列表'));
    }
    const sent = item.state === 'sent';
    show(
      h('div', { class: `status-big ${sent ? 'sent' : ''}`, id: 'item-state', 'data-state': item.state },
        sent ? '已上传' : item.state === 'queued' || item.state === 'retry' || item.state === 'sending'
          ? '已保存，待上传' : outbox.STATES[item.state]),
      h('p', { class: 'muted', id: 'item-note' }, sent ? (item.body.revision ? '更正已收到，回到退回它的审核环节。' : SENT[item.kind])
        : outbox.waiting(item) ? '已保存在本机，有网络时自动上传；关闭应用也不会丢失。' : WAITS_ON_YOU[item.state]),
      refusal(item),
      h('div', { class: 'card' }, h('b', {}, item.label.title), h('div', { class: 'address' }, item.label.address),
        moveButton(item),
        outbox.changeable(item) && h('button', { class: 'small secondary change', id: 'change', onclick: () => change(item) }, '修改')),
      h('a', { class: 'button', href: '#/scan', id: 'scan-next' }, '继续扫码'),
      h('a', { class: 'button secondary', href: '#/outbox' }, '查看待上传'),
    );
  };
  await draw();
  return store.onChange(draw);
}
