// What every screen may read: the signed-in user (kept on the phone for offline use), the app's
// version and whether the address pack could be fetched.
import * as pack from './pack.js';

export const app = { user: null, signedOut: false, version: null, packError: null };

export function can(permission) { return Boolean(app.user?.permissions?.includes(permission)); }

let packAskedAt = 0;

// Could it not be fetched, the pack kept stands (and app.packError says why, unless offline).
export async function refreshPack() {
  packAskedAt = Date.now();
  try {
    await pack.refresh();
    app.packError = null;
  } catch (e) {
    if (!e.offline && e.status !== 401) app.packError = `地址包没有更新（${e.message}），手机上的地址包照常可用，请稍后再试`;
  }
}

// The pack is asked for again, at most every few minutes (the server answers 304 when nothing
// changed), when the app comes back to the screen and when a plate is opened: an app left open all
// day then shows the shops colleagues collected since, without being closed and opened again.
const PACK_CHECK_EVERY_MS = 5 * 60_000;
export async function refreshStalePack() {
  if (navigator.onLine && Date.now() - packAskedAt >= PACK_CHECK_EVERY_MS) await refreshPack();
}
