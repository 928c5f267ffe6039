/**
 * The example's configuration: `apiUrl`, `tenantId`, `publishableKey`.
 *
 * Read at start from `/config.json` (served next to index.html, so one build runs against any
 * API; the browser test writes it), falling back to the Vite env vars `VITE_HJ_API_URL`,
 * `VITE_HJ_TENANT_ID`, `VITE_HJ_PUBLISHABLE_KEY` (baked in at build/dev time) for `npm run example:dev`.
 */
export interface ExampleConfig {
  apiUrl: string;
  tenantId: string;
  publishableKey: string;
}

const KEYS = ['apiUrl', 'tenantId', 'publishableKey'] as const satisfies readonly (keyof ExampleConfig)[];

/** Every key of `ExampleConfig` a non-empty string. */
function isConfig(value: unknown): value is ExampleConfig {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return KEYS.every((k) => typeof v[k] === 'string' && v[k] !== '');
}

export async function loadConfig(): Promise<ExampleConfig | null> {
  try {
    const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
    if (response.ok) {
      const body: unknown = await response.json();
      if (isConfig(body)) return body;
    }
  } catch {
    // No config.json (or not JSON, e.g. the dev server's index.html fallback): use the env.
  }
  const fromEnv = {
    apiUrl: import.meta.env.VITE_HJ_API_URL,
    tenantId: import.meta.env.VITE_HJ_TENANT_ID,
    publishableKey: import.meta.env.VITE_HJ_PUBLISHABLE_KEY,
  };
  return isConfig(fromEnv) ? fromEnv : null;
}
