import type { SessionData } from './types.js';

/**
 * Where the refresh token survives a page reload. Synchronous, string-valued, like Web Storage,
 * so `window.sessionStorage` / `window.localStorage` fit as they are.
 */
export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * `'session'` (default): `sessionStorage`: survives reloads of the tab, gone when the tab closes,
 *   not shared with other tabs.
 * `'local'`: `localStorage`: survives closing the browser; shared by all tabs of the origin.
 * `'memory'`: nothing persisted; a reload signs the user out.
 * Or any {@link TokenStorage}.
 */
export type TokenStorageOption = 'session' | 'local' | 'memory' | TokenStorage;

export function memoryStorage(): TokenStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/** Resolves the option to a working storage; falls back to memory where Web Storage is blocked. */
export function resolveStorage(option: TokenStorageOption | undefined): TokenStorage {
  if (option === undefined || option === 'session' || option === 'local') {
    const kind = option === 'local' ? 'localStorage' : 'sessionStorage';
    try {
      const storage = typeof window === 'undefined' ? undefined : window[kind];
      if (storage !== undefined) {
        const probe = '__hellojohn_probe__';
        storage.setItem(probe, probe);
        storage.removeItem(probe);
        return storage;
      }
    } catch {
      // Storage disabled (privacy settings, sandboxed iframe, Safari private mode quota 0).
    }
    return memoryStorage();
  }
  if (option === 'memory') return memoryStorage();
  return option;
}

/** What is persisted: only the refresh side of the session, never the access token. */
interface PersistedSession {
  session_id: string;
  refresh_token: string;
  refresh_token_expires_at: string;
}

function isPersistedSession(value: unknown): value is PersistedSession {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.session_id === 'string' &&
    typeof v.refresh_token === 'string' &&
    typeof v.refresh_token_expires_at === 'string'
  );
}

/** Parses an RFC 3339 timestamp to epoch ms; NaN when unparsable. */
export function parseTime(value: string): number {
  return Date.parse(value);
}

/**
 * Holds the session's tokens: the access token only in memory (a JS variable), the refresh
 * token in memory and mirrored to the chosen {@link TokenStorage}, replaced on every rotation.
 */
export class TokenStore {
  private readonly storage: TokenStorage;
  private readonly key: string;
  private accessToken: string | null = null;
  private accessTokenExpiresAt = 0;
  private accessTokenReceivedAt = 0;
  private refreshTokenValue: string | null = null;
  private refreshTokenExpiresAt = 0;
  private sessionIdValue: string | null = null;

  constructor(storage: TokenStorage, tenantId: string) {
    this.storage = storage;
    this.key = `hellojohn:${tenantId}:session`;
    this.load();
  }

  /** Stores a session from sign-in or refresh; the previous refresh token is forgotten. */
  setSession(session: SessionData): void {
    this.accessToken = session.access_token;
    this.accessTokenExpiresAt = parseTime(session.access_token_expires_at);
    this.accessTokenReceivedAt = Date.now();
    this.refreshTokenValue = session.refresh_token;
    this.refreshTokenExpiresAt = parseTime(session.refresh_token_expires_at);
    this.sessionIdValue = session.id;
    const persisted: PersistedSession = {
      session_id: session.id,
      refresh_token: session.refresh_token,
      refresh_token_expires_at: session.refresh_token_expires_at,
    };
    try {
      this.storage.setItem(this.key, JSON.stringify(persisted));
    } catch {
      // Quota or disabled storage: the session still works for the life of the page.
    }
  }

  /** Forgets the session, in memory and in storage. */
  clear(): void {
    this.clearMemory();
    try {
      this.storage.removeItem(this.key);
    } catch {
      // Nothing more to do.
    }
  }

  /** Forgets the session in memory only (storage keeps it for a later page load). */
  clearMemory(): void {
    this.accessToken = null;
    this.accessTokenExpiresAt = 0;
    this.accessTokenReceivedAt = 0;
    this.refreshTokenValue = null;
    this.refreshTokenExpiresAt = 0;
    this.sessionIdValue = null;
  }

  /**
   * Adopts a newer refresh token of the same session written to storage by another tab
   * (relevant with shared `localStorage`), so that this tab does not spend a dead token.
   */
  syncFromStorage(): void {
    const persisted = this.readPersisted();
    if (persisted === null) return;
    if (this.sessionIdValue !== null && persisted.session_id !== this.sessionIdValue) return;
    this.refreshTokenValue = persisted.refresh_token;
    this.refreshTokenExpiresAt = parseTime(persisted.refresh_token_expires_at);
    this.sessionIdValue = persisted.session_id;
  }

  get sessionId(): string | null {
    return this.sessionIdValue;
  }

  get refreshToken(): string | null {
    if (this.refreshTokenValue !== null && this.refreshTokenExpiresAt <= Date.now()) return null;
    return this.refreshTokenValue;
  }

  /** The access token, whatever its age (null before sign-in). */
  get currentAccessToken(): string | null {
    return this.accessToken;
  }

  /** Epoch ms at which the access token expires (0 when there is none). */
  get accessExpiresAt(): number {
    return this.accessTokenExpiresAt;
  }

  /** How long the access token was valid for when it was received (ms; 0 when none). */
  get accessLifetimeMs(): number {
    return Math.max(0, this.accessTokenExpiresAt - this.accessTokenReceivedAt);
  }

  /** True when there is an access token that is valid for at least `leewayMs` more. */
  hasFreshAccessToken(leewayMs: number, now: number = Date.now()): boolean {
    return this.accessToken !== null && now < this.accessTokenExpiresAt - leewayMs;
  }

  /** Reads back a refresh token persisted by an earlier page load (no access token: memory only). */
  private load(): void {
    const persisted = this.readPersisted();
    if (persisted === null) return;
    this.refreshTokenValue = persisted.refresh_token;
    this.refreshTokenExpiresAt = parseTime(persisted.refresh_token_expires_at);
    this.sessionIdValue = persisted.session_id;
  }

  /** The stored session if present, well-formed and unexpired; removes it otherwise. */
  private readPersisted(): PersistedSession | null {
    let raw: string | null;
    try {
      raw = this.storage.getItem(this.key);
    } catch {
      return null;
    }
    if (raw === null) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = null;
    }
    if (!isPersistedSession(parsed) || parseTime(parsed.refresh_token_expires_at) <= Date.now()) {
      try {
        this.storage.removeItem(this.key);
      } catch {
        // Nothing more to do.
      }
      return null;
    }
    return parsed;
  }
}
