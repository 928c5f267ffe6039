#!/usr/bin/env node
/**
 * A small in-memory stand-in for the HelloJohn Users API, for developing the SDK and its example
 * without the Python backend. It is NOT the API: it implements just the routes the SDK and the
 * browser test use, following docs/CONTRACT (error shape, key/tenant checks, single-use rotating
 * refresh tokens, access-token expiry, CORS for http://127.0.0.1:* and http://localhost:*).
 *
 * Same command line and output as the project's local runner, so the browser test can drive
 * either one:
 *   node test/mock-api.mjs --port 3000 --state-dir /tmp/hj [--access-ttl 900]
 * writes <state-dir>/credentials.json =
 *   {"api_url", "tenant_id", "secret_key", "publishable_key", "demo_user": {"id", "email", "password"}}
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '3000' },
    host: { type: 'string', default: '127.0.0.1' },
    'state-dir': { type: 'string' },
    'access-ttl': { type: 'string', default: '900' },
  },
});

const ACCESS_TTL_MS = Number(args['access-ttl']) * 1000;
const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000;
const token = (prefix, bytes = 32) => `${prefix}${randomBytes(bytes).toString('base64url')}`;
const ulid = () => randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase();
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

const tenantId = `tnt_${ulid()}`;
const secretKey = token('sk_test_');
const publishableKey = token('pk_test_');
const demoPassword = 'Demo-Passw0rd!2026';
let user = {
  id: `usr_${ulid()}`,
  tenant_id: tenantId,
  email: 'demo@example.com',
  email_verified: true,
  pending_email: null,
  phone_number: null,
  name: 'Demo User',
  avatar_url: 'https://www.gravatar.com/avatar/00000000000000000000000000000000?d=identicon',
  role: 'member',
  public_metadata: {},
  private_metadata: {},
  disabled: false,
  disabled_at: null,
  last_sign_in_at: null,
  created_at: now(),
  updated_at: now(),
};
let password = demoPassword;
const accessTokens = new Map(); // token -> {sessionId, expiresAt}
const refreshTokens = new Map(); // token -> {sessionId, used, expiresAt}
const revoked = new Set();
/** Where and when each session was made (GET /v1/auth/sessions), by session id. */
const sessionInfo = new Map();
let failedPasswordAttempts = 0;

const ALLOWED_ORIGIN = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/;
const SELF_FIELDS = new Set(['name', 'avatar_url', 'email', 'phone_number']);
const ADMIN_FIELDS = new Set([
  ...SELF_FIELDS,
  'role',
  'email_verified',
  'public_metadata',
  'private_metadata',
]);

class ApiError extends Error {
  constructor(status, code, message, details = [], headers = {}) {
    super(message);
    Object.assign(this, { status, code, details, headers });
  }
}

function selfView(u) {
  const { private_metadata: _hidden, ...rest } = u;
  return rest;
}

function issueSession(sessionId = `ses_${ulid()}`) {
  const t = Date.now();
  const access = token('at.', 24);
  const refresh = token('rt_');
  accessTokens.set(access, { sessionId, expiresAt: t + ACCESS_TTL_MS });
  refreshTokens.set(refresh, { sessionId, used: false, expiresAt: t + REFRESH_TTL_MS });
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    id: sessionId,
    access_token: access,
    refresh_token: refresh,
    access_token_expires_at: iso(t + ACCESS_TTL_MS),
    refresh_token_expires_at: iso(t + REFRESH_TTL_MS),
  };
}

function bearer(req) {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : null;
}

function requireKey(req, key) {
  if (bearer(req) !== key) throw new ApiError(401, 'unauthorized', 'a valid API key is required');
  if (req.headers['x-tenant-id'] !== tenantId)
    throw new ApiError(403, 'tenant_mismatch', 'X-Tenant-ID does not match the key');
}

function requireAccess(req) {
  const record = accessTokens.get(bearer(req) ?? '');
  if (!record) throw new ApiError(401, 'invalid_token', 'the access token is not valid');
  if (revoked.has(record.sessionId)) throw new ApiError(401, 'session_revoked', 'the session was revoked');
  if (record.expiresAt <= Date.now())
    throw new ApiError(401, 'token_expired', 'the access token has expired');
  const tenant = req.headers['x-tenant-id'];
  if (tenant !== undefined && tenant !== tenantId)
    throw new ApiError(403, 'tenant_mismatch', 'X-Tenant-ID does not match the token');
  return record;
}

function checkFields(body, allowed, forbiddenCode) {
  for (const key of Object.keys(body)) {
    if (!allowed.has(key)) {
      if (forbiddenCode && ADMIN_FIELDS.has(key)) {
        throw new ApiError(403, forbiddenCode, `${key} can only be changed by an admin`, [
          { field: key, message: 'admin only' },
        ]);
      }
      throw new ApiError(422, 'validation_failed', `unknown field ${key}`, [
        { field: key, message: 'unknown field' },
      ]);
    }
  }
}

function applyProfile(body) {
  const next = { ...user };
  if ('name' in body) {
    if (body.name !== null && typeof body.name !== 'string')
      throw new ApiError(422, 'validation_failed', 'name must be a string', [
        { field: 'name', message: 'must be a string' },
      ]);
    next.name = body.name === null || body.name.trim() === '' ? null : body.name.trim();
  }
  if ('avatar_url' in body) {
    const v = body.avatar_url;
    if (v === null || v === '') next.avatar_url = null;
    else if (typeof v !== 'string' || !/^https:\/\//.test(v))
      throw new ApiError(422, 'validation_failed', 'avatar_url must be an https URL', [
        { field: 'avatar_url', message: 'must be an https URL' },
      ]);
    else next.avatar_url = v;
  }
  if ('phone_number' in body) {
    const v = body.phone_number;
    if (v !== null && v !== '' && !/^\+[1-9]\d{6,14}$/.test(String(v)))
      throw new ApiError(422, 'validation_failed', 'phone_number must be in E.164 format', [
        { field: 'phone_number', message: 'must be in E.164 format' },
      ]);
    next.phone_number = v === '' ? null : v;
  }
  if ('email' in body) next.pending_email = String(body.email).trim().toLowerCase();
  next.updated_at = now();
  user = next;
}

function checkNewPassword(value, field) {
  if (typeof value !== 'string' || value.length < 8 || value.length > 128) {
    throw new ApiError(422, 'password_too_weak', 'the password must be 8 to 128 characters', [
      { field, message: 'must be 8 to 128 characters' },
    ]);
  }
  if (
    ['password', 'password123', '12345678'].includes(value.toLowerCase()) ||
    value.toLowerCase() === user.email
  ) {
    throw new ApiError(422, 'password_too_weak', 'the password is too common', [
      { field, message: 'too common' },
    ]);
  }
}

async function route(req, body) {
  const url = new URL(req.url, 'http://x');
  const path = url.pathname;
  const m = `${req.method} ${path}`;
  const userPath = path.match(/^\/v1\/users\/([^/]+)(\/password)?$/);

  if (m === 'POST /v1/auth/sign-in') {
    requireKey(req, publishableKey);
    checkFields(body, new Set(['email', 'password']));
    if (
      String(body.email ?? '')
        .trim()
        .toLowerCase() !== user.email ||
      body.password !== password
    ) {
      throw new ApiError(401, 'invalid_credentials', 'the email or password is wrong');
    }
    if (user.disabled) throw new ApiError(403, 'user_disabled', 'the user is disabled');
    user = { ...user, last_sign_in_at: now() };
    const session = issueSession();
    sessionInfo.set(session.id, {
      id: session.id,
      created_at: now(),
      last_refreshed_at: null,
      expires_at: session.refresh_token_expires_at,
      user_agent: req.headers['user-agent']?.slice(0, 512) || null,
      ip: req.socket.remoteAddress ?? null,
    });
    return [200, { user: selfView(user), session }];
  }
  if (m === 'POST /v1/auth/refresh') {
    requireKey(req, publishableKey);
    checkFields(body, new Set(['refresh_token']));
    const record = refreshTokens.get(String(body.refresh_token ?? ''));
    if (!record || record.expiresAt <= Date.now())
      throw new ApiError(401, 'invalid_token', 'the refresh token is not valid');
    if (record.used) {
      revoked.add(record.sessionId); // reuse of a rotated token: treat as theft
      throw new ApiError(401, 'session_revoked', 'the refresh token was already used');
    }
    if (revoked.has(record.sessionId)) throw new ApiError(401, 'session_revoked', 'the session was revoked');
    record.used = true;
    const info = sessionInfo.get(record.sessionId);
    if (info) info.last_refreshed_at = now();
    return [200, { session: issueSession(record.sessionId) }];
  }
  if (m === 'GET /v1/auth/sessions') {
    const { sessionId } = requireAccess(req);
    const live = [...sessionInfo.values()].filter((s) => !revoked.has(s.id)).reverse();
    return [200, { data: live.map((s) => ({ ...s, current: s.id === sessionId })) }];
  }
  const revokeOwn = path.match(/^\/v1\/auth\/sessions\/([^/]+)\/revoke$/);
  if (req.method === 'POST' && revokeOwn) {
    requireAccess(req);
    checkFields(body, new Set());
    const id = decodeURIComponent(revokeOwn[1]);
    if (!sessionInfo.has(id) || revoked.has(id)) throw new ApiError(404, 'not_found', 'No such session');
    revoked.add(id);
    return [204, null];
  }
  if (m === 'POST /v1/auth/sign-out') {
    const { sessionId } = requireAccess(req);
    revoked.add(sessionId);
    return [204, null];
  }
  if (m === 'GET /v1/auth/me') {
    requireAccess(req);
    return [200, selfView(user)];
  }
  if (m === 'PATCH /v1/auth/me') {
    requireAccess(req);
    checkFields(body, SELF_FIELDS, 'forbidden_field');
    applyProfile(body);
    return [200, selfView(user)];
  }
  if (m === 'POST /v1/auth/password/change') {
    const { sessionId } = requireAccess(req);
    checkFields(body, new Set(['current_password', 'new_password', 'sign_out_other_sessions']));
    if (failedPasswordAttempts >= 5)
      throw new ApiError(429, 'too_many_attempts', 'too many attempts', [], { 'Retry-After': '60' });
    if (body.current_password !== password) {
      failedPasswordAttempts += 1;
      throw new ApiError(401, 'invalid_credentials', 'the current password is wrong');
    }
    checkNewPassword(body.new_password, 'new_password');
    failedPasswordAttempts = 0;
    password = body.new_password;
    if (body.sign_out_other_sessions === true) {
      for (const r of refreshTokens.values()) if (r.sessionId !== sessionId) revoked.add(r.sessionId);
    }
    user = { ...user, updated_at: now() };
    return [200, selfView(user)];
  }
  if (userPath) {
    requireKey(req, secretKey);
    if (userPath[1] !== user.id) throw new ApiError(404, 'user_not_found', 'no such user');
    if (req.method === 'GET' && !userPath[2]) return [200, user];
    if (req.method === 'PATCH' && !userPath[2]) {
      checkFields(body, ADMIN_FIELDS);
      applyProfile(body);
      for (const k of ['role', 'email_verified', 'public_metadata', 'private_metadata'])
        if (k in body) user = { ...user, [k]: body[k] };
      return [200, user];
    }
    if (req.method === 'POST' && userPath[2]) {
      checkFields(body, new Set(['password', 'sign_out_all_sessions']));
      checkNewPassword(body.password, 'password');
      password = body.password;
      if (body.sign_out_all_sessions === true)
        for (const r of refreshTokens.values()) revoked.add(r.sessionId);
      return [204, null];
    }
  }
  throw new ApiError(404, 'not_found', `no route for ${m}`);
}

const server = createServer((req, res) => {
  const requestId = `req_${ulid()}`;
  const origin = req.headers.origin;
  const headers = { 'X-Request-ID': requestId, Vary: 'Origin' };
  if (origin && ALLOWED_ORIGIN.test(origin)) {
    Object.assign(headers, {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Tenant-ID, Idempotency-Key, If-Match',
      'Access-Control-Expose-Headers': 'ETag, X-Request-ID, Retry-After',
      'Access-Control-Max-Age': '600',
    });
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(204, headers).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const send = (status, payload, extra = {}) => {
      const out = { ...headers, ...extra };
      if (payload === null) {
        res.writeHead(status, out).end();
      } else {
        res.writeHead(status, { ...out, 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
      }
    };
    try {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = {};
      if (raw !== '') {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
          throw new ApiError(415, 'unsupported_media_type', 'the body must be application/json');
        }
        try {
          body = JSON.parse(raw);
        } catch {
          throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          throw new ApiError(400, 'invalid_request', 'the body must be a JSON object');
      }
      const [status, payload] = await route(req, body);
      send(status, payload);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(500, 'internal_error', 'internal error');
      send(
        e.status,
        {
          error: {
            code: e.code,
            message: e.message,
            status: e.status,
            request_id: requestId,
            details: e.details,
          },
        },
        e.headers,
      );
    }
  });
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  const credentials = {
    api_url: `http://${args.host}:${port}`,
    tenant_id: tenantId,
    secret_key: secretKey,
    publishable_key: publishableKey,
    demo_user: { id: user.id, email: user.email, password: demoPassword },
  };
  if (args['state-dir']) {
    mkdirSync(args['state-dir'], { recursive: true });
    const file = join(args['state-dir'], 'credentials.json');
    writeFileSync(`${file}.tmp`, JSON.stringify(credentials, null, 2));
    renameSync(`${file}.tmp`, file); // atomic: readers never see half a file
  }
  process.stdout.write(`mock HelloJohn API on ${credentials.api_url} (tenant ${tenantId})\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
