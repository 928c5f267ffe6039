import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { HelloJohnClient, type HelloJohnClientOptions } from '../client.js';
import { HelloJohnError } from '../errors.js';

export const HelloJohnContext = createContext<HelloJohnClient | null>(null);
HelloJohnContext.displayName = 'HelloJohnContext';

export interface HelloJohnProviderProps extends HelloJohnClientOptions {
  children?: ReactNode;
  /**
   * Use this client instead of creating one from the other props (tests, or sharing one client
   * with code outside React). When given, the other options are ignored.
   */
  client?: HelloJohnClient;
}

function optionsKey(props: HelloJohnClientOptions): string {
  return JSON.stringify([props.apiUrl, props.tenantId, props.publishableKey]);
}

/**
 * Makes the HelloJohn session available to the hooks below it. Put it once, near the root:
 *
 * ```tsx
 * <HelloJohnProvider apiUrl="https://api.hellojohn.dev" tenantId="tnt_…" publishableKey="pk_live_…">
 *   <App />
 * </HelloJohnProvider>
 * ```
 *
 * A new client (and so a new session) is created only when `apiUrl`, `tenantId` or
 * `publishableKey` change; the other options are read when the client is created.
 */
export function HelloJohnProvider(props: HelloJohnProviderProps): ReactNode {
  const { children, client: injected, ...options } = props;
  const key = optionsKey(options);
  const [owned, setOwned] = useState<{ key: string; client: HelloJohnClient } | null>(() =>
    injected === undefined ? { key, client: new HelloJohnClient(options) } : null,
  );
  let active: HelloJohnClient;
  if (injected !== undefined) {
    active = injected;
  } else if (owned?.key !== key) {
    // First render without an injected client, or the configuration changed: adopt a new client
    // during render (React's "storing information from previous renders" pattern); the effect
    // cleanup stops the old one.
    const next = { key, client: new HelloJohnClient(options) };
    setOwned(next);
    active = next.client;
  } else {
    active = owned.client;
  }

  useEffect(() => {
    void active.start();
    return () => active.stop();
  }, [active]);

  return <HelloJohnContext.Provider value={active}>{children}</HelloJohnContext.Provider>;
}

/** The {@link HelloJohnClient} of the nearest provider (for what the hooks do not cover). */
export function useHelloJohnClient(): HelloJohnClient {
  const client = useContext(HelloJohnContext);
  if (client === null) {
    throw new HelloJohnError({
      code: 'invalid_request',
      message: 'HelloJohn hooks must be used inside <HelloJohnProvider>',
      status: 0,
    });
  }
  return client;
}
