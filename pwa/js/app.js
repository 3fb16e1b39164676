// The field app: start-up, the signed-in user, the network badge, the service worker and routing.
import * as api from './api.js';
import * as outbox from './outbox.js';
import * as pack from './pack.js';
import * as bind from './screens/bind.js';
import * as collect from './screens/collect.js';
import * as correct from './screens/correct.js';
import * as home from './screens/home.js';
import * as inbox from './screens/inbox.js';
import * as item from './screens/item.js';
import * as queue from './screens/queue.js';
import * as scan from './screens/scan.js';
import * as site from './screens/site.js';
import * as task from './screens/task.js';
import { app, refreshPack, refreshStalePack } from './state.js';
import * as store from './store.js';
import { h, route } from './ui.js';

const SCREENS = { '': home, scan, site, collect, bind, outbox: queue, inbox, item, correct, task };
let leave = null;
let asked = 0;

async function render() {
  const { name, args, query } = route();
  const screen = SCREENS[name] ?? home;
  const mine = ++asked;
  if (leave) leave();
  leave = null;
  for (const tab of document.querySelectorAll('.tabs a')) tab.classList.toggle('active', tab.dataset.tab === name);
  const stop = (await screen.render(args, query)) || null;
  if (mine === asked) leave = stop;
  else stop?.(); // another screen was asked for while this one opened: it lets go at once (a camera, a listener)
}

async function refreshSession() {
  try {
    const { user } = await api.session();
    app.signedOut = !user;
    if (user) {
      app.user = user;
      await store.setMeta('user', user);
      await outbox.resumeAfterLogin();
    }
  } catch { /* offline: the user kept on the phone stands */ }
  showSignedOut();
}

function showSignedOut() {
  const banner = document.getElementById('banner');
  if (app.signedOut && app.user) {
    banner.replaceChildren('登录已过期：已保存的采集不会丢失，重新登录后自动上传。',
      h('a', { class: 'button small', href: api.loginUrl('/app/#/outbox') }, '重新登录'));
    banner.hidden = false;
  } else if (!banner.dataset.update) {
    banner.hidden = true;
  }
}

function showNetwork() {
  const net = document.getElementById('net');
  net.textContent = navigator.onLine ? '在线' : '离线';
  net.classList.toggle('offline', !navigator.onLine);
}

async function showBadge() {
  const waiting = outbox.pending(await store.outboxItems()).length;
  const badge = document.getElementById('badge');
  badge.hidden = waiting === 0;
  badge.querySelector('b').textContent = waiting;
}

async function startWorker() {
  if (!('serviceWorker' in navigator)) return;
  const registration = await navigator.serviceWorker.register('sw.js');
  let updating = false;
  const offer = () => {
    const banner = document.getElementById('banner');
    banner.dataset.update = '1';
    banner.replaceChildren('新版本已下载（待上传的数据不受影响）。',
      h('button', { class: 'small', id: 'update', onclick: () => {
        updating = true;
        registration.waiting?.postMessage('skip-waiting');
      } }, '立即更新'));
    banner.hidden = false;
  };
  if (registration.waiting && navigator.serviceWorker.controller) offer();
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && navigator.serviceWorker.controller) offer();
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => { if (updating) location.reload(); });
  await showVersion();
}

// The worker's version on the home screen, whenever it answers: a worker just woken may take more
// than a second, and nothing waits for it.
async function showVersion() {
  const worker = (await navigator.serviceWorker.ready).active;
  const channel = new MessageChannel();
  channel.port1.onmessage = (e) => {
    app.version = e.data;
    const shown = document.getElementById('version');
    if (shown) shown.textContent = `版本 ${app.version}`;
  };
  worker.postMessage('version', [channel.port2]);
}

async function boot() {
  showNetwork();
  // Ask the browser never to clear the outbox to free space (granted to installed apps).
  navigator.storage?.persist?.().catch(() => {});
  app.user = (await store.getMeta('user')) ?? null;
  await pack.load();
  startWorker().catch(() => {});
  store.onChange(showBadge);
  showBadge();
  window.addEventListener('hashchange', render);
  window.addEventListener('offline', showNetwork);
  window.addEventListener('online', async () => {
    showNetwork();
    await refreshSession();
    outbox.flush({ force: true });
    refreshPack();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible') return;
    outbox.flush();
    refreshStalePack();
  });
  if (navigator.onLine) {
    await refreshSession();
    if (!pack.ready()) await refreshPack();
    else refreshPack();
  }
  await render();
  outbox.flush();
}

boot();
