import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { HelloJohnError } from '../errors.js';
import type { ReverificationPrompt } from '../reverification.js';
import type {
  AuthState,
  HelloJohnSession,
  HelloJohnUser,
  SignInParams,
  UpdateUserFields,
  UserData,
} from '../types.js';
import { useHelloJohnClient } from './context.js';

/** The provider's auth state, re-rendering on every change. */
export function useAuthState(): AuthState {
  const client = useHelloJohnClient();
  return useSyncExternalStore(client.subscribe, client.getState, client.getState);
}

export interface UseAuthResult {
  /** False until the session kept from an earlier page load has been restored (or not). */
  isLoaded: boolean;
  isSignedIn: boolean;
  /** `POST /v1/auth/sign-in`. Rejects with a {@link HelloJohnError} (`invalid_credentials`, …). */
  signIn: (params: SignInParams) => Promise<HelloJohnUser>;
  /** Ends the session on the API and forgets it locally. */
  signOut: () => Promise<void>;
  /** A valid access token for calling your own backend, or null when signed out. */
  getToken: () => Promise<string | null>;
  /** `POST /v1/auth/email/verify` with the token of the verification link. */
  verifyEmail: (token: string) => Promise<UserData>;
}

export function useAuth(): UseAuthResult {
  const client = useHelloJohnClient();
  const state = useAuthState();
  const signIn = useCallback((params: SignInParams) => client.signIn(params), [client]);
  const signOut = useCallback(() => client.signOut(), [client]);
  const getToken = useCallback(() => client.getToken(), [client]);
  const verifyEmail = useCallback((token: string) => client.verifyEmail(token), [client]);
  return {
    isLoaded: state.status !== 'loading',
    isSignedIn: state.status === 'signed-in',
    signIn,
    signOut,
    getToken,
    verifyEmail,
  };
}

export interface UseUserResult {
  /** The signed-in user; never null (see {@link useUser}). */
  user: HelloJohnUser;
  /** Always true when `useUser()` returns (kept for symmetry with `useAuth`). */
  isLoaded: boolean;
  /** `PATCH /v1/auth/me` with exactly `fields`; `user` is replaced by the API's answer. */
  update: (fields: UpdateUserFields) => Promise<HelloJohnUser>;
}

export interface UseOptionalUserResult {
  /** The signed-in user, or null while loading and when signed out. */
  user: HelloJohnUser | null;
  isLoaded: boolean;
  isSignedIn: boolean;
  update: (fields: UpdateUserFields) => Promise<HelloJohnUser>;
}

/**
 * The signed-in user, for components rendered only when someone is signed in, i.e. inside
 * `<SignedIn>`. `user` is typed non-null so that `user.name` needs no check; calling `useUser()`
 * while nobody is signed in (or before the session is restored) is a programming error and
 * throws a {@link HelloJohnError} with code `not_signed_in`. Where signed-out rendering must be
 * handled in the component itself, use {@link useOptionalUser}.
 */
export function useUser(): UseUserResult {
  const { user, isLoaded, update } = useOptionalUser();
  if (user === null) {
    throw new HelloJohnError({
      code: 'not_signed_in',
      message:
        'useUser() was called while no user is signed in. Render the component inside <SignedIn>, ' +
        'or use useOptionalUser() and handle user === null.',
      status: 401,
    });
  }
  return { user, isLoaded, update };
}

/** Like {@link useUser}, but `user` is null while loading or signed out. */
export function useOptionalUser(): UseOptionalUserResult {
  const client = useHelloJohnClient();
  const state = useAuthState();
  const update = useCallback((fields: UpdateUserFields) => client.updateUser(fields), [client]);
  return {
    user: state.user,
    isLoaded: state.status !== 'loading',
    isSignedIn: state.status === 'signed-in',
    update,
  };
}

export interface UseSessionsResult {
  /**
   * The signed-in user's live sessions (`GET /v1/auth/sessions`), newest first, this client's
   * marked `current`; null until the first answer, and while signed out.
   */
  sessions: HelloJohnSession[] | null;
  /** True while a (re)load is in flight. */
  isLoading: boolean;
  /** The last load's or revoke's failure, or null. */
  error: Error | null;
  /** Loads the list again. */
  reload: () => void;
  /**
   * `POST /v1/auth/sessions/{id}/revoke`, then reloads the list. Rejects as the API refused it
   * (e.g. 404 `not_found`). Revoking the current session signs this client out.
   */
  revoke: (sessionId: string) => Promise<void>;
}

interface Loaded {
  key: string;
  sessions: HelloJohnSession[] | null;
  error: Error | null;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Where the signed-in user is signed in, and a way to end one of those sessions. */
export function useSessions(): UseSessionsResult {
  const client = useHelloJohnClient();
  const state = useAuthState();
  const userId = state.status === 'signed-in' ? (state.user?.id ?? null) : null;
  const [version, setVersion] = useState(0);
  const [loaded, setLoaded] = useState<Loaded>({ key: '', sessions: null, error: null });
  const [revokeError, setRevokeError] = useState<Error | null>(null);
  const key = userId === null ? '' : `${userId}#${String(version)}`;

  useEffect(() => {
    if (userId === null) return;
    let current = true;
    client.getSessions().then(
      (sessions) => {
        if (current) setLoaded({ key, sessions, error: null });
      },
      (error: unknown) => {
        if (current) setLoaded((was) => ({ key, sessions: was.sessions, error: asError(error) }));
      },
    );
    return () => {
      current = false;
    };
  }, [client, userId, key]);

  const reload = useCallback(() => {
    setVersion((v) => v + 1);
  }, []);
  const revoke = useCallback(
    async (sessionId: string) => {
      setRevokeError(null);
      try {
        await client.revokeSession(sessionId);
      } catch (error) {
        setRevokeError(asError(error));
        throw error;
      } finally {
        setVersion((v) => v + 1);
      }
    },
    [client],
  );

  const sameUser = userId !== null && loaded.key.startsWith(`${userId}#`);
  return {
    sessions: sameUser ? loaded.sessions : null,
    isLoading: userId !== null && loaded.key !== key,
    error: revokeError ?? (sameUser ? loaded.error : null),
    reload,
    revoke,
  };
}

/**
 * Wraps `action` (e.g. `user.update`) so that a 403 `reauthentication_required` (the session's
 * last proof of the password is older than the tenant allows for an email or phone change) asks
 * `prompt` for the password, calls `POST /v1/auth/reauthenticate`, and retries `action` once. A
 * wrong password asks again (with `error` set); a cancelled prompt (null) rejects with a
 * {@link HelloJohnError} of code `reverification_cancelled`.
 *
 * ```tsx
 * const updateWithProof = useReverification(update, askPassword);
 * await updateWithProof({ email });
 * ```
 */
export function useReverification<A extends unknown[], T>(
  action: (...args: A) => Promise<T>,
  prompt: ReverificationPrompt,
): (...args: A) => Promise<T> {
  const client = useHelloJohnClient();
  return useCallback(
    (...args: A) => client.withReverification(() => action(...args), prompt),
    [client, action, prompt],
  );
}
