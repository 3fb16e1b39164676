// Small DOM helpers: build elements without innerHTML (names and addresses are user text).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function show(...children) {
  const view = document.getElementById('view');
  view.replaceChildren(...children.flat().filter(Boolean));
  window.scrollTo(0, 0);
  return view;
}

export function go(hash) { location.hash = hash; }

// The screen the address asks for: '#/site/4206…?token=…' is { name: 'site', args: ['4206…'], query }.
export function route() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, ...args] = path.split('/');
  return { name, args: args.map(decodeURIComponent), query: new URLSearchParams(query) };
}

// A labelled input checked by check(value) -> message or null. While it is typed in, a value that is
// only not finished yet (unfinished(value): too short so far) is not called wrong; leaving the field or
// submitting checks it in full.
export function field(label, input, check, unfinished = () => false) {
  const error = h('p', { class: 'error', 'aria-live': 'polite', id: `${input.name}-error` });
  input.setAttribute('aria-describedby', error.id);
  const show = (message) => {
    error.textContent = message || '';
    input.setAttribute('aria-invalid', message ? 'true' : 'false');
    return !message;
  };
  const validate = () => show(check ? check(input.value) : null);
  const typed = () => (unfinished(input.value) ? show(null) : validate());
  input.addEventListener('input', typed);
  input.addEventListener('blur', validate);
  return { el: h('div', {}, h('label', { for: input.id || (input.id = `f-${input.name}`) }, label), input, error),
    input, validate, typed, error };
}

// Check every field, showing each message; the first field at fault gets the focus.
export function validateAll(fields) {
  const ok = fields.map((f) => f.validate()).every(Boolean);
  if (!ok) document.querySelector('[aria-invalid="true"]')?.focus();
  return ok;
}

// A button that keeps something on the phone (the outbox): pressed, it waits; should the phone refuse
// to keep it (storage full), the message says so under the button, which can be pressed again. The
// draft is dropped only after the outbox has the item, so nothing is lost meanwhile.
export async function saving(button, action) {
  button.disabled = true;
  document.getElementById('save-error')?.remove();
  try {
    await action();
  } catch (e) {
    button.disabled = false;
    button.after(h('p', { class: 'error', id: 'save-error', role: 'alert' }, notSaved(e)));
  }
}

// What to tell the user when IndexedDB refused to keep something.
export function notSaved(e) {
  return e?.name === 'QuotaExceededError' ? '手机存储空间不足，没有保存：请清理手机空间（如不用的照片、视频）后再试一次。'
    : `没有保存到手机（${e?.message || e}），请再试一次。`;
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function when(ms) {
  return ms ? new Date(ms).toLocaleString('zh-CN', { hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '';
}
