// Reading the QR code on a door plate with the phone's back camera.
//
// The decoder is the browser's own BarcodeDetector where it reads QR codes (Android Chrome, recent
// Safari); elsewhere the vendored barcode-detector ponyfill, whose ZXing WebAssembly is fetched from
// our own origin (never a CDN) and only once a scan starts. Errors reach the caller as one Chinese
// sentence through onError; startScanner itself does not throw.

const SCAN_INTERVAL_MS = 150;
const MAX_FAILED_DETECTIONS = 20; // in a row: the decoder is broken, not just between frames
const WASM_URL = new URL('../vendor/zxing-wasm/zxing_reader.wasm', import.meta.url).href;
// One object for the life of the page: the ponyfill compares overrides to decide whether to reload.
const ZXING_OVERRIDES = {
  locateFile: (path, prefix) => (path.endsWith('.wasm') ? WASM_URL : prefix + path),
};

const MANUAL = '或手动输入门牌下方的编码';
const MESSAGES = {
  denied: `无法使用摄像头：请在浏览器设置中允许本站使用相机，${MANUAL}`,
  insecure: `无法使用摄像头：扫码需要通过 HTTPS（或本机 localhost）打开本站，请改用 HTTPS 地址，${MANUAL}`,
  noCamera: `没有找到可用的摄像头，请手动输入门牌下方的编码`,
  busy: `摄像头正被其他应用占用：请关闭其他使用相机的应用后重试，${MANUAL}`,
  camera: `无法打开摄像头，请重试，${MANUAL}`,
  decoder: `扫码组件加载失败：请检查网络后刷新页面重试，${MANUAL}`,
  ended: `摄像头已关闭（手机切换到了其他应用，或相机被占用）：请点“重新扫描”，${MANUAL}`,
};

let detectorPromise = null;

async function nativeReadsQr() {
  if (!('BarcodeDetector' in window)) return false;
  try {
    return (await window.BarcodeDetector.getSupportedFormats()).includes('qr_code');
  } catch {
    return false;
  }
}

async function createDetector() {
  if (await nativeReadsQr()) return new window.BarcodeDetector({ formats: ['qr_code'] });
  const ponyfill = await import('../vendor/barcode-detector/ponyfill.js');
  try {
    // fireImmediately: fetch and instantiate the wasm now, so a failure shows here and not mid-scan.
    await ponyfill.prepareZXingModule({ overrides: ZXING_OVERRIDES, fireImmediately: true });
  } catch (err) {
    ponyfill.purgeZXingModule(); // else the failed instantiation stays cached for the next try
    throw err;
  }
  return new ponyfill.BarcodeDetector({ formats: ['qr_code'] });
}

// The detector, created once per page; a failed load is retried on the next call.
function getDetector() {
  detectorPromise ??= createDetector().catch((err) => {
    detectorPromise = null;
    throw err;
  });
  return detectorPromise;
}

function cameraMessage(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
      return MESSAGES.denied;
    case 'SecurityError':
      return MESSAGES.insecure;
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return MESSAGES.noCamera;
    case 'NotReadableError':
    case 'TrackStartError':
      return MESSAGES.busy;
    default:
      return MESSAGES.camera;
  }
}

function firstQr(barcodes) {
  const qr = barcodes.find((b) => b.format === 'qr_code' && b.rawValue);
  return qr ? qr.rawValue : null;
}

/**
 * Shows the back camera in `videoElement` and looks for a QR code about every 150 ms.
 * onCode(rawValue) is called once, for the first QR code read; the detection loop then ends and
 * the camera stays on until the caller calls stop(). onError(message) gets a Chinese sentence when
 * the camera or the decoder cannot be used (the camera is then released).
 * Resolves to { stop() }, which ends the loop and releases the camera; calling it twice is harmless.
 */
export async function startScanner(videoElement, { onCode = () => {}, onError = () => {} } = {}) {
  let stopped = false;
  let timer = null;
  let stream = null;

  function stop() {
    stopped = true;
    clearTimeout(timer);
    if (stream) {
      for (const track of stream.getTracks()) track.stop();
      if (videoElement.srcObject === stream) videoElement.srcObject = null;
    }
  }
  const handle = { stop };

  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    onError(MESSAGES.insecure);
    return handle;
  }

  // The decoder loads while the user answers the permission prompt.
  const detectorReady = getDetector();
  detectorReady.catch(() => {}); // handled below; not an unhandled rejection if the camera fails first

  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'environment', width: { ideal: 1280 } },
      audio: false,
    });
  } catch (err) {
    onError(cameraMessage(err));
    return handle;
  }
  if (stopped) {
    stop(); // stop() was called while the permission prompt was open
    return handle;
  }

  // The phone may take the camera away (iOS ends it when the app goes to the background, another
  // app may claim it): the picture would freeze with no word, so say so.
  for (const track of stream.getVideoTracks()) {
    track.addEventListener('ended', () => {
      if (stopped) return;
      stop();
      onError(MESSAGES.ended);
    });
  }

  // iOS Safari plays a camera stream inline only when the video is muted and playsinline.
  videoElement.muted = true;
  videoElement.playsInline = true;
  videoElement.autoplay = true;
  videoElement.setAttribute('playsinline', '');
  videoElement.setAttribute('muted', '');
  videoElement.setAttribute('autoplay', '');
  videoElement.srcObject = stream;
  videoElement.play().catch(() => {}); // autoplay starts it if this call is refused

  let detector;
  try {
    detector = await detectorReady;
  } catch {
    stop();
    onError(MESSAGES.decoder);
    return handle;
  }

  let failures = 0;
  async function scan() {
    if (stopped) return;
    const started = performance.now();
    let value = null;
    if (videoElement.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && videoElement.videoWidth > 0) {
      try {
        value = firstQr(await detector.detect(videoElement));
        failures = 0;
      } catch {
        failures += 1; // a frame that is not ready yet; many in a row means a broken decoder
        if (failures >= MAX_FAILED_DETECTIONS) {
          stop();
          onError(MESSAGES.decoder);
          return;
        }
      }
    }
    if (stopped) return;
    if (value !== null) {
      onCode(value);
      return;
    }
    timer = setTimeout(scan, Math.max(0, SCAN_INTERVAL_MS - (performance.now() - started)));
  }
  scan();
  return handle;
}

/**
 * The camera of a screen that reads QR codes: start() opens it (again), letting go of what an earlier
 * start() opened, even one still waiting on the permission prompt; stop() lets it go (a code was read);
 * close() lets it go for good (the screen is left). A phone put away while the camera reads lets it go
 * (its light, the battery, another app wanting it) and opens it again on return; one stopped by a code
 * or an error stays stopped. onCode and onError as for startScanner, from the latest start() only.
 */
export function screenCamera(videoElement, { onCode = () => {}, onError = () => {} } = {}) {
  let opened = 0; // counts start() and stop(); an opening that is no longer the latest lets go at once
  let scanner = null;
  let looking = false;
  let paused = false;
  let closed = false;

  function stop() {
    opened += 1;
    looking = false;
    scanner?.stop();
  }
  async function start() {
    if (closed) return;
    stop();
    const mine = opened;
    looking = true;
    paused = false;
    const handle = await startScanner(videoElement, {
      onCode: (text) => { if (mine === opened) { looking = false; onCode(text); } },
      onError: (message) => { if (mine === opened) { looking = false; onError(message); } },
    });
    if (mine === opened) scanner = handle;
    else handle.stop();
  }
  function onVisibility() {
    if (document.visibilityState === 'hidden') {
      if (looking) {
        stop();
        paused = true;
      }
    } else if (paused) {
      start();
    }
  }
  document.addEventListener('visibilitychange', onVisibility);
  return {
    start,
    stop,
    close() {
      closed = true;
      document.removeEventListener('visibilitychange', onVisibility);
      stop();
    },
  };
}
