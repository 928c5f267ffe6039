import { useSyncExternalStore } from 'react';
import type { HelloJohnError } from '@hellojohn/react';

/**
 * When the API ends this browser's session under a form (revoked in another tab or device, or by
 * an admin), the SDK signs out and the page shows the sign-in form. So that the user is told why
 * and loses nothing, the form notes the reason and its unsaved fields here (sessionStorage: this
 * tab only, gone with it); the sign-in form says why, and the profile form fills the fields back
 * in after the same user signs in again.
 */
const REASON = 'hellojohn-example:signed-out';
const DRAFT = 'hellojohn-example:profile-draft';

/** 401s after which the SDK has ended the session (as `DEAD_SESSION_CODES` in the SDK's client). */
const ENDED = new Set(['session_revoked', 'invalid_token', 'unauthorized']);

export interface ProfileDraft {
  name: string;
  avatar_url: string;
}

// The SDK shows the sign-in form as it ends the session, before the failed call's promise
// rejects: the form subscribes to the reason, which arrives just after it mounted.
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setReason(reason: string | null): void {
  if (reason === null) sessionStorage.removeItem(REASON);
  else sessionStorage.setItem(REASON, reason);
  for (const listener of [...listeners]) listener();
}

/** True (and the reason noted) when this error means the session was ended elsewhere. */
export function noteIfSignedOut(error: HelloJohnError): boolean {
  if (!ENDED.has(error.code)) return false;
  setReason(error.code);
  return true;
}

/** Why this tab was signed out under the user, if it was (the API's code); null otherwise. */
export function useSignedOutReason(): string | null {
  return useSyncExternalStore(subscribe, () => sessionStorage.getItem(REASON));
}

export function forgetSignedOutReason(): void {
  setReason(null);
}

export function saveDraft(userId: string, draft: ProfileDraft): void {
  sessionStorage.setItem(DRAFT, JSON.stringify({ userId, ...draft }));
}

/** The unsaved profile fields of this user, if a sign-out interrupted them. */
export function readDraft(userId: string): ProfileDraft | null {
  const text = sessionStorage.getItem(DRAFT);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<ProfileDraft> & { userId?: unknown };
    if (value.userId !== userId || typeof value.name !== 'string' || typeof value.avatar_url !== 'string')
      return null;
    return { name: value.name, avatar_url: value.avatar_url };
  } catch {
    return null;
  }
}

export function clearDraft(): void {
  sessionStorage.removeItem(DRAFT);
}
