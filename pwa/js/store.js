// Everything the phone keeps: the outbox (submissions waiting to upload, photos as binary), the
// draft being filled in, and small values (user, address pack, inbox). IndexedDB survives the app
// being closed, the phone restarting and app updates; stores are only ever added, never dropped.
import { openDB } from '../vendor/idb/index.js';

const DB_NAME = 'yibiao-field';
const DB_VERSION = 1;

let dbPromise = null;

export function db() {
  dbPromise ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(database) {
      if (!database.objectStoreNames.contains('outbox')) {
        database.createObjectStore('outbox', { keyPath: 'id' }).createIndex('createdAt', 'createdAt');
      }
      if (!database.objectStoreNames.contains('photos')) database.createObjectStore('photos', { keyPath: 'sha' });
      if (!database.objectStoreNames.contains('drafts')) database.createObjectStore('drafts', { keyPath: 'key' });
      if (!database.objectStoreNames.contains('meta')) database.createObjectStore('meta');
    },
  });
  return dbPromise;
}

export async function getMeta(key) { return (await db()).get('meta', key); }
export async function setMeta(key, value) { return (await db()).put('meta', value, key); }

export async function savePhoto(sha, blob) { return (await db()).put('photos', { sha, blob }); }
export async function getPhoto(sha) { return (await db()).get('photos', sha); }

export async function getDraft() { return (await db()).get('drafts', 'current'); }
export async function saveDraft(draft) { return (await db()).put('drafts', { ...draft, key: 'current', savedAt: Date.now() }); }
export async function dropDraft() { return (await db()).delete('drafts', 'current'); }
// Given up: the draft and the photos only it showed.
export async function discardDraft() {
  const draft = await getDraft();
  await dropDraft();
  if (draft) await forgetPhotos(draft.photos);
}

// A task's answer form as typed so far (tasks.js), one per task, among the small values.
const taskDraftKey = (id) => `task-draft/${id}`;
const TASK_DRAFTS = IDBKeyRange.bound('task-draft/', 'task-draft/\uffff');
export async function getTaskDraft(id) { return getMeta(taskDraftKey(id)); }
export async function saveTaskDraft(id, draft) { return setMeta(taskDraftKey(id), draft); }
export async function dropTaskDraft(id) { return (await db()).delete('meta', taskDraftKey(id)); }

export async function outboxItems() { return (await db()).getAllFromIndex('outbox', 'createdAt'); }
export async function getItem(id) { return (await db()).get('outbox', id); }
export async function putItem(item) {
  await (await db()).put('outbox', item);
  changed();
}

// The item marked as being sent, if it is still waiting in the outbox as `waiting(item)` says (it
// may have been taken back to be changed since the list was read); else null.
export async function claim(id, waiting) {
  const tx = (await db()).transaction('outbox', 'readwrite');
  const item = await tx.store.get(id);
  const ok = Boolean(item) && waiting(item);
  if (ok) await tx.store.put({ ...item, state: 'sending' });
  await tx.done;
  if (ok) changed();
  return ok ? { ...item, state: 'sending' } : null;
}

// An item taken out of the outbox to be changed, with the items waiting on it (a task's answer, a
// binding of its shop), in one transaction, so nothing can be sending it meanwhile. decide(item,
// following), synchronous, gives what they become ({ items: outbox items to keep or put in their
// place, draft, taskDrafts: { [task]: answer form } }; whatever `items` lacks goes), or null to leave
// them. Whether it was done.
export async function takeBack(id, decide) {
  const tx = (await db()).transaction(['outbox', 'drafts', 'meta'], 'readwrite');
  const outbox = tx.objectStore('outbox');
  const item = await outbox.get(id);
  const following = item ? (await outbox.getAll()).filter((i) => i.after === id) : [];
  const back = item ? decide(item, following) : null;
  if (back) {
    const items = back.items ?? [];
    const kept = new Set(items.map((i) => i.id));
    await Promise.all([back.draft && tx.objectStore('drafts').put({ ...back.draft, key: 'current', savedAt: Date.now() }),
      ...Object.entries(back.taskDrafts ?? {}).map(([task, form]) => tx.objectStore('meta').put(form, taskDraftKey(task))),
      ...[item, ...following].filter((i) => !kept.has(i.id)).map((i) => outbox.delete(i.id)),
      ...items.map((i) => outbox.put(i))]);
  }
  await tx.done;
  if (back) changed();
  return Boolean(back);
}

// An item deleted if may(item, allItems) still holds in the same transaction (it cannot have begun
// to go meanwhile), with the photos only it showed; whether it was.
export async function deleteItem(id, may) {
  const tx = (await db()).transaction('outbox', 'readwrite');
  const item = await tx.store.get(id);
  const ok = Boolean(item) && may(item, await tx.store.getAll());
  if (ok) await tx.store.delete(id);
  await tx.done;
  if (!ok) return false;
  await forgetPhotos(item.photos);
  changed();
  return true;
}

// Items and the photos only they showed (also any a crash left behind after an upload), in one go.
export async function deleteItems(items) {
  const tx = (await db()).transaction('outbox', 'readwrite');
  await Promise.all([...items.map((i) => tx.store.delete(i.id)), tx.done]);
  await forgetPhotos(items.flatMap((i) => i.photos));
  changed();
}

// Photos nobody waits for any more: no unsent item and no draft (the shop's or any task answer's)
// shows them. One photo can be in several places (the same picture chosen for two tasks at one
// address), so it goes only when the last of them lets it go.
export async function forgetPhotos(shas) {
  const tx = (await db()).transaction(['outbox', 'drafts', 'meta', 'photos'], 'readwrite');
  const [items, drafts, taskDrafts] = await Promise.all([tx.objectStore('outbox').getAll(),
    tx.objectStore('drafts').getAll(), tx.objectStore('meta').getAll(TASK_DRAFTS)]);
  const needed = new Set([...drafts, ...taskDrafts, ...items.filter((i) => i.state !== 'sent')].flatMap((d) => d.photos ?? []));
  await Promise.all([...shas.filter((sha) => !needed.has(sha)).map((sha) => tx.objectStore('photos').delete(sha)), tx.done]);
}

// Screens listen for outbox changes, in this tab and in others.
const channel = 'BroadcastChannel' in self ? new BroadcastChannel('yibiao-outbox') : null;
const listeners = new Set();
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function changed() {
  for (const fn of listeners) fn();
  channel?.postMessage('changed');
}
if (channel) channel.onmessage = () => { for (const fn of listeners) fn(); };
