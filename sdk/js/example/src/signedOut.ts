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

/** True (and the reason noted) when this error means the session was ended elsewhere. */
export function noteIfSignedOut(error: HelloJohnError): boolean {
  if (!ENDED.has(error.code)) return false;
  sessionStorage.setItem(REASON, error.code);
  return true;
}

export function signedOutReason(): string | null {
  return sessionStorage.getItem(REASON);
}

export function forgetSignedOutReason(): void {
  sessionStorage.removeItem(REASON);
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
