// Verification tasks on the phone: the grid worker's open tasks as last fetched (the inbox keeps them
// for offline use), their answers in the outbox, the answer form's draft, and the rules an answer
// must meet (the server's, app/tasks/schemas.py AnswerIn, with its messages).
import * as outbox from './outbox.js';
import * as store from './store.js';
import { uuid } from './ui.js';

export const OUTCOMES = { confirmed: '核实无误', corrected: '已更正（新采集）', not_found: '现场未找到' };
export const MAX_PHOTOS = 5;
const SOON_MS = 24 * 3600 * 1000;

// The task as the inbox last fetched it, or null.
export async function cached(id) {
  return (await store.getMeta('inbox'))?.tasks?.find((t) => String(t.id) === String(id)) ?? null;
}

// A time the server sent; SQLite hands back UTC without a zone, which a browser would read as local.
export function serverTime(text) {
  return new Date(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
}

// [chip text, chip class] for when the task is due.
export function dueChip(task, now = Date.now()) {
  const due = serverTime(task.due_at).getTime();
  if (due < now) return ['已逾期', 'failed'];
  if (due - now < SOON_MS) return ['即将到期', 'queued'];
  return [task.status_label, ''];
}

export function dueText(task) {
  return serverTime(task.due_at).toLocaleString('zh-CN', { hour12: false, year: 'numeric', month: 'numeric',
    day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

// The task's latest answer in the outbox (a refused one stays until deleted), or null.
export function answerOf(taskId, items) {
  return items.filter((i) => i.kind === 'answer' && String(i.task) === String(taskId)).at(-1) ?? null;
}

// The reminder on the start screen: how many open tasks are not yet answered on this phone, and how
// many of those are due within a day or overdue; null when there are none.
export function reminder(tasks, items, now = Date.now()) {
  const open = tasks.filter((t) => !answerOf(t.id, items));
  if (!open.length) return null;
  const urgent = open.filter((t) => dueChip(t, now)[0] !== t.status_label).length;
  return { open: open.length, urgent, text: `核查任务 ${open.length} 个` + (urgent ? `，${urgent} 个即将到期或已逾期` : '') };
}

// What the inbox says of a task whose answer is on the phone: [chip text, chip class], or null.
export function answerChip(answer) {
  if (!answer) return null;
  if (answer.state === 'sent') return ['已答复', 'sent'];
  return outbox.waiting(answer) ? ['答复待上传', 'queued'] : ['答复未被接收', 'failed'];
}

// {field: message} of what keeps `answer` ({outcome, note, photos}) from being sent.
export function problems({ outcome, note, photos }) {
  const found = {};
  const text = (note ?? '').trim();
  if (!OUTCOMES[outcome]) found.outcome = '请选择核查结果';
  if (text.length > 500) found.note = '说明最多 500 个字';
  if (outcome === 'not_found' && !text) found.note = '请说明现场情况（如：门店已关闭、地址不存在）';
  if ((outcome === 'confirmed' || outcome === 'not_found') && !photos.length) {
    found.photos = '请拍一张现场照片（核实无误或未找到都需要照片为证）';
  }
  return found;
}

// The answer form as typed so far, kept on the phone (the camera app may close this page).
export async function getDraft(id) {
  return (await store.getTaskDraft(id)) ?? { outcome: null, note: '', photos: [] };
}

// Queue the answer (its photos upload first, like a submission's). A correction's answer waits in
// the outbox until `after`, the submission it names, is on the server.
export async function enqueueAnswer(task, { outcome, note = '', photos = [], submission = null, position = null }) {
  const body = { id: uuid(), outcome, note: note.trim() || null, photos, submission, position,
    answered_at: new Date().toISOString() };
  const item = await outbox.enqueue(body, photos, { title: `核查答复：${task.title}`, address: task.address_text },
    { kind: 'answer', task: task.id, after: submission });
  await store.dropTaskDraft(task.id);
  return item;
}

// A submission made on the task's address to correct it: its answer follows it in the outbox, with
// whatever note and photos the answer form held.
export async function enqueueCorrection(taskId, submissionId) {
  const task = await cached(taskId);
  const queued = answerOf(taskId, await store.outboxItems());
  if (!task || (queued && queued.state !== 'failed')) return queued; // answered already: one answer a task
  const draft = await getDraft(taskId);
  return enqueueAnswer(task, { outcome: 'corrected', note: draft.note, photos: draft.photos, submission: submissionId });
}
