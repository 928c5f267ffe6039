import { useCallback, useSyncExternalStore } from 'react';
import { HelloJohnError } from '../errors.js';
import type { AuthState, HelloJohnUser, SignInParams, UpdateUserFields, UserData } from '../types.js';
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
