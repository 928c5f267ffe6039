import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HelloJohnClient, HelloJohnError, memoryStorage, type TokenStorage } from '../../src/index.js';
import { API_URL, FakeApi, PUBLISHABLE_KEY, TENANT, errorResponse, jsonResponse } from './fakeApi.js';

const STORAGE_KEY = `hellojohn:${TENANT}:session`;

function makeClient(api: FakeApi, extra: { tokenStorage?: TokenStorage; refreshLeewayMs?: number } = {}) {
  return new HelloJohnClient({
    apiUrl: API_URL,
    tenantId: TENANT,
    publishableKey: PUBLISHABLE_KEY,
    fetch: api.fetch,
    ...extra,
  });
}

async function signedIn(api: FakeApi, extra: Parameters<typeof makeClient>[1] = {}) {
  const client = makeClient(api, extra);
  await client.signIn({ email: 'ada@example.com', password: api.password });
  return client;
}

function bearer(call: { headers: Record<string, string> }): string {
  return (call.headers.authorization ?? '').replace(/^Bearer /, '');
}

function storedSession(): Record<string, string> | null {
  const raw = window.sessionStorage.getItem(STORAGE_KEY);
  return raw === null ? null : (JSON.parse(raw) as Record<string, string>);
}

beforeEach(() => {
  window.sessionStorage.clear();
  window.localStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('sign-in', () => {
  it('sends the publishable key, the tenant and exactly {email, password}', async () => {
    const api = new FakeApi();
    const client = makeClient(api);
    await client.signIn({ email: 'ada@example.com', password: 'OldPassword123!' });

    const [call] = api.callsTo('POST', '/v1/auth/sign-in');
    expect(call?.headers.authorization).toBe(`Bearer ${PUBLISHABLE_KEY}`);
    expect(call?.headers['x-tenant-id']).toBe(TENANT);
    expect(call?.headers['content-type']).toBe('application/json');
    expect(call?.rawBody).toBe(JSON.stringify({ email: 'ada@example.com', password: 'OldPassword123!' }));
    expect(api.fetch.mock.calls[0]?.[0]).toBe(`${API_URL}/v1/auth/sign-in`);
  });

  it('keeps the access token in memory and the refresh token in sessionStorage, and signs in the user', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    expect(client.getState().status).toBe('signed-in');
    expect(client.getState().user?.email).toBe('ada@example.com');

    const issued = api.issued[0]!;

    const stored = storedSession();
    expect(stored?.refresh_token).toBe(issued.refresh_token);
    expect(stored?.session_id).toBe(issued.id);
    // The access token is never written to storage.
    expect(JSON.stringify(Object.entries(window.sessionStorage))).not.toContain(issued.access_token);
    expect(JSON.stringify(Object.entries(window.localStorage))).not.toContain(issued.access_token);

    // ...but it is what signed-in calls carry.
    await client.reloadUser();
    const [me] = api.callsTo('GET', '/v1/auth/me');
    expect(bearer(me!)).toBe(issued.access_token);
    expect(me?.headers['x-tenant-id']).toBe(TENANT);
    expect(me?.headers['content-type']).toBeUndefined();
  });

  it('rejects with invalid_credentials and stays signed out', async () => {
    const api = new FakeApi();
    const client = makeClient(api);
    const error = await client
      .signIn({ email: 'ada@example.com', password: 'nope' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HelloJohnError);
    expect((error as HelloJohnError).code).toBe('invalid_credentials');
    expect((error as HelloJohnError).status).toBe(401);
    expect(client.getState().user).toBeNull();
    expect(storedSession()).toBeNull();
  });
});

describe('update (PATCH /v1/auth/me)', () => {
  it('sends exactly the given fields and replaces the user with the answer', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const before = client.getState().user;
    const listener = vi.fn();
    client.subscribe(listener);

    const user = await client.updateUser({ name: 'Ada King', avatar_url: '' });

    const [patch] = api.callsTo('PATCH', '/v1/auth/me');
    expect(patch?.rawBody).toBe('{"name":"Ada King","avatar_url":""}');
    expect(patch?.headers['content-type']).toBe('application/json');
    expect(user.name).toBe('Ada King');
    expect(user.avatar_url).toBe('');
    expect(client.getState().user).toBe(user);
    expect(client.getState().user).not.toBe(before);
    expect(listener).toHaveBeenCalled();
  });

  it('surfaces a forbidden field as HelloJohnError with details, user unchanged', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const error = (await client
      .updateUser({ role: 'admin' } as unknown as { name: string })
      .catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('forbidden_field');
    expect(error.status).toBe(403);
    expect(error.details).toEqual([{ field: 'role', message: 'not a self-service field' }]);
    expect(client.getState().user?.role).toBe('member');
    expect(client.getState().status).toBe('signed-in');
  });

  it('normalises a null name to "" so that defaultValue={user.name} works', async () => {
    const api = new FakeApi();
    api.user = { ...api.user, name: null };
    const client = await signedIn(api);
    expect(client.getState().user?.name).toBe('');
  });
});

describe('email verification', () => {
  it('POST /v1/auth/email/verify with the publishable key; the signed-in user is updated', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    await client.updateUser({ email: 'ada.new@example.com' });
    expect(client.getState().user?.email).toBe('ada@example.com');
    expect(client.getState().user?.pending_email).toBe('ada.new@example.com');

    const verified = await client.verifyEmail('verify-token-1');

    const [call] = api.callsTo('POST', '/v1/auth/email/verify');
    expect(call?.headers.authorization).toBe(`Bearer ${PUBLISHABLE_KEY}`);
    expect(call?.headers['x-tenant-id']).toBe(TENANT);
    expect(call?.rawBody).toBe('{"token":"verify-token-1"}');
    expect(verified.email).toBe('ada.new@example.com');
    expect(client.getState().user?.email).toBe('ada.new@example.com');
    expect(client.getState().user?.pending_email).toBeNull();
  });

  it('works signed out, and reports a bad token', async () => {
    const api = new FakeApi();
    const client = makeClient(api);
    const error = (await client.verifyEmail('nope').catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('invalid_token');
    expect(client.getState().status).toBe('loading'); // untouched: not a session error
  });
});

describe('updatePassword (POST /v1/auth/password/change)', () => {
  it('sends exactly {current_password, new_password} with the access token; the 200 user replaces the state', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const user = client.getState().user!;

    await expect(
      user.updatePassword({ current_password: 'OldPassword123!', new_password: 'NewPassword456!' }),
    ).resolves.toBeUndefined();

    const [call] = api.callsTo('POST', '/v1/auth/password/change');
    expect(call?.rawBody).toBe('{"current_password":"OldPassword123!","new_password":"NewPassword456!"}');
    expect(bearer(call!)).toMatch(/^at_/);
    expect(api.password).toBe('NewPassword456!');
    expect(client.getState().status).toBe('signed-in');
    expect(client.getState().user).not.toBe(user);
    expect(client.getState().user?.updated_at).toBe(api.user.updated_at);
  });

  it('passes sign_out_other_sessions through when given', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    await client.updatePassword({
      current_password: 'OldPassword123!',
      new_password: 'NewPassword456!',
      sign_out_other_sessions: true,
    });
    expect(api.callsTo('POST', '/v1/auth/password/change')[0]?.body).toEqual({
      current_password: 'OldPassword123!',
      new_password: 'NewPassword456!',
      sign_out_other_sessions: true,
    });
  });

  it('accepts a 204 without a body and keeps the user', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const user = client.getState().user;
    api.overrides.push((call) =>
      call.path === '/v1/auth/password/change' ? new Response(null, { status: 204 }) : undefined,
    );
    await client.updatePassword({ current_password: 'x', new_password: 'y' });
    expect(client.getState().status).toBe('signed-in');
    expect(client.getState().user).toBe(user);
  });

  it('a wrong current password (401 invalid_credentials) neither refreshes nor signs out', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const error = (await client
      .updatePassword({ current_password: 'wrong', new_password: 'NewPassword456!' })
      .catch((e: unknown) => e)) as HelloJohnError;
    expect(error).toBeInstanceOf(HelloJohnError);
    expect(error.code).toBe('invalid_credentials');
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(0);
    expect(client.getState().status).toBe('signed-in');
    expect(storedSession()).not.toBeNull();
  });
});

describe('a temporary password (passwordChangeRequired)', () => {
  it('comes from the user object, and a change refreshes the gated token', async () => {
    const api = new FakeApi();
    api.user = { ...api.user, password_change_required: true };
    const client = await signedIn(api);
    expect(client.getState().user?.passwordChangeRequired).toBe(true);
    const gated = await client.updateUser({ name: 'X' }).catch((e: unknown) => e);
    expect((gated as HelloJohnError).code).toBe('password_change_required');
    expect(client.getState().status).toBe('signed-in');

    await client.updatePassword({ current_password: api.password, new_password: 'NewPassword456!' });
    expect(client.getState().user?.passwordChangeRequired).toBe(false);
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(1);
    await expect(client.updateUser({ name: 'Y' })).resolves.toMatchObject({ name: 'Y' });
  });

  it('is set by a 403 password_change_required on any call', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    expect(client.getState().user?.passwordChangeRequired).toBe(false);
    api.overrides.push((call) =>
      call.path === '/v1/auth/me' && call.method === 'PATCH'
        ? errorResponse(403, 'password_change_required', 'change the password first')
        : undefined,
    );
    await client.updateUser({ name: 'X' }).catch(() => undefined);
    expect(client.getState().user?.passwordChangeRequired).toBe(true);
    expect(client.getState().status).toBe('signed-in');
  });

  it('a change without a temporary password does not refresh', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    await client.updatePassword({ current_password: api.password, new_password: 'NewPassword456!' });
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(0);
  });
});

describe('reverification (403 reauthentication_required)', () => {
  it('the refusal is a HelloJohnError with RFC 9470 max_age; a name change never asks', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.makeProofsStale();
    await expect(client.updateUser({ name: 'Ada King' })).resolves.toMatchObject({ name: 'Ada King' });
    const refused = await client.updateUser({ email: 'ada@new.example.com' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HelloJohnError);
    expect(refused).toMatchObject({ code: 'reauthentication_required', status: 403, maxAge: 600 });
    expect(client.getState().status).toBe('signed-in'); // the session is fine
  });

  it('prompts for the password, reauthenticates, and retries the request once', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const before = api.issued.at(-1);
    api.makeProofsStale();
    const prompt = vi.fn(() => Promise.resolve<string | null>(api.password));

    const user = await client.withReverification(
      () => client.updateUser({ email: 'ada@new.example.com' }),
      prompt,
    );

    expect(prompt).toHaveBeenCalledTimes(1);
    expect(prompt).toHaveBeenCalledWith({ maxAgeSeconds: 600, error: null });
    const [reauth] = api.callsTo('POST', '/v1/auth/reauthenticate');
    expect(reauth?.rawBody).toBe(JSON.stringify({ password: api.password }));
    expect(bearer(reauth!)).toBe(before?.access_token);
    expect(api.callsTo('PATCH', '/v1/auth/me')).toHaveLength(2);
    expect(user.pending_email).toBe('ada@new.example.com');
    // the session's tokens were replaced: same session, the new refresh token kept
    const now = api.issued.at(-1);
    expect(now?.id).toBe(before?.id);
    expect(storedSession()?.refresh_token).toBe(now?.refresh_token);
    await client.refresh();
    expect(client.getState().status).toBe('signed-in');
  });

  it('asks again after a wrong password, with the error', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.makeProofsStale();
    const answers = ['Wrong-Password-1', api.password];
    const prompt = vi.fn(() => Promise.resolve<string | null>(answers.shift() ?? null));
    await client.withReverification(() => client.updateUser({ phone_number: '+14155552671' }), prompt);
    expect(prompt).toHaveBeenCalledTimes(2);
    const second = prompt.mock.calls[1] as unknown as [{ error: HelloJohnError | null }];
    expect(second[0].error?.code).toBe('invalid_credentials');
  });

  it('a cancelled prompt rejects with reverification_cancelled and makes no other call', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.makeProofsStale();
    const cancelled = await client
      .withReverification(
        () => client.updateUser({ email: 'ada@new.example.com' }),
        () => Promise.resolve(null),
      )
      .catch((e: unknown) => e);
    expect(cancelled).toBeInstanceOf(HelloJohnError);
    expect(cancelled).toMatchObject({ code: 'reverification_cancelled', status: 403, maxAge: 600 });
    expect(api.callsTo('POST', '/v1/auth/reauthenticate')).toHaveLength(0);
    expect(api.callsTo('PATCH', '/v1/auth/me')).toHaveLength(1);
    expect(client.getState().status).toBe('signed-in');
  });

  it('a fresh session is never prompted, and other errors pass through', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const prompt = vi.fn(() => Promise.resolve<string | null>(api.password));
    await client.withReverification(() => client.updateUser({ email: 'ada@new.example.com' }), prompt);
    const refused = await client
      .withReverification(() => client.updateUser({ role: 'admin' } as never), prompt)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'forbidden_field' });
    expect(prompt).not.toHaveBeenCalled();
  });
});

describe('refresh on 401 token_expired', () => {
  it('refreshes exactly once, then retries the request with the new access token', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.expireAccessTokens(); // the server says expired although the client clock disagrees

    const user = await client.updateUser({ name: 'Retried' });

    expect(user.name).toBe('Retried');
    const patches = api.callsTo('PATCH', '/v1/auth/me');
    const refreshes = api.callsTo('POST', '/v1/auth/refresh');
    expect(refreshes).toHaveLength(1);
    expect(patches).toHaveLength(2);
    expect(bearer(patches[0]!)).not.toBe(bearer(patches[1]!));
    expect(patches[1]?.rawBody).toBe(patches[0]?.rawBody);
    // Order: first PATCH (401), refresh, retried PATCH.
    const order = api.calls.map((c) => `${c.method} ${c.path}`);
    expect(order.slice(1)).toEqual(['PATCH /v1/auth/me', 'POST /v1/auth/refresh', 'PATCH /v1/auth/me']);
    // The refresh uses the publishable key and the tenant.
    expect(refreshes[0]?.headers.authorization).toBe(`Bearer ${PUBLISHABLE_KEY}`);
    expect(refreshes[0]?.headers['x-tenant-id']).toBe(TENANT);
  });

  it('does not loop: a second token_expired after the retry is surfaced', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.overrides.push((call) =>
      call.path === '/v1/auth/me' ? errorResponse(401, 'token_expired', 'expired') : undefined,
    );
    const error = (await client.reloadUser().catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('token_expired');
    expect(api.callsTo('GET', '/v1/auth/me')).toHaveLength(2);
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(1);
  });

  it('concurrent calls share one refresh request', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.expireAccessTokens();
    api.refreshDelayMs = 20;

    const results = await Promise.all([
      client.reloadUser(),
      client.updateUser({ name: 'A' }),
      client.reloadUser(),
      client.getToken(),
    ]);

    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(1);
    expect(results[1].name).toBe('A');
    // The strict fake revokes a session whose refresh token is reused: still signed in.
    expect(api.revoked.size).toBe(0);
    expect(client.getState().status).toBe('signed-in');
  });

  it('stores each rotated refresh token and spends only the newest one', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const first = storedSession()!.refresh_token;

    api.expireAccessTokens();
    await client.reloadUser();
    const second = storedSession()!.refresh_token;
    expect(second).not.toBe(first);

    api.expireAccessTokens();
    await client.reloadUser();
    const third = storedSession()!.refresh_token;
    expect(third).not.toBe(second);

    const sent = api
      .callsTo('POST', '/v1/auth/refresh')
      .map((c) => (c.body as { refresh_token: string }).refresh_token);
    expect(sent).toEqual([first, second]);
    expect(api.revoked.size).toBe(0);
  });

  it('a refused refresh signs out and clears the stored token; every waiting call rejects', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.expireAccessTokens();
    api.revokeAll();
    const errors = await Promise.all([
      client.reloadUser().catch((e: unknown) => e),
      client.updateUser({ name: 'x' }).catch((e: unknown) => e),
    ]);
    for (const error of errors) expect(error).toBeInstanceOf(HelloJohnError);
    expect(client.getState()).toEqual({ status: 'signed-out', user: null });
    expect(storedSession()).toBeNull();
  });

  it('a transient refresh failure (network) keeps the session', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.expireAccessTokens();
    api.overrides.push((call) => {
      if (call.path === '/v1/auth/refresh') throw new TypeError('Failed to fetch');
      return undefined;
    });
    const error = (await client.reloadUser().catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('network_error');
    expect(error.status).toBe(0);
    expect(client.getState().status).toBe('signed-in');
    expect(storedSession()).not.toBeNull();
  });

  it('a 401 session_revoked signs out', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.revokeAll();
    const error = (await client.reloadUser().catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('session_revoked');
    expect(client.getState().status).toBe('signed-out');
    expect(storedSession()).toBeNull();
  });
});

describe('proactive refresh', () => {
  it('refreshes before a request when the access token is about to expire', async () => {
    const api = new FakeApi();
    api.accessTtlMs = 15 * 60_000;
    const client = await signedIn(api, { refreshLeewayMs: 60_000 });
    const now = Date.now();
    vi.useFakeTimers({ now, toFake: ['Date'] });
    vi.setSystemTime(now + 14 * 60_000 + 30_000); // 30 s before expiry, inside the 60 s leeway

    await client.reloadUser();
    const order = api.calls.map((c) => `${c.method} ${c.path}`);
    expect(order.slice(1)).toEqual(['POST /v1/auth/refresh', 'GET /v1/auth/me']);
  });

  it('a timer refreshes shortly before access_token_expires_at', async () => {
    vi.useFakeTimers();
    const api = new FakeApi();
    api.accessTtlMs = 10 * 60_000;
    const client = makeClient(api, { refreshLeewayMs: 60_000 });
    await client.start(); // signed out: nothing stored
    await client.signIn({ email: 'ada@example.com', password: api.password });

    await vi.advanceTimersByTimeAsync(8 * 60_000);
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(60_000 + 1_000); // 9 min + 1 s: inside the leeway
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(1);
    // ...and it schedules the next one for the new token.
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(2);

    client.stop();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(2);
  });
});

describe('restoring a session on start()', () => {
  it('refreshes with the stored token, loads the user, and rotates the stored token', async () => {
    const api = new FakeApi();
    const first = await signedIn(api);
    first.stop();
    const storedBefore = storedSession()!.refresh_token;

    const client = makeClient(api); // a page reload: new client, same sessionStorage
    expect(client.getState().status).toBe('loading');
    await client.start();

    expect(client.getState().status).toBe('signed-in');
    expect(client.getState().user?.id).toBe(api.user.id);
    const [refresh] = api.callsTo('POST', '/v1/auth/refresh');
    expect(refresh?.body).toEqual({ refresh_token: storedBefore });
    expect(storedSession()!.refresh_token).not.toBe(storedBefore);
    client.stop();
  });

  it('is signed out, without any request, when nothing is stored', async () => {
    const api = new FakeApi();
    const client = makeClient(api);
    await client.start();
    expect(client.getState()).toEqual({ status: 'signed-out', user: null });
    expect(api.fetch).not.toHaveBeenCalled();
  });

  it('forgets a stored token that the API refuses', async () => {
    const api = new FakeApi();
    window.sessionStorage.setItem(
      STORAGE_KEY,
      JSON.stringify({
        session_id: 'ses_x',
        refresh_token: 'rt_unknown',
        refresh_token_expires_at: new Date(Date.now() + 3600_000).toISOString(),
      }),
    );
    const client = makeClient(api);
    await client.start();
    expect(client.getState().status).toBe('signed-out');
    expect(storedSession()).toBeNull();
  });

  it('honours a custom token storage and never touches sessionStorage then', async () => {
    const api = new FakeApi();
    const storage = memoryStorage();
    const setItem = vi.spyOn(storage, 'setItem');
    await signedIn(api, { tokenStorage: storage });
    expect(setItem).toHaveBeenCalledWith(STORAGE_KEY, expect.stringContaining('"refresh_token":"rt_'));
    expect(window.sessionStorage.length).toBe(0);
  });
});

describe('HelloJohnError', () => {
  it('carries the API error body: code, status, message, requestId, details, retryAfter', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.overrides.push((call) =>
      call.path === '/v1/auth/me'
        ? errorResponse(
            422,
            'validation_failed',
            'phone_number must be in E.164 format',
            [{ field: 'phone_number', message: 'must start with + and a country code' }],
            { 'Retry-After': '7' },
          )
        : undefined,
    );
    const error = (await client
      .updateUser({ phone_number: '555' })
      .catch((e: unknown) => e)) as HelloJohnError;
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(HelloJohnError);
    expect(error.name).toBe('HelloJohnError');
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(422);
    expect(error.message).toBe('phone_number must be in E.164 format');
    expect(error.requestId).toBe('req_validation_failed');
    expect(error.details).toEqual([
      { field: 'phone_number', message: 'must start with + and a country code' },
    ]);
    expect(error.fieldError('phone_number')).toBe('must start with + and a country code');
    expect(error.fieldErrors()).toEqual({ phone_number: 'must start with + and a country code' });
    expect(error.retryAfter).toBe(7);
  });

  it('falls back to X-Request-ID and the HTTP status when the body is not the contract shape', async () => {
    const api = new FakeApi();
    api.overrides.push(
      () => new Response('<html>bad gateway</html>', { status: 502, headers: { 'X-Request-ID': 'req_gw' } }),
    );
    const client = makeClient(api);
    const error = (await client
      .signIn({ email: 'a@b.c', password: 'x' })
      .catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('http_error');
    expect(error.status).toBe(502);
    expect(error.requestId).toBe('req_gw');
    expect(error.details).toEqual([]);
  });

  it('reports a network failure as network_error with status 0', async () => {
    const api = new FakeApi();
    api.overrides.push(() => {
      throw new TypeError('Failed to fetch');
    });
    const error = (await makeClient(api)
      .signIn({ email: 'a@b.c', password: 'x' })
      .catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('network_error');
    expect(error.status).toBe(0);
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('rejects a 2xx sign-in answer without {user, session} as invalid_response', async () => {
    const api = new FakeApi();
    api.overrides.push(() => jsonResponse(200, { ok: true }));
    const client = makeClient(api);
    const error = (await client
      .signIn({ email: 'a@b.c', password: 'x' })
      .catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('invalid_response');
    expect(client.getState().user).toBeNull();
  });
});

describe('sign-out', () => {
  it('calls POST /v1/auth/sign-out with the access token and clears every trace', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const token = await client.getToken();

    await client.signOut();

    const [call] = api.callsTo('POST', '/v1/auth/sign-out');
    expect(bearer(call!)).toBe(token);
    expect(call?.rawBody).toBeUndefined();
    expect(client.getState()).toEqual({ status: 'signed-out', user: null });
    expect(storedSession()).toBeNull();
    expect(await client.getToken()).toBeNull();
    const error = (await client.reloadUser().catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('not_signed_in');
    expect(api.revoked.size).toBe(1);
  });

  it('still signs out locally when the API cannot be reached, and reports the failure', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.overrides.push(() => {
      throw new TypeError('offline');
    });
    const error = (await client.signOut().catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('network_error');
    expect(client.getState().status).toBe('signed-out');
    expect(storedSession()).toBeNull();
  });

  it('treats an already revoked session as signed out without error', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.revokeAll();
    await expect(client.signOut()).resolves.toBeUndefined();
    expect(client.getState().status).toBe('signed-out');
  });

  it('drops the answer of a refresh still in flight when a new session replaced it', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.refreshDelayMs = 30;
    const pending = client.refresh().catch((e: unknown) => e);
    const user = await client.signIn({ email: 'ada@example.com', password: api.password });
    const newToken = storedSession()!.refresh_token;

    const error = (await pending) as HelloJohnError;
    expect(error.code).toBe('not_signed_in');
    // The late answer did not overwrite the new session.
    expect(storedSession()!.refresh_token).toBe(newToken);
    expect(client.getState().user).toBe(user);
    const token = await client.getToken();
    // issued: sign-in 1, sign-in 2, then the late refresh of session 1.
    expect(api.issued).toHaveLength(3);
    expect(token).toBe(api.issued[1]!.access_token);
  });
});

describe('sessions', () => {
  it('getSessions(): GET /v1/auth/sessions with the access token, the current one marked', async () => {
    const api = new FakeApi();
    const other = api.issueSession(); // signed in elsewhere first
    const client = await signedIn(api);
    const sessions = await client.getState().user!.getSessions();

    const [call] = api.callsTo('GET', '/v1/auth/sessions');
    expect(bearer(call!)).toBe(api.issued.at(-1)?.access_token);
    expect(call?.body).toBeUndefined();
    expect(sessions.map((s) => [s.id, s.current])).toEqual([
      [api.issued.at(-1)?.id, true],
      [other.id, false],
    ]);
    expect(sessions[1]).toMatchObject({ device: 'Chrome 156 on Linux', ip: '203.0.113.10' });
  });

  it('session.revoke() ends that session only: the client stays signed in', async () => {
    const api = new FakeApi();
    const other = api.issueSession();
    const client = await signedIn(api);
    const [, laptop] = await client.getSessions();
    expect(laptop?.id).toBe(other.id);
    await laptop!.revoke();

    const [call] = api.callsTo('POST', `/v1/auth/sessions/${other.id}/revoke`);
    expect(bearer(call!)).toBe(api.issued.at(-1)?.access_token);
    expect(call?.rawBody).toBeUndefined();
    expect(api.revoked.has(other.id)).toBe(true);
    expect(client.getState().status).toBe('signed-in');
    expect((await client.getSessions()).map((s) => s.id)).toEqual([api.issued.at(-1)?.id]);
  });

  it('revoking the current session signs this client out', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const [current] = await client.getSessions();
    expect(current?.current).toBe(true);
    await current!.revoke();
    expect(client.getState()).toEqual({ status: 'signed-out', user: null });
    expect(storedSession()).toBeNull();
  });

  it("an unknown (or another user's) session id rejects with the API's 404", async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const error = await client.revokeSession('ses_someone_else').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HelloJohnError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
    expect(client.getState().status).toBe('signed-in');
  });

  it('a revoked session (401 session_revoked) signs out when it lists', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.revokeAll();
    await expect(client.getSessions()).rejects.toMatchObject({ code: 'session_revoked' });
    expect(client.getState().status).toBe('signed-out');
  });

  it('a malformed list is an invalid_response error', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.overrides.push((call) =>
      call.path === '/v1/auth/sessions' ? jsonResponse(200, { data: [{ id: 1 }] }) : undefined,
    );
    await expect(client.getSessions()).rejects.toMatchObject({ code: 'invalid_response' });
  });
});

// issue 26's code (reverification, built beside this): not in this document's enum yet
const REVERIFY = 'reauthentication_required' as Parameters<typeof errorResponse>[1];

describe('user.delete (DELETE /v1/auth/me)', () => {
  it('sends DELETE with the access token, signs out, and resolves with the restore deadline', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    const pending = { deletion_requested_at: '2026-12-08T00:00:00Z', purge_at: '2026-12-15T00:00:00Z' };
    api.overrides.push((call) =>
      call.method === 'DELETE' && call.path === '/v1/auth/me' ? jsonResponse(200, pending) : undefined,
    );
    await expect(client.getState().user!.delete()).resolves.toEqual(pending);
    const [call] = api.callsTo('DELETE', '/v1/auth/me');
    expect(bearer(call!)).toMatch(/^at_/);
    expect(client.getState()).toEqual({ status: 'signed-out', user: null });
    expect(storedSession()).toBeNull();
  });

  it('resolves with null when the account is gone at once (204)', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.overrides.push((call) =>
      call.method === 'DELETE' && call.path === '/v1/auth/me'
        ? new Response(null, { status: 204 })
        : undefined,
    );
    await expect(client.deleteUser()).resolves.toBeNull();
    expect(client.getState().status).toBe('signed-out');
  });

  it('calls the reverification hook on 403 reauthentication_required, then deletes', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    let asked = 0;
    api.overrides.push((call) => {
      if (call.method !== 'DELETE' || call.path !== '/v1/auth/me') return undefined;
      return asked === 0
        ? errorResponse(403, REVERIFY, 'Prove it is you')
        : new Response(null, { status: 204 });
    });
    const reverify = vi.fn(() => {
      asked += 1;
      return Promise.resolve();
    });
    await expect(client.deleteUser({ reverify })).resolves.toBeNull();
    expect(reverify).toHaveBeenCalledOnce();
    expect(api.callsTo('DELETE', '/v1/auth/me')).toHaveLength(2);
  });

  it('without a hook, the 403 is thrown and the session kept', async () => {
    const api = new FakeApi();
    const client = await signedIn(api);
    api.overrides.push((call) =>
      call.method === 'DELETE' && call.path === '/v1/auth/me'
        ? errorResponse(403, REVERIFY, 'Prove it is you')
        : undefined,
    );
    const error = (await client.deleteUser().catch((e: unknown) => e)) as HelloJohnError;
    expect(error.code).toBe('reauthentication_required');
    expect(client.getState().status).toBe('signed-in');
  });
});
