// A storefront photo as the server wants it: upright, at most 2048 px on the long side, JPEG, and
// with no EXIF at all (drawing it on a canvas leaves the location and the camera data behind).
// The browser turns an <img> upright by its EXIF orientation before drawing it.
import * as store from './store.js';
import { h, notSaved } from './ui.js';

const MAX_PX = 2048;

// The camera button's input: each photo taken is prepared, kept on the phone and handed to
// `onPhoto(sha)`; `status` (a paragraph) says what is happening and what went wrong.
export function cameraInput(id, status, onPhoto) {
  const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', id, name: 'photo' });
  input.addEventListener('change', async () => {
    const file = input.files[0];
    if (!file) return;
    status.textContent = '正在处理照片…';
    try {
      const photo = await prepare(file);
      await store.savePhoto(photo.sha, photo.blob);
      status.textContent = '';
      await onPhoto(photo.sha);
    } catch (e) {
      status.textContent = e.name === 'QuotaExceededError' ? notSaved(e) : e.message;
      status.className = 'error';
    }
    input.value = '';
  });
  return input;
}

// A photo kept on the phone as it is being filled in, with a button that takes it out again (a
// blurred shot, the wrong shop): onRemove() takes it out of the draft, then the phone forgets it
// (in that order, so a draft never names a photo the phone no longer has).
export function removablePreview(photo, alt, onRemove) {
  const figure = h('figure', { class: 'photo' }, h('img', { class: 'photo-preview', src: URL.createObjectURL(photo.blob), alt }));
  figure.append(h('button', { type: 'button', class: 'small secondary remove-photo', onclick: async () => {
    await onRemove();
    await store.forgetPhotos([photo.sha]);
    figure.remove();
  } }, '删除这张'));
  return figure;
}

export async function prepare(file) {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = Math.min(1, MAX_PX / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(img.naturalWidth * scale);
    canvas.height = Math.round(img.naturalHeight * scale);
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('无法处理这张照片'))), 'image/jpeg', 0.85));
    return { blob, sha: await sha256(blob), width: canvas.width, height: canvas.height };
  } catch (e) {
    throw new Error(`无法读取这张照片，请重新拍摄（${e.message}）`);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function sha256(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
