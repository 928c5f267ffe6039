import { useState } from 'react';
import { HelloJohnError, useUser } from '@hellojohn/react';

/**
 * "Delete my account": `user.delete()` → `DELETE /v1/auth/me`, behind a confirmation (the user
 * types DELETE). Every session ends at once, so the page goes back to the sign-in form; the
 * tenant's grace period (the API's `purge_at`) is when an administrator can no longer restore it.
 */
export function DeleteAccount() {
  const { user } = useUser();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      const pending = await user.delete();
      window.alert(
        pending === null
          ? 'Your account was deleted.'
          : `Your account was deleted. It can be restored by support until ${new Date(pending.purge_at).toLocaleString()}.`,
      );
    } catch (caught) {
      setError(caught instanceof HelloJohnError ? caught.message : 'Could not delete the account');
      setBusy(false);
    }
  }

  return (
    <section className="card" data-testid="delete-account">
      <h2>Delete my account</h2>
      <p className="hint">
        <code>useUser().delete()</code> → <code>DELETE /v1/auth/me</code>: every session ends at once.
      </p>
      {confirming ? (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void remove();
          }}
        >
          <label>
            Type DELETE to confirm
            <input
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              data-testid="delete-confirm-input"
              autoComplete="off"
            />
          </label>
          <button
            type="submit"
            className="danger"
            disabled={busy || typed !== 'DELETE'}
            data-testid="delete-confirm"
          >
            Delete my account for good
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(false)}>
            Keep my account
          </button>
        </form>
      ) : (
        <button
          type="button"
          className="danger"
          onClick={() => setConfirming(true)}
          data-testid="delete-start"
        >
          Delete my account…
        </button>
      )}
      {error !== null ? (
        <p className="form-error" role="alert" data-testid="delete-error">
          {error}
        </p>
      ) : null}
    </section>
  );
}
