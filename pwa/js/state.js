// What every screen may read: the signed-in user (kept on the phone for offline use), the app's
// version and whether the address pack could be fetched.
import * as pack from './pack.js';

export const app = { user: null, signedOut: false, version: null, packError: null };

export function can(permission) { return Boolean(app.user?.permissions?.includes(permission)); }

export async function refreshPack() {
  try {
    await pack.refresh();
    app.packError = null;
  } catch (e) {
    if (!e.offline && e.status !== 401) app.packError = e.message;
  }
}
