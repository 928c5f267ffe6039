/**
 * Wire types of the HelloJohn Users API (see the API contract), as the SDK exposes them.
 */

/** A JSON object, as used by `public_metadata`. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/**
 * The signed-in user as the self-service API returns it (`GET /v1/auth/me`).
 *
 * One normalisation is applied by the SDK: `name` is always a string (`""` when the API has
 * no name, i.e. `null`), so that `<input defaultValue={user.name} />` type-checks and renders.
 */
export interface UserData {
  id: string;
  tenant_id: string;
  email: string;
  email_verified: boolean;
  /** The new address awaiting verification, or null. */
  pending_email: string | null;
  /** E.164, or null. */
  phone_number: string | null;
  /** Never null in the SDK: `""` when the user has no name. */
  name: string;
  avatar_url: string | null;
  role: string;
  public_metadata: JsonObject;
  disabled: boolean;
  disabled_at: string | null;
  last_sign_in_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Body of `POST /v1/auth/password/change`. */
export interface UpdatePasswordParams {
  current_password: string;
  new_password: string;
  /** Revoke every other session of the user (default false on the API side). */
  sign_out_other_sessions?: boolean;
}

/** Fields a user may change on themself (`PATCH /v1/auth/me`). */
export interface UpdateUserFields {
  name?: string;
  avatar_url?: string | null;
  /** Becomes `pending_email` until the link in the verification email is used. */
  email?: string;
  phone_number?: string | null;
}

/**
 * The user object handed out by `useUser()`: the API's user plus methods bound to the session.
 * A new object is created whenever the user changes, so it is safe to compare by identity.
 */
export interface HelloJohnUser extends UserData {
  /** `POST /v1/auth/password/change`. Resolves when the API answers 2xx. */
  updatePassword(params: UpdatePasswordParams): Promise<void>;
  /** `PATCH /v1/auth/me`, same as `useUser().update`. */
  update(fields: UpdateUserFields): Promise<HelloJohnUser>;
}

/** The session object of `POST /v1/auth/sign-in` and `POST /v1/auth/refresh`. */
export interface SessionData {
  id: string;
  access_token: string;
  refresh_token: string;
  access_token_expires_at: string;
  refresh_token_expires_at: string;
}

export interface SignInParams {
  email: string;
  password: string;
}

export type AuthStatus = 'loading' | 'signed-in' | 'signed-out';

/** Immutable snapshot of the client's state (a new object on every change). */
export interface AuthState {
  status: AuthStatus;
  user: HelloJohnUser | null;
}
