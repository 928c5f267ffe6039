import type { components } from './generated/openapi.js';

/** One entry of an API error's `details`: which field is wrong, and why. */
export type FieldError = components['schemas']['ErrorDetail'];

/** Every code the API answers with (the enum of `ErrorBody.code` in `docs/openapi.json`). */
export type ApiErrorCode = components['schemas']['ErrorBody']['code'];

/**
 * The SDK's own codes:
 * - `network_error` (status 0): the request never got an HTTP answer (offline, DNS, CORS refusal);
 * - `invalid_response`: a 2xx answer that is not what the contract promises;
 * - `not_signed_in` (status 401): a signed-in call made while no session exists;
 * - `http_error`: a non-2xx answer without the contract's error body (e.g. a proxy's 502 page);
 * - `reverification_cancelled` (status 403): the app's password prompt was cancelled after a
 *   `reauthentication_required` (`useReverification`), so the request was not retried.
 */
export type SdkErrorCode =
  'network_error' | 'invalid_response' | 'not_signed_in' | 'http_error' | 'reverification_cancelled';

export type HelloJohnErrorCode =
  | ApiErrorCode
  | SdkErrorCode
  // Any code a newer API version may add, without losing autocompletion of the known ones.
  | (string & {});

export interface HelloJohnErrorInit {
  code: HelloJohnErrorCode;
  message: string;
  status: number;
  requestId?: string | null;
  details?: readonly FieldError[];
  retryAfter?: number | null;
  maxAge?: number | null;
  cause?: unknown;
}

/** Every failure of the SDK: an API error (`{"error": {...}}`) or one of the SDK's own codes. */
export class HelloJohnError extends Error {
  override readonly name = 'HelloJohnError';
  /** The API's machine-readable code, e.g. `invalid_credentials`. */
  readonly code: HelloJohnErrorCode;
  /** HTTP status; 0 when there was no HTTP answer. */
  readonly status: number;
  /** The API's request id (body `request_id`, else the `X-Request-ID` header), for support. */
  readonly requestId: string | null;
  /** Per-field problems, e.g. `[{field: "phone_number", message: "..."}]`; may be empty. */
  readonly details: readonly FieldError[];
  /** Seconds to wait before retrying (`Retry-After`, on 429 and 503), or null. */
  readonly retryAfter: number | null;
  /**
   * On a 403 `reauthentication_required`: how recent (seconds) a proof of the password must be,
   * RFC 9470's `max_age` from `WWW-Authenticate`; otherwise null.
   */
  readonly maxAge: number | null;

  constructor(init: HelloJohnErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId ?? null;
    this.details = Object.freeze([...(init.details ?? [])]);
    this.retryAfter = init.retryAfter ?? null;
    this.maxAge = init.maxAge ?? null;
    // Keep `instanceof` working when compiled to older targets.
    Object.setPrototypeOf(this, new.target.prototype);
  }

  /** The message of the first detail about `field`, if any. */
  fieldError(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }

  /** `details` as a `{field: message}` map (first message wins). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) {
      if (!(d.field in out)) out[d.field] = d.message;
    }
    return out;
  }
}

export function isHelloJohnError(value: unknown): value is HelloJohnError {
  return value instanceof HelloJohnError;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseDetails(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  const out: FieldError[] = [];
  for (const item of value) {
    if (isRecord(item) && typeof item.message === 'string') {
      out.push({ field: typeof item.field === 'string' ? item.field : '', message: item.message });
    }
  }
  return out;
}

/** `Retry-After` is seconds or an HTTP date; returns seconds, or null. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** RFC 9470's `max_age` in a `WWW-Authenticate: Bearer …` challenge (quoted or not), or null. */
export function parseMaxAge(header: string | null): number | null {
  const match = header === null ? null : /(?:^|[\s,])max_age="?(\d+)"?/.exec(header);
  return match === null ? null : Number(match[1]);
}

/** Builds the error for a non-2xx response from its (possibly absent or non-JSON) body. */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: { get(name: string): string | null },
): HelloJohnError {
  const headerRequestId = headers.get('X-Request-ID');
  const retryAfter = parseRetryAfter(headers.get('Retry-After'));
  const err = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (err !== null && typeof err.code === 'string') {
    return new HelloJohnError({
      code: err.code,
      message: typeof err.message === 'string' ? err.message : err.code,
      status: typeof err.status === 'number' ? err.status : status,
      requestId: typeof err.request_id === 'string' ? err.request_id : headerRequestId,
      details: parseDetails(err.details),
      retryAfter,
      maxAge: parseMaxAge(headers.get('WWW-Authenticate')),
    });
  }
  return new HelloJohnError({
    code: 'http_error',
    message: `HTTP ${status}`,
    status,
    requestId: headerRequestId,
    retryAfter,
  });
}
