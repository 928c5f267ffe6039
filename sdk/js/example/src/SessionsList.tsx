import { useState } from 'react';
import { HelloJohnError, useSessions, type HelloJohnSession } from '@hellojohn/react';

/** "2026-11-26T21:14:40Z" as the reader's local date and time. */
function when(timestamp: string | null): string {
  return timestamp === null ? 'never' : new Date(timestamp).toLocaleString();
}

function SessionRow({ session, onRevoke }: { session: HelloJohnSession; onRevoke: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  return (
    <li
      className="session"
      data-testid="session"
      data-session-id={session.id}
      data-current={String(session.current)}
    >
      <div className="who">
        <strong data-testid="session-device">
          {session.device ?? session.user_agent ?? 'Unknown device'}
        </strong>
        {session.current ? <span className="badge">this browser</span> : null}
        {session.device !== null && session.user_agent !== null ? (
          // the raw string under the label, as peers show it: for those who need the details
          <small className="user-agent" data-testid="session-user-agent">
            {session.user_agent}
          </small>
        ) : null}
        <small data-testid="session-ip">{session.ip ?? 'unknown address'}</small>
        <small>
          signed in {when(session.created_at)} · last refreshed {when(session.last_refreshed_at)} · expires{' '}
          {when(session.expires_at)}
        </small>
      </div>
      <button
        type="button"
        className="secondary"
        disabled={busy}
        data-testid="session-revoke"
        onClick={() => {
          setBusy(true);
          onRevoke()
            .catch(() => undefined) // shown by the list (useSessions().error)
            .finally(() => setBusy(false));
        }}
      >
        {session.current ? 'Sign out here' : 'Revoke'}
      </button>
    </li>
  );
}

/** "Where you're signed in": `useSessions()`, one row per live session, each with a revoke button. */
export function SessionsList() {
  const { sessions, error, revoke } = useSessions();
  return (
    <section className="card" data-testid="sessions">
      <h2>Where you&apos;re signed in</h2>
      <p className="hint">
        <code>useSessions()</code> → <code>GET /v1/auth/sessions</code>; Revoke →{' '}
        <code>POST /v1/auth/sessions/{'{id}'}/revoke</code>: that session&apos;s tokens stop working at once,
        the others keep theirs.
      </p>
      {error !== null ? (
        <p
          className="error"
          data-testid="sessions-error"
          data-error-code={error instanceof HelloJohnError ? error.code : ''}
        >
          {error.message}
        </p>
      ) : null}
      {sessions === null ? (
        <p data-testid="sessions-loading">Loading…</p>
      ) : (
        <ul className="sessions" data-testid="sessions-list">
          {sessions.map((s) => (
            <SessionRow key={s.id} session={s} onRevoke={() => revoke(s.id)} />
          ))}
        </ul>
      )}
    </section>
  );
}
