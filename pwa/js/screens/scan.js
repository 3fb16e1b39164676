// Step 1: scan the door plate's QR code, or type the code under it, or search the address.
import * as api from '../api.js';
import * as pack from '../pack.js';
import { screenCamera } from '../scanner.js';
import { refreshPack } from '../state.js';
import { go, h, show } from '../ui.js';

const TOKEN = /\/p\/([A-Za-z0-9_-]{16})(?:[?#/]|$)/;

export async function render(args, query) {
  const task = query.get('task') ? `&task=${encodeURIComponent(query.get('task'))}` : ''; // checking a task's plate
  const video = h('video', { playsinline: true, muted: true, autoplay: true, 'aria-label': '摄像头画面' });
  const message = h('p', { class: 'muted', id: 'scan-message', 'aria-live': 'polite' }, '将门牌上的二维码对准取景框');
  const input = h('input', { name: 'q', id: 'manual', inputmode: 'search', autocomplete: 'off',
    placeholder: '门牌下方的 21 位编码，或 路名+门牌号' });
  const results = h('ul', { class: 'list', id: 'results' });
  const camera = screenCamera(video, { onCode: (text) => found(text), onError: (m) => { message.replaceChildren(m, ' ', again()); } });

  const found = async (text) => {
    message.textContent = '已识别，正在查找地址…';
    const code = await resolve(text.trim());
    if (!message.isConnected) return; // the officer went elsewhere while the server looked the plate up
    camera.stop();
    if (code) {
      go(`#/site/${code}?token=${tokenOf(text) ?? ''}${task}`);
    } else {
      message.replaceChildren(navigator.onLine ? '这个二维码不是本辖区的门牌，请核对后手动输入。'
        : '地址包中没有这个门牌：请联网后更新地址包，或手动搜索。', again());
    }
  };
  const start = () => {
    message.textContent = '将门牌上的二维码对准取景框';
    return camera.start();
  };
  const again = () => h('button', { class: 'small secondary', id: 'scan-again', onclick: start }, '重新扫描');
  input.addEventListener('input', () => {
    results.replaceChildren(...pack.search(input.value).map((p) => h('li', {},
      h('button', { class: 'pick', onclick: () => go(`#/site/${p.code}?${task.slice(1)}`) }, `${p.road}${p.number}号`))));
  });
  show(h('h1', {}, '扫门牌二维码'), video, message,
    h('label', { for: 'manual' }, '扫不出来？手动输入或搜索'), input, results,
    !pack.ready() && h('p', { class: 'error' }, '离线地址包尚未下载：请联网后打开本应用'));
  await start();
  return () => camera.close();
}

function tokenOf(text) { return text.match(TOKEN)?.[1] ?? null; }

// The door plate code a scanned text means: a plate URL, or a typed object code; null if unknown.
async function resolve(text) {
  const token = tokenOf(text);
  let code = token ? pack.codeForToken(token) : (/^\d{21}$/.test(text) ? text : null);
  if (!code && token && navigator.onLine) {
    try {
      code = (await api.scanToken(token)).address.code;
      if (!pack.plateOf(code)) await refreshPack(); // a plate printed since the pack was fetched
    } catch { return null; }
  }
  return code ? pack.plateOf(code)?.code ?? null : null;
}
