import { HelloJohnError } from './errors.js';

/** What the app's password prompt is told (see {@link ReverificationPrompt}). */
export interface ReverificationRequest {
  /** How recent (seconds) the API wants the proof: RFC 9470's `max_age`, or null if unknown. */
  maxAgeSeconds: number | null;
  /** Why the prompt is shown again: the last attempt's error (`invalid_credentials`), else null. */
  error: HelloJohnError | null;
}

/**
 * The app's password prompt: resolves with the password the user typed, or null when they
 * cancel (the original call then rejects with `reverification_cancelled`).
 */
export type ReverificationPrompt = (request: ReverificationRequest) => Promise<string | null>;

/** What `withReverification` needs of the client. */
export interface Reauthenticator {
  reauthenticate(password: string): Promise<void>;
}

export function isReauthenticationRequired(error: unknown): error is HelloJohnError {
  return error instanceof HelloJohnError && error.code === 'reauthentication_required';
}

export function reverificationCancelled(cause: HelloJohnError): HelloJohnError {
  return new HelloJohnError({
    code: 'reverification_cancelled',
    message: 'The password prompt was cancelled: the request was not made',
    status: 403,
    requestId: cause.requestId,
    maxAge: cause.maxAge,
    cause,
  });
}

/**
 * Runs `action`; when the API answers 403 `reauthentication_required`, asks `prompt` for the
 * password, proves it (`POST /v1/auth/reauthenticate`, asking again after a wrong one) and runs
 * `action` once more. A cancelled prompt rejects with `reverification_cancelled`; any other error
 * (a lockout's `too_many_attempts`, a dead session) is the one rejected with.
 */
export async function withReverification<T>(
  client: Reauthenticator,
  action: () => Promise<T>,
  prompt: ReverificationPrompt,
): Promise<T> {
  let refusal: HelloJohnError;
  try {
    return await action();
  } catch (error) {
    if (!isReauthenticationRequired(error)) throw error;
    refusal = error;
  }
  let last: HelloJohnError | null = null;
  for (;;) {
    const password = await prompt({ maxAgeSeconds: refusal.maxAge, error: last });
    if (password === null) throw reverificationCancelled(refusal);
    try {
      await client.reauthenticate(password);
      break;
    } catch (error) {
      if (!(error instanceof HelloJohnError) || error.code !== 'invalid_credentials') throw error;
      last = error; // a wrong password: ask again (the API's lockout bounds the attempts)
    }
  }
  return action();
}
