// A verification task on site: what to check and where, then the answer (核实无误 / 已更正 / 现场未找到)
// with a note and a photo, saved in the outbox like a submission. "已更正" is answered by collecting a
// shop or binding a business at the address (site.js carries the task there); that submission's
// answer follows it in the outbox. Opens with no network: the task comes from the inbox kept on the phone.
import { refusal } from '../forms.js';
import { locate } from '../geo.js';
import * as outbox from '../outbox.js';
import { cameraInput, removablePreview } from '../photo.js';
import * as store from '../store.js';
import * as tasks from '../tasks.js';
import { field, go, h, saving, show } from '../ui.js';

const HINTS = {
  confirmed: '现场与记录一致，拍照为证',
  corrected: '与记录不符：在该地址重新采集门店或绑定单位',
  not_found: '现场找不到，说明情况并拍照',
};

export async function render([id]) {
  let shown = null;
  let again = false; // answering anew after the server refused the last answer
  let position = null;
  const draw = async () => {
    const answer = tasks.answerOf(id, await store.outboxItems());
    const showing = answer && !(again && answer.state === 'failed')
      ? JSON.stringify([answer.id, answer.state, answer.error]) : 'form';
    if (showing === shown) return; // leave what is being typed alone
    shown = showing;
    const task = await tasks.cached(id);
    if (showing !== 'form') return answered(task, answer, () => { again = true; draw(); });
    if (!task) {
      show(h('h1', {}, '核查任务'), h('p', {}, '这项任务已不在待核查列表中（可能已完成，或不在您的网格）。'),
        h('a', { class: 'button', href: '#/inbox' }, '返回任务列表'));
      return;
    }
    if (!position) locate().then((p) => { if (!p.error) position = p; });
    await answerForm(task, await tasks.getDraft(id), () => position);
  };
  await draw();
  return store.onChange(draw);
}

function about(task, actions = true) {
  const [chip, state] = tasks.dueChip(task);
  return [
    h('h1', {}, task.title),
    h('p', {}, h('span', { class: `chip ${state}`, id: 'task-due' }, chip), ' ', h('span', { class: 'muted' }, task.kind_label)),
    h('div', { class: 'card' },
      h('div', { class: 'address', id: 'task-address' }, task.address_text),
      task.detail && h('p', { id: 'task-detail' }, task.detail),
      h('p', { class: 'muted' }, `请于 ${tasks.dueText(task)} 前完成核查`)),
    task.photo_sha256 && navigator.onLine && h('img', { class: 'photo-preview', src: `/api/v1/photos/${task.photo_sha256}`,
      alt: '任务附带的照片', onerror: (e) => e.target.remove() }),
    actions && task.door_plate_code && h('div', { class: 'row' },
      h('a', { class: 'button', id: 'task-scan', href: `#/scan?task=${task.id}` }, '扫码核对'),
      h('a', { class: 'button secondary', id: 'task-site', href: `#/site/${task.door_plate_code}?task=${task.id}` }, '打开该地址')),
  ];
}

async function answerForm(task, draft, position) {
  const save = () => store.saveTaskDraft(task.id, draft);
  const outcomeError = h('p', { class: 'error', id: 'outcome-error', 'aria-live': 'polite' });
  const choices = Object.entries(tasks.OUTCOMES).map(([value, text]) => {
    const input = h('input', { type: 'radio', name: 'outcome', value, checked: draft.outcome === value });
    input.addEventListener('change', () => { draft.outcome = value; save(); outcomeError.textContent = ''; shape(); });
    return h('label', { class: 'choice' }, input, h('span', {}, h('b', {}, text), h('small', {}, HINTS[value])));
  });
  const note = h('textarea', { name: 'note', rows: 3, maxlength: 500, placeholder: '如：门牌已更换、门店已关闭、地址不存在' });
  note.value = draft.note ?? '';
  note.addEventListener('input', () => { draft.note = note.value; save(); });
  const noteField = field('情况说明', note, (x) => tasks.problems({ ...draft, note: x }).note ?? null);

  const previews = h('div', { id: 'task-photos' });
  const addPreview = async (sha) => {
    const photo = await store.getPhoto(sha);
    if (!photo) return;
    previews.append(removablePreview(photo, '现场照片', async () => {
      draft.photos = draft.photos.filter((s) => s !== sha);
      await save();
      photoLabel();
    }));
  };
  for (const sha of draft.photos) await addPreview(sha);
  const photosError = h('p', { class: 'error', id: 'photos-error', 'aria-live': 'polite' });
  const input = cameraInput('task-photo-input', photosError, async (sha) => {
    if (!draft.photos.includes(sha)) {
      draft.photos = [...draft.photos, sha];
      await save();
      await addPreview(sha);
    }
    photoLabel();
  });
  const takeText = h('span');
  const take = h('label', { class: 'button secondary file-button', for: 'task-photo-input' }, takeText, input);
  const photoLabel = () => {
    takeText.textContent = draft.photos.length ? '再拍一张' : '拍现场照片';
    take.hidden = draft.photos.length >= tasks.MAX_PHOTOS;
  };
  photoLabel();

  const correct = h('div', { class: 'card', id: 'correct-box' },
    task.door_plate_code
      ? [h('p', {}, '到该地址采集门店或绑定单位。提交后，本任务自动答复为“已更正”，随那份采集一起上传。'),
        h('button', { id: 'go-correct', onclick: () => go(`#/site/${task.door_plate_code}?task=${task.id}`) },
          '去更正：采集门店 / 绑定单位')]
      : h('p', { class: 'error' }, '这项任务没有门牌地址，无法在手机上更正：请选择其他结果。'));
  const submit = h('button', { id: 'answer-submit', onclick: async () => {
    const found = tasks.problems({ ...draft, note: note.value });
    outcomeError.textContent = found.outcome ?? '';
    photosError.textContent = found.photos ?? '';
    noteField.validate();
    if (found.outcome || found.note) (found.outcome ? choices[0].querySelector('input') : note).focus();
    else if (found.photos) take.scrollIntoView({ block: 'center' });
    if (Object.keys(found).length) return;
    await saving(submit, async () => {
      await tasks.enqueueAnswer(task, { outcome: draft.outcome, note: note.value, photos: draft.photos, position: position() });
      outbox.flush();
    });
  } }, '提交答复');
  const photosLabel = h('label', { for: 'task-photo-input' }, '现场照片');
  const shape = () => {
    const correcting = draft.outcome === 'corrected';
    correct.hidden = !correcting;
    submit.hidden = correcting;
    const needed = tasks.problems({ outcome: draft.outcome, note: '', photos: [] });
    noteField.el.querySelector('label').textContent = `情况说明${needed.note ? '（必填）' : '（选填）'}`;
    photosLabel.textContent = `现场照片${needed.photos ? '（必填）' : '（选填）'}`;
    if (noteField.error.textContent) noteField.validate();
  };
  shape();
  show(...about(task),
    h('h2', {}, '核查结果'),
    h('div', { class: 'choices', role: 'radiogroup', 'aria-label': '核查结果' }, choices), outcomeError,
    noteField.el,
    photosLabel, previews, take, photosError,
    correct, submit,
    h('a', { class: 'button secondary', href: '#/inbox' }, '返回任务列表'));
}

// The answer is on the phone or on the server: its state, and what to do if it was refused.
function answered(task, answer, answerAgain) {
  const sent = answer.state === 'sent';
  const waitsForSubmission = answer.after && outbox.waiting(answer);
  show(
    task ? about(task, answer.state === 'failed') : h('h1', {}, answer.label.title),
    h('div', { class: `status-big ${sent ? 'sent' : ''}`, id: 'task-state', 'data-state': answer.state },
      sent ? '已上传' : outbox.waiting(answer) ? '已保存，待上传' : outbox.STATES[answer.state]),
    h('p', { class: 'muted', id: 'task-note' }, sent ? '答复已收到，任务已完成。'
      : waitsForSubmission ? '已保存在本机：在更正的采集上传之后自动上传。'
        : outbox.waiting(answer) ? '已保存在本机，有网络时自动上传；关闭应用也不会丢失。' : ''),
    refusal(answer, 'task-error'),
    h('div', { class: 'card' },
      h('p', {}, '核查结果：', h('b', { id: 'task-outcome' }, tasks.OUTCOMES[answer.body.outcome])),
      answer.body.note && h('p', {}, answer.body.note),
      answer.photos.length > 0 && h('p', { class: 'muted' }, `${answer.photos.length} 张现场照片`)),
    answer.state === 'failed' && task && h('button', { class: 'secondary', onclick: answerAgain }, '重新答复'),
    h('a', { class: 'button secondary', href: '#/outbox' }, '查看待上传'),
    h('a', { class: 'button secondary', href: '#/inbox' }, '返回任务列表'),
  );
}
