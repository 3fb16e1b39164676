// My submissions as the server has them: in review, approved, and returned for correction first.
import * as api from '../api.js';
import * as store from '../store.js';
import { h, show } from '../ui.js';

const ORDER = { returned: 0, rejected: 1, submitted: 2, in_review: 3, approved: 4, applied: 5 };

export async function render() {
  let list = (await store.getMeta('inbox')) ?? null;
  let note = '';
  try {
    list = { items: await api.mySubmissions(), at: Date.now() };
    await store.setMeta('inbox', list);
  } catch (e) {
    if (!e.offline) note = e.message;
    else if (list) note = '离线：显示上次联网时的内容';
  }
  const items = [...(list?.items ?? [])].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const returned = items.filter((s) => s.status === 'returned').length;
  show(
    h('h1', {}, '我的提交'),
    note && h('p', { class: 'muted' }, note),
    returned > 0 && h('p', { class: 'error' }, `${returned} 条被退回，需要更正`),
    items.length ? h('ul', { class: 'list', id: 'inbox' }, items.map((s) => h('li', { class: 'item', 'data-status': s.status },
      h('b', {}, s.data.shop_name ?? s.data.name ?? s.kind_label), ' ', h('span', { class: `chip ${s.status}` }, s.status_label),
      h('div', { class: 'muted' }, s.address_text))))
      : h('p', { class: 'muted' }, list ? '还没有提交' : '离线，且尚未联网获取过'),
  );
}
