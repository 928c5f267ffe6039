import { useState, type SubmitEvent } from 'react';
import { useUser, type HelloJohnError } from '@hellojohn/react';
import { FormError, PasswordField, asHelloJohnError } from './FieldError';
import { textField } from './form';
import { noteIfSignedOut } from './signedOut';

const FIELDS = ['current_password', 'new_password', 'sign_out_other_sessions'];

/**
 * `user.updatePassword(...)` as on the seed page. A wrong current password is a 401
 * `invalid_credentials` without details: it is shown next to the current password field.
 */
export function ChangePasswordForm() {
  const { user } = useUser();
  const [error, setError] = useState<HelloJohnError | null>(null);
  const [done, setDone] = useState(false);
  const [pending, setPending] = useState(false);

  const handleSubmit = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    setPending(true);
    setError(null);
    setDone(false);
    try {
      await user.updatePassword({
        current_password: textField(data, 'current_password'),
        new_password: textField(data, 'new_password'),
        ...(data.get('sign_out_other_sessions') === 'on' ? { sign_out_other_sessions: true } : {}),
      });
      form.reset();
      setDone(true);
    } catch (err) {
      const failure = asHelloJohnError(err);
      noteIfSignedOut(failure); // the page goes to sign-in, which says why
      setError(failure);
    } finally {
      setPending(false);
    }
  };

  const currentPasswordError =
    error !== null &&
    error.code === 'invalid_credentials' &&
    error.fieldError('current_password') === undefined
      ? error.message
      : undefined;

  return (
    <form className="card" onSubmit={(e) => void handleSubmit(e)} data-testid="change-password-form">
      <h2>Change password</h2>
      <PasswordField
        label="Current password"
        name="current_password"
        autoComplete="current-password"
        testId="current-password"
        error={error}
      >
        {currentPasswordError !== undefined ? (
          <span className="field-error" role="alert" data-testid="error-current_password">
            {currentPasswordError}
          </span>
        ) : null}
      </PasswordField>
      <PasswordField
        label="New password"
        name="new_password"
        autoComplete="new-password"
        testId="new-password"
        error={error}
      />
      <label className="inline">
        <input name="sign_out_other_sessions" type="checkbox" data-testid="sign-out-other-sessions" />
        Sign out my other sessions
      </label>
      {currentPasswordError === undefined ? (
        <FormError error={error} testId="change-password-error" fields={FIELDS} />
      ) : null}
      {done ? (
        <p className="success" role="status" data-testid="change-password-success">
          Password changed.
        </p>
      ) : null}
      <button type="submit" disabled={pending} data-testid="change-password-submit">
        {pending ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
