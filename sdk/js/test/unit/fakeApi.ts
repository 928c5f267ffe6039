/**
 * An in-memory HelloJohn API behind a `fetch` double, following the contract closely enough
 * that the SDK's behaviour (headers, bodies, rotation, expiry, revocation) is observable:
 * refresh tokens are single-use (reuse revokes the session, as a strict API would), access
 * tokens expire, and every request is recorded. Its bodies are typed with the API's schemas,
 * generated from the OpenAPI document, so that the double cannot drift from the API.
 */
import { vi } from 'vitest';
import type { components } from '../../src/generated/openapi.js';

type Schemas = components['schemas'];

export interface RecordedCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The raw body string as sent, and its parsed JSON. */
  rawBody: string | undefined;
  body: unknown;
}

interface AccessRecord {
  sessionId: string;
  expiresAt: number;
  /** The `pcr` claim: the password was temporary when the token was issued. */
  passwordChangeRequired: boolean;
  /** The `auth_time` claim (ms): the session's last proof of the password. */
  authTime: number;
}

type Override = (call: RecordedCall) => Response | Promise<Response> | undefined;

export const TENANT = 'tnt_01TESTTENANT0000000000000';
export const PUBLISHABLE_KEY = 'pk_test_0123456789abcdef0123456789abcdef';
export const API_URL = 'https://api.test.hellojohn.dev';

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'X-Request-ID': `req_${status}_hdr`, ...headers },
  });
}

export function errorResponse(
  status: number,
  code: Schemas['ErrorBody']['code'],
  message: string,
  details: Schemas['ErrorDetail'][] = [],
  headers: Record<string, string> = {},
): Response {
  const body: Schemas['ErrorResponse'] = {
    error: { code, message, status, request_id: `req_${code}`, details },
  };
  return jsonResponse(status, body, headers);
}

function bearerOf(call: RecordedCall): string {
  return (call.headers.authorization ?? '').replace(/^Bearer /, '');
}

export class FakeApi {
  readonly calls: RecordedCall[] = [];
  user: Schemas['SelfUser'] = {
    id: 'usr_01TESTUSER00000000000000',
    tenant_id: TENANT,
    email: 'ada@example.com',
    email_verified: true,
    pending_email: null,
    phone_number: null,
    name: 'Ada Lovelace',
    avatar_url: 'https://example.com/ada.png',
    role: 'member',
    public_metadata: {},
    disabled: false,
    disabled_at: null,
    last_sign_in_at: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    password_change_required: false,
  };
  password = 'OldPassword123!';
  accessTtlMs = 15 * 60_000;
  refreshTtlMs = 30 * 24 * 3600_000;
  /** The tenant's `reverification_max_age_seconds` (0: off); the API's default is 600. */
  reverificationMaxAgeSeconds = 600;
  /** Each session's last proof of the password (ms), kept by refresh as the API keeps it. */
  readonly authTimes = new Map<string, number>();
  /** Delay of the refresh endpoint (ms), to hold a refresh in flight. */
  refreshDelayMs = 0;
  readonly overrides: Override[] = [];

  private seq = 0;
  private readonly access = new Map<string, AccessRecord>();
  private readonly refreshTokens = new Map<string, { sessionId: string; used: boolean }>();
  readonly revoked = new Set<string>();
  /** Every session issued (sign-in and refresh), oldest first. */
  readonly issued: ReturnType<FakeApi['issueSession']>[] = [];

  readonly fetch = vi.fn(async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const rawBody = typeof init.body === 'string' ? init.body : undefined;
    const call: RecordedCall = {
      method: init.method ?? 'GET',
      path: url.pathname,
      headers,
      rawBody,
      body: rawBody === undefined ? undefined : (JSON.parse(rawBody) as unknown),
    };
    this.calls.push(call);
    for (const override of this.overrides) {
      const res = await override(call);
      if (res !== undefined) return res;
    }
    return this.handle(call);
  });

  callsTo(method: string, path: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  /** Makes every access token issued so far expired, as seen by the server. */
  expireAccessTokens(): void {
    for (const record of this.access.values()) record.expiresAt = 0;
  }

  /** Makes every session's last proof of the password older than any max age. */
  makeProofsStale(): void {
    for (const record of this.access.values()) record.authTime = 0;
    for (const id of this.authTimes.keys()) this.authTimes.set(id, 0);
  }

  revokeAll(): void {
    for (const { sessionId } of this.refreshTokens.values()) this.revoked.add(sessionId);
  }

  /** Issues a session directly (as if signed in elsewhere), e.g. to seed storage. */
  issueSession(sessionId = this.nextId('ses')): Schemas['Session'] {
    const now = Date.now();
    if (!this.authTimes.has(sessionId)) this.authTimes.set(sessionId, now);
    const accessToken = `at_${this.nextId('a')}`;
    const refreshToken = `rt_${this.nextId('r')}`;
    this.access.set(accessToken, {
      sessionId,
      expiresAt: now + this.accessTtlMs,
      passwordChangeRequired: this.user.password_change_required,
      authTime: this.authTimes.get(sessionId) ?? now,
    });
    this.refreshTokens.set(refreshToken, { sessionId, used: false });
    const session: Schemas['Session'] = {
      id: sessionId,
      access_token: accessToken,
      refresh_token: refreshToken,
      access_token_expires_at: new Date(now + this.accessTtlMs).toISOString(),
      refresh_token_expires_at: new Date(now + this.refreshTtlMs).toISOString(),
    };
    this.issued.push(session);
    return session;
  }

  private nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}_${String(this.seq).padStart(4, '0')}`;
  }

  private checkPublishable(call: RecordedCall): Response | undefined {
    if (call.headers.authorization !== `Bearer ${PUBLISHABLE_KEY}`) {
      return errorResponse(401, 'unauthorized', 'publishable key required');
    }
    if (call.headers['x-tenant-id'] !== TENANT) {
      return errorResponse(403, 'tenant_mismatch', 'X-Tenant-ID does not match the key');
    }
    return undefined;
  }

  private checkAccess(call: RecordedCall): Response | undefined {
    const token = (call.headers.authorization ?? '').replace(/^Bearer /, '');
    const record = this.access.get(token);
    if (record === undefined) return errorResponse(401, 'invalid_token', 'invalid access token');
    if (this.revoked.has(record.sessionId)) return errorResponse(401, 'session_revoked', 'session revoked');
    if (record.expiresAt <= Date.now()) return errorResponse(401, 'token_expired', 'access token expired');
    const tenant = call.headers['x-tenant-id'];
    if (tenant !== undefined && tenant !== TENANT)
      return errorResponse(403, 'tenant_mismatch', 'tenant mismatch');
    return undefined;
  }

  private sessionOf(call: RecordedCall): string {
    const token = (call.headers.authorization ?? '').replace(/^Bearer /, '');
    return this.access.get(token)?.sessionId ?? '';
  }

  /** The live sessions, newest first, as `GET /v1/auth/sessions` lists them for `current`. */
  listSessions(current: string): Schemas['OwnSessionInfo'][] {
    const firstOf = new Map<string, Schemas['Session']>();
    for (const s of this.issued) if (!firstOf.has(s.id)) firstOf.set(s.id, s);
    return [...firstOf.values()]
      .filter((s) => !this.revoked.has(s.id))
      .reverse()
      .map((s) => ({
        id: s.id,
        created_at: '2026-01-01T00:00:00Z',
        last_refreshed_at: null,
        expires_at: s.refresh_token_expires_at,
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0 Safari/537.36',
        device: 'Chrome 156 on Linux',
        ip: '203.0.113.10',
        current: s.id === current,
      }));
  }

  private async handle(call: RecordedCall): Promise<Response> {
    const route = `${call.method} ${call.path}`;
    const body = (call.body ?? {}) as Record<string, unknown>;
    const revoke = /^POST \/v1\/auth\/sessions\/([^/]+)\/revoke$/.exec(route);
    if (revoke !== null) {
      const denied = this.checkAccess(call);
      if (denied) return denied;
      const id = decodeURIComponent(revoke[1] ?? '');
      if (!this.listSessions('').some((s) => s.id === id)) {
        return errorResponse(404, 'not_found', 'No such session');
      }
      this.revoked.add(id);
      return new Response(null, { status: 204 });
    }
    switch (route) {
      case 'GET /v1/auth/sessions': {
        const denied = this.checkAccess(call);
        if (denied) return denied;
        const result: Schemas['OwnSessionList'] = { data: this.listSessions(this.sessionOf(call)) };
        return jsonResponse(200, result);
      }
      case 'POST /v1/auth/sign-in': {
        const denied = this.checkPublishable(call);
        if (denied) return denied;
        if (body.email !== this.user.email || body.password !== this.password) {
          return errorResponse(401, 'invalid_credentials', 'email or password is wrong');
        }
        const result: Schemas['SignInResult'] = { user: this.user, session: this.issueSession() };
        return jsonResponse(200, result);
      }
      case 'POST /v1/auth/refresh': {
        const denied = this.checkPublishable(call);
        if (denied) return denied;
        if (this.refreshDelayMs > 0) await new Promise((r) => setTimeout(r, this.refreshDelayMs));
        const record = this.refreshTokens.get(String(body.refresh_token));
        if (record === undefined) return errorResponse(401, 'invalid_token', 'unknown refresh token');
        if (record.used) {
          // Reuse of a rotated token: treat as theft, revoke the session.
          this.revoked.add(record.sessionId);
          return errorResponse(401, 'session_revoked', 'refresh token reused');
        }
        if (this.revoked.has(record.sessionId))
          return errorResponse(401, 'session_revoked', 'session revoked');
        record.used = true;
        const result: Schemas['RefreshResult'] = { session: this.issueSession(record.sessionId) };
        return jsonResponse(200, result);
      }
      case 'POST /v1/auth/sign-out': {
        const denied = this.checkAccess(call);
        if (denied) return denied;
        this.revoked.add(this.sessionOf(call));
        return new Response(null, { status: 204 });
      }
      case 'GET /v1/auth/me': {
        const denied = this.checkAccess(call);
        return denied ?? jsonResponse(200, this.user);
      }
      case 'PATCH /v1/auth/me': {
        const denied = this.checkAccess(call);
        if (denied) return denied;
        // The API's gate: a token issued while the password was temporary (allow-list: me, change, sign-out)
        if (this.access.get(bearerOf(call))?.passwordChangeRequired) {
          return errorResponse(403, 'password_change_required', 'change the password first');
        }
        const authTime = this.access.get(bearerOf(call))?.authTime ?? 0;
        const maxAge = this.reverificationMaxAgeSeconds;
        if (
          maxAge > 0 &&
          ('email' in body || 'phone_number' in body) &&
          Date.now() - authTime > maxAge * 1000
        ) {
          const challenge =
            'Bearer error="insufficient_user_authentication", error_description="A recent proof of the ' +
            `password is required: POST /v1/auth/reauthenticate, then retry", max_age="${String(maxAge)}"`;
          return errorResponse(403, 'reauthentication_required', 'reauthenticate, then retry', [], {
            'WWW-Authenticate': challenge,
          });
        }
        const allowed = ['name', 'avatar_url', 'email', 'phone_number'];
        for (const key of Object.keys(body)) {
          if (!allowed.includes(key)) {
            return errorResponse(403, 'forbidden_field', `${key} cannot be changed here`, [
              { field: key, message: 'not a self-service field' },
            ]);
          }
        }
        // A new email waits for verification as pending_email (the contract).
        const { email, ...rest } = body as Schemas['SelfUserUpdate'];
        this.user = {
          ...this.user,
          ...rest,
          ...(email === undefined ? {} : { pending_email: email }),
          updated_at: new Date().toISOString(),
        };
        return jsonResponse(200, this.user);
      }
      case 'POST /v1/auth/password/change': {
        const denied = this.checkAccess(call);
        if (denied) return denied;
        if (body.current_password !== this.password) {
          return errorResponse(401, 'invalid_credentials', 'current password is wrong');
        }
        if (typeof body.new_password !== 'string' || body.new_password.length < 8) {
          return errorResponse(422, 'password_too_weak', 'password is too weak', [
            { field: 'new_password', message: 'must be at least 8 characters' },
          ]);
        }
        this.password = body.new_password;
        // As the API does: 200 with the user, whose updated_at moves; a temporary password is no more.
        this.user = { ...this.user, updated_at: new Date().toISOString(), password_change_required: false };
        return jsonResponse(200, this.user);
      }
      case 'POST /v1/auth/reauthenticate': {
        const denied = this.checkAccess(call);
        if (denied) return denied;
        if (body.password !== this.password) {
          return errorResponse(401, 'invalid_credentials', 'The password is incorrect');
        }
        const sessionId = this.sessionOf(call);
        for (const [token, record] of [...this.refreshTokens]) {
          if (record.sessionId === sessionId) this.refreshTokens.delete(token); // replaced: unknown now
        }
        this.authTimes.set(sessionId, Date.now());
        const result: Schemas['RefreshResult'] = { session: this.issueSession(sessionId) };
        return jsonResponse(200, result);
      }
      case 'POST /v1/auth/email/verify': {
        const denied = this.checkPublishable(call);
        if (denied) return denied;
        if (body.token !== 'verify-token-1' || typeof this.user.pending_email !== 'string') {
          return errorResponse(401, 'invalid_token', 'the verification token is not valid');
        }
        this.user = {
          ...this.user,
          email: this.user.pending_email,
          pending_email: null,
          email_verified: true,
        };
        return jsonResponse(200, this.user);
      }
      default:
        return errorResponse(404, 'not_found', `no route ${route}`);
    }
  }
}
