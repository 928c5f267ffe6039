/**
 * Wire types of the HelloJohn Users API, as the SDK exposes them: derived from the types
 * generated from the OpenAPI document (`./generated/openapi.ts`), never copied.
 */
import type { components } from './generated/openapi.js';

/** A JSON object, as used by `public_metadata`. */
export interface JsonObject {
  [key: string]: JsonValue;
}
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** Schemas of the API, generated from `docs/openapi.json` (`make openapi`). */
type Schemas = components['schemas'];

/**
 * The signed-in user as the self-service API returns it (`GET /v1/auth/me`, the API's
 * `SelfUser`).
 *
 * One normalisation is applied by the SDK: `name` is always a string (`""` when the API has
 * no name, i.e. `null`), so that `<input defaultValue={user.name} />` type-checks and renders.
 * `public_metadata` is typed as the JSON object it is on the wire.
 */
export interface UserData extends Omit<Schemas['SelfUser'], 'name' | 'public_metadata'> {
  /** Never null in the SDK: `""` when the user has no name. */
  name: string;
  public_metadata: JsonObject;
}

/** Body of `POST /v1/auth/password/change` (`sign_out_other_sessions` defaults to false). */
export type UpdatePasswordParams = Schemas['ChangePassword'];

/**
 * Fields a user may change on themself (`PATCH /v1/auth/me`). A new `email` becomes
 * `pending_email` until the link in the verification email is used; it cannot be null (422),
 * which the document does not say.
 */
export type UpdateUserFields = Omit<Schemas['SelfUserUpdate'], 'email'> & { email?: string };

/**
 * One of the signed-in user's live sessions as `GET /v1/auth/sessions` lists it: `id`,
 * `created_at`, `last_refreshed_at`, `expires_at`, `user_agent`, `device` (the user agent as
 * people read it: "Chrome 156 on Linux"), `ip` (the last four null when unknown) and `current`
 * (the session of this client). Never a token.
 */
export type SessionInfoData = Schemas['OwnSessionInfo'];

/**
 * `DELETE /v1/auth/me` with a grace period: when the account was deleted, and until when an
 * administrator can restore it (`purge_at`). `null` from `user.delete()` when the tenant's grace
 * is 0 days: the account is gone at once.
 */
export type PendingDeletionData = Schemas['PendingDeletion'];

/** Options of `user.delete()`. */
export interface DeleteUserOptions {
  /**
   * Called when the API asks for a fresh proof of identity before the deletion (403
   * `reauthentication_required`): prove it (e.g. ask for the password again), then the deletion is
   * sent once more. Without it, that 403 is thrown.
   */
  reverify?: () => Promise<void>;
}

/** A listed session with `revoke()` bound to it. */
export interface HelloJohnSession extends SessionInfoData {
  /**
   * `POST /v1/auth/sessions/{id}/revoke`: ends that session (its tokens are refused from their
   * next use). Revoking the `current` one signs this client out.
   */
  revoke: () => Promise<void>;
}

/**
 * The user object handed out by `useUser()`: the API's user plus methods bound to the session.
 * A new object is created whenever the user changes, so it is safe to compare by identity.
 */
export interface HelloJohnUser extends UserData {
  /**
   * The password is temporary (set by an admin with `temporary: true`): until it is changed, every
   * call but `GET /v1/auth/me`, the password change and sign-out answers 403
   * `password_change_required`. Route the user to a change-password form while this is true. From
   * the user object's `password_change_required`, and set when a call answers that 403.
   */
  passwordChangeRequired: boolean;
  /** `POST /v1/auth/password/change`. Resolves when the API answers 2xx. */
  updatePassword: (params: UpdatePasswordParams) => Promise<void>;
  /** `PATCH /v1/auth/me`, same as `useUser().update`. */
  update: (fields: UpdateUserFields) => Promise<HelloJohnUser>;
  /** `GET /v1/auth/sessions`: where this user is signed in, newest first, `current` marked. */
  getSessions: () => Promise<HelloJohnSession[]>;
  /**
   * `DELETE /v1/auth/me`: deletes the account. Every session ends at once (this client is signed
   * out); resolves with the restore deadline, or null when the account is gone at once.
   */
  delete: (options?: DeleteUserOptions) => Promise<PendingDeletionData | null>;
}

/** The session object of `POST /v1/auth/sign-in` and `POST /v1/auth/refresh`. */
export type SessionData = Schemas['Session'];

/** Body of `POST /v1/auth/sign-in`. */
export type SignInParams = Schemas['SignIn'];

export type AuthStatus = 'loading' | 'signed-in' | 'signed-out';

/** Immutable snapshot of the client's state (a new object on every change). */
export interface AuthState {
  status: AuthStatus;
  user: HelloJohnUser | null;
}
