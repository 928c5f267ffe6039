import { HelloJohnError } from './errors.js';
import { HttpClient, type FetchLike, type HttpMethod } from './http.js';
import { withReverification, type ReverificationPrompt } from './reverification.js';
import { TokenStore, resolveStorage, type TokenStorageOption } from './tokenStore.js';
import type {
  AuthState,
  DeleteUserOptions,
  HelloJohnSession,
  HelloJohnUser,
  PendingDeletionData,
  SessionData,
  SessionInfoData,
  SignInParams,
  UpdatePasswordParams,
  UpdateUserFields,
  UserData,
} from './types.js';

export interface HelloJohnClientOptions {
  /** The API's base URL, e.g. `https://api.hellojohn.dev` (without `/v1`). */
  apiUrl: string;
  /** `tnt_…` */
  tenantId: string;
  /** `pk_live_…` / `pk_test_…`: safe to ship in a browser bundle. */
  publishableKey: string;
  /** Where the refresh token is kept between page loads. Default `'session'` (sessionStorage). */
  tokenStorage?: TokenStorageOption;
  /** A `fetch` to use instead of the global one (tests, SSR polyfills). */
  fetch?: FetchLike;
  /**
   * Refresh the access token this long before its `access_token_expires_at` (default 60 s,
   * capped at half the token's lifetime).
   */
  refreshLeewayMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
}

/** `setTimeout` cannot wait longer than 2^31-1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSessionData(value: unknown): value is SessionData {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.access_token === 'string' &&
    typeof value.refresh_token === 'string' &&
    typeof value.access_token_expires_at === 'string' &&
    typeof value.refresh_token_expires_at === 'string'
  );
}

function isUserData(value: unknown): value is Record<string, unknown> & { id: string } {
  return isRecord(value) && typeof value.id === 'string';
}

function isSessionInfo(value: unknown): value is SessionInfoData {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.created_at === 'string' &&
    typeof value.expires_at === 'string' &&
    typeof value.current === 'boolean'
  );
}

function invalidResponse(what: string): HelloJohnError {
  return new HelloJohnError({
    code: 'invalid_response',
    message: `Unexpected response from the HelloJohn API: ${what}`,
    status: 200,
  });
}

function notSignedIn(message = 'No user is signed in'): HelloJohnError {
  return new HelloJohnError({ code: 'not_signed_in', message, status: 401 });
}

/** 401s after which the session cannot be used any more (not: `token_expired`, fixed by a refresh; `invalid_credentials`, a wrong password typed by the user). */
const DEAD_SESSION_CODES = new Set(['session_revoked', 'invalid_token', 'unauthorized']);

/** A refresh refused by the API (any 4xx but 408/429) means the refresh token is dead. */
function isRefreshRefused(error: unknown): boolean {
  return (
    error instanceof HelloJohnError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 408 &&
    error.status !== 429
  );
}

/**
 * The framework-free core of the SDK: session lifecycle, token refresh and the self-service
 * calls. The React layer (`HelloJohnProvider`, hooks) is a thin subscription to it.
 */
export class HelloJohnClient {
  private readonly http: HttpClient;
  private readonly tokens: TokenStore;
  private readonly publishableKey: string;
  private readonly tenantId: string;
  private readonly leewayMs: number;

  private state: AuthState = { status: 'loading', user: null };
  private readonly listeners = new Set<() => void>();
  /** The one refresh request in flight, shared by every caller that needs a new access token. */
  private refreshInFlight: Promise<void> | null = null;
  /** Bumped whenever the session is replaced or ended, so late answers of an old one are dropped. */
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private started = false;
  private restorePromise: Promise<void> | null = null;

  constructor(options: HelloJohnClientOptions) {
    const httpOptions: ConstructorParameters<typeof HttpClient>[0] = {
      apiUrl: options.apiUrl,
      tenantId: options.tenantId,
    };
    if (options.fetch !== undefined) httpOptions.fetch = options.fetch;
    if (options.requestTimeoutMs !== undefined) httpOptions.timeoutMs = options.requestTimeoutMs;
    this.http = new HttpClient(httpOptions);
    this.tokens = new TokenStore(resolveStorage(options.tokenStorage), options.tenantId);
    this.publishableKey = options.publishableKey;
    this.tenantId = options.tenantId;
    this.leewayMs = options.refreshLeewayMs ?? 60_000;
  }

  // ---- state, for useSyncExternalStore -------------------------------------------------------

  /** The current snapshot; a new object after every change. */
  getState = (): AuthState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  private setState(next: AuthState): void {
    this.state = next;
    for (const listener of [...this.listeners]) listener();
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /**
   * Restores the session kept by an earlier page load (refresh, then `GET /v1/auth/me`) and
   * starts the proactive refresh timer. Idempotent; resolves when the state is known.
   */
  start(): Promise<void> {
    this.started = true;
    this.scheduleRefresh();
    this.restorePromise ??= this.restore();
    return this.restorePromise;
  }

  /** Stops the refresh timer (the session is kept; `start()` resumes). */
  stop(): void {
    this.started = false;
    this.clearTimer();
  }

  private async restore(): Promise<void> {
    const generation = this.generation;
    if (this.state.status !== 'loading') return;
    if (this.tokens.refreshToken === null) {
      this.setState({ status: 'signed-out', user: null });
      return;
    }
    try {
      await this.refresh();
      const user = await this.fetchMe();
      if (generation !== this.generation) return;
      this.setState({ status: 'signed-in', user });
    } catch {
      if (generation !== this.generation) return;
      // A refused refresh already cleared everything. A transient failure (offline, 5xx) keeps the
      // stored refresh token so that the next page load can try again.
      this.tokens.clearMemory();
      this.clearTimer();
      this.setState({ status: 'signed-out', user: null });
    }
  }

  // ---- auth -----------------------------------------------------------------------------------

  /** `POST /v1/auth/sign-in`; replaces any current session. */
  async signIn(params: SignInParams): Promise<HelloJohnUser> {
    const body = await this.http.request<unknown>({
      method: 'POST',
      path: '/v1/auth/sign-in',
      bearer: this.publishableKey,
      body: { email: params.email, password: params.password },
    });
    if (!isRecord(body) || !isSessionData(body.session) || !isUserData(body.user)) {
      throw invalidResponse('sign-in did not return {user, session}');
    }
    this.generation += 1;
    this.refreshInFlight = null;
    this.tokens.setSession(body.session);
    const user = this.makeUser(body.user);
    this.setState({ status: 'signed-in', user });
    this.scheduleRefresh();
    return user;
  }

  /**
   * `POST /v1/auth/sign-out`, then forgets the session locally, whatever the API answered.
   * A 401/403 (session already dead) is not an error; a network or server error is rethrown
   * after the local sign-out.
   */
  async signOut(): Promise<void> {
    const hasSession = this.tokens.currentAccessToken !== null || this.tokens.refreshToken !== null;
    try {
      if (hasSession) await this.authorized('POST', '/v1/auth/sign-out');
    } catch (error) {
      if (!(error instanceof HelloJohnError) || (error.status !== 401 && error.status !== 403)) {
        this.clearSession();
        throw error;
      }
    }
    this.clearSession();
  }

  /**
   * A valid access token (refreshed first if it is about to expire), e.g. to call your own
   * backend; null when nobody is signed in.
   */
  async getToken(): Promise<string | null> {
    if (this.tokens.currentAccessToken === null && this.tokens.refreshToken === null) return null;
    try {
      return await this.freshAccessToken();
    } catch (error) {
      if (error instanceof HelloJohnError && error.code === 'not_signed_in') return null;
      throw error;
    }
  }

  /**
   * Gets a new access token with the refresh token (`POST /v1/auth/refresh`). The API rotates
   * the refresh token on every use, so concurrent callers share one request: a second request
   * with the same token would be refused (and could end the session).
   */
  refresh(): Promise<void> {
    if (this.refreshInFlight !== null) return this.refreshInFlight;
    const inFlight = withRefreshLock(`hellojohn:${this.tenantId}:refresh`, () => this.doRefresh()).finally(
      () => {
        if (this.refreshInFlight === inFlight) this.refreshInFlight = null;
      },
    );
    this.refreshInFlight = inFlight;
    return inFlight;
  }

  private async doRefresh(): Promise<void> {
    const generation = this.generation;
    this.tokens.syncFromStorage();
    const refreshToken = this.tokens.refreshToken;
    if (refreshToken === null) {
      this.clearSession();
      throw notSignedIn('The session has ended; sign in again');
    }
    let body: unknown;
    try {
      body = await this.http.request<unknown>({
        method: 'POST',
        path: '/v1/auth/refresh',
        bearer: this.publishableKey,
        body: { refresh_token: refreshToken },
      });
    } catch (error) {
      if (generation === this.generation && isRefreshRefused(error)) this.clearSession();
      throw error;
    }
    if (generation !== this.generation) throw notSignedIn('The session changed during the refresh');
    if (!isRecord(body) || !isSessionData(body.session)) {
      throw invalidResponse('refresh did not return {session}');
    }
    this.tokens.setSession(body.session);
    this.scheduleRefresh();
  }

  /**
   * `POST /v1/auth/email/verify` with the token from the verification email (publishable key; no
   * session needed). Resolves with the user, whose `email` is now the new address; when that user
   * is the one signed in here, the state's user is replaced too.
   */
  async verifyEmail(token: string): Promise<UserData> {
    const body = await this.http.request<unknown>({
      method: 'POST',
      path: '/v1/auth/email/verify',
      bearer: this.publishableKey,
      body: { token },
    });
    const raw = isRecord(body) && isUserData(body.user) ? body.user : body;
    if (!isUserData(raw)) throw invalidResponse('email verification did not return a user');
    const user = this.makeUser(raw);
    if (this.state.status === 'signed-in' && this.state.user?.id === user.id) {
      this.setState({ status: 'signed-in', user });
    }
    const {
      updatePassword: _updatePassword,
      update: _update,
      passwordChangeRequired: _pcr,
      getSessions: _getSessions,
      delete: _delete,
      ...data
    } = user;
    return data;
  }

  // ---- self-service user ----------------------------------------------------------------------

  /** `GET /v1/auth/me`, and updates the state's user. */
  async reloadUser(): Promise<HelloJohnUser> {
    const generation = this.generation;
    const user = await this.fetchMe();
    if (generation === this.generation) this.setState({ status: 'signed-in', user });
    return user;
  }

  /** `PATCH /v1/auth/me` with `fields` as the exact body; updates the state's user. */
  async updateUser(fields: UpdateUserFields): Promise<HelloJohnUser> {
    const generation = this.generation;
    const body = await this.authorized<unknown>('PATCH', '/v1/auth/me', fields);
    const user = isUserData(body) ? this.makeUser(body) : await this.fetchMe();
    if (generation === this.generation) this.setState({ status: 'signed-in', user });
    return user;
  }

  /** `POST /v1/auth/password/change` with `params` as the exact body. Any 2xx is success. */
  async updatePassword(params: UpdatePasswordParams): Promise<void> {
    const generation = this.generation;
    const wasTemporary = this.state.user?.passwordChangeRequired === true;
    const body = await this.authorized<unknown>('POST', '/v1/auth/password/change', params);
    if (generation !== this.generation) return;
    // The access token issued while the password was temporary still carries that claim (the
    // API's gate reads it): one refresh gets a token without it.
    if (wasTemporary) await this.refresh();
    if (generation !== this.generation || !isRecord(body)) return;
    // Tolerate an API that answers with the user, or with {user, session} (a re-issued session).
    if (isSessionData(body.session)) {
      this.tokens.setSession(body.session);
      this.scheduleRefresh();
    }
    const userData = isUserData(body.user) ? body.user : isUserData(body) && 'email' in body ? body : null;
    if (userData !== null) this.setState({ status: 'signed-in', user: this.makeUser(userData) });
  }

  /**
   * `POST /v1/auth/reauthenticate`: proves the password again for this session, whose tokens are
   * replaced (a fresh `auth_time`, a new refresh token). What a 403 `reauthentication_required`
   * asks for; `useReverification` calls it. Rejects with `invalid_credentials` for a wrong
   * password (counted towards the lockout, as at sign-in).
   */
  async reauthenticate(password: string): Promise<void> {
    // The refresh token is replaced: no refresh may run with the old one meanwhile (shared lock).
    if (this.refreshInFlight !== null) await this.refreshInFlight.catch(() => undefined);
    const token = await this.freshAccessToken();
    const generation = this.generation;
    const inFlight = withRefreshLock(`hellojohn:${this.tenantId}:refresh`, async () => {
      let body: unknown;
      try {
        body = await this.http.request<unknown>({
          method: 'POST',
          path: '/v1/auth/reauthenticate',
          bearer: token,
          body: { password },
        });
      } catch (error) {
        this.endSessionIfDead(error, generation);
        throw error;
      }
      if (generation !== this.generation) throw notSignedIn('The session changed during reauthentication');
      if (!isRecord(body) || !isSessionData(body.session)) {
        throw invalidResponse('reauthenticate did not return {session}');
      }
      this.tokens.setSession(body.session);
      this.scheduleRefresh();
    });
    this.refreshInFlight = inFlight; // a refresh asked for meanwhile waits for the new tokens
    try {
      await inFlight;
    } finally {
      if (this.refreshInFlight === inFlight) this.refreshInFlight = null;
    }
  }

  /**
   * Runs `action` (e.g. `() => client.updateUser({email})`); on a 403 `reauthentication_required`
   * asks `prompt` for the password, reauthenticates, and runs it once more. A cancelled prompt
   * rejects with `reverification_cancelled`. The React hook is `useReverification`.
   */
  withReverification<T>(action: () => Promise<T>, prompt: ReverificationPrompt): Promise<T> {
    return withReverification(this, action, prompt);
  }

  /**
   * `DELETE /v1/auth/me`: deletes the signed-in user's account, then signs this client out (the API
   * has ended every session). Resolves with when it was deleted and until when an administrator
   * can restore it, or null when the tenant deletes at once (no grace period). A 403
   * `reauthentication_required` calls `options.reverify` (when given) and sends the deletion again.
   */
  async deleteUser(options: DeleteUserOptions = {}): Promise<PendingDeletionData | null> {
    let body: unknown;
    try {
      body = await this.authorized<unknown>('DELETE', '/v1/auth/me');
    } catch (error) {
      if (
        !(error instanceof HelloJohnError) ||
        error.code !== 'reauthentication_required' ||
        options.reverify === undefined
      ) {
        throw error;
      }
      await options.reverify();
      body = await this.authorized<unknown>('DELETE', '/v1/auth/me');
    }
    this.clearSession();
    if (body === undefined) return null;
    if (
      !isRecord(body) ||
      typeof body.purge_at !== 'string' ||
      typeof body.deletion_requested_at !== 'string'
    ) {
      throw invalidResponse('DELETE /v1/auth/me did not return {deletion_requested_at, purge_at}');
    }
    return { deletion_requested_at: body.deletion_requested_at, purge_at: body.purge_at };
  }

  // ---- sessions -------------------------------------------------------------------------------

  /**
   * `GET /v1/auth/sessions`: the signed-in user's live sessions (where and when each was made),
   * newest first, the one of this client marked `current`; each with `revoke()` bound.
   */
  async getSessions(): Promise<HelloJohnSession[]> {
    const body = await this.authorized<unknown>('GET', '/v1/auth/sessions');
    if (!isRecord(body) || !Array.isArray(body.data) || !body.data.every(isSessionInfo)) {
      throw invalidResponse('GET /v1/auth/sessions did not return {data: [sessions]}');
    }
    return body.data.map((info) => ({ ...info, revoke: () => this.revokeSession(info.id) }));
  }

  /**
   * `POST /v1/auth/sessions/{id}/revoke`: ends one of the signed-in user's sessions, e.g. "sign
   * out that old laptop". Its tokens are refused from their next use; the others keep working.
   * Revoking this client's own session signs it out here too.
   */
  async revokeSession(sessionId: string): Promise<void> {
    const own = sessionId === this.tokens.sessionId;
    await this.authorized('POST', `/v1/auth/sessions/${encodeURIComponent(sessionId)}/revoke`);
    if (own && sessionId === this.tokens.sessionId) this.clearSession();
  }

  // ---- signed-in requests ---------------------------------------------------------------------

  /**
   * A request with the access token. A 401 `token_expired` (e.g. the device clock is behind)
   * is retried once after one refresh; a 401 that means the session is dead signs out.
   */
  async authorized<T>(method: HttpMethod, path: string, body?: unknown): Promise<T | undefined> {
    const generation = this.generation;
    const token = await this.freshAccessToken();
    const send = (bearer: string): Promise<T | undefined> =>
      this.http.request<T>(body === undefined ? { method, path, bearer } : { method, path, bearer, body });
    try {
      return await send(token);
    } catch (error) {
      if (!(error instanceof HelloJohnError) || error.status !== 401 || error.code !== 'token_expired') {
        this.endSessionIfDead(error, generation);
        this.notePasswordChangeRequired(error, generation);
        throw error;
      }
    }
    // token_expired: refresh once, unless another caller already replaced the token meanwhile.
    if (this.tokens.currentAccessToken === token) await this.refresh();
    const retryToken = this.tokens.currentAccessToken;
    if (generation !== this.generation || retryToken === null) throw notSignedIn();
    try {
      return await send(retryToken);
    } catch (error) {
      this.endSessionIfDead(error, generation);
      throw error;
    }
  }

  private async freshAccessToken(): Promise<string> {
    const current = this.tokens.currentAccessToken;
    if (current !== null && this.tokens.hasFreshAccessToken(this.effectiveLeeway())) return current;
    if (this.tokens.refreshToken === null) {
      if (current !== null) return current; // no way to refresh: let the API judge the token
      throw notSignedIn();
    }
    await this.refresh();
    const token = this.tokens.currentAccessToken;
    if (token === null) throw notSignedIn();
    return token;
  }

  /** A 403 `password_change_required`: the state's user says so, for the app to route on. */
  private notePasswordChangeRequired(error: unknown, generation: number): void {
    const user = this.state.user;
    if (
      error instanceof HelloJohnError &&
      error.code === 'password_change_required' &&
      generation === this.generation &&
      user !== null &&
      !user.passwordChangeRequired
    ) {
      this.setState({ status: 'signed-in', user: { ...user, passwordChangeRequired: true } });
    }
  }

  private endSessionIfDead(error: unknown, generation: number): void {
    if (
      error instanceof HelloJohnError &&
      error.status === 401 &&
      DEAD_SESSION_CODES.has(error.code) &&
      generation === this.generation
    ) {
      this.clearSession();
    }
  }

  private async fetchMe(): Promise<HelloJohnUser> {
    const body = await this.authorized<unknown>('GET', '/v1/auth/me');
    if (!isUserData(body)) throw invalidResponse('GET /v1/auth/me did not return a user');
    return this.makeUser(body);
  }

  private makeUser(raw: Record<string, unknown> & { id: string }): HelloJohnUser {
    const data = { ...raw, name: typeof raw.name === 'string' ? raw.name : '' } as unknown as UserData;
    return {
      ...data,
      passwordChangeRequired: raw.password_change_required === true,
      updatePassword: (params: UpdatePasswordParams) => this.updatePassword(params),
      update: (fields: UpdateUserFields) => this.updateUser(fields),
      getSessions: () => this.getSessions(),
      delete: (options?: DeleteUserOptions) => this.deleteUser(options),
    };
  }

  private clearSession(): void {
    this.generation += 1;
    this.refreshInFlight = null;
    this.tokens.clear();
    this.clearTimer();
    if (this.state.status !== 'signed-out' || this.state.user !== null) {
      this.setState({ status: 'signed-out', user: null });
    }
  }

  // ---- proactive refresh ----------------------------------------------------------------------

  private effectiveLeeway(): number {
    const lifetime = this.tokens.accessLifetimeMs;
    return lifetime > 0 ? Math.min(this.leewayMs, lifetime / 2) : this.leewayMs;
  }

  private scheduleRefresh(): void {
    this.clearTimer();
    if (!this.started || this.tokens.currentAccessToken === null) return;
    const delay = this.tokens.accessExpiresAt - this.effectiveLeeway() - Date.now();
    if (!Number.isFinite(delay)) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        // Failures are handled where they matter: a refused refresh signs out, a transient one
        // is retried by the next request (which finds the token stale).
        this.refresh().catch(() => undefined);
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

/**
 * Runs `fn` under a Web Lock where the browser has them, so that tabs sharing a refresh token
 * (localStorage) do not spend it twice; elsewhere runs it directly.
 */
function withRefreshLock(name: string, fn: () => Promise<void>): Promise<void> {
  const nav: Navigator | undefined = typeof navigator === 'undefined' ? undefined : navigator;
  if (nav !== undefined && 'locks' in nav && typeof nav.locks.request === 'function') {
    // request() resolves with what the callback's promise resolves to.
    return nav.locks.request(name, fn).then(() => undefined);
  }
  return fn();
}
