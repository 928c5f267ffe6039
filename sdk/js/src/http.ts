import { HelloJohnError, errorFromResponse } from './errors.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Path below the API URL, starting with `/v1/`. */
  path: string;
  /** The bearer credential: the publishable key or an access token. */
  bearer: string;
  /** JSON body; sent exactly as given (`JSON.stringify`). */
  body?: unknown;
  signal?: AbortSignal;
}

export interface HttpClientOptions {
  apiUrl: string;
  tenantId: string;
  /** Defaults to the global `fetch`, looked up at call time. */
  fetch?: FetchLike;
  /** Abort a request that has not been answered after this long. Default 30 s. */
  timeoutMs?: number;
}

/**
 * The transport: builds the URL and headers, sends JSON, parses JSON, and turns every failure
 * into a {@link HelloJohnError}. It knows nothing about sessions; see `client.ts` for that.
 *
 * Headers sent (the API's CORS `Access-Control-Allow-Headers` must list them):
 * `Authorization`, `X-Tenant-ID`, and `Content-Type` on requests with a body.
 */
export class HttpClient {
  private readonly baseUrl: string;
  private readonly tenantId: string;
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.apiUrl.replace(/\/+$/, '');
    this.tenantId = options.tenantId;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const injected = options.fetch;
    // Look the global up per call (so test doubles installed later apply) and call it unbound
    // from any object: browsers throw "Illegal invocation" for `obj.fetch = window.fetch`.
    this.fetchImpl = injected ?? ((input, init) => globalThis.fetch(input, init));
  }

  async request<T>(req: HttpRequest): Promise<T | undefined> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${req.bearer}`,
      'X-Tenant-ID': this.tenantId,
    };
    const init: RequestInit = { method: req.method, headers, credentials: 'omit', cache: 'no-store' };
    if (req.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(req.body);
    }
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    if (req.signal !== undefined) {
      if (req.signal.aborted) controller.abort();
      else req.signal.addEventListener('abort', onAbort, { once: true });
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    init.signal = controller.signal;

    try {
      let response: Response;
      try {
        response = await this.fetchImpl(this.baseUrl + req.path, init);
      } catch (cause) {
        throw new HelloJohnError({
          code: 'network_error',
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the timer's callback
          message: timedOut
            ? `The HelloJohn API did not answer in time (${req.method} ${req.path})`
            : `Could not reach the HelloJohn API (${req.method} ${req.path})`,
          status: 0,
          cause,
        });
      }
      const body = await readJson(response);
      if (!response.ok) throw errorFromResponse(response.status, body, response.headers);
      return body as T | undefined;
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/** The parsed JSON body, or undefined when there is none (204, empty, or not JSON). */
async function readJson(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 205) return undefined;
  let text: string;
  try {
    text = await response.text();
  } catch {
    return undefined;
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
