export { HelloJohnProvider, useHelloJohnClient, HelloJohnContext } from './react/context.js';
export type { HelloJohnProviderProps } from './react/context.js';
export {
  useAuth,
  useUser,
  useOptionalUser,
  useAuthState,
  useSessions,
  useReverification,
} from './react/hooks.js';
export type {
  UseAuthResult,
  UseUserResult,
  UseOptionalUserResult,
  UseSessionsResult,
} from './react/hooks.js';
export { SignedIn, SignedOut, AuthLoading } from './react/guards.js';
export type { GuardProps } from './react/guards.js';
export { HelloJohnClient } from './client.js';
export type { HelloJohnClientOptions } from './client.js';
export { HelloJohnError, isHelloJohnError } from './errors.js';
export type {
  ApiErrorCode,
  FieldError,
  HelloJohnErrorCode,
  HelloJohnErrorInit,
  SdkErrorCode,
} from './errors.js';
export { isReauthenticationRequired } from './reverification.js';
export type { ReverificationPrompt, ReverificationRequest } from './reverification.js';
export { memoryStorage } from './tokenStore.js';
export type { TokenStorage, TokenStorageOption } from './tokenStore.js';
export type { FetchLike } from './http.js';
export type * from './types.js';
