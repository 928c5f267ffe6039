import { useState, type SubmitEvent } from 'react';
import { useReverification, useUser, type HelloJohnError } from '@hellojohn/react';
import { FieldError, FormError, asHelloJohnError } from './FieldError';
import { textField } from './form';
import { usePasswordPrompt } from './PasswordPrompt';
import { noteIfSignedOut } from './signedOut';

/**
 * An email change: a sensitive request, so a session signed in longer ago than the tenant's
 * `reverification_max_age_seconds` is asked for the password first (`useReverification` shows
 * the prompt, reauthenticates and retries); the new address then waits for its verification link.
 */
export function ChangeEmailForm() {
  const { user, update } = useUser();
  const [prompt, passwordForm] = usePasswordPrompt();
  const updateWithProof = useReverification(update, prompt);
  const [error, setError] = useState<HelloJohnError | null>(null);
  const [pending, setPending] = useState(false);

  const handleSubmit = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const email = textField(new FormData(e.currentTarget), 'email');
    setPending(true);
    setError(null);
    try {
      await updateWithProof({ email });
    } catch (err) {
      const failure = asHelloJohnError(err);
      noteIfSignedOut(failure);
      setError(failure);
    } finally {
      setPending(false);
    }
  };

  return (
    <section className="card" data-testid="change-email">
      <h2>Email</h2>
      <form onSubmit={(e) => void handleSubmit(e)} noValidate>
        <label>
          New email address
          <input name="email" type="email" autoComplete="email" required data-testid="change-email-input" />
          <FieldError error={error} field="email" />
        </label>
        {error?.code === 'reverification_cancelled' ? (
          <p className="form-error" role="alert" data-testid="change-email-cancelled">
            Not changed: your password is needed to change the email address.
          </p>
        ) : (
          <FormError error={error} testId="change-email-error" fields={['email']} />
        )}
        {user.pending_email ? (
          <p className="success" role="status" data-testid="change-email-pending">
            Check {user.pending_email}: the change takes effect once its link is opened.
          </p>
        ) : null}
        <button type="submit" disabled={pending} data-testid="change-email-submit">
          {pending ? 'Changing…' : 'Change email'}
        </button>
      </form>
      {passwordForm}
    </section>
  );
}
