// Start: who is signed in, the big scan button, a draft to continue, and the address pack.
import * as api from '../api.js';
import * as outbox from '../outbox.js';
import * as pack from '../pack.js';
import { app, refreshPack } from '../state.js';
import * as store from '../store.js';
import * as tasks from '../tasks.js';
import { h, show, when } from '../ui.js';

export async function render() {
  if (!app.user) {
    show(h('h1', {}, '一标三实采集'),
      h('p', {}, navigator.onLine ? '请先登录（使用系统账号）。' : '当前离线，且本机还没有登录过：请联网后登录。'),
      h('a', { class: 'button', href: api.loginUrl('/app/'), id: 'login' }, '登录'));
    return;
  }
  const [draft, items] = await Promise.all([store.getDraft(), store.outboxItems()]);
  const kept = (await store.getMeta('inbox'))?.tasks ?? [];
  const packError = h('p', { class: 'error', id: 'pack-error', hidden: !app.packError }, app.packError ?? '');
  const outboxLink = h('a', { class: 'button secondary', href: '#/outbox', id: 'outbox-link' }, waitingText(items));
  const status = h('p', { class: 'muted', id: 'pack-status' }, packStatus());
  show(
    h('h1', {}, `${app.user.display_name || app.user.username}，您好`),
    h('p', { class: 'muted' }, app.user.role_label),
    h('a', { class: 'button', href: '#/scan', id: 'start-scan' }, '扫门牌二维码'),
    draft && h('a', { class: 'button secondary', href: '#/collect', id: 'resume' }, '继续未完成的采集'),
    h('div', { id: 'task-reminder-slot' }, reminderLink(kept, items)),
    outboxLink,
    h('div', { class: 'card' },
      h('b', {}, '离线地址包'),
      status,
      packError,
      h('button', { class: 'secondary', onclick: async (e) => {
        e.target.disabled = true;
        e.target.textContent = '正在更新…';
        await refreshPack();
        e.target.disabled = false;
        e.target.textContent = '更新地址包';
        packError.textContent = app.packError ?? '';
        packError.hidden = !app.packError;
      } }, '更新地址包')),
    h('p', { class: 'version', id: 'version' }, `版本 ${app.version ?? '—'}`),
  );
  refreshReminder(items);
  // The pack fetched or confirmed, items uploaded, after this screen was drawn.
  const stops = [pack.onChange(() => { status.textContent = packStatus(); }),
    store.onChange(async () => { outboxLink.textContent = waitingText(await store.outboxItems()); })];
  return () => stops.forEach((stop) => stop());
}

function waitingText(items) {
  const waiting = outbox.pending(items).length;
  return waiting ? `待上传 ${waiting} 条` : '待上传（无）';
}

function packStatus() {
  if (!pack.ready()) return '尚未下载：联网后自动下载，下载后可离线扫码采集';
  const { plates, buildings } = pack.size();
  const checked = pack.confirmedAt() > pack.fetchedAt() ? `，${when(pack.confirmedAt())} 核对无变化` : '';
  return `${plates} 个门牌、${buildings} 栋楼，更新于 ${when(pack.fetchedAt())}${checked}`;
}

function reminderLink(open, items) {
  const due = tasks.reminder(open, items);
  return due && h('a', { class: `button ${due.urgent ? 'warn' : 'secondary'}`, href: '#/inbox', id: 'task-reminder' },
    due.text);
}

// With signal, the grid's open tasks fetched afresh (and kept with the inbox for offline use); the
// reminder is updated in place only while this screen still shows it (the user may have moved on).
async function refreshReminder(items) {
  if (!navigator.onLine) return;
  try {
    const fresh = await api.myTasks();
    await store.setMeta('inbox', { items: [], ...((await store.getMeta('inbox')) ?? {}), tasks: fresh });
    document.getElementById('task-reminder-slot')?.replaceChildren(reminderLink(fresh, items) || '');
  } catch {
    // offline after all, or signed out: the kept list stays
  }
}
