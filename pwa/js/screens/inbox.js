// Verification tasks in my grids (to check on site; one answered on this phone says so until the
// server no longer lists it), then my submissions as the server has them:
// returned for correction first, with the reviewer's reason and comments per field, and the button to
// correct them. A correction still on the phone shows as waiting to upload (the server only learns of
// it when the outbox sends it). Both are kept on the phone for when there is no network.
import * as api from '../api.js';
import { label } from '../forms.js';
import * as outbox from '../outbox.js';
import * as store from '../store.js';
import * as tasks from '../tasks.js';
import { go, h, show } from '../ui.js';

const KEPT = '离线：显示上次联网时的内容';
const ORDER = { returned: 0, rejected: 1, submitted: 2, in_review: 3, approved: 4 };

export async function render() {
  let list = (await store.getMeta('inbox')) ?? null;
  let loading = navigator.onLine;
  let note = !loading && list ? KEPT : '';
  let gone = false;
  const load = async () => {
    try {
      const [items, tasks] = await Promise.all([api.mySubmissions(), api.myTasks()]);
      list = { items, tasks, at: Date.now() };
      await store.setMeta('inbox', list);
      note = '';
    } catch (e) {
      if (!e.offline) note = e.message;
      else if (list) note = KEPT;
    }
  };
  let sent = null;
  const draw = async () => {
    const outboxItems = await store.outboxItems();
    const corrections = new Map(outboxItems.filter((i) => i.body.revision).map((i) => [i.id, i]));
    const answers = outboxItems.filter((i) => i.kind === 'answer');
    const before = sent;
    sent = [...corrections.values(), ...answers].filter((i) => i.state === 'sent').length;
    if (before !== null && sent > before) await load(); // a correction or an answer arrived: the server has a new status
    const items = [...(list?.items ?? [])].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9));
    const fix = (s) => (corrections.get(s.id)?.body.revision === s.version ? corrections.get(s.id) : null);
    const returned = items.filter((s) => toCorrect(s, fix(s))).length;
    const open = list?.tasks ?? [];
    if (gone) return; // the user has moved on while this was read: the answer is kept, not shown
    const empty = list ? '还没有提交' : !loading && '离线，且尚未联网获取过';
    show(
      (loading || note) && h('p', { class: 'muted', id: 'inbox-note' }, loading ? '正在从服务器更新…' : note),
      open.length > 0 && h('h1', {}, `核查任务（${open.length}）`),
      open.length > 0 && h('ul', { class: 'list', id: 'tasks' }, open.map((t) => taskRow(t, tasks.answerOf(t.id, answers)))),
      h('h1', {}, '我的提交'),
      returned > 0 && h('p', { class: 'error' }, `${returned} 条被退回，需要更正`),
      items.length ? h('ul', { class: 'list', id: 'inbox' }, items.map((s) => row(s, fix(s))))
        : empty && h('p', { class: 'muted' }, empty),
    );
  };
  // What the phone kept, at once; the server's list when it answers (with one bar of signal, a while).
  await draw();
  if (loading) load().then(() => { loading = false; return draw(); });
  const stop = store.onChange(draw);
  return () => { gone = true; stop(); };
}

function taskRow(t, answer) {
  const [due, dueState] = tasks.dueChip(t);
  const answered = tasks.answerChip(answer);
  return h('li', { class: 'item', 'data-task': t.id },
    h('b', {}, t.title), ' ', h('span', { class: `chip ${dueState}` }, due),
    h('div', { class: 'muted' }, t.address_text),
    t.detail && h('p', {}, t.detail),
    h('div', { class: 'muted' }, `${t.kind_label} · 请于 ${tasks.dueText(t)} 前到现场核查`),
    answered ? h('p', {}, h('span', { class: `chip ${answered[1]}`, 'data-answer': answer.state }, answered[0]))
      : h('button', { class: 'small', 'data-task-open': t.id, onclick: () => go(`#/task/${t.id}`) }, '核查'),
    !answered && t.door_plate_code && h('button', { class: 'small secondary', onclick: () => go(`#/site/${t.door_plate_code}`) },
      '打开该地址'));
}

// Returned, and no correction of it is on its way (one the server refused needs another).
function toCorrect(s, fix) {
  return s.status === 'returned' && !(fix && (fix.state === 'sent' || outbox.waiting(fix)));
}

function row(s, fix) {
  const [chip, state] = !fix ? [s.status_label, s.status] : fix.state === 'sent' ? ['更正已上传', 'sent']
    : outbox.waiting(fix) ? ['更正待上传', 'queued'] : ['更正未被接收', 'failed'];
  return h('li', { class: 'item', 'data-id': s.id, 'data-status': s.status },
    h('b', {}, s.data.shop_name ?? s.data.name ?? s.kind_label), ' ', h('span', { class: `chip ${state}` }, chip),
    h('div', { class: 'muted' }, s.address_text),
    (s.status === 'returned' || s.status === 'rejected') && s.reason
      && h('p', { class: 'reason' }, `${s.status === 'returned' ? '退回' : '不通过'}理由：${s.reason}`),
    s.status === 'returned' && Object.entries(s.comments ?? {}).map(([name, comment]) =>
      h('p', { class: 'comment', 'data-field': name }, h('b', {}, `${label(name)}：`), comment)),
    fix && state === 'failed' && h('p', { class: 'error' }, fix.error),
    toCorrect(s, fix) && h('button', { class: 'small', 'data-correct': s.id, onclick: () => go(`#/correct/${s.id}`) }, '更正'));
}
