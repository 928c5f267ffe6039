import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { Component, StrictMode, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuthLoading,
  HelloJohnError,
  HelloJohnProvider,
  SignedIn,
  SignedOut,
  useAuth,
  useOptionalUser,
  useUser,
} from '@hellojohn/react';
import { ChangeEmailForm } from '../../example/src/ChangeEmailForm';
import EditProfile from '../../example/src/EditProfile';
import { SessionsList } from '../../example/src/SessionsList';
import { API_URL, FakeApi, PUBLISHABLE_KEY, TENANT } from './fakeApi';

function Providers({ api, children }: { api: FakeApi; children: ReactNode }) {
  return (
    <HelloJohnProvider apiUrl={API_URL} tenantId={TENANT} publishableKey={PUBLISHABLE_KEY} fetch={api.fetch}>
      {children}
    </HelloJohnProvider>
  );
}

function AuthStatus() {
  const { isLoaded, isSignedIn } = useAuth();
  const { user } = useOptionalUser();
  return (
    <p data-testid="status">{isLoaded ? (isSignedIn ? `in:${user?.name ?? '?'}` : 'out') : 'loading'}</p>
  );
}

function SignInButton({ password }: { password: string }) {
  const { signIn } = useAuth();
  return (
    <button type="button" onClick={() => void signIn({ email: 'ada@example.com', password })}>
      sign in
    </button>
  );
}

function SignOutButton() {
  const { signOut } = useAuth();
  return (
    <button type="button" onClick={() => void signOut()}>
      sign out
    </button>
  );
}

beforeEach(() => {
  window.sessionStorage.clear();
});

afterEach(() => {
  cleanup();
});

describe('the seed page component', () => {
  it('example/src/EditProfile.tsx holds the seed snippet byte for byte', () => {
    // (node:path, not new URL(): jsdom replaces the global URL class.)
    const seedFile = resolve(import.meta.dirname, '../../../../../shared/spec/seed-update-users.txt');
    const component = readFileSync(resolve(import.meta.dirname, '../../example/src/EditProfile.tsx'), 'utf8');
    const pasted = component.split('// --- seed: begin ---\n')[1]?.split('\n// --- seed: end ---')[0];
    expect(pasted).toBeDefined();
    expect(pasted).toContain('defaultValue={user.name}');
    if (!existsSync(seedFile)) return; // the spec folder is beside the repo on project machines
    const seed = readFileSync(seedFile, 'utf8');
    const start = seed.indexOf('import { useUser } from "@hellojohn/react";');
    const end = seed.indexOf('}Update Profile (Admin)') + 1;
    expect(start).toBeGreaterThanOrEqual(0);
    expect(pasted).toBe(seed.slice(start, end));
  });

  it('EditProfile, unchanged, updates the profile through PATCH /v1/auth/me', async () => {
    const api = new FakeApi();
    const { container } = render(
      <Providers api={api}>
        <AuthStatus />
        <SignedOut>
          <SignInButton password={api.password} />
        </SignedOut>
        <SignedIn>
          <EditProfile />
        </SignedIn>
      </Providers>,
    );
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('out'));
    fireEvent.click(screen.getByText('sign in'));
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('in:Ada Lovelace'));

    const name = container.querySelector<HTMLInputElement>('input[name="name"]')!;
    const avatar = container.querySelector<HTMLInputElement>('input[name="avatar_url"]')!;
    expect(name.value).toBe('Ada Lovelace');
    expect(avatar.value).toBe('https://example.com/ada.png');

    fireEvent.change(name, { target: { value: 'Ada King' } });
    fireEvent.change(avatar, { target: { value: '' } });
    fireEvent.click(screen.getByText('Save'));

    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('in:Ada King'));
    const patches = api.callsTo('PATCH', '/v1/auth/me');
    expect(patches).toHaveLength(1);
    expect(patches[0]?.rawBody).toBe('{"name":"Ada King","avatar_url":""}');
    expect(patches[0]?.headers.authorization).toMatch(/^Bearer at_/);
  });
});

describe('hooks and guards', () => {
  it('useAuth: loading, then signed out, then signed in, then signed out (useUser() inside <SignedIn> never sees a null user)', async () => {
    const api = new FakeApi();
    render(
      <Providers api={api}>
        <AuthStatus />
        <AuthLoading>
          <span>restoring</span>
        </AuthLoading>
        <SignedOut>
          <SignInButton password={api.password} />
        </SignedOut>
        <SignedIn>
          <SignOutButton />
          <EditProfile />
        </SignedIn>
      </Providers>,
    );
    // Before the provider's effect has run, the state is unknown.
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('out'));
    expect(screen.queryByText('restoring')).toBeNull();

    fireEvent.click(screen.getByText('sign in'));
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('in:Ada Lovelace'));
    expect(screen.queryByText('sign in')).toBeNull();

    fireEvent.click(screen.getByText('sign out'));
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('out'));
    expect(api.callsTo('POST', '/v1/auth/sign-out')).toHaveLength(1);
    expect(window.sessionStorage.length).toBe(0);
  });

  it('restores the session kept in sessionStorage on mount (once, even under StrictMode)', async () => {
    const api = new FakeApi();
    const seeded = api.issueSession();
    window.sessionStorage.setItem(
      `hellojohn:${TENANT}:session`,
      JSON.stringify({
        session_id: seeded.id,
        refresh_token: seeded.refresh_token,
        refresh_token_expires_at: seeded.refresh_token_expires_at,
      }),
    );
    render(
      <StrictMode>
        <Providers api={api}>
          <AuthStatus />
          <AuthLoading>
            <span>restoring</span>
          </AuthLoading>
        </Providers>
      </StrictMode>,
    );
    expect(screen.getByTestId('status').textContent).toBe('loading');
    expect(screen.getByText('restoring')).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('in:Ada Lovelace'));
    // A second refresh with the same (rotated) token would have revoked the session.
    expect(api.callsTo('POST', '/v1/auth/refresh')).toHaveLength(1);
    expect(api.revoked.size).toBe(0);
  });

  it('useUser() outside a signed-in tree throws a not_signed_in HelloJohnError', async () => {
    const api = new FakeApi();
    let caught: unknown = null;
    class Boundary extends Component<{ children: ReactNode }, { failed: boolean }> {
      override state = { failed: false };
      static getDerivedStateFromError() {
        return { failed: true };
      }
      override componentDidCatch(error: unknown) {
        caught = error;
      }
      override render() {
        return this.state.failed ? <p>failed</p> : this.props.children;
      }
    }
    function NeedsUser() {
      const { user } = useUser();
      return <p>{user.name}</p>;
    }
    const consoleError = console.error;
    console.error = () => undefined; // React logs caught render errors
    try {
      render(
        <Providers api={api}>
          <Boundary>
            <NeedsUser />
          </Boundary>
        </Providers>,
      );
      await waitFor(() => expect(screen.getByText('failed')).toBeTruthy());
    } finally {
      console.error = consoleError;
    }
    expect(caught).toBeInstanceOf(HelloJohnError);
    expect((caught as HelloJohnError).code).toBe('not_signed_in');
  });

  it('user.updatePassword from useUser() sends exactly the two fields', async () => {
    const api = new FakeApi();
    const outcome: { value: string } = { value: '' };
    function ChangePassword() {
      const { user } = useUser();
      return (
        <button
          type="button"
          onClick={() => {
            user
              .updatePassword({ current_password: 'OldPassword123!', new_password: 'NewPassword456!' })
              .then(() => (outcome.value = 'ok'))
              .catch((e: unknown) => (outcome.value = String(e)));
          }}
        >
          change
        </button>
      );
    }
    render(
      <Providers api={api}>
        <SignedOut>
          <SignInButton password={api.password} />
        </SignedOut>
        <SignedIn>
          <ChangePassword />
        </SignedIn>
      </Providers>,
    );
    await waitFor(() => screen.getByText('sign in'));
    fireEvent.click(screen.getByText('sign in'));
    await waitFor(() => screen.getByText('change'));
    // eslint-disable-next-line @typescript-eslint/require-await -- an async act() also flushes what the click starts
    await act(async () => {
      fireEvent.click(screen.getByText('change'));
    });
    await waitFor(() => expect(outcome.value).toBe('ok'));
    expect(api.callsTo('POST', '/v1/auth/password/change')[0]?.rawBody).toBe(
      '{"current_password":"OldPassword123!","new_password":"NewPassword456!"}',
    );
  });

  it('hooks outside the provider fail with a clear message', () => {
    function Orphan() {
      useAuth();
      return null;
    }
    const consoleError = console.error;
    console.error = () => undefined;
    try {
      expect(() => render(<Orphan />)).toThrow(/inside <HelloJohnProvider>/);
    } finally {
      console.error = consoleError;
    }
  });
});

describe("useReverification and the example's email change", () => {
  it('a stale session: the prompt is shown; Cancel is a typed error, the password retries the change', async () => {
    const api = new FakeApi();
    render(
      <Providers api={api}>
        <SignedOut>
          <SignInButton password={api.password} />
        </SignedOut>
        <SignedIn>
          <ChangeEmailForm />
        </SignedIn>
      </Providers>,
    );
    await waitFor(() => screen.getByText('sign in'));
    fireEvent.click(screen.getByText('sign in'));
    await waitFor(() => screen.getByTestId('change-email'));
    api.makeProofsStale();
    const submit = (email: string) => {
      fireEvent.change(screen.getByTestId('change-email-input'), { target: { value: email } });
      fireEvent.click(screen.getByTestId('change-email-submit'));
    };

    submit('ada@new.example.com');
    await waitFor(() => screen.getByTestId('reverify-form'));
    expect(screen.getByTestId('reverify-form').textContent).toContain('more than 600 s ago');
    fireEvent.click(screen.getByTestId('reverify-cancel'));
    await waitFor(() => screen.getByTestId('change-email-cancelled'));
    expect(api.callsTo('POST', '/v1/auth/reauthenticate')).toHaveLength(0);

    submit('ada@new.example.com');
    await waitFor(() => screen.getByTestId('reverify-form'));
    fireEvent.change(screen.getByTestId('reverify-password'), { target: { value: api.password } });
    fireEvent.click(screen.getByTestId('reverify-submit'));
    await waitFor(() => screen.getByTestId('change-email-pending'));
    expect(screen.queryByTestId('reverify-form')).toBeNull();
    expect(api.callsTo('POST', '/v1/auth/reauthenticate')).toHaveLength(1);
    expect(api.callsTo('PATCH', '/v1/auth/me').map((c) => c.rawBody)).toEqual([
      '{"email":"ada@new.example.com"}',
      '{"email":"ada@new.example.com"}',
      '{"email":"ada@new.example.com"}',
    ]);
    expect(api.user.pending_email).toBe('ada@new.example.com');
  });
});

describe('useSessions and the example\'s "Where you\'re signed in"', () => {
  it('lists the sessions, the current one marked, and revokes another with its button', async () => {
    const api = new FakeApi();
    const laptop = api.issueSession(); // signed in elsewhere
    render(
      <Providers api={api}>
        <AuthStatus />
        <SignedOut>
          <SignInButton password={api.password} />
        </SignedOut>
        <SignedIn>
          <SessionsList />
        </SignedIn>
      </Providers>,
    );
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('out'));
    fireEvent.click(screen.getByText('sign in'));
    await waitFor(() => expect(screen.getAllByTestId('session')).toHaveLength(2));
    const rows = screen.getAllByTestId('session');
    expect(rows.map((r) => [r.dataset.sessionId, r.dataset.current])).toEqual([
      [api.issued.at(-1)?.id, 'true'],
      [laptop.id, 'false'],
    ]);
    expect(rows[1]?.textContent).toContain('203.0.113.10');
    // the API's readable label first, the raw User-Agent under it
    expect(rows[1]?.querySelector('[data-testid="session-device"]')?.textContent).toBe('Chrome 156 on Linux');
    expect(rows[1]?.querySelector('[data-testid="session-user-agent"]')?.textContent).toContain(
      'Chrome/156.0',
    );

    const revoke = rows[1]?.querySelector<HTMLButtonElement>('[data-testid="session-revoke"]');
    fireEvent.click(revoke!);
    await waitFor(() => expect(screen.getAllByTestId('session')).toHaveLength(1));
    expect(api.callsTo('POST', `/v1/auth/sessions/${laptop.id}/revoke`)).toHaveLength(1);
    expect(api.revoked.has(laptop.id)).toBe(true);
    expect(screen.getByTestId('status').textContent).toBe('in:Ada Lovelace'); // still signed in here
    expect(screen.queryByTestId('sessions-error')).toBeNull();
  });

  it('shows a refused revoke and keeps the list', async () => {
    const api = new FakeApi();
    const laptop = api.issueSession();
    api.overrides.push((call) =>
      call.method === 'POST' && call.path.endsWith('/revoke')
        ? new Response(
            JSON.stringify({
              error: {
                code: 'not_found',
                message: 'No such session',
                status: 404,
                request_id: 'r',
                details: [],
              },
            }),
            { status: 404, headers: { 'Content-Type': 'application/json' } },
          )
        : undefined,
    );
    render(
      <Providers api={api}>
        <SignInButton password={api.password} />
        <SignedIn>
          <SessionsList />
        </SignedIn>
      </Providers>,
    );
    fireEvent.click(await screen.findByText('sign in'));
    await waitFor(() => expect(screen.getAllByTestId('session')).toHaveLength(2));
    const row = screen.getAllByTestId('session').find((r) => r.dataset.sessionId === laptop.id);
    fireEvent.click(row!.querySelector<HTMLButtonElement>('[data-testid="session-revoke"]')!);
    const error = await screen.findByTestId('sessions-error');
    expect(error.dataset.errorCode).toBe('not_found');
    await waitFor(() => expect(screen.getAllByTestId('session')).toHaveLength(2));
  });
});
