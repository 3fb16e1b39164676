// The outbox: every submission is saved on the phone first and uploaded when the network and the
// server allow. The page owns it (no Background Sync: it drops items after a while and cannot be
// seen); the user sees each item's state and what failed and why.
//
// Upload order per item: its photos (skipped when the server has them), then the submission, or a
// task's answer (kind 'answer'). The server accepts each once by its id, so an upload cut off half
// way is simply sent again. An item `after` another (a task answered by a new submission, a binding
// of a shop collected on this phone) waits until that one is on the server.
import * as api from './api.js';
import * as store from './store.js';

export const STATES = {
  queued: '已保存，待上传',
  sending: '正在上传…',
  retry: '上传失败，稍后自动重试',
  login: '登录已过期，请重新登录后自动上传',
  confirm: '需要确认',
  failed: '未被接收，需要处理',
  sent: '已上传',
};
const WAITING = new Set(['queued', 'sending', 'retry', 'login']);
export const SENT_KEPT_DAYS = 7;
const FIRST_RETRY_S = 5;
const LAST_RETRY_S = 300;

export function pending(items) { return items.filter((i) => i.state !== 'sent'); }

// On its way: it goes by itself when the network and the server allow, nobody has to act.
export function waiting(item) { return WAITING.has(item.state); }

// A new submission (or, with kind 'answer' and its task, a task's answer), saved before anything is
// sent; the caller flushes once its draft is gone.
export async function enqueue(body, photos, label, { kind = body.kind, task = null, after = null } = {}) {
  const before = after ? await store.getItem(after) : null;
  const item = newItem(body, photos, label, { kind, task, after, createdAt: Math.max(Date.now(), (before?.createdAt ?? 0) + 1) });
  await store.putItem(item);
  return item;
}

function newItem(body, photos, label, { kind = body.kind, task = null, after = null, createdAt = Date.now() } = {}) {
  return { id: body.id, kind, task, after, body, photos, label, state: 'queued', attempts: 0, uploaded: [],
    error: null, nextAt: 0, createdAt, sentAt: null, result: null };
}

// A changed binding in place of item `id` (waiting on `after`, its shop on this phone), if that is
// still changeable (it cannot have begun to go meanwhile); a task's answer waiting on the old one
// names and waits on the new one. Whether it was.
export async function replace(id, body, label, after = null) {
  const copy = newItem(body, [], label, { after });
  return store.takeBack(id, (held, following) => (changeable(held) ? {
    items: [copy, ...following.map((answer, n) => ({ ...answer, after: copy.id, body: { ...answer.body, submission: copy.id },
      createdAt: copy.createdAt + 1 + n }))],
  } : null));
}

let running = null;
let again = null;
let timer = null;

// Upload what is due (everything waiting when `force`). One flush at a time in this page; a call
// during a flush (a submission made meanwhile) runs once more after it.
export function flush({ force = false } = {}) {
  if (running) {
    again = { force: force || Boolean(again?.force) };
    return running;
  }
  running = run(force).finally(() => {
    running = null;
    if (again) {
      const next = again;
      again = null;
      flush(next);
    }
  });
  return running;
}

async function run(force) {
  clearTimeout(timer);
  const all = await store.outboxItems();
  // Sent items stay a while as the officer's receipt, then leave the phone (the server keeps them);
  // items not sent are never dropped.
  const cutoff = Date.now() - SENT_KEPT_DAYS * 86_400_000;
  const old = all.filter((i) => i.state === 'sent' && i.sentAt < cutoff);
  if (old.length) await store.deleteItems(old);
  if (!navigator.onLine) return; // the 'online' event starts the next try
  const byId = new Map(all.map((i) => [i.id, i]));
  // Each item after the one it waits on, even when saved before it (a binding whose shop was changed).
  const depth = (i) => (byId.has(i.after) ? 1 + depth(byId.get(i.after)) : 0);
  const due = all.filter((i) => WAITING.has(i.state)).sort((a, b) => depth(a) - depth(b) || a.createdAt - b.createdAt);
  const changing = (await store.getDraft())?.id; // a shop taken back to be changed, its binding waiting
  for (const item of due) {
    if (!force && item.state !== 'sending' && item.nextAt > Date.now()) continue;
    if (item.after && byId.has(item.after) && byId.get(item.after).state !== 'sent') continue; // its submission first
    if (item.after && item.after === changing) continue;
    const stop = await send(item);
    if (stop) break;
  }
  schedule();
}

// Only on this phone: never tried (once a try has begun the server may have it, so the item is then
// corrected through review instead), turned down, or a binding whose move waits to be confirmed.
export function onPhoneOnly(item) {
  return item.state === 'failed' || item.state === 'confirm' || (item.state === 'queued' && item.attempts === 0);
}

export const TOO_LATE_TO_CHANGE = '这条已开始上传，不能再修改：审核时可被退回更正，或在“我的提交”中查看。';

// A shop or binding the officer may still change (a binding's move to confirm: the code is often
// mistyped). A returned submission's correction is changed through the inbox instead.
export function changeable(item) {
  return (item.kind === 'shop' || item.kind === 'binding') && !item.body.revision && onPhoneOnly(item);
}

// What the officer may delete: what is only on this phone, unless another item waits on it (a task's
// answer or a binding on its shop), which would then name what the server never gets.
export function deletable(item, items) { return onPhoneOnly(item) && !awaitedBy(item, items); }

// The item that waits for this one to be on the server (a task's answer or a binding on its shop), if any.
export function awaitedBy(item, items) { return items.find((i) => i.after === item.id); }

// Send one item; true when the others should wait too (no network, server trouble, signed out).
async function send(item) {
  const claimed = await store.claim(item.id, waiting);
  if (!claimed) return false; // taken back to be changed since the list was read
  Object.assign(item, claimed); // the list's copy too: an answer waiting on this item may go right after it
  try {
    for (const sha of item.photos) {
      if (item.uploaded.includes(sha)) continue;
      // A first try cannot have sent it; after a failure the server may already have it.
      if (!(item.attempts > 0 && await api.hasPhoto(sha))) {
        const photo = await store.getPhoto(sha);
        if (!photo) throw Object.assign(new Error('照片已不在手机上，请删除这条后重新采集'), { permanent: true });
        await api.putPhoto(sha, photo.blob);
      }
      item.uploaded.push(sha);
      await store.putItem(item);
    }
    item.result = item.kind === 'answer' ? await api.answerTask(item.task, item.body) : await api.submit(item.body);
    Object.assign(item, { state: 'sent', sentAt: Date.now(), error: null, fields: null });
    await store.putItem(item);
    await store.forgetPhotos(item.photos);
    return false;
  } catch (e) {
    item.attempts += 1;
    item.error = e.message;
    item.fields = Object.keys(e.fields ?? {}).length ? e.fields : null;
    if (e instanceof api.ApiError && e.status === 401) {
      item.state = 'login';
    } else if (e instanceof api.ApiError && e.transient) {
      item.state = 'retry';
      const backoff = Math.min(LAST_RETRY_S, FIRST_RETRY_S * 2 ** (item.attempts - 1));
      item.nextAt = Date.now() + 1000 * Math.max(e.retryAfter || 0, backoff * (0.8 + Math.random() * 0.4));
    } else if (e.code === 'binding.already_bound') {
      item.state = 'confirm';
    } else {
      item.state = 'failed';
    }
    await store.putItem(item);
    return item.state === 'retry' || item.state === 'login';
  }
}

function schedule() {
  store.outboxItems().then((items) => {
    const due = items.filter((i) => i.state === 'retry').map((i) => i.nextAt);
    if (due.length) timer = setTimeout(() => flush(), Math.max(1000, Math.min(...due) - Date.now()));
  });
}

// A binding the server wants confirmed (the organisation is bound elsewhere): confirm and resend.
export async function confirmMove(id) {
  const item = await store.getItem(id);
  item.body = { ...item.body, confirm_move: true };
  Object.assign(item, { state: 'queued', error: null, nextAt: 0 });
  await store.putItem(item);
  return flush({ force: true });
}

// Signed in again: items that waited for it go now.
export async function resumeAfterLogin() {
  for (const item of await store.outboxItems()) {
    if (item.state === 'login') await store.putItem({ ...item, state: 'queued', nextAt: 0 });
  }
  return flush({ force: true });
}
