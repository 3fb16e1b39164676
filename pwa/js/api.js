// The server, as the field app sees it. Every call says plainly what went wrong: network down,
// signed out, or the server's problem+json (code, detail and the fields at fault).

const BASE = '/api/v1';
let csrfToken = null;

export class ApiError extends Error {
  constructor(status, problem, offline = false) {
    const errors = problem?.errors || [];
    // A detail that only lists the fields by their API names ("room：…；photos：…") reads better as the
    // title, with each field under the name the user knows; a field saying what the detail says is not
    // said twice.
    const listing = errors.length > 0 && problem.detail === errors.map((e) => `${e.field}：${e.message}`).join('；');
    const message = (listing ? problem.title : problem?.detail) || problem?.title
      || (offline ? '网络不可用' : `服务器返回 ${status}`);
    super(message);
    this.status = status;
    this.code = problem?.code || (offline ? 'network' : `http.${status}`);
    this.fields = Object.fromEntries(errors.filter((e) => e.message !== message).map((e) => [e.field, e.message]));
    this.offline = offline;
    this.retryAfter = problem?.retry_after_s;
  }
  // Worth trying again later without anyone changing anything.
  get transient() { return this.offline || this.status >= 500 || this.status === 429 || this.status === 408; }
}

async function call(method, path, { json, body, headers = {}, allow = [] } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if (body !== undefined) {
    init.body = body;
  }
  if (method !== 'GET' && method !== 'HEAD') init.headers['X-CSRFToken'] = csrfToken ?? (await session()).csrf_token;
  let response;
  try {
    response = await fetch(BASE + path, init);
  } catch {
    throw new ApiError(0, null, true);
  }
  if (response.ok || allow.includes(response.status)) return response;
  let problem = null;
  try { problem = await response.json(); } catch { /* not JSON: a proxy's page */ }
  if (response.status === 400 && problem?.code === 'request.csrf' && !headers['X-Retry']) {
    csrfToken = null; // the session changed (signed in again): fetch a new token once
    return call(method, path, { json, body, headers: { ...headers, 'X-Retry': '1' }, allow });
  }
  const error = new ApiError(response.status, problem);
  if (!problem && response.headers.get('Retry-After')) error.retryAfter = Number(response.headers.get('Retry-After'));
  throw error;
}

// {user, csrf_token}; user is null when signed out.
export async function session() {
  const response = await call('GET', '/session');
  const data = await response.json();
  csrfToken = data.csrf_token;
  return data;
}

export async function pack(etag) {
  const response = await call('GET', '/collect/pack', { headers: etag ? { 'If-None-Match': etag } : {}, allow: [304] });
  if (response.status === 304) return null;
  return { etag: response.headers.get('ETag'), data: await response.json() };
}

export async function hasPhoto(sha) {
  const response = await call('HEAD', `/photos/${sha}`, { allow: [404] });
  return response.status === 200;
}

export async function putPhoto(sha, blob) {
  await call('PUT', `/photos/${sha}`, { body: blob, headers: { 'Content-Type': blob.type || 'image/jpeg' } });
}

export async function submit(body) {
  const response = await call('POST', '/submissions', { json: body });
  return response.json();
}

export async function mySubmissions() {
  return (await call('GET', '/submissions?limit=100')).json();
}

export async function myTasks() {
  return (await call('GET', '/tasks')).json();
}

export async function answerTask(taskId, body) {
  const response = await call('POST', `/tasks/${encodeURIComponent(taskId)}/answer`, { json: body });
  return response.json();
}

export async function scanToken(token) {
  return (await call('GET', `/plates/${encodeURIComponent(token)}`)).json();
}

export function loginUrl(next = location.pathname + location.hash) {
  return `/login?next=${encodeURIComponent(next)}`;
}
